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
from ketlit.claims.text import read_page
from ketlit.claims.view import CacheCounts, CheckView, build_view
from ketlit.config import Settings
from ketlit.jobs.tag import TagRunner
from ketlit.store import Store
from ketlit.store.evidence import StoreEvidenceIndex

FORMATS = ("md", "json", "html")


def render(view: CheckView, fmt: str, *, brief: bool = False) -> str:
    """``view`` in one of :data:`FORMATS` (``brief`` applies to md and html)."""
    if fmt == "json":
        return json.dumps(view_to_json(view), ensure_ascii=False, indent=2) + "\n"
    if fmt == "html":
        return render_html(view, brief=brief)
    return render_markdown(view, brief=brief)


def run_check(
    store: Store,
    settings: Settings,
    page_path: str,
    *,
    fmt: str = "md",
    brief: bool = False,
    reference: bool | None = None,
    now: datetime | None = None,
) -> tuple[str, str]:
    """(one-line summary, rendered check) for the page at ``page_path`` (``-`` for stdin);
    ``reference`` False checks without the pinned reference standard."""
    page = read_page(page_path)
    runner = TagRunner(settings)
    # Loaded before tagging, so a malformed user rules file fails before any work is done.
    rules = runner.claim_rules
    policy = load_policy(settings.verdict_rules, settings.reference_standard, use_reference=reference)
    # Verdicts depend on tags: bring any untagged or stale records up to date first.
    runner.tag_pending(store)
    index = StoreEvidenceIndex(store, rules)
    report = check_page(page.text, page.name, index, rules, index.findings_cache(), policy)
    counts = store.counts()
    view = build_view(
        report,
        rules,
        policy,
        now=now or datetime.now(UTC),
        cache=CacheCounts(articles=counts["articles"], trials=counts["trials"]),
    )
    summary = ", ".join(f"{n} {verdict}" for verdict, n in report.summary().items() if n)
    return f"{len(report.claims)} claim(s) on {page.name}: {summary or 'none'}", render(view, fmt, brief=brief)
