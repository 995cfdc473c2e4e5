"""`ketlit check` against a cache built from fixtures: clear-cut verdicts in both directions,
the JSON shape, citations, and bad input."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from tests.conftest import FIXTURES

runner = CliRunner()


@pytest.fixture
def db(tmp_path: Path) -> str:
    path = str(tmp_path / "k.db")
    result = runner.invoke(app, ["--db", path, "import", str(FIXTURES / "efetch_claims_iv_trd.xml")])
    assert result.exit_code == 0, result.stderr
    return path


def check(db: str, page: Path, *extra: str) -> dict[str, Any]:
    result = runner.invoke(app, ["--db", db, "check", str(page), "--format", "json", *extra])
    assert result.exit_code == 0, result.stderr
    payload: dict[str, Any] = json.loads(result.stdout)
    return payload


def by_text(payload: dict[str, Any], fragment: str) -> dict[str, Any]:
    (claim,) = [c for c in payload["claims"] if fragment in c["text"] and c["kind"] != "onset"]
    return claim


def test_verdicts_in_both_directions(db: str) -> None:
    payload = check(db, FIXTURES / "claims_page_numbers.txt")
    for claim in payload["claims"]:
        assert set(claim) >= {"id", "text", "kind", "indication", "route", "molecule", "threshold", "verdict",
                              "certainty", "reasons", "evidence", "pooled"}
    true_claim = by_text(payload, "More than 30%")
    assert true_claim["kind"] == "efficacy_rate" and true_claim["verdict"] == "supported"
    assert true_claim["threshold"] == {"op": ">", "value": 30.0, "unit": "%"}
    pooled = true_claim["pooled"]
    # 62 responders of 145 across the four fixture RCTs: the pooled estimate sits near 43%.
    assert pooled["k"] == 4 and pooled["n"] == 145 and 38 < pooled["estimate"] < 48
    assert pooled["ci_low"] < pooled["estimate"] < pooled["ci_high"]
    assert {e["id"] for e in true_claim["evidence"]} >= {"90001001", "90001002", "90001003", "90001004"}
    inflated = by_text(payload, "Over 80%")
    assert inflated["verdict"] == "contradicted" and inflated["evidence"]
    assert inflated["route"] == ["intravenous"] and "treatment_resistant_depression" in inflated["indication"]
    unknown = by_text(payload, "tinnitus")
    assert unknown["verdict"] == "insufficient_evidence"
    boilerplate = by_text(payload, "Our clinic offers")
    assert boilerplate["verdict"] == "not_checkable"
    for claim in payload["claims"]:
        if claim["verdict"] not in ("insufficient_evidence", "not_checkable"):
            assert claim["evidence"], claim


def test_markdown_output_and_out_file(db: str, tmp_path: Path) -> None:
    out = tmp_path / "verdicts.md"
    result = runner.invoke(app, ["--db", db, "check", str(FIXTURES / "claims_page_numbers.txt"), "--out", str(out)])
    assert result.exit_code == 0 and "claim(s)" in result.stderr
    text = out.read_text()
    assert "https://pubmed.ncbi.nlm.nih.gov/90001001/" in text and "contradicted" in text


def test_html_page_and_stdin(db: str, tmp_path: Path) -> None:
    page = tmp_path / "p.html"
    page.write_text("<html><head><script>alert('x')</script><style>p{}</style></head><body><p>Over 80% of patients "
                    "with treatment-resistant depression respond to ketamine infusions.</p></body></html>")
    payload = check(db, page)
    assert "alert" not in json.dumps(payload)
    assert by_text(payload, "Over 80%")["verdict"] == "contradicted"
    result = runner.invoke(app, ["--db", db, "check", "-", "--format", "json"],
                           input="Ketamine is effective for tinnitus.\n")
    assert result.exit_code == 0 and json.loads(result.stdout)["source"] == "-"


@pytest.mark.parametrize(
    ("content", "fragment"),
    [(b"", "empty"), (b"\x00\x01\x02binary\x00", "binary"), (None, "no such file")],
)
def test_bad_input_is_one_line(db: str, tmp_path: Path, content: bytes | None, fragment: str) -> None:
    page = tmp_path / "page.txt"
    if content is not None:
        page.write_bytes(content)
    result = runner.invoke(app, ["--db", db, "check", str(page)])
    assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.strip()]
    assert line.startswith("Error: ") and fragment in line.lower()


def test_too_large_page(db: str, tmp_path: Path) -> None:
    page = tmp_path / "big.txt"
    page.write_bytes(b"Ketamine works. " * 400_000)
    result = runner.invoke(app, ["--db", db, "check", str(page)])
    assert result.exit_code == 1 and result.stderr.startswith("Error: ")
