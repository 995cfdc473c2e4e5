"""`ketlit check`: read a page → extract and judge claims against the cache → build the view → render.

The clock is read here (the view takes ``now``), so library output stays deterministic and tests pass
a fixed time."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from ketlit.claims.check import check_page
from ketlit.claims.policy import load_policy
from ketlit.claims.render_html import render_html
from ketlit.claims.render_json import view_to_json
from ketlit.claims.render_md import render_markdown
from ketlit.claims.text import Page, read_page
from ketlit.claims.view import STDIN_NAME, CacheCounts, CheckView, build_view
from ketlit.config import Settings
from ketlit.jobs.tag import TagRunner
from ketlit.store import Store
from ketlit.store.evidence import StoreEvidenceIndex

FORMATS = ("md", "json", "html")


def render(view: CheckView, fmt: str, *, brief: bool = False, cards: str = "attention") -> str:
    """``view`` in one of :data:`FORMATS` (``brief`` and ``cards`` apply to md and html: the JSON has
    every card)."""
    if fmt == "json":
        return json.dumps(view_to_json(view), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return render_html(view, brief=brief, cards=cards)
    return render_markdown(view, brief=brief, cards=cards)


class PageChecker:
    """Rules, verdict policy, the tagged cache's evidence index and its record counts, loaded once
    for any number of pages (the CLI checks one; tests and benches several)."""

    def __init__(self, store: Store, settings: Settings, *, reference: bool | None = None) -> None:
        runner = TagRunner(settings)
        # Loaded before tagging, so a malformed user rules file fails before any work is done.
        self.rules = runner.claim_rules
        self.policy = load_policy(settings.verdict_rules, settings.reference_standard, use_reference=reference)
        # Verdicts depend on tags: bring any untagged or stale records up to date first.
        runner.tag_pending(store)
        self.index = StoreEvidenceIndex(store, self.rules)
        self.findings = self.index.findings_cache()
        counts = store.counts()
        self.counts = CacheCounts(articles=counts["articles"], trials=counts["trials"])

    def view(self, page: Page, *, now: datetime | None = None) -> CheckView:
        """The check of ``page``, stamped ``now`` (default: the clock)."""
        report = check_page(page.text, page.name, self.index, self.rules, self.findings, self.policy)
        return build_view(report, self.rules, self.policy, now=now or datetime.now(UTC), cache=self.counts,
                          page_bytes=len(page.text.encode()))


def run_check(
    store: Store,
    settings: Settings,
    page_path: str,
    *,
    fmt: str = "md",
    brief: bool = False,
    cards: str = "attention",
    reference: bool | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """(one-line summary, rendered check) for the page at ``page_path`` (``-`` for stdin);
    ``reference`` False checks without the pinned reference standard."""
    page = read_page(page_path)  # a bad page fails before any tagging starts
    view = PageChecker(store, settings, reference=reference).view(page, now=now)
    # Said from the view's own tally (sentences, as the tables count them), never from the claims: a
    # sentence read as several claims is one row, and the terminal line must match the header's.
    name = STDIN_NAME if page.name == "-" else page.name
    return view.tally.summary(name), render(view, fmt, brief=brief, cards=cards)
