"""A retracted article never counts for or against a claim: it is set aside with the reason, as the report
marks it wherever it lists it. Before, a run that listed two RCTs under "Retractions" still cited both as
decisive support in the claim checks of the same report ("7 studies for")."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.claims.check import check_page
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.rules import Rules, load_rules
from ketlit.cli import app
from ketlit.store import open_store
from ketlit.store.evidence import shared_index
from tests.claims_pages import fixture_records
from tests.conftest import FIXTURES

PAGE = ("Our clinic offers intravenous ketamine infusions for treatment-resistant depression.\n\n"
        "Over 50% of patients respond to ketamine infusions within 24 hours.\n\n")
RETRACTED = {"90000001", "90000002"}


@pytest.fixture(scope="module")
def records() -> list[EvidenceRecord]:
    return fixture_records()


def _rate_claim(records: list[EvidenceRecord], rules: Rules) -> tuple[set[str], str, object]:
    """The rate claim's cited records, its reasons and its pooled estimate."""
    checked = check_page(PAGE, "page", InMemoryIndex(records, rules), rules)
    (claim,) = [c for c in checked.claims if c.claim.kind == "efficacy_rate"]
    return {e.id for e in claim.verdict.evidence}, " ".join(claim.verdict.reasons), claim.verdict.pooled


def test_retracted_trials_are_set_aside_not_cited(records: list[EvidenceRecord], rules: Rules) -> None:
    cited, _, pooled = _rate_claim(records, rules)
    assert cited >= RETRACTED
    cited_after, reasons, pooled_after = _rate_claim([replace(r, retracted=r.id in RETRACTED) for r in records], rules)
    assert not RETRACTED & cited_after
    assert "retracted (never counts)" in reasons and pooled_after != pooled


def test_the_cache_index_marks_retracted_articles(tmp_path: Path) -> None:
    xml = (FIXTURES / "offline" / "efetch_offline_ketamine_set.xml").read_text(encoding="utf-8")
    first = xml.index("<PublicationTypeList>") + len("<PublicationTypeList>")  # 90300001's
    xml = xml[:first] + '<PublicationType UI="D016441">Retracted Publication</PublicationType>' + xml[first:]
    (tmp_path / "set.xml").write_text(xml, encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "k.db"), "import", str(tmp_path / "set.xml")])
    assert result.exit_code == 0, result.output
    pool = shared_index(open_store(tmp_path / "k.db"), load_rules()).pool()
    marked = {r.id for r in pool if r.retracted}
    assert marked == {"90300001"} and len(pool) > 1
