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
    # The rate part holds; its sentence also claims an onset, judged only where efficacy is established: the four
    # fixture RCTs of 50-100 participants (arms printed "n = 25" … "n = 50" each) meet the supported bar, so the onset
    # holds too and the sentence's one reconciled verdict is supported, no part differing from it.
    assert true_claim["kind"] == "efficacy_rate" and true_claim["part_verdict"] is None
    assert true_claim["verdict"] == "supported"
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
    assert result.exit_code == 0 and " checked on " in result.stderr and "claim(s)" not in result.stderr
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


SITE_RULE = """
[not_checkable.site_scope]
overrides = true
reason = "site rule: ear conditions are out of scope"
patterns = ['\\btinnitus\\b']
"""


def test_a_user_claim_rules_file_changes_the_verdicts(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "claims.toml"
    rules.write_text(SITE_RULE)
    page = str(FIXTURES / "claims_page_numbers.txt")
    result = runner.invoke(app, ["--db", db, "check", page, "--format", "json"],
                           env={"KETLIT_CLAIM_RULES": str(rules)})
    assert result.exit_code == 0, result.stderr
    payload = json.loads(result.stdout)
    tinnitus = by_text(payload, "tinnitus")
    assert tinnitus["verdict"] == "not_checkable"
    assert any("ear conditions are out of scope" in r for r in tinnitus["reasons"]), tinnitus
    # The rest of the packaged rules still apply.
    assert by_text(payload, "Over 80%")["verdict"] == "contradicted"
    # Without the setting, the packaged rules alone: the claim is checked.
    assert by_text(check(db, FIXTURES / "claims_page_numbers.txt"), "tinnitus")["verdict"] == "insufficient_evidence"


@pytest.mark.parametrize(
    ("var", "text", "fragment"),
    [
        ("KETLIT_CLAIM_RULES", "[not_checkable\n", "invalid TOML"),
        ("KETLIT_CLAIM_RULES", "[drug]\nnames = ['(unclosed']\n", "drug.names: bad regex"),
        ("KETLIT_CLAIM_RULES", "[molecule]\ndefault = 'ketamin'\n", "molecule.default: unknown slug 'ketamin'"),
        ("KETLIT_CLAIM_RULES", None, "cannot read rules file"),
        ("KETLIT_REGULATORY", "fact = 3\n", "fact must be a list of tables"),
        ("KETLIT_REGULATORY", "[[fact]]\nid = 1\n", "must be a string"),
    ],
)
def test_a_bad_user_rules_file_is_one_line(
    db: str, tmp_path: Path, var: str, text: str | None, fragment: str
) -> None:
    path = tmp_path / "user.toml"
    if text is not None:
        path.write_text(text)
    result = runner.invoke(app, ["--db", db, "check", str(FIXTURES / "claims_page_numbers.txt")], env={var: str(path)})
    assert result.exit_code == 1 and "Traceback" not in result.stdout + result.stderr
    assert result.stdout == ""  # no report from half-loaded rules
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"Error: {path}: ") and fragment in line, line


def test_claim_rules_may_name_a_slug_the_tagging_rules_add(db: str, tmp_path: Path) -> None:
    rules = tmp_path / "claims.toml"
    rules.write_text("[molecule.patterns]\nexample_molecule = ['\\bexamplol\\b']\n")
    tagging = tmp_path / "tagging.toml"
    tagging.write_text('[axes.molecule]\nvalues = ["example_molecule"]\n')
    args = ["--db", db, "check", "-", "--format", "json"]
    page = "Examplol is effective for depression in most patients.\n"
    bad = runner.invoke(app, args, input=page, env={"KETLIT_CLAIM_RULES": str(rules)})
    assert bad.exit_code == 1 and "unknown slug 'example_molecule'" in bad.stderr
    assert len(bad.stderr.splitlines()) == 1
    good = runner.invoke(app, args, input=page,
                         env={"KETLIT_CLAIM_RULES": str(rules), "KETLIT_TAGGING_RULES": str(tagging)})
    assert good.exit_code == 0, good.stderr
    assert json.loads(good.stdout)["source"] == "-"
