"""`ketlit check`: read a page → extract and judge claims against the cache → render."""

from __future__ import annotations

import json

from ketlit.claims.check import check_page, render_markdown, report_to_json
from ketlit.claims.policy import load_policy
from ketlit.claims.text import read_page
from ketlit.config import Settings
from ketlit.jobs.tag import TagRunner
from ketlit.store import Store
from ketlit.store.evidence import StoreEvidenceIndex


def run_check(
    store: Store, settings: Settings, page_path: str, *, json_output: bool, reference: bool | None = None
) -> tuple[str, str]:
    """(one-line summary, rendered report) for the page at ``page_path`` (``-`` for stdin);
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
    rendered = (
        json.dumps(report_to_json(report), ensure_ascii=False, indent=2) + "\n"
        if json_output
        else render_markdown(report)
    )
    counts = ", ".join(f"{n} {verdict}" for verdict, n in report.summary().items() if n)
    return f"{len(report.claims)} claim(s) on {page.name}: {counts or 'none'}", rendered
