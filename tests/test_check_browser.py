"""The HTML of `ketlit check` in a real browser (issue 14): the summary table and every card are visible,
folded details print unfolded, and nothing from the page became a link or a script.

Screenshots: artifacts/screens/check_*.png (git-ignored). Skips without chromium + chromedriver
(see tests/browser.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ketlit.claims.render_html import render_html
from ketlit.claims.render_md import printed_cards
from ketlit.claims.rules import Rules
from ketlit.claims.text import page_from_bytes
from ketlit.claims.view import CheckView
from tests.browser import Page, open_html
from tests.claims_pages import FIXTURES, fixture_index
from tests.test_check_output import HOSTILE, SAMPLES, view_of

_RECORD = re.compile(r"^(https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/|https://clinicaltrials\.gov/study/NCT\d{8}|#card-\d+)$")


def _shown(page: Page, css: str) -> bool:
    """Whether every element matching ``css`` is laid out and visible, as the browser itself says
    (``checkVisibility``; Selenium's ``is_displayed`` treats anything in a closed <details> as hidden
    whatever the CSS)."""
    return bool(
        page.driver.execute_script(
            "const els = Array.from(document.querySelectorAll(arguments[0]));"
            "return els.length > 0 && els.every(e => e.checkVisibility() && e.getBoundingClientRect().height > 0);",
            css,
        )
    )


def _check_in_browser(view: CheckView, name: str, rules: Rules, tmp_path: Path, cards: str = "attention") -> Page:
    path = tmp_path / f"{name}.html"
    path.write_text(render_html(view, cards=cards), encoding="utf-8")
    shown, _ = printed_cards(view, cards)
    assert shown, "the page should print at least one card"
    facts = {s.url for f in rules.facts for s in f.sources}
    with open_html(path) as page:
        page.visible("table#summary-table")
        assert page.count("table#summary-table tbody tr") == len(view.rows)
        sections = page.visible("section.card")
        # Sentences read and judged the same way share a card; each printed card's anchor is on the page.
        assert [c.get_attribute("id") for c in sections] == [f"card-{c.row.number}" for c in shown
                                                             if c.same_as is None]
        assert len(page.visible(", ".join(f"#card-{c.row.number}" for c in shown))) == len(shown)
        if view.attention:
            page.visible("table#needs-attention")
        # Nothing the page wrote became a link or a script: every link is a record page, an in-page
        # anchor or a packaged regulatory fact's source.
        assert page.scripts() == 0
        assert all(_RECORD.match(h) or h in facts for h in page.links()), page.links()
        page.screenshot(f"check_{name}")
        # Printed, the folded "not used" details are unfolded (the @media print rules).
        if page.count("details.not-used"):
            assert not _shown(page, "details.not-used p")  # folded on screen
            page.driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
            assert _shown(page, "details.not-used p")
        return page


def test_fixture_page_in_a_browser(rules: Rules, tmp_path: Path) -> None:
    name = "claims_page_iv_clinic.html"
    text = page_from_bytes((FIXTURES / name).read_bytes(), name).text
    _check_in_browser(view_of(text, name, rules, fixture_index(rules)), "fixture", rules, tmp_path)


def test_hostile_page_in_a_browser(rules: Rules, tmp_path: Path) -> None:
    view = view_of(HOSTILE, "<script>alert(1)</script>.txt", rules, fixture_index(rules))
    _check_in_browser(view, "hostile", rules, tmp_path)


def test_sample_page_in_a_browser(rules: Rules, tmp_path: Path) -> None:
    """A recorded clinic page (../shared), checked against the fixture records (fast; the cache built
    from the replay corpus is exercised in tests/test_check_output.py)."""
    path = SAMPLES / "pharmacy_quick_intro.txt"
    if not path.exists():
        pytest.skip(f"../shared absent: {path}")
    text = page_from_bytes(path.read_bytes(), path.name).text
    view = view_of(text, path.name, rules, fixture_index(rules))
    _check_in_browser(view, "sample_pharmacy", rules, tmp_path)
    _check_in_browser(view, "sample_pharmacy_all_cards", rules, tmp_path, cards="all")
