"""The HTML report and what the report now says (issue 14): the same text as the Markdown, escaping
through the template engine, links only to records ketlit names, figures embedded, the pooled-estimate
rule, durations in human units, the claim-check summary table, and ``ketlit report --format html``.

Regenerate the golden files with ``KETLIT_UPDATE_GOLDEN=1 pytest tests/test_report.py``.
"""

from __future__ import annotations

import base64
import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from ketlit.claims.judging import VERDICTS
from ketlit.claims.numbers import NO_TIMEPOINT, human_duration
from ketlit.report.labels import VERDICT_SYMBOLS, report_labels
from ketlit.report.model import (
    Citation,
    ClaimCheck,
    ClaimGroup,
    EvidenceItem,
    ForestData,
    ForestStudy,
    PooledEstimate,
    ReportOutcome,
    TrialRow,
)
from ketlit.report.plots import figure_svgs, forest_svg
from ketlit.report.render import render_report
from ketlit.report.render_html import render_report_html
from tests.htmltext import HtmlText, commonmark, parse_html
from tests.test_report import HOSTILE, full_data, minimal_data

RECORD_URL = re.compile(r"https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/|https://clinicaltrials\.gov/study/NCT\d{8}")


def parse(html: str) -> HtmlText:
    return parse_html(html)


def visible_text(html: str) -> str:
    return " ".join("".join(parse(html).spaced).split())


def markdown_text(markdown: str) -> str:
    """The report's Markdown as a CommonMark renderer (with tables) shows it."""
    return visible_text(commonmark(markdown))


def hostile_data() -> Any:
    data = full_data()
    trials = [TrialRow(f"NCT0300000{i}", text, "COMPLETED", (), 1, "ACTUAL", False, None, (), "2020")
              for i, text in enumerate(HOSTILE[:9])]
    evidence = [EvidenceItem("pubmed", str(50000000 + i), text, "rct", 2020, text, 10,
                             outcomes=(ReportOutcome("response", text=text),)) for i, text in enumerate(HOSTILE)]
    claims = [ClaimGroup("<b>page</b>", (ClaimCheck("c1", HOSTILE[2], "supported", reasons=tuple(HOSTILE),
                                                    citations=(Citation("pubmed", "1)](javascript:x"),)),))]
    query = dataclasses.replace(data.query, title="# Title <img src=x onerror=alert(1)>", description=HOSTILE[4])
    return dataclasses.replace(data, query=query, trials=trials, key_evidence=evidence, claims=claims)


FIGURES = {"publications_per_year": b"<svg xmlns='http://www.w3.org/2000/svg'/>",
           "forest": b"<svg xmlns='http://www.w3.org/2000/svg'/>"}


# -- one document, two formats ------------------------------------------------------------------


@pytest.mark.parametrize("build", [full_data, minimal_data, hostile_data])
def test_markdown_renders_to_the_same_text_as_the_html(build: Any) -> None:
    """Rendered with CommonMark + tables, the Markdown shows exactly the HTML report's text: an
    unescaped character would turn into markup (text lost), an escape too many would show a backslash."""
    data = build()
    md, html = render_report(data), render_report_html(data, FIGURES)
    assert markdown_text(md) == visible_text(html)
    assert len(visible_text(html)) > 300


def test_html_escapes_record_text_and_links_only_to_records() -> None:
    html = render_report_html(hostile_data(), FIGURES)
    page = parse(html)
    tags = {tag for tag, _ in page.tags}
    assert not tags & {"script", "iframe", "object", "embed", "b", "link", "base", "form"}
    assert not [a for _, attrs in page.tags for a in attrs if a.startswith("on")]
    hrefs = [str(attrs.get("href")) for tag, attrs in page.tags if tag == "a"]
    assert hrefs and all(RECORD_URL.fullmatch(h) for h in hrefs), hrefs
    # The only images are the embedded figures, and the hostile title is text.
    srcs = [str(attrs.get("src")) for tag, attrs in page.tags if tag == "img"]
    assert len(srcs) == 2 and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)
    text = visible_text(html)
    assert "# Title <img src=x onerror=alert(1)>" in text and "<script>alert(1)</script>" in text


def test_html_is_self_contained_printable_and_hooked() -> None:
    data = full_data()
    html = render_report_html(data, figure_svgs(data))
    page = parse(html)
    ids = {attrs.get("id"): tag for tag, attrs in page.tags if attrs.get("id")}
    assert ids["evidence-map"] == "table" and ids["claim-checks"] == "section"
    assert ids["figure-publications-per-year"] == "figure" and ids["figure-forest"] == "figure"
    # Nothing is fetched: no external stylesheet, script, font or image.
    assert not re.search(r"""(src|href)=["'](?!https://(pubmed|clinicaltrials))[a-z]+:(?!image/svg)""", html)
    assert "<style>" in html and "@media print" in html and "<details" in html
    embedded = [str(attrs["src"]) for tag, attrs in page.tags if tag == "img"]
    assert base64.b64decode(embedded[0].split(",", 1)[1]) == figure_svgs(data)["publications_per_year"]
    assert html.rstrip("\n").splitlines()[-1].startswith('<p id="stamp">Generated: ')


# -- what the report says -------------------------------------------------------------------------


@pytest.mark.parametrize(("hours", "text"), [
    (None, NO_TIMEPOINT), (0.0, NO_TIMEPOINT), (1 / 3600, NO_TIMEPOINT),  # "a second induction" is no timepoint
    (40 / 60, "40 min"), (110 / 60, "1.8 h"), (24.0, "24 h"), (72.0, "3 days"), (168.0, "1 week"),
    (336.0, "2 weeks"), (16 * 24.0, "16 days"), (12 * 168.0, "12 weeks"), (6 * 730.0, "6 months"),
    (8760.0, "1 year"),
])
def test_durations_in_human_units(hours: float | None, text: str) -> None:
    assert human_duration(hours) == text


def test_a_rate_without_a_timepoint_says_so() -> None:
    item = EvidenceItem("pubmed", "37558912", "SUSTAIN-3", "rct", 2023, n=96,
                        outcomes=(ReportOutcome("remission", 0.625),))
    text = render_report(dataclasses.replace(full_data(), key_evidence=[item]))
    assert "remission 62%, no timepoint given" in text and "0 min" not in text


def _forest(pooled: PooledEstimate) -> ForestData:
    return ForestData("response", (ForestStudy("Small 2014", "pubmed", "24910102", 3, 4, 2014),), pooled)


def test_a_pooled_estimate_too_thin_to_carry_weight_is_not_shown() -> None:
    thin = PooledEstimate(0.75, 0.30, 0.95, 1, 4)
    data = dataclasses.replace(full_data(), forest=_forest(thin))
    text = render_report(data)
    rules = report_labels()
    assert "Not pooled: 1 study, 4 participants: too few to pool" in text
    assert f"at least {rules.pool_min_studies} studies and {rules.pool_min_participants} participants" in text
    assert "Pooled: 75%" not in text
    assert b"Pooled (k" not in forest_svg(_forest(thin))  # no diamond either
    enough = PooledEstimate(0.58, 0.47, 0.68, rules.pool_min_studies, rules.pool_min_participants)
    assert "Pooled: 58%" in render_report(dataclasses.replace(full_data(), forest=_forest(enough)))
    assert b"Pooled (k" in forest_svg(_forest(enough))


def test_claim_checks_are_one_summary_table() -> None:
    reasons = ("not counted: 62 × design not identified; 9 × other indication",
               "depression: 2 counted record(s) not yet MEDLINE-indexed: design read from title/abstract",
               "depression: 19 stud(ies) consistent with the claim, 0 against")
    cites = tuple(Citation("pubmed", pmid, design) for pmid, design in
                  [("100", "rct"), ("200", "meta_analysis"), ("100", None), ("300", "case_report"), ("400", "rct")])
    claim = ClaimCheck("c2", "Most patients feel relief within hours.", "partly_supported", "low", "onset", reasons,
                       cites, PooledEstimate(0.75, 0.3, 0.95, 1, 4))
    data = dataclasses.replace(full_data(), claims=[ClaimGroup("page.html", (claim,))])
    text = render_report(data)
    section = text.split("## Claim checks", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| c2 ")]
    assert len(rows) == 1 and "- Reason:" not in section and "- Evidence:" not in section
    row = rows[0]
    assert "| ◐ Partly supported | low |" in row
    # Why: the first reason that is not bookkeeping, and why the pooled estimate is not shown.
    assert "| depression: 19 studies consistent with the claim, 0 against · pooled estimate not shown: " \
           "1 study, 4 participants: too few to pool |" in row
    # Key evidence: strongest design first, each record once, at most three.
    assert row.index("PMID 200") < row.index("PMID 100") < row.index("PMID 400")
    assert row.count("PMID 100") == 1 and "PMID 300" not in row and "+1 more" in row


def test_a_pooled_figure_is_not_repeated_in_the_why() -> None:
    claim = ClaimCheck("c1", "Over 70% respond.", "contradicted", "moderate", "efficacy_rate",
                       ("Pooled response is 58% (95% CI 47–68%), below 70%.",), (),
                       PooledEstimate(0.58, 0.47, 0.68, 3, 364))
    text = render_report(dataclasses.replace(full_data(), claims=[ClaimGroup("q", (claim,))]))
    row = next(line for line in text.splitlines() if line.startswith("| c1 "))
    assert "| Pooled response is 58% (95% CI 47–68%), below 70%. |" in row


def test_every_verdict_has_a_black_and_white_symbol() -> None:
    assert set(VERDICT_SYMBOLS) == set(VERDICTS)
    assert len(set(VERDICT_SYMBOLS.values())) == len(VERDICT_SYMBOLS)
    assert all(ord(s) < 0x2800 for s in VERDICT_SYMBOLS.values())  # text symbols, not colour emoji


# -- the command ----------------------------------------------------------------------------------


def test_report_format_html_from_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.test_offline_e2e import QUERY_FILE, cli, fetch_both

    for name, value in (("NCBI_EMAIL", "offline-tests@example.org"), ("KETLIT_CTGOV_RATE", "50"),
                        ("KETLIT_BACKOFF_BASE", "0.02"), ("KETLIT_BACKOFF_CAP", "0.1")):
        monkeypatch.setenv(name, value)
    db, out_dir = tmp_path / "offline.db", tmp_path / "reports"
    fetch_both(db, monkeypatch)
    code, _, err = cli(db, "report", str(QUERY_FILE), "--out-dir", str(out_dir), "--format", "html")
    assert code == 0, err
    assert sorted(p.name for p in out_dir.iterdir()) == ["offline_ketamine.html"]  # figures embedded, no side files
    html = (out_dir / "offline_ketamine.html").read_text(encoding="utf-8")
    assert 'id="evidence-map"' in html and "data:image/svg+xml;base64," in html and "NCT09930001" in html
    code, _, err = cli(db, "report", str(QUERY_FILE), "--out-dir", str(out_dir), "--format", "html")
    assert code == 0 and "unchanged" in err  # same content: the file is left alone, stamp included
    code, _, err = cli(db, "report", str(QUERY_FILE), "--out-dir", str(out_dir), "--format", "pdf")
    assert code == 2 and "Traceback" not in err and "Invalid value for '--format'" in err
