"""`ketlit check --format html|md|json [--brief]` through the CLI, against a cache imported from a fixture."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
from typer.testing import CliRunner

from ketlit.cli import app
from tests.conftest import FIXTURES
from tests.test_check_output import commonmark, parsed, schema, text_of

runner = CliRunner()
PAGE = FIXTURES / "claims_page_numbers.txt"


def check(claims_db: str, *extra: str) -> str:
    result = runner.invoke(app, ["--db", claims_db, "check", str(PAGE), *extra])
    assert result.exit_code == 0, result.stderr
    assert " checked on " in result.stderr
    return result.stdout


def test_three_formats_say_the_same(claims_db: str, tmp_path: Path) -> None:
    out = tmp_path / "c.html"
    check(claims_db, "--format", "html", "--out", str(out))
    html = out.read_text()
    md = check(claims_db)
    # The clock is read per run: compare everything but the minute stamps.
    strip = lambda t: text_of(t).split("UTCagainst", 1)[1]  # noqa: E731
    assert strip(commonmark(md)) == strip(html)
    assert 'id="summary-table"' in html and not [t for t, _ in parsed(html).tags if t == "script"]
    payload = json.loads(check(claims_db, "--format", "json"))
    jsonschema.validate(payload, schema())
    assert [r["claim"] for r in payload["all_claims"]] == [
        row.split(" | ")[1].strip("“”") for row in [line for line in md.split("## All claims")[1].split("\n## ")[0]
                                                     .splitlines() if line.startswith("| ")][1:]
    ]
    articles = sum(1 for _ in (FIXTURES / "efetch_claims_iv_trd.xml").read_text().split("<PubmedArticle>")[1:])
    assert payload["header"]["sources"].startswith(f"{articles} PubMed articles, 0 registered trials, ")


def test_brief(claims_db: str) -> None:
    md = check(claims_db, "--brief")
    assert "## All claims" in md and "## 1 ·" not in md and "## Not checkable" not in md
    html = check(claims_db, "--format", "html", "--brief")
    assert 'id="summary-table"' in html and 'class="card' not in html
    assert len(md) < len(check(claims_db, "--cards", "all")) / 2


def test_cards_all(claims_db: str) -> None:
    default, every = check(claims_db), check(claims_db, "--cards", "all")
    heads = lambda md: [line for line in md.splitlines() if line.startswith("## ") and " · " in line]  # noqa: E731
    assert len(heads(every)) > len(heads(default))
    assert "--cards all" in default and "see their rows" not in every
    html = check(claims_db, "--format", "html", "--cards", "all")
    assert html.count('<section class="card') == len(heads(every))
    result = runner.invoke(app, ["--db", claims_db, "check", str(PAGE), "--cards", "some"])
    assert result.exit_code != 0 and "Traceback" not in result.output
