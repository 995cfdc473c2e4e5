"""Real-browser harness for the HTML outputs (issue 14): headless Chromium driven by Selenium.

Why a real browser and not an HTML parser: the question is what a reader *sees* (an element can be
in the DOM and still be hidden, collapsed to zero size or pushed off by broken markup), and whether
anything from a clinic page or a record turned into a live link or a script once a browser has
parsed the file. Only a browser answers both.

Chromium and ChromeDriver come from the system's package manager (Debian: ``chromium`` and
``chromium-driver``; ``.ci/run`` installs them where missing). Where neither is found the tests
skip with the reason, so a machine without a browser still runs the rest of the suite. Selenium
is given both executables explicitly so its driver manager never tries to download one (ketlit
runs behind firewalls, and so do its tests).

Screenshots go to ``artifacts/screens/`` at the repo root (git-ignored) so CI keeps them as
artefacts and a person can look at them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[1]
SCREENS = REPO / "artifacts" / "screens"

_BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _find(env: str, names: tuple[str, ...]) -> str | None:
    explicit = os.environ.get(env)
    if explicit:
        return explicit if Path(explicit).exists() else None
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    return None


def find_browser() -> tuple[str, str] | None:
    """(chromium, chromedriver) executables, or None when either is missing.

    ``KETLIT_CHROMIUM`` / ``KETLIT_CHROMEDRIVER`` override the search."""
    browser = _find("KETLIT_CHROMIUM", _BROWSERS)
    driver = _find("KETLIT_CHROMEDRIVER", ("chromedriver",))
    return (browser, driver) if browser and driver else None


@dataclass
class Page:
    """One HTML file opened in the browser, with the questions the tests ask of it."""

    driver: Any

    def visible(self, css: str) -> list[Any]:
        """The elements matching ``css``; fails the test unless there is at least one and each is
        displayed with a non-zero size."""
        from selenium.webdriver.common.by import By

        elements = self.driver.find_elements(By.CSS_SELECTOR, css)
        assert elements, f"no element matches {css!r}"
        for element in elements:
            size = element.size
            assert element.is_displayed() and size["width"] > 0 and size["height"] > 0, (
                f"{css!r} is in the page but not visible ({element.tag_name}, size {size})"
            )
        return list(elements)

    def count(self, css: str) -> int:
        from selenium.webdriver.common.by import By

        return len(self.driver.find_elements(By.CSS_SELECTOR, css))

    def links(self) -> list[str]:
        """The href of every link the browser built (``<a href>``, ``<area href>``)."""
        hrefs = self.driver.execute_script(
            "return Array.from(document.querySelectorAll('a[href], area[href]')).map(a => a.getAttribute('href'));"
        )
        return [str(h) for h in hrefs]

    def scripts(self) -> int:
        """Scripts and script-capable elements the browser built (script, iframe, object, embed, and
        any element with an inline ``on…`` handler)."""
        return int(
            self.driver.execute_script(
                "let n = document.querySelectorAll('script, iframe, object, embed').length;"
                "for (const el of document.querySelectorAll('*')) {"
                "  for (const a of el.attributes) { if (a.name.startsWith('on')) n++; } }"
                "return n;"
            )
        )

    def text(self) -> str:
        return str(self.driver.execute_script("return document.body.innerText;"))

    def screenshot(self, name: str) -> Path:
        """A full-page screenshot under artifacts/screens/ (the window is grown to the page's height)."""
        SCREENS.mkdir(parents=True, exist_ok=True)
        height = int(self.driver.execute_script("return document.documentElement.scrollHeight;"))
        # Chromium caps surfaces around 16k px; longer pages are cut there, which is enough to look at.
        self.driver.set_window_size(1280, max(600, min(height + 40, 16000)))
        path = SCREENS / f"{name}.png"
        self.driver.save_screenshot(str(path))
        return path


@contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium session, or skip the test with the reason."""
    found = find_browser()
    if found is None:
        pytest.skip("no chromium + chromedriver on this machine (Debian: apt-get install chromium chromium-driver; "
                    ".ci/run installs them)")
    pytest.importorskip("selenium", reason="selenium is a dev dependency: pip install -e '.[dev]'")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    chromium, chromedriver = found
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--window-size=1280,900", "--disable-extensions", "--no-first-run"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(executable_path=chromedriver))
    try:
        yield driver
    finally:
        driver.quit()


@contextmanager
def open_html(path: Path) -> Iterator[Page]:
    """Open a local HTML file (file:// URL) in headless Chromium."""
    with browser() as driver:
        driver.get(path.resolve().as_uri())
        yield Page(driver)
