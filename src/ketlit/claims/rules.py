"""Claim-checking rules and regulatory facts, loaded from the packaged TOML files.

Design decisions:

* **Knowledge in data, engine in code.** Drug names, route/indication phrases, claim cues, the
  operationalisation of vague words ("within hours", "long-lasting") and every evidence-reading
  pattern live in ``data/claim_rules.toml``; regulatory decisions with their public sources live
  in ``data/regulatory.toml``. Nothing in ``ketlit.claims`` names the drug, so the same engine
  can check pages about another drug with other files.
* **Validated once.** :func:`load_rules` reads, merges and compiles everything up front and
  turns any malformed value (bad regex, wrong type, unknown slug) into a one-line
  :class:`~ketlit.errors.ConfigError` naming the file and the key, so a typo in a user file
  never surfaces as a traceback halfway through a page.
* **Merge semantics.** A user rules file is merged over the packaged one table by table; a user
  list replaces the packaged list of the same key (appending would make it impossible to
  remove a cue). User regulatory facts replace packaged ones with the same ``id`` and are
  appended otherwise.
* **Slugs are the tagger's.** Every indication / route / molecule / design slug a rules or
  regulatory file names is checked against the vocabularies of the effective tagging rules
  (:mod:`ketlit.tagging.vocab`), not against a list of our own: a slug a user's tagging rules file
  adds can be used here, and claims are matched against the same tags the records carry.
* **Digest.** :attr:`Rules.digest` covers the packaged and the user rules document (not the
  regulatory facts, which number extraction never reads): it keys the findings stored at
  tagging time, so a user rules file never reuses numbers read with other patterns.
* **Unknown keys are refused.** A user file is merged over the packaged one, so a misspelt key or
  table would leave the packaged value in force without a word. Every table read by fixed names
  accepts only those names (:func:`_check_claim_keys`, through
  :meth:`~ketlit.tomlfile.Table.known_keys`); a map the engine looks names up in (``[cues]``,
  ``[regulatory]``) accepts the packaged names only, since nothing reads another; a map of names
  the user chooses (slugs, safety topics, comparators) stays open. A fact's ``kind`` must be one of
  :data:`FACT_KINDS`, and its keys those of a fact.
* Patterns are matched case-insensitively: clinic pages capitalise at random.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from ketlit.config import Settings
from ketlit.tagging.vocab import Vocabularies, tag_vocabularies
from ketlit.tomlfile import Table, merge_documents, read_packaged, read_user

# The digest also covers how :mod:`ketlit.claims.numbers` reads: bump this when a change there reads
# differently (2: "a second dose" is no longer one second), so stored findings are read again.
# 7: a sample size after a word that is no count ("a total of 30 patients"); 6: outcomes named as a pair;
# 5: an arm named after a later number is its; 4, 3: "respectively" lists
NUMBERS_READER_VERSION: Final = 7
CLAIM_RULES_RESOURCE: Final = "claim_rules.toml"
REGULATORY_RESOURCE: Final = "regulatory.toml"

OPS: Final = (">", ">=", "<", "<=", "~")
# What a regulatory fact can record (see regulatory.toml); the verdict engine compares ``kind`` to these.
FACT_KINDS: Final = ("approval", "not_approved", "label_limitation", "label_warning", "label_dose", "label_onset",
                     "rems", "schedule", "off_label", "compounding", "designation", "essential_medicine",
                     "hta_recommendation")
_FACT_KEYS: Final = ("id", "kind", "jurisdiction", "agency", "molecule", "product", "route", "indication",
                     "exhaustive", "year", "schedule", "risks", "statement", "source", "terms", "doses", "unit",
                     "hours", "denies", "rules_out", "recommended", "alone")
_SOURCE_KEYS: Final = ("url", "title", "publisher", "published", "verified")
_COMPARATIVE: Final = ("claim_better", "claim_equal", "no_difference", "ahead", "behind", "object_link", "negated",
                       "hypothetical", "placebo_arm", "single_study", "each_alone", "cited_trial", "beyond_the_study",
                       "moderator")
# The keys of each claim-rules table read by fixed names ("" is the top level), as _rules_from_doc reads them.
_CLAIM_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "": ("schema", "drug", "molecule", "route", "indication", "cues", "dosing_reference", "not_checkable",
         "assertion", "outcomes", "thresholds", "time", "safety", "regulatory", "evidence"),
    "drug": ("names", "min_page_mentions", "other_treatments", "anaphora", "min_claim_words", "carry_over"),
    "molecule": ("generic", "default", "patterns", "by_route"),
    "route": ("patterns", "page"),
    "route.page": ("min_mentions", "min_share", "not_for_indications", "compared_before"),
    "indication": ("patterns", "generic_fallback", "resistant_cues", "families", "page", "rollup_parents",
                   "by_comparator"),
    "indication.page": ("max_inferred", "min_mentions", "min_share_of_top"),
    "thresholds": ("ops", "bare_op", "approx_tolerance_pct"),
    "time": ("vague_onset", "vague_duration"),
    "safety": ("topics", "stance", "populations", "terms", "regulated_risks", "misuse_indications",
               "indirect_populations", "lasting_risks"),
    "evidence": ("design_rank", "preclinical", "not_evidence", "optimal_information_size", "i2_inconsistency",
                 "max_cited", "arms", "direction", "numbers", "other_treatments", "adverse", "ctgov", "comparative"),
    "evidence.comparative": (*_COMPARATIVE, "comparators", "combined"),
    "evidence.ctgov": ("rate_titles", "count_param_types", "percent_units", "yes_categories", "no_categories"),
}
# Tables of entries the user names, each entry with these keys.
_CLAIM_ENTRY_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "indication.families": ("direct", "indirect"),
    "not_checkable": ("reason", "overrides", "anecdote", "patterns", "keep_if", "hide"),
    "dosing_reference": ("dose", "unit", "patterns", "source"),
}
# Arrays of tables ([[thresholds.ops]]), each item with these keys.
_CLAIM_ITEM_KEYS: Final[dict[str, tuple[str, ...]]] = {
    "thresholds.ops": ("op", "patterns"),
    "time.vague_onset": ("pattern", "op", "hours", "note"),
    "time.vague_duration": ("pattern", "op", "hours", "note"),
}
# Maps the engine looks names up in and never iterates: a name the packaged file lacks is read by nothing.
_CLAIM_LOOKUP_MAPS: Final = ("cues", "regulatory", "evidence.arms", "assertion")


_COMBINED: dict[tuple[re.Pattern[str], ...], re.Pattern[str]] = {}


@dataclass(frozen=True, slots=True)
class Patterns:
    """A compiled, ordered list of case-insensitive regexes."""

    regexes: tuple[re.Pattern[str], ...] = ()

    def search(self, text: str) -> re.Match[str] | None:
        """The earliest match of any pattern (ties: the longest)."""
        # Most texts match none of the patterns: one scan of the combined alternation says so
        # (tagging reads every sentence of every candidate abstract against dozens of lists).
        if not self.any(text):
            return None
        best: re.Match[str] | None = None
        for rx in self.regexes:
            m = rx.search(text)
            if m and (best is None or m.start() < best.start() or (m.start() == best.start() and m.end() > best.end())):
                best = m
        return best

    def finditer(self, text: str) -> list[re.Match[str]]:
        """All matches of all patterns, ordered by position."""
        if not self.any(text):  # the quick rejection, as in search
            return []
        found = [m for rx in self.regexes for m in rx.finditer(text)]
        return sorted(found, key=lambda m: (m.start(), -m.end()))

    def any(self, text: str) -> bool:
        """Whether any pattern occurs in ``text``."""
        # One combined alternation: a single scan instead of one per pattern (hot in extraction).
        # The alternation matches somewhere exactly when one of the patterns does (each is tried
        # at every position), so it can stand in for them wherever only "any match?" is asked.
        combined = _COMBINED.get(self.regexes)
        if combined is None:
            combined = _COMBINED[self.regexes] = re.compile(
                "|".join(f"(?:{rx.pattern})" for rx in self.regexes), re.IGNORECASE
            ) if self.regexes else re.compile(r"(?!x)x")
        return combined.search(text) is not None

    def blank(self, text: str) -> str:
        """``text`` with every match replaced by spaces (same length: offsets stay valid), so that
        what a list names (a condition, a setting, a comparator) is not read again as something else."""
        chars = list(text)
        for m in self.finditer(text):
            chars[m.start() : m.end()] = " " * (m.end() - m.start())
        return "".join(chars)

    def __bool__(self) -> bool:
        return bool(self.regexes)


# Answers of :func:`record_mentions`, by (patterns, length and hash of the text): the text itself is
# not kept (whole abstracts), and a record whose text changes gets a new key.
_MENTIONS: dict[tuple[Patterns, int, int], bool] = {}
_MENTIONS_MAX: Final = 100_000


def record_mentions(patterns: Patterns, text: str) -> bool:
    """``patterns.any(text)``, remembered for the process: a check asks it of the same record's text
    once per claim of the page (a dozen times), and each ask scans a whole abstract."""
    key = (patterns, len(text), hash(text))
    found = _MENTIONS.get(key)
    if found is None:
        if len(_MENTIONS) >= _MENTIONS_MAX:  # a long-lived process checking many pages stays bounded
            _MENTIONS.clear()
        found = _MENTIONS[key] = patterns.any(text)
    return found


@dataclass(frozen=True, slots=True)
class DoseReference:
    """The dose a relative dose claim is a fraction of (``[dosing_reference.NAME]``): "1/10 the
    dose for anesthesia" names the anaesthetic dose, which the label states."""

    name: str
    dose: float
    unit: str
    patterns: Patterns
    source: str


@dataclass(frozen=True, slots=True)
class NotCheckableRule:
    """A category of sentences that are reported but not checked."""

    name: str
    reason: str
    overrides: bool
    anecdote: bool
    patterns: Patterns
    keep_if: Patterns
    hide: bool = False  # website chrome (cookie banners, copyright lines): not listed at all


@dataclass(frozen=True, slots=True)
class VagueTime:
    """A vague time phrase and the threshold it is read as."""

    pattern: re.Pattern[str]
    op: str
    hours: float
    note: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """An outcome construct (response, remission, improvement)."""

    name: str
    patterns: Patterns
    definition: str


@dataclass(frozen=True, slots=True)
class Family:
    """Which record indications count as direct or indirect evidence for a claimed indication."""

    direct: tuple[str, ...]
    indirect: tuple[str, ...]


_NUMERALS: Final = {"I": "1", "II": "2", "III": "3", "IV": "4", "V": "5"}


def schedule_key(designation: str) -> tuple[str, str]:
    """(scheme, value) of a drug class or schedule as a law names it: "Schedule III", "III" and
    "Schedule 3" are ("schedule", "3"), "Class B" is ("class", "B"). A bare value is a Schedule (the
    regulatory file's first convention); Roman and Arabic numerals are one value, so a sentence's
    "Schedule 1" is a fact's "Schedule I"."""
    words = designation.split()
    scheme = words[0].lower() if len(words) > 1 else "schedule"
    value = words[-1].upper() if words else ""
    return scheme, _NUMERALS.get(value, value)


def schedule_label(designation: str) -> str:
    """The designation as a reader says it: a bare numeral is "Schedule <numeral>"."""
    return designation if len(designation.split()) > 1 else f"Schedule {designation}"


@functools.cache
def _own_family(indication: str) -> Family:
    """The family of an indication the rules do not list: itself only (built once; a check asks
    for it once per claim and candidate)."""
    return Family(direct=(indication,), indirect=())


@dataclass(frozen=True, slots=True)
class Source:
    """A public source for a regulatory fact."""

    url: str
    title: str
    publisher: str
    published: str
    verified: str  # "" when not re-checked, else the date it was


@dataclass(frozen=True, slots=True)
class RegulatoryFact:
    """One regulatory decision (approval, schedule, warning …) with its sources."""

    id: str
    kind: str
    jurisdiction: str
    agency: str
    molecule: tuple[str, ...]
    product: str
    route: tuple[str, ...]
    indication: tuple[str, ...]
    exhaustive: bool
    year: int
    schedule: str
    risks: tuple[str, ...]
    statement: str
    sources: tuple[Source, ...]
    # Words by which a sentence names this very decision ("breakthrough therapy", "Essential
    # Medicines"): a regulatory sentence naming them is checked against this fact.
    terms: Patterns = Patterns()
    # (label_dose) the labelled dose range, low and high, in ``unit``: a dosing claim inside it
    # states the approved product's own dose.
    doses: tuple[float, ...] = ()
    unit: str = ""
    # (label_onset) the time the label gives the effect to start, earliest and latest, in hours: an
    # anaesthetic's label says how soon it acts, which no study in a psychiatric cache reports.
    hours: tuple[float, ...] = ()
    # (label_limitation) wording of the effect the limitation says is not shown ("prevent suicide"): a
    # sentence claiming the approval is for that effect is contradicted by the label itself.
    denies: Patterns = Patterns()
    # (rems) the settings of use the restriction rules out, named as the claim rules' [assertion.scope]
    # keys ("at_home"): a sentence calling the product safe in such a setting is contradicted by it.
    rules_out: tuple[str, ...] = ()
    # (hta_recommendation) whether the body recommended the product for its uses; None for other kinds.
    recommended: bool | None = None
    # (approval) whether the product is approved for these uses on its own (True) or only with another
    # medicine (False); None when the file does not say. A claim that it is always taken with one is judged on it.
    alone: bool | None = None

    def covers_molecule(self, molecule: str) -> bool:
        """Whether the fact applies to ``molecule`` ("*" applies to every form)."""
        return "*" in self.molecule or molecule in self.molecule


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything the claim checker knows, compiled."""

    source: str
    drug_names: Patterns
    min_page_mentions: int
    other_treatments: Patterns
    anaphora: Patterns
    min_claim_words: int
    carry_over: Patterns
    molecule_generic: Patterns
    molecule_default: str
    molecules: dict[str, Patterns]
    routes: dict[str, Patterns]
    route_page_min_mentions: int
    route_page_min_share: float
    route_page_not_for: tuple[str, ...]
    indications: dict[str, Patterns]
    indication_fallback: dict[str, Patterns]
    resistant_cues: Patterns
    families: dict[str, Family]
    indication_page_max: int
    indication_page_min_mentions: int
    indication_page_min_share: float
    cues: dict[str, Patterns]
    not_checkable: tuple[NotCheckableRule, ...]
    outcomes: tuple[Outcome, ...]
    outcome_undefined: Patterns
    outcome_default: str
    threshold_ops: tuple[tuple[str, Patterns], ...]
    bare_op: str
    approx_tolerance_pct: float
    vague_onset: tuple[VagueTime, ...]
    vague_duration: tuple[VagueTime, ...]
    safety_topics: dict[str, Patterns]
    safety_stances: dict[str, Patterns]
    # Special groups ("during pregnancy", "in adolescents"): a safety claim about one needs
    # evidence that mentions it.
    safety_populations: dict[str, Patterns]
    regulated_risks: tuple[str, ...]
    # [safety.terms]: a harm restricted to a setting ("only with daily recreational use"), the
    # misuse settings, and wording that denies only lasting harm ("long-term memory problems").
    safety_terms: dict[str, Patterns]
    # Indication tags of a record about misuse (recreational users), not treatment.
    misuse_indications: tuple[str, ...]
    indirect_populations: tuple[str, ...]
    lasting_risks: tuple[str, ...]
    # [evidence.comparative]: claim cues, sentence cues and the comparators (name → patterns).
    comparative: dict[str, Patterns]
    comparators: dict[str, Patterns]
    comparator_combined: dict[str, Patterns]
    regulatory: dict[str, Patterns]
    schedule_rx: re.Pattern[str]
    year_rx: re.Pattern[str]
    design_rank: dict[str, int]
    preclinical: tuple[str, ...]
    not_evidence: tuple[str, ...]
    optimal_information_size: int
    i2_inconsistency: float
    max_cited: int
    arms: dict[str, Patterns]
    unblinding_indications: tuple[str, ...]
    direction: dict[str, Patterns]
    numbers: dict[str, Patterns]
    construct_cues: dict[str, Patterns]
    adverse: dict[str, Patterns]
    other_treatments_evidence: Patterns
    drug_bound_adverse: tuple[str, ...]
    rollup_parents: dict[str, tuple[str, ...]]
    ctgov_rate_titles: dict[str, Patterns]
    ctgov_count_param_types: tuple[str, ...]
    ctgov_percent_units: Patterns
    ctgov_yes: Patterns
    ctgov_no: Patterns
    # [assertion]: the vocabulary of claims as assertions (strength, scope, comparator,
    # jurisdiction, checkability cues), group -> name -> patterns; read by ketlit.claims.assertion.
    assertion: dict[str, dict[str, Patterns]] = field(default_factory=dict)
    # [molecule.by_route]: the molecule a route implies for the generic name ("nasal spray" → esketamine).
    molecule_by_route: dict[str, str] = field(default_factory=dict)
    # [indication.by_comparator]: the condition a comparator implies ("unlike antidepressants" → depression).
    indication_by_comparator: dict[str, str] = field(default_factory=dict)
    # [dosing_reference]: the doses relative dose claims are fractions of.
    dose_references: tuple[DoseReference, ...] = ()
    # [route.page] compared_before: words before a route mention that make it the page's comparator.
    route_page_compared: Patterns = Patterns()
    facts: tuple[RegulatoryFact, ...] = field(default=())
    # sha256 of the packaged rules document plus the user's (see the module docstring).
    digest: str = ""

    def family(self, indication: str) -> Family:
        """Direct/indirect evidence indications for a claimed indication (itself only if unlisted)."""
        return self.families.get(indication) or _own_family(indication)

    def fact(self, fact_id: str) -> RegulatoryFact | None:
        """The regulatory fact with this id, if any."""
        return next((f for f in self.facts if f.id == fact_id), None)


# ------------------------------------------------------------------ reading documents


class _Doc(Table):
    """A rules table (see :class:`ketlit.tomlfile.Table`) that also compiles lists of regexes."""

    __slots__ = ()

    def patterns(self, key: str) -> Patterns:
        """The regex or list of regexes ``key``, compiled."""
        return Patterns(tuple(_compile(p, self, key) for p in self.strings(key, single=True)))

    def pattern_map(self, key: str, allowed: Collection[str] | None = None) -> dict[str, Patterns]:
        """The table ``key`` of {name: regexes}, compiled; names must be in ``allowed`` if given."""
        doc = self.sub(key)
        out: dict[str, Patterns] = {}
        for name in doc.names():
            if allowed is not None and name not in allowed:
                raise doc.error(name, f"unknown slug {name!r}")
            out[name] = doc.patterns(name)
        return out


def _compile(pattern: str, table: Table, key: str | None) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise table.error(key, f"bad regex {pattern!r}: {exc}") from None


def _slug(value: str, allowed: Collection[str], table: Table, key: str | None = None) -> str:
    if value not in allowed:
        raise table.error(key, f"unknown slug {value!r}")
    return value


def _vague(doc: _Doc, key: str) -> tuple[VagueTime, ...]:
    out: list[VagueTime] = []
    for t in doc.tables(key):
        op = t.choice("op", OPS)
        out.append(VagueTime(_compile(t.string("pattern"), t, None), op, t.number("hours"), t.string("note", "")))
    return tuple(out)


def _rules_from_doc(root: _Doc, source: str, vocab: Vocabularies) -> Rules:
    drug, mol, route, ind = root.sub("drug"), root.sub("molecule"), root.sub("route"), root.sub("indication")
    families: dict[str, Family] = {}
    fam_doc = ind.sub("families")
    for name in fam_doc.names():
        f = fam_doc.sub(name)
        _slug(name, vocab["indication"], f)
        families[name] = Family(
            direct=tuple(_slug(s, vocab["indication"], f) for s in f.strings("direct", single=True)),
            indirect=tuple(_slug(s, vocab["indication"], f) for s in f.strings("indirect", single=True)),
        )
    nc_doc = root.sub("not_checkable")
    not_checkable = tuple(
        NotCheckableRule(
            name=name,
            reason=nc_doc.sub(name).string("reason"),
            overrides=nc_doc.sub(name).boolean("overrides", False),
            anecdote=nc_doc.sub(name).boolean("anecdote", False),
            patterns=nc_doc.sub(name).patterns("patterns"),
            keep_if=nc_doc.sub(name).patterns("keep_if"),
            hide=nc_doc.sub(name).boolean("hide", False),
        )
        for name in nc_doc.names()
    )
    out_doc = root.sub("outcomes")
    outcomes = tuple(
        Outcome(name, out_doc.sub(name).patterns("patterns"), out_doc.sub(name).string("definition"))
        for name in out_doc.strings("order", single=True)
    )
    thr = root.sub("thresholds")
    ops: list[tuple[str, Patterns]] = []
    for t in thr.tables("ops"):
        op = t.choice("op", OPS)
        # Symbols like ">" need no word boundaries; patterns are taken literally as regexes.
        ops.append((op, t.patterns("patterns")))
    reg = root.sub("regulatory")
    ev = root.sub("evidence")
    rank_doc = ev.sub("design_rank")
    design_rank = {_slug(k, vocab["design"], rank_doc): rank_doc.integer(k) for k in rank_doc.names()}
    ctg = ev.sub("ctgov")
    default_molecule = _slug(mol.string("default"), vocab["molecule"], mol, "default")
    outcome_default = out_doc.string("undefined_default")
    if outcome_default not in {o.name for o in outcomes}:
        raise out_doc.error("undefined_default", f"unknown outcome {outcome_default!r}")
    bare = thr.choice("bare_op", OPS)
    return Rules(
        source=source,
        drug_names=drug.patterns("names"),
        min_page_mentions=drug.integer("min_page_mentions", 2),
        other_treatments=drug.patterns("other_treatments"),
        anaphora=drug.patterns("anaphora"),
        min_claim_words=drug.integer("min_claim_words", 4),
        carry_over=drug.patterns("carry_over"),
        molecule_generic=mol.patterns("generic"),
        molecule_default=default_molecule,
        molecules=mol.pattern_map("patterns", vocab["molecule"]),
        routes=route.pattern_map("patterns", vocab["route"]),
        route_page_min_mentions=route.sub("page").integer("min_mentions", 2),
        route_page_min_share=route.sub("page").number("min_share", 0.6),
        route_page_not_for=route.sub("page").strings("not_for_indications", single=True),
        route_page_compared=route.sub("page").patterns("compared_before"),
        indications=ind.pattern_map("patterns", vocab["indication"]),
        indication_fallback=ind.pattern_map("generic_fallback", vocab["indication"]),
        resistant_cues=ind.patterns("resistant_cues"),
        families=families,
        indication_page_max=ind.sub("page").integer("max_inferred", 3),
        indication_page_min_mentions=ind.sub("page").integer("min_mentions", 2),
        indication_page_min_share=ind.sub("page").number("min_share_of_top", 0.0),
        cues=root.pattern_map("cues"),
        not_checkable=not_checkable,
        outcomes=outcomes,
        outcome_undefined=out_doc.sub("undefined").patterns("patterns"),
        outcome_default=outcome_default,
        threshold_ops=tuple(ops),
        bare_op=bare,
        approx_tolerance_pct=thr.number("approx_tolerance_pct", 5.0),
        vague_onset=_vague(root.sub("time"), "vague_onset"),
        vague_duration=_vague(root.sub("time"), "vague_duration"),
        safety_topics=root.sub("safety").pattern_map("topics"),
        safety_stances=root.sub("safety").pattern_map("stance"),
        safety_populations=root.sub("safety").pattern_map("populations"),
        comparative={k: ev.sub("comparative").patterns(k) for k in _COMPARATIVE},
        comparators=ev.sub("comparative").pattern_map("comparators"),
        comparator_combined=ev.sub("comparative").pattern_map("combined"),
        regulated_risks=root.sub("safety").strings("regulated_risks", single=True),
        safety_terms=root.sub("safety").pattern_map(
            "terms", {"restriction", "misuse", "lasting", "lasting_report", "setting", "majority", "in_treatment"}),
        misuse_indications=root.sub("safety").strings("misuse_indications", single=True),
        indirect_populations=root.sub("safety").strings("indirect_populations", single=True),
        lasting_risks=root.sub("safety").strings("lasting_risks", single=True),
        regulatory={k: reg.patterns(k) for k in reg.names() if k not in ("schedule", "year")},
        schedule_rx=_compile(reg.string("schedule"), reg, "schedule"),
        year_rx=_compile(reg.string("year"), reg, "year"),
        design_rank=design_rank,
        preclinical=tuple(
            _slug(s, vocab["design"], ev, "preclinical") for s in ev.strings("preclinical", single=True)
        ),
        not_evidence=tuple(
            _slug(s, vocab["design"], ev, "not_evidence") for s in ev.strings("not_evidence", single=True)
        ),
        optimal_information_size=ev.integer("optimal_information_size", 400),
        i2_inconsistency=ev.number("i2_inconsistency", 50.0),
        max_cited=ev.integer("max_cited", 12),
        arms={k: ev.sub("arms").patterns(k) for k in ev.sub("arms").names() if k != "unblinding_indications"},
        unblinding_indications=tuple(
            _slug(s, vocab["indication"], ev.sub("arms"), "unblinding_indications")
            for s in ev.sub("arms").strings("unblinding_indications", single=True)
        ),
        direction=ev.pattern_map("direction"),
        numbers={k: ev.sub("numbers").patterns(k) for k in ev.sub("numbers").names() if k != "construct_cues"},
        construct_cues=ev.sub("numbers").pattern_map("construct_cues"),
        other_treatments_evidence=ev.patterns("other_treatments"),
        adverse={k: ev.sub("adverse").patterns(k) for k in ev.sub("adverse").names() if k != "drug_bound"},
        drug_bound_adverse=ev.sub("adverse").strings("drug_bound", single=True),
        rollup_parents={
            _slug(k, vocab["indication"], ind.sub("rollup_parents")): tuple(
                _slug(c, vocab["indication"], ind.sub("rollup_parents"))
                for c in ind.sub("rollup_parents").strings(k, single=True)
            )
            for k in ind.sub("rollup_parents").names()
        },
        ctgov_rate_titles=ctg.pattern_map("rate_titles"),
        ctgov_count_param_types=tuple(s.upper() for s in ctg.strings("count_param_types", single=True)),
        ctgov_percent_units=ctg.patterns("percent_units"),
        ctgov_yes=ctg.patterns("yes_categories"),
        ctgov_no=ctg.patterns("no_categories"),
        assertion={g: root.sub("assertion").pattern_map(g) for g in root.sub("assertion").names()},
        molecule_by_route={
            _slug(r, vocab["route"], mol.sub("by_route")): _slug(
                mol.sub("by_route").string(r), vocab["molecule"], mol.sub("by_route"), r
            )
            for r in mol.sub("by_route").names()
        },
        dose_references=tuple(
            DoseReference(
                name=name,
                dose=t.number("dose"),
                unit=t.choice("unit", ("mg/kg", "mg")),
                patterns=t.patterns("patterns"),
                source=t.string("source"),
            )
            for name in root.sub("dosing_reference").names()
            for t in (root.sub("dosing_reference").sub(name),)
        ),
        indication_by_comparator={
            c: _slug(ind.sub("by_comparator").string(c), vocab["indication"], ind.sub("by_comparator"), c)
            for c in ind.sub("by_comparator").names()
        },
    )


def _at(root: Table, path: str) -> Table:
    """The table at the dotted ``path`` ("" is ``root``); an empty one where absent."""
    for part in path.split(".") if path else ():
        root = root.sub(part)
    return root


def _check_claim_keys(root: Table, packaged: Table) -> None:
    """Refuse a table or key of a (merged) claim rules document that nothing reads (see the module docstring)."""
    for path, keys in _CLAIM_KEYS.items():
        _at(root, path).known_keys(keys)
    for path, keys in _CLAIM_ENTRY_KEYS.items():
        table = _at(root, path)
        for name in table.names():
            table.sub(name).known_keys(keys)
    for path, keys in _CLAIM_ITEM_KEYS.items():
        parent, _, key = path.rpartition(".")
        for item in _at(root, parent).tables(key):
            item.known_keys(keys)
    for path in _CLAIM_LOOKUP_MAPS:
        _at(root, path).known_keys(_at(packaged, path).names())
    # [outcomes]: the constructs `order` lists (a user's order may drop a packaged one, whose table stays).
    outcomes = root.sub("outcomes")
    names = (*_at(packaged, "outcomes").names(), *outcomes.strings("order", single=True))
    outcomes.known_keys(dict.fromkeys(("order", "undefined_default", "undefined", *names)))
    for name in outcomes.names():
        if name not in ("order", "undefined_default"):
            outcomes.sub(name).known_keys(("patterns",) if name == "undefined" else ("patterns", "definition"))


def _fact_range(f: _Doc, key: str, required_by: str | None = None) -> tuple[float, ...]:
    """A fact's [low, high] range under ``key`` (``doses`` of a label_dose, ``hours`` of a label_onset:
    numbers, low <= high); () when the fact gives none, which a fact of kind ``required_by`` may not."""
    raw = f.data.get(key, [])
    if not isinstance(raw, list) or not all(isinstance(x, int | float) and not isinstance(x, bool) for x in raw):
        raise f.error(key, "must be a list of numbers [low, high]")
    found = tuple(float(x) for x in raw)
    if found and (len(found) != 2 or found[0] > found[1]):
        raise f.error(key, "must be [low, high] with low <= high")
    if required_by and not found:
        raise f.error(key, f"a {required_by} fact needs {key} = [low, high]")
    return found


def _fact_hours(f: _Doc, kind: str) -> tuple[float, ...]:
    """A label_onset fact's [earliest, latest] hours, and the uses they are for: without those the fact
    would be loaded and never read."""
    hours = _fact_range(f, "hours", kind if kind == "label_onset" else None)
    if kind == "label_onset" and not f.strings("indication", single=True):
        raise f.error("indication", "a label_onset fact needs the uses its hours are for (indication = [...])")
    return hours


def _fact_recommended(f: _Doc, kind: str) -> bool | None:
    """An hta_recommendation's ``recommended`` (required, with the ``terms`` that name its body) and
    nothing for any other kind: a decision whose direction is unknown could only be misread."""
    recommended = f.boolean("recommended", None)
    if kind == "hta_recommendation" and recommended is None:
        raise f.error("recommended", "an hta_recommendation needs recommended = true or false")
    if kind != "hta_recommendation" and recommended is not None:
        raise f.error("recommended", f"only an hta_recommendation has it, not a fact of kind {kind!r}")
    if kind == "hta_recommendation" and not f.strings("terms", single=True):
        raise f.error("terms", "an hta_recommendation needs terms naming its body (e.g. ['NICE'])")
    return recommended


def _fact_alone(f: _Doc, kind: str) -> bool | None:
    """An approval's ``alone`` (whether it is for use on its own); refused on other kinds, which approve nothing."""
    alone = f.boolean("alone", None)
    if alone is not None and kind != "approval":
        raise f.error("alone", f"only an approval has it, not a fact of kind {kind!r}")
    return alone


def _fact_schedule(f: _Doc, kind: str) -> str:
    """A schedule fact's class or schedule ("Schedule III", "Class B"), required for that kind."""
    schedule = f.string("schedule", "")
    if kind == "schedule" and not schedule.strip():
        raise f.error("schedule", 'a schedule fact needs its class or schedule, e.g. "Schedule III" or "Class B"')
    return schedule


def _facts_from_doc(root: _Doc, vocab: Vocabularies) -> tuple[RegulatoryFact, ...]:
    facts: list[RegulatoryFact] = []
    seen: set[str] = set()
    for f in root.tables("fact"):
        fid = f.string("id")
        if fid in seen:
            raise f.error(None, f"duplicate fact id {fid!r}")
        seen.add(fid)
        f.known_keys(_FACT_KEYS)
        for source in f.tables("source"):
            source.known_keys(_SOURCE_KEYS)
        sources = tuple(
            Source(
                url=s.string("url"),
                title=s.string("title"),
                publisher=s.string("publisher", ""),
                published=s.string("published", ""),
                verified="" if s.data.get("verified", False) is False else str(s.data.get("verified")),
            )
            for s in f.tables("source")
        )
        if not sources:
            raise f.error(None, "a fact needs at least one [[fact.source]]")
        for s in sources:
            if not s.url.startswith("https://"):
                raise f.error(None, f"source url must be https: {s.url!r}")
        kind = f.choice("kind", FACT_KINDS)
        facts.append(
            RegulatoryFact(
                id=fid,
                kind=kind,
                jurisdiction=f.string("jurisdiction", "US"),
                agency=f.string("agency", ""),
                molecule=tuple(
                    m if m == "*" else _slug(m, vocab["molecule"], f) for m in f.strings("molecule", single=True)
                ),
                product=f.string("product", ""),
                route=tuple(_slug(r, vocab["route"], f) for r in f.strings("route", single=True)),
                indication=tuple(_slug(i, vocab["indication"], f) for i in f.strings("indication", single=True)),
                exhaustive=f.boolean("exhaustive", False),
                year=f.integer("year", 0),
                schedule=_fact_schedule(f, kind),
                risks=f.strings("risks", single=True),
                statement=f.string("statement"),
                sources=sources,
                terms=f.patterns("terms") if "terms" in f.data else Patterns(),
                doses=_fact_range(f, "doses"),
                unit=f.string("unit", ""),
                hours=_fact_hours(f, kind),
                denies=f.patterns("denies") if "denies" in f.data else Patterns(),
                rules_out=f.strings("rules_out", single=True),
                recommended=_fact_recommended(f, kind),
                alone=_fact_alone(f, kind),
            )
        )
    return tuple(facts)


# ------------------------------------------------------------------ loading
# Reading, decoding and merging are ketlit.tomlfile's, shared by every user TOML file.


def _merge_facts(base: Mapping[str, Any], user: Table) -> dict[str, Any]:
    unknown = sorted(set(user.data) - {"fact"})
    if unknown:
        # A misspelt [[facts]] would otherwise be ignored without a word.
        raise user.error(None, f"unknown key(s): {', '.join(unknown)} (expected [[fact]] tables)")
    given = user.data.get("fact", [])
    if not isinstance(given, list):
        raise user.error(None, "fact must be a list of tables ([[fact]])")
    facts = [dict(f) for f in base.get("fact", []) if isinstance(f, Mapping)]
    index = {f.get("id"): i for i, f in enumerate(facts)}
    for f in given:
        if isinstance(f, Mapping) and f.get("id") in index:
            facts[index[f.get("id")]] = dict(f)
        else:
            facts.append(f)
    return {"fact": facts}


def load_rules(
    user_rules: Path | None = None,
    user_regulatory: Path | None = None,
    *,
    vocabularies: Vocabularies | None = None,
) -> Rules:
    """The packaged claim rules and regulatory facts, each merged with a user file if given.

    Slugs are checked against ``vocabularies`` ({axis: slugs}, those of the effective tagging
    rules; by default the packaged tagging rules'). Errors name the user file when there is one
    (the packaged files are tested), the packaged file otherwise."""
    given = tag_vocabularies() if vocabularies is None else vocabularies
    vocab = {axis: tuple(given.get(axis, ())) for axis in ("indication", "route", "molecule", "design")}
    packaged = read_packaged(CLAIM_RULES_RESOURCE)
    digest = hashlib.sha256(f"numbers reader {NUMBERS_READER_VERSION}\n".encode() + packaged.raw)
    doc, where = packaged.data, packaged.where
    if user_rules is not None:
        user = read_user(user_rules, "rules file")
        doc = merge_documents(doc, user.data)
        digest.update(user.raw)
        where = user.where
    _check_claim_keys(Table(doc, where), packaged.root())
    rules = _rules_from_doc(_Doc(doc, where), where, vocab)
    regulatory = read_packaged(REGULATORY_RESOURCE)
    reg, reg_where = regulatory.data, regulatory.where
    if user_regulatory is not None:
        user = read_user(user_regulatory, "rules file")
        reg, reg_where = _merge_facts(reg, user.root()), user.where
    facts = _facts_from_doc(_Doc(reg, reg_where), vocab)
    return replace(rules, facts=facts, digest=digest.hexdigest())


def load_rules_for(settings: Settings, *, vocabularies: Vocabularies | None = None) -> Rules:
    """The claim rules and regulatory facts ``settings`` configure (see :func:`load_rules`)."""
    return load_rules(settings.claim_rules, settings.regulatory, vocabularies=vocabularies)
