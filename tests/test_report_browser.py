"""The HTML report in a real browser (issue 14): headless Chromium opens a report built from the
test fixtures, with real figures and hostile record text, and what a reader sees is checked —
the evidence map, the claim-check table and every figure are visible, every link goes to a PubMed
or ClinicalTrials.gov record ketlit named, and nothing became a script. A screenshot is saved under
``artifacts/screens/`` (git-ignored) for a person to look at.
"""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

from ketlit.report.model import ClaimCheck, ClaimGroup, EvidenceItem, ReportOutcome
from ketlit.report.plots import figure_svgs
from ketlit.report.render_html import render_report_html
from tests.browser import open_html
from tests.test_report import HOSTILE, full_data

RECORD_URL = re.compile(r"https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/|https://clinicaltrials\.gov/study/NCT\d{8}")


def _report(tmp_path: Path) -> Path:
    data = full_data()
    # Hostile text from records and a page, where a browser would act on it if it were markup.
    hostile = [EvidenceItem("pubmed", str(50000000 + i), text, "rct", 2020, None, 10,
                            outcomes=(ReportOutcome("response", text=text),)) for i, text in enumerate(HOSTILE)]
    page = ClaimGroup("<b>clinic</b>.html", (ClaimCheck("c9", "<img src=x onerror=alert(1)> [x](javascript:alert(1))",
                                                        "contradicted", "low", reasons=(HOSTILE[2],)),))
    data = dataclasses.replace(data, key_evidence=[*data.key_evidence, *hostile], claims=[*data.claims, page])
    path = tmp_path / "report.html"
    path.write_text(render_report_html(data, figure_svgs(data)), encoding="utf-8")
    return path


def test_report_html_in_a_browser(tmp_path: Path) -> None:
    with open_html(_report(tmp_path)) as page:
        page.visible("table#evidence-map")
        page.visible("section#claim-checks table")
        figures = page.visible("figure")
        assert len(figures) == 2  # publications per year and the forest plot
        for figure in ("figure#figure-publications-per-year img", "figure#figure-forest img"):
            (img,) = page.visible(figure)
            # Decoded and drawn: an SVG that failed to load has no natural size.
            assert page.driver.execute_script("return arguments[0].naturalWidth;", img) > 0
        links = page.links()
        assert links and all(RECORD_URL.fullmatch(link) for link in links), links
        assert page.scripts() == 0
        text = page.text()
        assert "<img src=x onerror=alert(1)>" in text and "<script>alert(1)</script>" in text
        assert "✗ Contradicted" in text and "Evidence map" in text
        shot = page.screenshot("report_full")
        assert shot.stat().st_size > 10_000
