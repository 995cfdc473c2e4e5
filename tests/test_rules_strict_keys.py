"""User rules files refuse what nothing reads: a misspelt table, key or enumerated value is a one-line
ConfigError naming the file and the dotted key, never silently ignored (the packaged value would
stay in force without a word, since user files are merged over the packaged ones).

Each case is a user file with one typo; the negative cases show that what a user may legitimately
add (a new outcome construct, a new not-checkable category, a new safety topic, an outcome order
that drops a packaged construct) still loads.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.claims.policy import load_policy
from ketlit.claims.rules import load_rules
from ketlit.cli import app
from ketlit.errors import ConfigError
from tests.conftest import FIXTURES

runner = CliRunner()

FACT = """[[fact]]
id = "user_fact"
kind = "{kind}"
jurisdiction = "US"
molecule = "esketamine"
statement = "A user fact."
{extra}
[[fact.source]]
url = "https://example.org/label"
title = "Label"
{source_extra}
"""


def _fact(kind: str = "approval", extra: str = "", source_extra: str = "") -> str:
    return FACT.format(kind=kind, extra=extra, source_extra=source_extra)


def _verdict(path: Path) -> object:
    return load_policy(path)


def _reference(path: Path) -> object:
    return load_policy(None, path)


def _claims(path: Path) -> object:
    return load_rules(path)


def _regulatory(path: Path) -> object:
    return load_rules(None, path)


@pytest.mark.parametrize(
    ("loader", "text", "key", "hint"),
    [
        # verdict rules (KETLIT_VERDICT_RULES): a key, a table, a construct's key, a study question
        (_verdict, "[verdict]\nadequate_rtc_n = 5\n", "verdict.adequate_rtc_n: unknown key", "adequate_rct_n"),
        (_verdict, "[verdicts]\nadequate_rct_n = 5\n", "verdicts: unknown key", "verdict"),
        (_verdict, "schema = 1\nfoo = 1\n", "foo: unknown key", None),
        (_verdict, "[dose]\nmin_study = 2\n", "dose.min_study: unknown key", "min_studies"),
        (_verdict, "[legend]\nsuported = 'x'\n", "legend.suported: unknown key", "supported"),
        (_verdict, "[outcomes.mine]\nwhy = 'w'\nclaims = ['x']\n", "outcomes.mine.claims: unknown key", "claim"),
        (_verdict, "[questions]\ncounts = ['efficacy_vs_controll']\n", "questions.counts[0]: must be one of",
         "efficacy_vs_control"),
        (_verdict, "[questions.not_counted]\nhead_to_heads = 'x'\n", "questions.not_counted.head_to_heads: unknown key",
         "head_to_head"),
        # reference standard (KETLIT_REFERENCE_STANDARD): the top level and an entry's keys
        (_reference, "foo = 1\n", "foo: unknown key", None),
        (_reference, "[[entries]]\nid = 'x'\n", "entries: unknown key", "entry"),
        (_reference, "[[entry]]\nid = 'x'\ncertanty = 'low'\n", ".certanty: unknown key", "certainty"),
        # claim rules (KETLIT_CLAIM_RULES): fixed tables, lookup maps, named entries, arrays of tables
        (_claims, "foo = 1\n", "foo: unknown key", None),
        (_claims, "[drugs]\nnames = ['x']\n", "drugs: unknown key", "drug"),
        (_claims, "[drug]\nmin_page_mention = 2\n", "drug.min_page_mention: unknown key", "min_page_mentions"),
        (_claims, "[cues]\nefficacyy = ['x']\n", "cues.efficacyy: unknown key", "efficacy"),
        (_claims, "[not_checkable.site]\nreasons = 'x'\n", "not_checkable.site.reasons: unknown key", "reason"),
        (_claims, "[[thresholds.ops]]\nop = '>'\npattern = 'x'\n", "thresholds.ops[0].pattern: unknown key",
         "patterns"),
        (_claims, "[outcomes.remision]\npatterns = ['x']\n", "outcomes.remision: unknown key", "remission"),
        (_claims, "[evidence.ctgov]\nyes_category = ['x']\n", "evidence.ctgov.yes_category: unknown key",
         "yes_categories"),
        # regulatory facts (KETLIT_REGULATORY): the enumerated kind, a fact's and a source's keys
        (_regulatory, _fact(kind="approvall"), ".kind: must be one of", "approval"),
        (_regulatory, _fact(extra="indications = ['depression']"), ".indications: unknown key", "indication"),
        (_regulatory, _fact(source_extra="publised = '2020'"), ".source[0].publised: unknown key", "published"),
    ],
)
def test_a_typo_in_a_user_rules_file_is_refused_naming_file_and_key(
    tmp_path: Path, loader: Callable[[Path], object], text: str, key: str, hint: str | None
) -> None:
    path = tmp_path / "my_rules.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        loader(path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and key in message, message
    assert "\n" not in message
    if hint is None:
        assert "did you mean" not in message  # nothing close: no guess
    else:
        assert message.endswith(f"did you mean {hint!r}?"), message


@pytest.mark.parametrize(
    ("loader", "text"),
    [
        # a new outcome construct, with the keys every construct has
        (_verdict, "[outcomes.sleep]\nwhy = 'w'\nclaim = ['sleep']\nstudy = ['sleep']\n"),
        (_verdict, "[questions]\ncounts = ['efficacy_vs_control', 'head_to_head']\n"),
        (_reference, "schema = 1\n"),
        # new named entries in open maps: a not-checkable category, a safety topic, an outcome order that
        # drops a packaged construct (whose packaged table stays in the merged document)
        (_claims, "[not_checkable.mine]\nreason = 'mine'\npatterns = ['zzz']\n"),
        (_claims, "[safety.topics]\ninsomnia = ['insomnia']\n"),
        (_claims, "[outcomes]\norder = ['remission', 'response']\nundefined_default = 'response'\n"),
        (_regulatory, _fact(kind="essential_medicine", extra="terms = ['Essential Medicines']",
                            source_extra="verified = '2025-01-01'")),
    ],
)
def test_what_a_user_may_add_still_loads(tmp_path: Path, loader: Callable[[Path], object], text: str) -> None:
    path = tmp_path / "my_rules.toml"
    path.write_text(text, encoding="utf-8")
    loader(path)


def test_the_packaged_files_load() -> None:
    assert load_policy().adequate_rct_n > 0
    assert load_rules().facts


@pytest.mark.parametrize(
    ("var", "text", "fragment"),
    [
        ("KETLIT_VERDICT_RULES", "[verdict]\nadequate_rtc_n = 5\n", "verdict.adequate_rtc_n: unknown key"),
        ("KETLIT_REFERENCE_STANDARD", "foo = 1\n", "foo: unknown key"),
        ("KETLIT_CLAIM_RULES", "foo = 1\n", "foo: unknown key"),
        ("KETLIT_REGULATORY", _fact(kind="approvall"), ".kind: must be one of"),
    ],
)
def test_the_cli_refuses_a_typo_in_one_line(tmp_path: Path, var: str, text: str, fragment: str) -> None:
    path = tmp_path / "my_rules.toml"
    path.write_text(text, encoding="utf-8")
    db = str(tmp_path / "k.db")  # a cache, so the error is the only line (no "no cache" note)
    assert runner.invoke(app, ["--db", db, "import", str(FIXTURES / "efetch_claims_iv_trd.xml")]).exit_code == 0
    result = runner.invoke(app, ["--db", db, "check", str(FIXTURES / "claims_page_numbers.txt")], env={var: str(path)})
    assert result.exit_code == 1
    assert "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""  # no report from rules that were not what the user meant
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {path}: ") and fragment in line, line


# ------------------------------------------------------------------ HTA and schedule facts, checked on load


_HTA = """[[fact]]
id = "user_hta"
kind = "{kind}"
jurisdiction = "UK"
molecule = "esketamine"
statement = "A user decision."
{extra}
[[fact.source]]
url = "https://example.org/decision"
title = "Decision"
"""


@pytest.mark.parametrize(
    ("kind", "extra", "key"),
    [
        ("hta_recommendation", "terms = ['SMC']", ".recommended: an hta_recommendation needs"),
        ("hta_recommendation", "recommended = false", ".terms: an hta_recommendation needs terms"),
        ("approval", "recommended = true", ".recommended: only an hta_recommendation has it"),
        ("hta_recommendation", "recommended = 'no'\nterms = ['SMC']", ".recommended:"),
        ("hta_recommendation", "recomended = false\nterms = ['SMC']", ".recomended: unknown key"),
        ("schedule", "", ".schedule: a schedule fact needs"),
    ],
)
def test_an_hta_or_schedule_fact_is_validated_on_load(tmp_path: Path, kind: str, extra: str, key: str) -> None:
    """A decision whose direction or body is unstated, or a schedule fact without its schedule, is refused."""
    path = tmp_path / "my_facts.toml"
    path.write_text(_HTA.format(kind=kind, extra=extra), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(None, path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and key in message, message
    assert "\n" not in message


def test_a_user_hta_decision_loads(tmp_path: Path) -> None:
    path = tmp_path / "my_facts.toml"
    path.write_text(_HTA.format(kind="hta_recommendation", extra="recommended = false\nterms = ['(?-i:SMC)']"),
                    encoding="utf-8")
    fact = load_rules(None, path).fact("user_hta")
    assert fact is not None and fact.recommended is False and fact.terms.any("The SMC did not accept it.")
