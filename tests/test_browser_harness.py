"""The browser harness itself must be able to fail: hidden elements, built links and scripts are
caught, so the HTML-output tests that use it mean something."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser import open_html


def test_harness_sees_visible_hidden_links_and_scripts(tmp_path: Path) -> None:
    page_file = tmp_path / "probe.html"
    page_file.write_text(
        "<!doctype html><html><body>"
        "<table id='shown'><tr><td>row</td></tr></table>"
        "<div id='hidden' style='display:none'>x</div>"
        "<p>&lt;script&gt;alert(1)&lt;/script&gt; [x](http://example.org)</p>"
        "<a href='https://pubmed.ncbi.nlm.nih.gov/1/'>1</a>"
        "<img src='x' onerror='1'>"
        "</body></html>",
        encoding="utf-8",
    )
    with open_html(page_file) as page:
        assert len(page.visible("#shown")) == 1
        with pytest.raises(AssertionError, match="not visible"):
            page.visible("#hidden")
        with pytest.raises(AssertionError, match="no element"):
            page.visible("#absent")
        assert page.links() == ["https://pubmed.ncbi.nlm.nih.gov/1/"]
        # The escaped <script> is text, not a script; the inline onerror handler is counted.
        assert page.scripts() == 1
        assert "<script>alert(1)</script>" in page.text()
        shot = page.screenshot("harness_probe")
        assert shot.stat().st_size > 0
