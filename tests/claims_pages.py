"""What the regulatory and safety verdict tests share: page lead-ins, the fixture evidence index,
and "extract this sentence's claim of a kind from a page, then judge it"."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from ketlit.claims.check import CheckReport
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex, records_from_dicts
from ketlit.claims.extract import extract_claims
from ketlit.claims.model import Claim
from ketlit.claims.policy import packaged_policy
from ketlit.claims.render_md import render_markdown
from ketlit.claims.rules import Rules
from ketlit.claims.verdict import Verdict, judge
from ketlit.claims.view import build_view

FIXTURES = Path(__file__).resolve().parent / "fixtures"
IV_PAGE = "Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n"
SPRAVATO_PAGE = "Spravato (esketamine) nasal spray is available at our clinic.\n\nAsk about Spravato.\n\n"
NEUTRAL_PAGE = "Ketamine is changing psychiatry.\n\n"


def fixture_records() -> list[EvidenceRecord]:
    """The small evidence cache written for the claim tests (tests/fixtures/claims_records.json)."""
    return records_from_dicts(json.loads((FIXTURES / "claims_records.json").read_text())["records"])


def fixture_index(rules: Rules) -> InMemoryIndex:
    """:func:`fixture_records`, indexed as ``ketlit check`` indexes a cache."""
    return InMemoryIndex(fixture_records(), rules)


def check_kind(sentence: str, kind: str, index: InMemoryIndex, rules: Rules, page: str) -> tuple[Claim, Verdict]:
    """The first claim of ``kind`` read from ``sentence`` on ``page``, and its verdict."""
    claims = [c for c in extract_claims(page + sentence, rules) if c.kind == kind and sentence[:25] in c.text]
    assert claims, [(c.kind, c.text) for c in extract_claims(page + sentence, rules)]
    return claims[0], judge(claims[0], index.candidates(claims[0]), rules)


def cited(v: Verdict) -> set[str]:
    return {e.id for e in v.evidence}


def check_markdown(report: CheckReport, rules: Rules, *, brief: bool = False) -> str:
    """A check report as `ketlit check --cards all` prints it (issue 14's view, every card), at a fixed clock."""
    view = build_view(report, rules, packaged_policy(), now=datetime(2026, 1, 2, tzinfo=UTC))
    return render_markdown(view, brief=brief, cards="all")
