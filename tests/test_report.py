"""Reports: golden Markdown, determinism, escaping of hostile source text, the overdue-trial
flag, figures, and the Datasette metadata's canned queries.

Regenerate the golden files after an intended change with
``KETLIT_UPDATE_GOLDEN=1 pytest tests/test_report.py`` and review the diff.
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import os
import random
import re
import sqlite3
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from markdown_it import MarkdownIt

from ketlit.markdown import code_block, code_span, md_text, nct_link, pmid_link, shift_headings
from ketlit.queries import CheckSpec, CtgovQuery, Focus, PubmedQuery, QueryFile, ReportOptions
from ketlit.report.derive import (
    bucket_years,
    evidence_map,
    is_overdue,
    parse_partial_date,
    wilson_interval,
)
from ketlit.report.labels import design_order, key_designs, label, report_labels
from ketlit.report.model import (
    ArticleRef,
    Changes,
    Citation,
    ClaimCheck,
    ClaimGroup,
    ClaimMarkdown,
    EvidenceItem,
    FieldChange,
    ForestData,
    ForestStudy,
    PooledEstimate,
    ReportData,
    ReportOutcome,
    SourceCoverage,
    StaleSource,
    Stamp,
    Totals,
    TrialRef,
    TrialRow,
    VerdictChange,
)
from ketlit.report.render import STAMP_PREFIX, render_report
from tests.conftest import REPO

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("KETLIT_UPDATE_GOLDEN") == "1"
TODAY = dt.date(2025, 6, 2)


def query(**report: Any) -> QueryFile:
    return QueryFile(
        name="depression_trd",
        title="Ketamine for depression and treatment-resistant depression",
        path=Path("queries/depression_trd.toml"),
        description="Randomised and observational evidence on racemic ketamine and esketamine for depression.",
        pubmed=PubmedQuery('("Ketamine"[Mesh] OR ketamine[tiab]) AND depress*[tiab]', "2000", None),
        ctgov=CtgovQuery(None, "Depression", "ketamine OR esketamine", ("COMPLETED",)),
        focus=Focus(("treatment_resistant_depression", "depression"), ("intravenous", "intranasal"),
                    ("racemic_ketamine", "esketamine")),
        check=CheckSpec((), ("Ketamine infusions have a success rate of over 70%.",)),
        report=ReportOptions(**{"key_evidence_limit": 3, "years": 8, **report}),
    )


def records(n: int, source: str, design: list[str], indication: list[str], route: list[str],
            start: int) -> list[dict[str, Any]]:
    """``n`` tag summaries (the shape of ``Store.iter_tag_summaries()``) with the same tags."""
    prefix = "NCT" if source == "ctgov" else ""
    return [{"source": source, "id": f"{prefix}{start + i:08d}", "design": design, "indication": indication,
             "route": route} for i in range(n)]


def map_records() -> list[dict[str, Any]]:
    return [
        *records(40, "pubmed", ["rct"], ["treatment_resistant_depression"], ["intravenous"], 1000),
        *records(12, "ctgov", ["rct"], ["treatment_resistant_depression"], ["intravenous"], 2000),
        *records(20, "pubmed", ["meta_analysis"], ["depression"], [], 3000),
        # Both review designs and both indications, two routes: counted once per cell and row.
        *records(5, "pubmed", ["meta_analysis", "systematic_review"], ["depression", "treatment_resistant_depression"],
                 ["intravenous", "intranasal"], 3500),
        *records(15, "pubmed", ["rct"], ["depression"], ["intranasal"], 4000),
        *records(9, "ctgov", ["rct"], ["depression"], ["intranasal"], 5000),
        *records(4, "pubmed", ["rct"], ["bipolar_depression"], ["intravenous"], 6000),
        *records(1, "ctgov", ["rct"], ["bipolar_depression"], ["intravenous"], 7000),
        *records(7, "pubmed", ["observational"], [], ["oral"], 8000),
        *records(3, "pubmed", ["case_report"], ["other"], ["intramuscular"], 9000),
        *records(2, "pubmed", [], ["ptsd"], ["oral", "sublingual", "subcutaneous", "intramuscular"], 9500),
    ]


def full_data() -> ReportData:
    return ReportData(
        query=query(),
        stamp=Stamp("2025-06-02T03:00:00Z", {"ctgov": "2025-06-02T02:59:40Z", "pubmed": "2025-06-02T02:59:10Z"}),
        reference_date=TODAY,
        tool_version="0.1.0",
        totals=Totals(articles=1234, trials=56, by_design={"rct": 80, "meta_analysis": 25, "case_report": 40,
                                                           "observational": 0}, unindexed=17, retracted=1),
        evidence_map=evidence_map(map_records()),
        publications_per_year={2001: 1, 2006: 2, 2014: 10, 2016: 25, 2019: 60, 2020: 0, 2021: 88, 2022: 95},
        key_evidence=[
            EvidenceItem("pubmed", "16894061", "A randomized trial of an N-methyl-D-aspartate antagonist in "
                         "treatment-resistant major depression", "rct", 2006, "Arch Gen Psychiatry", 18,
                         ("treatment_resistant_depression",), ("intravenous",), ("racemic_ketamine",),
                         (ReportOutcome("response", 0.71, 12, 17, "24 h"),), ("NCT00088699",)),
            EvidenceItem("pubmed", "23982301", "Antidepressant efficacy of ketamine in treatment-resistant major "
                         "depression: a two-site randomized controlled trial", "rct", 2013, None, 73,
                         ("treatment_resistant_depression",), ("intravenous",), ("racemic_ketamine",),
                         (ReportOutcome("response", 0.64, 30, 47, "24 h"),
                          ReportOutcome("remission", None, None, None, "7 d", "no difference at day 7"))),
            EvidenceItem("pubmed", "31109201", "Efficacy of esketamine nasal spray | TRANSFORM-2 <b>bold</b>", "rct",
                         2019, None, 227, ("treatment_resistant_depression",), ("intranasal",), ("esketamine",)),
            EvidenceItem("pubmed", "99999999", "An older small RCT", "rct", 2010, None, 10),
            EvidenceItem("pubmed", "29000001", "Ketamine for depression: a meta-analysis", "meta_analysis", 2018,
                         None, 644, ("depression",), (), (), (), (), True),
            EvidenceItem("ctgov", "NCT01234567", "Open-label ketamine registry", "observational", 2020, None, 300),
        ],
        forest=ForestData(
            "response",
            (ForestStudy("Zarate 2006", "pubmed", "16894061", 12, 17, 2006),
             ForestStudy("Murrough 2013", "pubmed", "23982301", 30, 47, 2013),
             ForestStudy("Clinic audit 2020", "ctgov", "NCT01234567", 150, 300, 2020, 0.44, 0.56)),
            PooledEstimate(0.58, 0.47, 0.68, 3, 364, 0.30, 0.82, 41.0),
            "24 h", 0.70, "claimed 70%",
        ),
        trials=[
            TrialRow("NCT00088699", "Ketamine in treatment-resistant depression", "COMPLETED", ("PHASE2",), 18,
                     "ACTUAL", False, None, ("16894061",), "2006-01"),
            TrialRow("NCT02000001", "A completed trial nobody reported", "COMPLETED", ("PHASE2", "PHASE3"), 60,
                     "ACTUAL", False, None, (), "2021-03"),
            TrialRow("NCT02000002", "Recently completed, not yet overdue", "COMPLETED", ("PHASE4",), 40, "ACTUAL",
                     False, None, (), "2024-11-15"),
            TrialRow("NCT02000003", "Completed with results", "COMPLETED", ("PHASE3",), 227, "ACTUAL", True,
                     "2019-08-01", (), "2018-05"),
            TrialRow("NCT02000004", "Still recruiting", "RECRUITING", ("NA",), 100, "ESTIMATED", False, None, (),
                     "2027"),
            TrialRow("NCT02000005", "Undated completed trial", "COMPLETED", (), None, None, False, None, (), None),
        ],
        claims=[
            ClaimGroup("query file", (
                ClaimCheck("c2", "Relief lasts for weeks.", "insufficient_evidence", "very_low", "duration",
                           ("Few studies measured duration beyond one week.",)),
                ClaimCheck.from_dict({
                    "id": "c1", "text": "Ketamine infusions have a success rate of over 70%.", "kind": "efficacy_rate",
                    "verdict": "contradicted", "certainty": "moderate",
                    "reasons": ["Pooled response is 58% (95% CI 47–68%), below 70%.", "No RCTs of repeated dosing."],
                    "evidence": [{"source": "pubmed", "id": "23982301", "design": "rct", "finding": "64% at 24 h"},
                                 {"source": "pubmed", "id": "16894061", "design": "rct", "finding": "71% at 24 h"}],
                    "pooled": {"k": 3, "n": 364, "estimate": 0.58, "ci_low": 0.47, "ci_high": 0.68, "pi_low": 0.30,
                               "pi_high": 0.82, "i2": 41.0},
                }),
            )),
            ClaimGroup("pages/clinic.html", (ClaimMarkdown("# Page check\n\n## Claim 1\n\nRendered elsewhere."),)),
        ],
        changes=Changes(
            new_articles=(ArticleRef("40000002", "Second new article", 2025), ArticleRef("40000001", "New *bold*")),
            new_trials=(TrialRef("NCT06000001", "A new trial", "NOT_YET_RECRUITING"),),
            trial_changes=(FieldChange("NCT02000002", "overall_status", "ACTIVE_NOT_RECRUITING", "COMPLETED"),
                           FieldChange("NCT02000003", "has_results", False, True),
                           FieldChange("NCT02000002", "enrollment_count", 60, 40),
                           FieldChange("NCT02000002", "phases", '["PHASE3"]', '["PHASE4"]')),
            retractions=(ArticleRef("29000001", "Ketamine for depression: a meta-analysis"),),
            verdicts=(VerdictChange("c1", "Ketamine infusions have a success rate of over 70%.",
                                    "insufficient_evidence", "contradicted", "low", "moderate"),),
        ),
        coverage=[SourceCoverage("ctgov", 56, 56, search_status="failed"),
                  SourceCoverage("pubmed", 1234, 1240, 17, search_status="incomplete", search_retrieved=34,
                                 search_expected=36, notes="QuotedPhraseNotFound: ketamin[tiab]")],
        stale=[StaleSource("ctgov", "2025-06-02", "2025-05-01", "HTTP 503 after 5 retries")],
        figures={"publications_per_year": "depression_trd-publications.svg", "forest": "depression_trd-forest.svg"},
        provenance={"tagging rules sha256": "0123abcd"},
    )


def minimal_data() -> ReportData:
    q = dataclasses.replace(query(), check=CheckSpec(), ctgov=None)
    return ReportData(q, Stamp("2025-06-02T03:00:00Z"), TODAY, "0.1.0", changes=Changes(first_run=True))


def check_golden(name: str, text: str) -> None:
    path = GOLDEN / name
    if UPDATE:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"missing golden file {path}; run with KETLIT_UPDATE_GOLDEN=1"
    assert text == path.read_text(encoding="utf-8"), f"{name} differs; if intended, regenerate with " \
                                                     "KETLIT_UPDATE_GOLDEN=1 and review the diff"


# Stand-in figure bytes for the HTML golden: real SVGs move with the matplotlib version.
FAKE_SVGS = {"publications_per_year": b"<svg id='per-year'/>", "forest": b"<svg id='forest'/>"}


@pytest.mark.parametrize(("name", "build"), [("report_full.md", full_data), ("report_minimal.md", minimal_data)])
def test_golden(name: str, build: Any) -> None:
    check_golden(name, render_report(build()))


@pytest.mark.parametrize(("name", "build"), [("report_full.html", full_data),
                                             ("report_minimal.html", minimal_data)])
def test_golden_html(name: str, build: Any) -> None:
    from ketlit.report.render_html import render_report_html

    check_golden(name, render_report_html(build(), FAKE_SVGS))


def test_only_the_stamp_line_carries_wall_clock_values() -> None:
    a = full_data()
    b = dataclasses.replace(a, stamp=Stamp("2025-06-03T03:00:00Z", {"pubmed": "2025-06-03T02:59:10Z"}),
                            reference_date=dt.date(2025, 6, 3))
    lines_a, lines_b = render_report(a).splitlines(), render_report(b).splitlines()
    diff = [i for i, (x, y) in enumerate(zip(lines_a, lines_b, strict=True)) if x != y]
    assert diff == [len(lines_a) - 1]
    assert lines_a[-1].startswith(STAMP_PREFIX) and lines_b[-1].startswith(STAMP_PREFIX)
    assert sum(line.startswith(STAMP_PREFIX) for line in lines_a) == 1


def test_input_order_does_not_matter() -> None:
    data = full_data()
    rng = random.Random(7)

    def shuffled(items: Any) -> Any:
        items = list(items)
        rng.shuffle(items)
        return items

    mixed = dataclasses.replace(
        data,
        evidence_map=evidence_map(shuffled(map_records())), key_evidence=shuffled(data.key_evidence),
        trials=shuffled(data.trials),
        coverage=shuffled(data.coverage), claims=shuffled(data.claims),
        publications_per_year=dict(shuffled(data.publications_per_year.items())),
        totals=dataclasses.replace(data.totals, by_design=dict(shuffled(data.totals.by_design.items()))),
        forest=dataclasses.replace(data.forest, studies=tuple(shuffled(data.forest.studies)))
        if data.forest else None,
        changes=dataclasses.replace(data.changes, new_articles=tuple(shuffled(data.changes.new_articles)),
                                    trial_changes=tuple(shuffled(data.changes.trial_changes)))
        if data.changes else None,
        stamp=Stamp(data.stamp.generated_at, dict(shuffled(data.stamp.last_checked.items()))),
    )
    assert render_report(mixed) == render_report(data)


def test_sections_and_links() -> None:
    text = render_report(full_data())
    lines = text.splitlines()
    # The stale banner comes straight after the title, before any data.
    assert lines[0].startswith("# Ketamine for depression")
    assert lines[2].startswith("> **Stale data:** ClinicalTrials.gov could not be refreshed on 2025-06-02; "
                               "trial data are from 2025-05-01 (HTTP 503 after 5 retries).")
    assert "[PMID 16894061](https://pubmed.ncbi.nlm.nih.gov/16894061/)" in text
    assert "[NCT00088699](https://clinicaltrials.gov/study/NCT00088699)" in text
    assert "![Forest plot of response rates](depression_trd-forest.svg)" in text
    flagged = [line for line in lines if "**overdue**" in line and line.startswith("| [NCT")]
    assert [line.split("]")[0] for line in flagged] == ["| [NCT02000001"]
    assert "**RETRACTED** Ketamine for depression" in text
    # Key evidence limit: four RCTs, three shown.
    assert "1 more not shown (report.key_evidence_limit = 3)." in text
    # No run ids or run times in the body: they depend on fetch order and interruptions, not on the data.
    appendix = text.split("## Appendix", 1)[1].rsplit("\n---\n", 1)[0]
    assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}:", appendix) and "| Run |" not in appendix
    assert "| PubMed | 1,240 | 1,234 | 17 | incomplete (34 of 36 retrieved) |" in text
    assert "| ClinicalTrials.gov | 56 | 56 | — | failed |" in text
    assert "PubMed on the latest full search: QuotedPhraseNotFound: ketamin\\[tiab\\]" in text


def test_changes_first_run_and_no_change() -> None:
    data = full_data()
    assert "Nothing to compare with yet: this is the first run, or nothing has changed since it." in render_report(
        minimal_data())
    text = render_report(dataclasses.replace(data, changes=Changes()))
    assert "No changes since the last run." in text
    text = render_report(data)
    section = text.split("## Changes since last run")[1].split("\n## ")[0]
    assert "### Status changes (1)" in section and "active not recruiting → completed" in section
    assert "### Results posted (1)" in section and "NCT02000003" in section
    assert "phases 3 → 4" in section and "enrollment count 60 → 40" in section
    assert section.index("40000001") < section.index("40000002")


def test_changes_limit() -> None:
    many = Changes(new_articles=tuple(ArticleRef(str(40000000 + i), f"Article {i}") for i in range(12)))
    text = render_report(dataclasses.replace(full_data(), query=query(changes_limit=5), changes=many))
    assert "### New articles (12)" in text and "- … and 7 more" in text
    assert "40000005" not in text and "40000004" in text


# -- escaping ---------------------------------------------------------------------------------------

HOSTILE = [
    "Table | breaker | here",
    "Code `rm -rf` span",
    "<script>alert(1)</script>",
    "<!-- hidden comment --> visible",
    "[click me](javascript:alert(1))",
    "![img](https://evil.example/x.png)",
    "# Heading injection",
    "Line one\nLine two\r\n| a | b |\n---",
    "*bold* and _italic_ and ~~strike~~",
    "1. ordered list start",
    "- bullet start",
    "Math $x^2$ and &lt;entity&gt; and &amp;",
    "Bidi \u202etxt.exe\u202c trick and NUL\x00 char",
    "<https://autolink.example>",
    "\\` escaped backtick",
]


MD = MarkdownIt("commonmark").enable("table")
# Tokens that would mean text turned into markup: raw HTML, links, images, code, emphasis, blocks.
MARKUP_TOKENS = {"html_inline", "html_block", "link_open", "image", "code_inline", "code_block", "fence", "em_open",
                 "strong_open", "s_open", "heading_open", "bullet_list_open", "ordered_list_open",
                 "blockquote_open", "hr", "table_open"}


def inline_tokens(markdown: str) -> list[Any]:
    tokens = MD.parse(markdown)
    return [*tokens, *(child for tok in tokens for child in (tok.children or []))]


def md_plain_text(markdown: str) -> str:
    """The text a CommonMark renderer shows for ``markdown``."""
    return " ".join(tok.content for tok in inline_tokens(markdown) if tok.type == "text").strip()


@pytest.mark.parametrize("hostile", HOSTILE)
def test_md_text_is_inert(hostile: str) -> None:
    out = md_text(hostile)
    assert "\n" not in out and "\r" not in out
    assert "\u202e" not in out and "\x00" not in out
    # Rendered by a CommonMark parser: nothing but text, and exactly the text that came in.
    kinds = {tok.type for tok in inline_tokens(out)}
    assert not kinds & MARKUP_TOKENS, (kinds & MARKUP_TOKENS, out)
    assert md_plain_text(out) == " ".join(hostile.replace("\u202e", "").replace("\u202c", "")
                                          .replace("\x00", " ").split())
    assert not re.match(r"^(#|\d+[.)]|[-+=>])", out)
    # In a table cell a pipe must not end the cell.
    assert all(out[i - 1] == "\\" for i, c in enumerate(out) if c == "|"), out


@pytest.mark.parametrize(("text", "escaped"), [
    ("racemic_ketamine (intravenous)", "racemic_ketamine (intravenous)"),
    ("p < .001 & R&D", "p < .001 & R&D"),
    ("a _word_ here", "a \\_word\\_ here"),
    ("<b>bold</b> &amp;", "\\<b>bold\\</b> \\&amp;"),
])
def test_md_text_escapes_only_what_changes_rendering(text: str, escaped: str) -> None:
    """The report used to write racemic\\_ketamine and &lt;: 1,644 backslashes in one file."""
    assert md_text(text) == escaped
    assert md_plain_text(md_text(text)) == text


def test_hostile_titles_cannot_break_the_report() -> None:
    data = full_data()
    trials = [TrialRow(f"NCT0300000{i}", text, "COMPLETED", (), 1, "ACTUAL", False, None, (), "2020")
              for i, text in enumerate(HOSTILE[:9])]
    evidence = [EvidenceItem("pubmed", str(50000000 + i), text, "rct", 2020, text, 10,
                             outcomes=(ReportOutcome("response", text=text),))
                for i, text in enumerate(HOSTILE)]
    claims = [ClaimGroup("<b>page</b>", (ClaimCheck("c1", HOSTILE[0], "supported", reasons=tuple(HOSTILE)),))]
    hostile_q = dataclasses.replace(data.query, title="# Title <img src=x onerror=alert(1)>",
                                    description=HOSTILE[7], report=ReportOptions(key_evidence_limit=50))
    text = render_report(dataclasses.replace(data, query=hostile_q, trials=trials, key_evidence=evidence,
                                             claims=claims))
    tokens = inline_tokens(text)
    assert not [tok for tok in tokens if tok.type in ("html_inline", "html_block")]
    hrefs = [tok.attrs["href"] for tok in tokens if tok.type == "link_open"]
    assert hrefs and all(re.fullmatch(r"https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/|https://clinicaltrials\.gov/study/"
                                      r"NCT\d{8}", str(h)) for h in hrefs), hrefs
    assert {tok.attrs["src"] for tok in tokens if tok.type == "image"} <= set(data.figures.values())
    assert "<script>alert(1)</script>" in md_plain_text(text)  # shown as text, not run
    assert "\u202e" not in text
    # Every table row keeps its column count: no cell can add or remove a pipe.
    for block in re.findall(r"((?:^\|.*\|$\n?)+)", text, flags=re.M):
        rows = block.strip().splitlines()
        widths = {len(re.findall(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, rows
    # Only our own headings exist.
    headings = [line for line in text.splitlines() if line.startswith("#")]
    assert all(not re.search(r"Heading injection|^#+ ---", h) for h in headings)


@pytest.mark.parametrize(
    ("ident", "expected"),
    [("16894061", "[PMID 16894061](https://pubmed.ncbi.nlm.nih.gov/16894061/)"),
     ("123)](javascript:x", "PMID 123)\\](javascript:x"),
     ("0123", "PMID 0123")],
)
def test_pmid_links_only_from_valid_ids(ident: str, expected: str) -> None:
    assert pmid_link(ident) == expected


def test_nct_links_only_from_valid_ids() -> None:
    assert nct_link("nct01234567") == "[NCT01234567](https://clinicaltrials.gov/study/NCT01234567)"
    assert not re.search(r"(?<!\\)\]\(", nct_link("NCT123](http://evil"))


@pytest.mark.parametrize("plain", ["0.1.0", "#hashtag", "2019 update", "N-methyl-D-aspartate", "50% (n = 12)"])
def test_md_text_leaves_ordinary_text_alone(plain: str) -> None:
    assert md_text(plain) == plain


def test_code_span_is_literal_and_unclosable() -> None:
    assert code_span("depression_trd.toml") == "`depression_trd.toml`"
    assert code_span("a ` b") == "``a ` b``"
    assert code_span("`x`") == "`` `x` ``"
    assert code_span("two\nlines") == "`two lines`"


def test_code_block_cannot_be_closed_by_its_content() -> None:
    block = code_block("term with ``` fence and ```` longer")
    assert block.startswith("`````\n") and block.endswith("\n`````")


def test_shift_headings_skips_code() -> None:
    md = "# A\n```\n# not a heading\n```\n## B\n#hashtag"
    assert shift_headings(md, 2) == "### A\n```\n# not a heading\n```\n#### B\n#hashtag"


# -- pure helpers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("trial", "flagged"),
    [
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="2023-06-01"), True),
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="2023-06-02"), False),  # exactly two years: not yet
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="2023-05"), True),  # ends 2023-05-31
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="2023-06"), False),  # ends 2023-06-30
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="2023"), False),  # ends 2023-12-31
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="2022"), True),
        (TrialRow("NCT1", "t", "COMPLETED", primary_completion_date="2020-01"), True),
        (TrialRow("NCT1", "t", "completed", completion_date="2020-01"), True),
        (TrialRow("NCT1", "t", "COMPLETED", has_results=True, completion_date="2020-01"), False),
        (TrialRow("NCT1", "t", "COMPLETED", linked_pmids=("1",), completion_date="2020-01"), False),
        (TrialRow("NCT1", "t", "TERMINATED", completion_date="2020-01"), False),
        (TrialRow("NCT1", "t", "COMPLETED"), False),
        (TrialRow("NCT1", "t", "COMPLETED", completion_date="unknown"), False),
    ],
)
def test_is_overdue(trial: TrialRow, flagged: bool) -> None:
    assert is_overdue(trial, TODAY) is flagged


def test_is_overdue_years_and_leap_day() -> None:
    trial = TrialRow("NCT1", "t", "COMPLETED", completion_date="2020-02-29")
    assert not is_overdue(trial, dt.date(2022, 2, 28))
    assert is_overdue(trial, dt.date(2022, 3, 1))
    assert not is_overdue(trial, dt.date(2022, 3, 1), years=3)


def test_parse_partial_date() -> None:
    assert parse_partial_date("2024-02") == dt.date(2024, 2, 29)
    assert parse_partial_date("2024-02", end=False) == dt.date(2024, 2, 1)
    assert parse_partial_date("2024-12") == dt.date(2024, 12, 31)
    assert parse_partial_date("2024-13") is None
    assert parse_partial_date(None) is None


def test_wilson_interval_hand_computed() -> None:
    # 12/17: p = 0.7059; Wilson 95% CI 0.4687–0.8672 (e.g. R: prop.test(12, 17, correct = FALSE)).
    lo, hi = wilson_interval(12, 17)
    assert lo == pytest.approx(0.4687, abs=1e-4) and hi == pytest.approx(0.8672, abs=1e-4)
    assert wilson_interval(0, 10)[0] == 0.0 and wilson_interval(10, 10)[1] == 1.0
    with pytest.raises(ValueError):
        wilson_interval(0, 0)


def test_bucket_years_uses_data_not_clock() -> None:
    counts = {1999: 2, 2001: 1, 2020: 5, 2022: 7}
    assert bucket_years(counts, None) == (None, [(y, counts.get(y, 0)) for y in range(1999, 2023)])
    assert bucket_years(counts, 3) == (3, [(2020, 5), (2021, 0), (2022, 7)])
    assert bucket_years({}, 5) == (None, [])


def test_evidence_map_counts_distinct_records() -> None:
    summaries = [
        {"source": "pubmed", "id": "1", "design": ["rct"], "indication": ["ptsd", "depression"],
         "route": ["intravenous", "oral"]},
        {"source": "pubmed", "id": "2", "design": ["meta_analysis", "systematic_review"], "indication": ["ptsd"],
         "route": []},
        {"source": "ctgov", "id": "NCT1", "design": ["rct"], "indication": ["ptsd"], "route": ["intravenous"]},
        {"source": "pubmed", "id": "3", "design": ["in_vitro", "animal"], "indication": [], "route": []},
        {"source": "pubmed", "id": "4", "design": [], "indication": ["ptsd"], "route": []},
        {"source": "pubmed", "id": "1", "design": ["rct"], "indication": ["ptsd"], "route": []},  # listed twice
    ]
    emap = evidence_map(summaries)
    rows = {r.indication: r for r in emap.rows}
    assert (emap.records, emap.trials) == (5, 1)
    assert rows["ptsd"].records == 4 and rows["depression"].records == 1 and rows[""].records == 1
    ptsd = {col: (c.records, dict(c.routes)) for col, c in rows["ptsd"].cells.items()}
    # Two review designs on one record: one record in the Reviews column; untagged design → "other" column.
    assert ptsd == {"RCTs": (2, {"intravenous": 2, "oral": 1}), "Reviews": (1, {}),
                    "Other designs or none": (1, {})}
    assert {col: c.records for col, c in rows[""].cells.items()} == {"Animal, in vitro": 1}


def test_evidence_map_fits_one_screen() -> None:
    """A pivot, not one row per design × indication × route: at most max_rows rows however many tags."""
    vocab = tomllib.loads((REPO / "src" / "ketlit" / "data" / "tagging_rules.toml").read_text(encoding="utf-8"))
    designs = vocab["axes"]["design"]["values"]
    indications = vocab["axes"]["indication"]["values"]
    routes = vocab["axes"]["route"]["values"]
    many = [{"source": "pubmed", "id": f"{i}{j}{k}", "design": [d], "indication": [ind], "route": [r]}
            for i, d in enumerate(designs) for j, ind in enumerate(indications) for k, r in enumerate(routes)]
    data = dataclasses.replace(full_data(), evidence_map=evidence_map(many))
    section = render_report(data).split("## Evidence map", 1)[1].split("\n## ", 1)[0]
    table = [line for line in section.splitlines() if line.startswith("| ")]
    limit = report_labels().map_max_rows
    assert len(indications) > limit and len(table) == 2 + limit
    assert len(section.splitlines()) <= limit + 10
    # Focus indications first, in the query file's order; the rest are named on one line.
    assert table[2].startswith("| treatment-resistant depression |") and table[3].startswith("| depression |")
    assert f"{len(indications) - limit} more indications (records): " in section
    # A cell names at most max_routes routes, then "+N".
    assert f"+{len(routes) - report_labels().map_max_routes})" in table[2]


def test_claim_from_simple_dict() -> None:
    claim = ClaimCheck.from_dict({"id": "x", "text": "t", "verdict": "supported", "citations": ["123", "NCT01234567"]})
    assert claim.citations == (Citation("pubmed", "123"), Citation("ctgov", "NCT01234567"))
    assert claim.pooled is None and claim.reasons == ()


def test_render_is_fast_for_a_large_query() -> None:
    import time

    data = full_data()
    trials = [TrialRow(f"NCT{i:08d}", f"Trial {i}", "COMPLETED", ("PHASE2",), i, "ACTUAL", i % 3 == 0, None,
                       (str(i),) if i % 5 == 0 else (), f"20{10 + i % 15}-0{1 + i % 9}") for i in range(5000)]
    evidence = [EvidenceItem("pubmed", str(10000000 + i), f"Study {i}", "rct", 2000 + i % 25, None, i)
                for i in range(20000)]
    big = dataclasses.replace(data, trials=trials, key_evidence=evidence)
    start = time.perf_counter()
    render_report(big)
    assert time.perf_counter() - start < 5


@pytest.mark.parametrize(
    ("text", "report", "check"),
    [
        # Shared policy: both keep ordinary text, break autolinks and escape a line-start marker.
        ("mail me@x.org or www.x.org", "mail me\\@x.org or www\\.x.org", "mail me\\@x.org or www\\.x.org"),
        ("see https://x.org", "see https:\\/\\/x.org", "see https:\\/\\/x.org"),
        ("=== setext", "\\=== setext", "\\=== setext"),
        ("Bidi \u202etxt\x00 NUL", "Bidi txt NUL", "Bidi txt NUL"),
        # The strict (claim-check) difference: ( ) { } # + ! ^ escaped, " as an entity, "1." at the start.
        ("50% (n = 12)", "50% (n = 12)", "50% \\(n = 12\\)"),
        ("#hashtag +1 !", "#hashtag +1 !", "\\#hashtag \\+1 \\!"),
        ('a "quote"', 'a "quote"', "a &quot;quote&quot;"),
        ("0.1.0", "0.1.0", "0\\.1.0"),
    ],
)
def test_one_escaper_two_documented_policies(text: str, report: str, check: str) -> None:
    from ketlit.claims.check import md_escape

    assert md_text(text) == report
    assert md_text(text, strict=True) == check == md_escape(text)


# -- labels ---------------------------------------------------------------------------------------


def test_report_designs_are_the_tagging_vocabulary() -> None:
    rules = tomllib.loads((REPO / "src" / "ketlit" / "data" / "tagging_rules.toml").read_text(encoding="utf-8"))
    vocabulary = rules["axes"]["design"]["values"]
    labels = report_labels()
    assert sorted(design_order()) == sorted(vocabulary)
    assert set(labels.design_labels) == set(vocabulary)  # every design has a display label
    assert set(key_designs()) <= set(vocabulary)
    assert key_designs() == ("meta_analysis", "systematic_review", "rct")


def test_labels_come_from_data_and_escape_the_rest() -> None:
    assert label("rct", design=True) == "RCT"
    assert label("treatment_resistant_depression") == "treatment-resistant depression"  # words, not a slug
    assert label("") == "—"
    assert label("odd_*slug*") == "odd *slug*"  # plain text: each format escapes it where it writes it
    emap = evidence_map([{"source": "pubmed", "id": "1", "design": ["rct"], "indication": ["odd_*slug*<b>"]}])
    text = render_report(dataclasses.replace(full_data(), evidence_map=emap))
    assert "| odd \\*slug\\*\\<b> |" in text  # a user's slug cannot inject Markdown


def test_report_modules_do_not_import_plotting_or_statistics() -> None:
    # ketlit status/search/export load these modules; matplotlib is imported only to draw.
    code = ("import sys, ketlit.markdown, ketlit.report.render, ketlit.report.plots, ketlit.report.citations; "
            "print(sorted(m for m in ('matplotlib', 'scipy', 'statsmodels', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    assert out.stdout.strip() == "[]", out.stdout


# -- figures --------------------------------------------------------------------------------------


def test_figures_are_written_and_byte_identical(tmp_path: Path) -> None:
    from ketlit.report.plots import write_figures

    data = full_data()
    first = write_figures(data, tmp_path / "a")
    second = write_figures(data, tmp_path / "b")
    assert first == second == {"publications_per_year": "depression_trd-publications.svg",
                               "forest": "depression_trd-forest.svg"}
    for rel in first.values():
        a, b = (tmp_path / "a" / rel).read_bytes(), (tmp_path / "b" / rel).read_bytes()
        assert a == b
        assert a.startswith(b"<?xml") and b"<svg" in a
        assert b"<dc:date>" not in a  # no timestamp in the metadata
    forest = (tmp_path / "a" / first["forest"]).read_text()
    assert "Zarate 2006 (12/17)" in forest and "Pooled (k = 3, N = 364)" in forest
    # No temporary files are left behind.
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == sorted(first.values())


def test_figures_are_identical_across_processes(tmp_path: Path) -> None:
    import subprocess
    import sys

    from ketlit.report.plots import write_figures

    here = write_figures(full_data(), tmp_path / "here")
    code = ("import sys; from pathlib import Path; from tests.test_report import full_data; "
            "from ketlit.report.plots import write_figures; write_figures(full_data(), Path(sys.argv[1]))")
    env = {**os.environ, "PYTHONPATH": f"{REPO / 'src'}{os.pathsep}{REPO}", "PYTHONHASHSEED": "12345"}
    subprocess.run([sys.executable, "-c", code, str(tmp_path / "there")], check=True, env=env, cwd=REPO)
    for rel in here.values():
        assert (tmp_path / "here" / rel).read_bytes() == (tmp_path / "there" / rel).read_bytes()


def test_rewriting_unchanged_figures_keeps_the_file(tmp_path: Path) -> None:
    from ketlit.report.plots import write_atomic

    path = tmp_path / "x.svg"
    assert write_atomic(path, b"<svg/>") is True
    mtime = path.stat().st_mtime_ns
    assert write_atomic(path, b"<svg/>") is False and path.stat().st_mtime_ns == mtime
    assert write_atomic(path, b"<svg></svg>") is True and path.read_bytes() == b"<svg></svg>"


def test_no_figures_without_data_or_when_disabled(tmp_path: Path) -> None:
    from ketlit.report.plots import write_figures

    assert write_figures(minimal_data(), tmp_path) == {}
    off = dataclasses.replace(full_data(), query=query(plots=False))
    assert write_figures(off, tmp_path) == {}
    assert list(tmp_path.iterdir()) == []


def test_hostile_labels_are_escaped_in_svg() -> None:
    from ketlit.report.plots import forest_svg

    svg = forest_svg(ForestData("response", (ForestStudy("<script>$x$ & co", "pubmed", "1", 1, 2),)))
    assert b"<script" not in svg and b"&lt;script&gt;" in svg


# -- Datasette metadata ---------------------------------------------------------------------------

METADATA = REPO / "src" / "ketlit" / "data" / "datasette_metadata.json"


def _seeded_db(path: Path) -> None:
    from ketlit.store.core import open_store

    store = open_store(path)
    store.close()
    conn = sqlite3.connect(path)
    minimal_trial = ("INSERT INTO trials (nct_id, brief_title, overall_status, has_results, completion_date, "
                     "content_sha256) VALUES (?, ?, ?, ?, ?, 'x')")
    conn.executemany(minimal_trial, [
        ("NCT00000001", "Old, silent", "COMPLETED", 0, "2015-06"),
        ("NCT00000002", "Old, has results", "COMPLETED", 1, "2015-06"),
        ("NCT00000003", "Old, published", "COMPLETED", 0, "2015"),
        ("NCT00000004", "Old, only a background reference", "COMPLETED", 0, "2015-06-30"),
        ("NCT00000005", "Recruiting", "RECRUITING", 0, "2015-06"),
    ])
    conn.executemany("INSERT INTO links VALUES (?, ?, ?, ?)", [
        ("111", "NCT00000003", "ctgov_reference", "RESULT"),
        ("222", "NCT00000004", "ctgov_reference", "BACKGROUND"),
    ])
    conn.executemany(
        "INSERT INTO articles (pmid, record_type, title, abstract, indexed, content_sha256, pub_year) "
        "VALUES (?, 'article', ?, '', 1, 'x', 2020)",
        [("111", "RCT of IV ketamine"), ("333", "Retracted study"), ("444", "Flagged by type")],
    )
    conn.execute("INSERT INTO article_corrections VALUES ('333', 0, 'RetractionIn', '555', 'x')")
    conn.execute("INSERT INTO article_pubtypes VALUES ('444', 0, 'D1', 'Retracted Publication')")
    tags = [("pubmed", "111", "design", "rct"), ("pubmed", "111", "indication", "treatment_resistant_depression"),
            ("pubmed", "111", "route", "intravenous"), ("ctgov", "NCT00000001", "design", "rct"),
            ("ctgov", "NCT00000001", "indication", "treatment_resistant_depression"),
            ("ctgov", "NCT00000001", "route", "intravenous"), ("pubmed", "333", "design", "rct"),
            ("pubmed", "333", "indication", "ptsd")]
    conn.executemany("INSERT INTO tags (source, record_id, axis, value, position, rule_id, field, span) "
                     "VALUES (?, ?, ?, ?, 0, 'r', 'title', 's')", tags)
    conn.executemany(
        "INSERT INTO trial_versions (nct_id, last_update_posted, fetched_at, content_sha256, overall_status, "
        "enrollment_count, has_results, raw) VALUES (?, ?, 'f', 'x', ?, ?, ?, x'00')",
        [("NCT00000005", "2024-01-01", "RECRUITING", 60, 0), ("NCT00000005", "2024-06-01", "COMPLETED", 38, 1),
         ("NCT00000002", "2024-01-01", "COMPLETED", 10, 1), ("NCT00000002", "2024-02-01", "COMPLETED", 10, 1)],
    )
    conn.execute("INSERT INTO runs (source, query_key, started_at, status, expected, retrieved) "
                 "VALUES ('pubmed', 'k', '2025-01-01', 'incomplete', 10, 8)")
    conn.commit()
    conn.close()


def _canned(db: Path, name: str, params: dict[str, str] | None = None) -> list[dict[str, Any]]:
    meta = json.loads(METADATA.read_text())
    sql = meta["databases"]["ketlit"]["queries"][name]["sql"]
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    try:
        return [dict(r) for r in conn.execute(sql, params or {})]
    finally:
        conn.close()


def test_canned_queries_against_a_real_schema(tmp_path: Path) -> None:
    db = tmp_path / "ketlit.db"
    _seeded_db(db)
    rows = _canned(db, "rcts_by_indication_route")
    assert rows[0] == {"indication": "treatment_resistant_depression", "route": "intravenous", "articles": 1,
                       "trials": 1}
    assert {"indication": "ptsd", "route": "(no route tag)", "articles": 1, "trials": 0} in rows
    overdue = [r["nct_id"] for r in _canned(db, "overdue_trials")]
    assert overdue == ["NCT00000001", "NCT00000004"]  # a BACKGROUND reference is not a publication
    assert sorted(r["pmid"] for r in _canned(db, "retracted_articles")) == ["333", "444"]
    run = _canned(db, "recent_runs")[0]
    assert (run["expected"], run["retrieved"], run["shortfall"]) == (10, 8, 2)
    changes = _canned(db, "trial_changes")
    assert [(c["nct_id"], c["previous_status"], c["overall_status"]) for c in changes] == [
        ("NCT00000005", "RECRUITING", "COMPLETED")]
    found = _canned(db, "records_by_tags", {"design": "rct", "indication": "", "route": "intravenous",
                                            "molecule": ""})
    assert sorted(r["record_id"] for r in found) == ["111", "NCT00000001"]
    assert _canned(db, "why_tagged", {"record_id": "333"})[0]["axis"] == "design"


def test_metadata_describes_every_table_that_exists(tmp_path: Path) -> None:
    from ketlit.store.core import open_store

    meta = json.loads(METADATA.read_text())
    for key in ("title", "license", "license_url", "source", "source_url"):
        assert meta[key]
    tables = meta["databases"]["ketlit"]["tables"]
    store = open_store(tmp_path / "ketlit.db")
    names = {r[0] for r in store.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    store.close()
    assert set(tables) <= names, set(tables) - names
    for query_name, q in meta["databases"]["ketlit"]["queries"].items():
        assert q["title"] and q["description"] and q["sql"], query_name


def test_datasette_accepts_the_metadata(tmp_path: Path) -> None:
    datasette_app = pytest.importorskip("datasette.app")
    db = tmp_path / "ketlit.db"
    _seeded_db(db)

    async def run() -> list[Any]:
        ds = datasette_app.Datasette([str(db)], metadata=json.loads(METADATA.read_text()))
        await ds.invoke_startup()
        out = []
        for path in ("/-/metadata.json", "/ketlit/overdue_trials.json?_shape=array",
                     "/ketlit/rcts_by_indication_route.json?_shape=array"):
            response = await ds.client.get(path)
            assert response.status_code == 200, (path, response.text[:300])
            out.append(response.json())
        return out

    metadata, overdue, rcts = asyncio.run(run())
    assert metadata["title"].startswith("ketlit")
    assert [r["nct_id"] for r in overdue] == ["NCT00000001", "NCT00000004"]
    assert rcts[0]["articles"] == 1


def test_pooled_heterogeneity_is_stated_in_percent_even_below_one() -> None:
    """I² comes from the pooling in percent; 0.6% used to be shown as 60% (read as a fraction)."""
    from ketlit.report.view import pooled_text

    text = pooled_text(PooledEstimate(0.5, 0.4, 0.6, 3, 100, None, None, 0.6))
    assert "I² = 1%" in text and "I² = 60%" not in text


def test_a_protocol_counts_as_a_protocol_even_when_tagged_rct_too() -> None:
    """The protocol of a randomised trial is tagged rct as well; it reports no results, so the
    report must not list it among the RCTs (a smoke test found three there)."""
    from ketlit.report.gather import _design

    assert _design({"design": ["rct", "protocol"]}) == "protocol"
    assert _design({"design": ["rct", "observational"]}) == "rct"  # otherwise the strongest design
    assert _design({"design": ["meta_analysis", "systematic_review"]}) == "meta_analysis"
    assert _design({}) == "other"


def test_the_evidence_map_places_a_protocol_in_its_own_column() -> None:
    from ketlit.report.derive import evidence_map

    emap = evidence_map([{"source": "pubmed", "id": "1", "design": ["rct", "protocol"], "indication": ["ptsd"],
                          "route": []},
                         {"source": "pubmed", "id": "2", "design": ["rct"], "indication": ["ptsd"], "route": []}])
    (row,) = emap.rows
    assert {col: cell.records for col, cell in row.cells.items()} == {"RCTs": 1, "Other designs or none": 1}


def test_a_regulatory_fact_is_cited_by_its_id_not_as_a_pmid() -> None:
    from ketlit.report.model import Citation, ClaimCheck
    from ketlit.report.view import _key_citations, record_link

    check = ClaimCheck("c1", "Spravato is FDA-approved.", "supported", "high", "regulatory",
                       citations=(Citation("regulatory", "spravato_trd_2019", "regulatory"),
                                  Citation("pubmed", "31166571", "rct")))
    runs = _key_citations(check)
    text = "".join(r.text for r in runs)
    assert "PMID spravato_trd_2019" not in text and "spravato_trd_2019" in text and "PMID 31166571" in text
    assert record_link("regulatory", "spravato_trd_2019").url is None


def test_a_stale_source_without_a_complete_run_says_what_is_shown() -> None:
    from ketlit.report.model import StaleSource
    from ketlit.report.view import _banner

    (quote,) = _banner(dataclasses.replace(minimal_data(), stale=(StaleSource("pubmed", "2026-12-05"),)))
    text = "".join(r.text for para in quote.paragraphs for r in para)
    assert "no complete article data have been retrieved yet (what earlier runs stored is shown)" in text
