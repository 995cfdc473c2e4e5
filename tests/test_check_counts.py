"""What `ketlit check` and the report count, and in which words: the terminal's summary line says the
header's numbers (sentences, not claims), counts agree with their nouns, a page from stdin is named, and
a sentence read as several claims is one row of the report's claim checks, its parts listed beneath."""

from __future__ import annotations

import dataclasses
import json
import re
from collections import Counter

import pytest
from typer.testing import CliRunner

from ketlit.claims.view import Row, Tally, UncheckedGroup, tally
from ketlit.claims.vocab import vocab
from ketlit.cli import app
from ketlit.report.model import ClaimCheck, ClaimGroup
from ketlit.report.render import render_report
from ketlit.words import plural, settle_plurals
from tests.conftest import FIXTURES
from tests.test_report import full_data

runner = CliRunner()
PAGE = FIXTURES / "claims_page_numbers.txt"  # has a sentence read as two claims (a rate and an onset)


def _check(claims_db: str, page: str, *extra: str, stdin: str | None = None) -> tuple[str, str]:
    result = runner.invoke(app, ["--db", claims_db, "check", page, *extra], input=stdin)
    assert result.exit_code == 0, result.stderr
    return result.stdout, result.stderr.strip()


def test_summary_line_says_what_the_report_counts(claims_db: str) -> None:
    payload = json.loads(_check(claims_db, str(PAGE), "--format", "json")[0])
    rows = payload["all_claims"]
    checkable = [c for c in payload["claims"] if c["checkable"]]
    # The page must have more claims than sentences, or the two tallies could not be told apart.
    assert len(checkable) > len(rows)
    md, line = _check(claims_db, str(PAGE))
    counted = Counter(r["verdict"] for r in rows)
    verdicts = ", ".join(f"{counted[v]} {vocab().verdict_label(v).lower()}" for v in vocab().verdicts if counted[v])
    unchecked = sum(len(g["sentences"]) for g in payload["not_checkable"])
    attention = len(payload["needs_attention"])
    need = "needs" if attention == 1 else "need"
    assert line == (f"{len(rows)} sentences checked on {PAGE}: {verdicts}; {attention} {need} attention; "
                    f"{unchecked} not checkable")
    # The header says the same numbers in the same units.
    assert f"{len(rows)} sentences checked · {attention} {need} attention · {unchecked} not checkable" in md
    said = line.replace(str(PAGE), "PAGE")
    assert "claim" not in said and "_" not in said  # no claim count, no verdict slugs


def test_stdin_page_is_named(claims_db: str) -> None:
    md, line = _check(claims_db, "-", stdin="Ketamine is effective for tinnitus.\n")
    assert md.splitlines()[0] == "# ketlit check — standard input"
    assert "\\-" not in md.splitlines()[0]
    assert line.startswith("1 sentence checked on standard input: ")
    out, _ = _check(claims_db, "-", "--format", "json", stdin="Ketamine is effective for tinnitus.\n")
    payload = json.loads(out)
    assert payload["header"]["page"] == "standard input" and payload["source"] == "-"  # the audit trail keeps "-"


def _row(n: int, verdict: str, attention: str | None = None) -> Row:
    return Row(n, "c", verdict, verdict, "Low", "why", (), attention)


@pytest.mark.parametrize(
    ("rows", "attention", "unchecked", "counts", "summary"),
    [
        ([_row(1, "supported")], 1, 1, "1 sentence checked · 1 needs attention · 1 not checkable",
         "1 sentence checked on p: 1 supported; 1 needs attention; 1 not checkable"),
        ([_row(1, "supported"), _row(2, "contradicted"), _row(3, "supported")], 0, 3,
         "3 sentences checked · 0 need attention · 3 not checkable",
         "3 sentences checked on p: 2 supported, 1 contradicted; 0 need attention; 3 not checkable"),
        ([], 0, 0, "0 sentences checked · 0 need attention · 0 not checkable",
         "0 sentences checked on p: none; 0 need attention; 0 not checkable"),
    ],
)
def test_tally_words(rows: list[Row], attention: int, unchecked: int, counts: str, summary: str) -> None:
    groups = [UncheckedGroup("heading", "Headings", ("h",) * unchecked, True)] if unchecked else []
    t = tally(rows, rows[:attention], groups)
    assert isinstance(t, Tally) and t.counts() == counts and t.summary("p") == summary


@pytest.mark.parametrize(
    ("engine", "reader"),
    [
        ("only 1 comparable arm(s) at 2–10 days", "only 1 comparable arm at 2–10 days"),
        ("only 3 comparable arm(s)", "only 3 comparable arms"),
        ("depression: 18 stud(ies) for, 1 stud(ies) against", "depression: 18 studies for, 1 study against"),
        ("1 stud(ies) report harm; 11 stud(ies) report it", "1 study reports harm; 11 studies report it"),
        ("1 counted record(s) not yet MEDLINE-indexed", "1 counted record not yet MEDLINE-indexed"),
        ("1 head-to-head stud(ies) favour it", "1 head-to-head study favours it"),
        ("0 review(s), 21 trial(s)", "0 reviews, 21 trials"),
    ],
)
def test_settle_plurals(engine: str, reader: str) -> None:
    assert settle_plurals(engine) == reader


def test_plural() -> None:
    assert (plural(1, "sentence"), plural(0, "sentence"), plural(1204, "study", "studies")) == (
        "1 sentence", "0 sentences", "1,204 studies")


def _claims_section(checks: tuple[ClaimCheck, ...]) -> str:
    text = render_report(dataclasses.replace(full_data(), claims=[ClaimGroup("page.html", checks)]))
    return text.split("## Claim checks", 1)[1].split("\n## ", 1)[0]


def test_report_plurals_in_the_why() -> None:
    claim = ClaimCheck("c1", "Over 70% respond.", "insufficient_evidence", "very_low", "efficacy_rate",
                       ("only 1 comparable arm(s) at 2–10 days: rates are pooled only from 3 or more",))
    section = _claims_section((claim,))
    assert "only 1 comparable arm at 2–10 days" in section and "(s)" not in section


def test_report_one_row_per_sentence() -> None:
    text = "Most patients feel relief from depression within hours of their first infusion."
    onset = ClaimCheck("c2", text, "supported", "moderate", "onset", ("depression: 18 stud(ies) for, 0 against",),
                       sentence=120)
    efficacy = ClaimCheck("c3", text, "supported", "very_low", "efficacy",
                          ("depression: 14 independent RCTs favour the drug",), sentence=120)
    alone = ClaimCheck("c4", "Relief lasts for weeks.", "partly_supported", "low", "duration", sentence=300)
    section = _claims_section((onset, efficacy, alone))
    rows = [line for line in section.splitlines() if line.startswith("| c")]
    assert [r.split(" | ")[0] for r in rows] == ["| c2, c3", "| c4"]
    assert sum(text in r for r in rows) == 1  # the sentence once, with its one reconciled verdict
    # The certainty `ketlit check` shows for the sentence: its least certain part's.
    assert "| ✓ Supported | very low |" in rows[0]
    # Each part beneath the table, with its own certainty and why.
    parts = [line for line in section.splitlines() if line.startswith("- c")]
    assert parts[0].startswith("- c2 · onset: ✓ Supported, moderate — depression: 18 studies for")
    assert parts[1].startswith("- c3 · efficacy: ✓ Supported, very low — depression: 14 independent RCTs")
    assert len(parts) == 2  # a sentence read as one claim has no parts list


def test_report_rows_from_check_json(claims_db: str) -> None:
    """The check's JSON (as saved by ``ketlit check --format json``) read back: its sentences are the
    report's rows."""
    payload = json.loads(_check(claims_db, str(PAGE), "--format", "json")[0])
    checks = tuple(ClaimCheck.from_dict(c) for c in payload["claims"] if c["checkable"])
    section = _claims_section(checks)
    rows = [line for line in section.splitlines() if re.match(r"\| c\d", line)]
    assert len(rows) == len(payload["all_claims"]) < len(checks)


def test_one_retracted_article_reads_as_one() -> None:
    data = full_data()
    assert data.totals.retracted == 1
    text = render_report(data)
    assert "article is among the results; it is marked" in text and "article(s)" not in text
    assert "completed trial has neither" in text and "trial(s)" not in text

