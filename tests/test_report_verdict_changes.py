"""A report's "Verdicts that moved" compares each sentence with itself: claim IDs are positions on the page
(``c1``, ``c2`` …), so a sentence added or removed above renumbers the claims below it, and comparing by ID
said that unchanged sentences had moved (each given the verdict its neighbour had)."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from ketlit.cli import app
from tests.conftest import FIXTURES

XML = FIXTURES / "offline" / "efetch_offline_ketamine_set.xml"
APPROVED = "Esketamine nasal spray is FDA-approved for treatment-resistant depression."
ADDICTIVE = "Ketamine is not addictive."
ADDED = "Ketamine is FDA-approved for depression."


def _run(db: Path, *args: str) -> None:
    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output


def _query(path: Path, claims: list[str]) -> None:
    listed = ", ".join(f'"{c}"' for c in claims)
    path.write_text(f'name = "k"\n[pubmed]\nterm = "ketamine"\n[check]\nclaims = [{listed}]\n', encoding="utf-8")


def _changes(path: Path) -> str:
    return path.read_text(encoding="utf-8").split("## Changes since last run", 1)[1].split("\n## ", 1)[0]


def _verdict_lines(changes: str) -> list[str]:
    return [line for line in changes.splitlines() if line.startswith("- ") and "#c" in line]


def test_a_claim_added_above_moves_no_other_verdict(tmp_path: Path) -> None:
    db, query, out = tmp_path / "k.db", tmp_path / "k.toml", tmp_path / "reports"
    _query(query, [APPROVED, ADDICTIVE])
    _run(db, "import", str(XML), "--query", str(query))
    _run(db, "report", str(query), "--out-dir", str(out))
    _query(query, [ADDED, APPROVED, ADDICTIVE])  # every claim below the new one is renumbered
    _run(db, "report", str(query), "--out-dir", str(out))
    lines = _verdict_lines(_changes(out / "k.md"))
    assert len(lines) == 1, lines
    assert ADDED in lines[0] and "#c1" in lines[0] and "— →" in lines[0]
    _query(query, [APPROVED, ADDICTIVE])  # and removed again: the others are still where they were
    _run(db, "report", str(query), "--out-dir", str(out))
    lines = _verdict_lines(_changes(out / "k.md"))
    assert len(lines) == 1 and ADDED in lines[0] and lines[0].endswith("→ —"), lines
