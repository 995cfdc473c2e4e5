"""Reading one made-up result sentence or title as the evidence reader meets it in a record, for the wording tests
(``test_evidence_set_i.py``, ``test_evidence_probe_round7.py``): the sentence as the RESULTS after a METHODS section,
the title classified with that methods text as the aim and design."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

from ketlit.evidence.findings import clause_findings
from ketlit.evidence.profile import read_profile
from ketlit.evidence.questions import classify
from ketlit.evidence.roles import RoledSentence, assign_roles
from ketlit.evidence.rules import load_rules, packaged_rules
from ketlit.evidence.sentences import abstract_sentences
from ketlit.sources.models import AbstractSection, Article

RULES = packaged_rules()
_SHIPPED_RULES = Path(__file__).resolve().parents[1] / "src/ketlit/data/evidence_rules.toml"
PLACEBO_TRIAL = "Adults with treatment-resistant depression were randomized to ketamine 0.5 mg/kg or saline placebo."


def read(
    sentence: str, methods: str = PLACEBO_TRIAL, title: str = "Ketamine versus placebo: a randomized trial"
) -> list[str]:
    """The directions read from ``sentence`` as the results of a made-up trial (placebo-controlled by default)."""
    sections = [AbstractSection("METHODS", "METHODS", methods), AbstractSection("RESULTS", "RESULTS", sentence)]
    first = len(abstract_sentences(sections[:1]))
    article = Article("1", title=title, sections=sections)
    profile = read_profile(article, {"design": ["rct"], "molecule": ["racemic_ketamine"]}, RULES)
    return [f.direction for f in profile.findings if f.sentence >= first]


def ask(title: str, methods: str, designs: tuple[str, ...] = ()) -> str:
    """The study question of ``title`` with ``methods`` and the given design tags."""
    sentences = assign_roles(abstract_sentences([AbstractSection("METHODS", "METHODS", methods)]), RULES.roles)
    return classify(title, sentences, frozenset(designs), RULES.questions).value


def clause_directions(clause: str) -> list[str]:
    """The directions the rules read in one clause (before the direction model weighs the whole sentence)."""
    return [f.direction for f in clause_findings(clause, 0, RULES.findings)]


def unlabelled_roles(text: str, rules: Any = RULES) -> list[RoledSentence]:
    """The sentences of an abstract that is one unlabelled section, as an import without structure gives it, with the
    roles the role reader gives them."""
    return assign_roles(abstract_sentences([AbstractSection(None, None, text)]), rules.roles)


def ask_text(title: str, text: str, designs: tuple[str, ...] = ()) -> str:
    """The question of a record whose abstract is one unlabelled section (the role reader decides which sentences
    are methods)."""
    return classify(title, unlabelled_roles(text), frozenset(designs), RULES.questions).value


def ask_with_results(title: str, methods: str, results: str, designs: tuple[str, ...] = ()) -> str:
    """The study question of a record with a methods and a results section (results can veto a question:
    ``[[question]] unless_results``)."""
    sections = [AbstractSection("METHODS", "METHODS", methods), AbstractSection("RESULTS", "RESULTS", results)]
    sentences = assign_roles(abstract_sentences(sections), RULES.roles)
    return classify(title, sentences, frozenset(designs), RULES.questions).value


def relation(title: str, methods: str, results: str, rules: Any = RULES) -> str | None:
    """The report relation of a made-up trial record: ``title``, a methods and a results section."""
    sections = [AbstractSection("METHODS", "METHODS", methods), AbstractSection("RESULTS", "RESULTS", results)]
    return read_profile(Article("1", title=title, sections=sections), {"design": ["rct"]}, rules).relation


def rules_for(molecule: str) -> Any:
    """The shipped rules configured for another molecule, as a user's rules file would (``[reading] molecules``)."""
    text = re.sub(r"(?m)^molecules = \[.*\]$", f'molecules = ["{molecule}"]', _SHIPPED_RULES.read_text(), count=1)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence_rules.toml"
        path.write_text(text)
        return load_rules(path)
