"""``--out`` never replaces a file the command reads: the cache (or its WAL), the page being checked,
the query file. An atomic write renames its result over the destination, so before this guard
``ketlit export articles --out CACHE`` reported success and left an export where the database was."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.errors import InputError
from ketlit.files import cache_files, refuse_overwrite
from tests.conftest import FIXTURES


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    db = tmp_path / "k.db"
    assert CliRunner().invoke(app, ["--db", str(db), "import", str(FIXTURES / "efetch_oddities.xml")]).exit_code == 0
    return db


def _articles(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute("SELECT count(*) FROM articles").fetchone()[0])


@pytest.mark.parametrize(
    "args",
    [
        ["export", "articles", "--out", "k.db"],
        ["export", "tags", "--format", "csv", "--out", "./k.db"],
        ["export", "citations", "--out", "k.db"],
        ["export", "links", "--out", "k.db-wal"],
        ["check", "-", "--out", "k.db"],
    ],
)
def test_out_naming_the_cache_is_refused_and_the_cache_survives(cache: Path, args: list[str]) -> None:
    before = _articles(cache)
    result = CliRunner().invoke(app, ["--db", str(cache), *args], input="Ketamine works within hours.\n")
    assert result.exit_code == 1, result.output
    assert "will not write" in result.output and "choose another --out file" in result.output
    assert "Traceback" not in result.output
    assert _articles(cache) == before  # still a database, with every record


def test_out_naming_the_page_being_checked_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    page = tmp_path / "page.txt"
    page.write_text("Ketamine works within hours.\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", ":memory:", "check", "page.txt", "--out", str(page)])
    assert result.exit_code == 1
    assert "it is the page being checked" in result.output
    assert page.read_text(encoding="utf-8") == "Ketamine works within hours.\n"


def test_out_naming_the_query_file_is_refused(cache: Path) -> None:
    query = cache.parent / "q.toml"
    query.write_text('name = "q"\n[pubmed]\nterm = "ketamine"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["--db", str(cache), "export", "citations", "--query", "q.toml",
                                      "--out", str(query)])
    assert result.exit_code == 1
    assert "it is the query file" in result.output
    assert query.read_text(encoding="utf-8").startswith('name = "q"')


def test_other_destinations_are_written(cache: Path) -> None:
    result = CliRunner().invoke(app, ["--db", str(cache), "export", "articles", "--out", "articles.jsonl"])
    assert result.exit_code == 0, result.output
    assert (cache.parent / "articles.jsonl").read_text(encoding="utf-8").count("\n") == _articles(cache)


def test_refuse_overwrite_sees_through_links_and_spellings(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    db.write_bytes(b"")
    (tmp_path / "sub").mkdir()
    (tmp_path / "alias.db").symlink_to(db)
    protected = cache_files(db)
    for dest in (db, tmp_path / "sub" / ".." / "k.db", tmp_path / "alias.db", tmp_path / "k.db-shm"):
        with pytest.raises(InputError, match="will not write"):
            refuse_overwrite(dest, protected)
    refuse_overwrite(None, protected)
    refuse_overwrite(tmp_path / "k.db.csv", protected)
    assert cache_files(":memory:") == []


def test_ctrl_c_while_tagging_an_import_says_what_is_left(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An import stopped in its tagging step: its records are stored (the run is complete), but
    search filters and reports miss them until tagged, so the message and ``status`` say so."""
    from ketlit.jobs.tag import TagRunner

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    db = str(tmp_path / "k.db")
    monkeypatch.setattr(TagRunner, "tag_pending", interrupted)
    result = CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "efetch_oddities.xml")])
    assert result.exit_code == 130
    assert "tagging stopped: `ketlit tag` finishes it" in result.output and "Interrupted." in result.output
    monkeypatch.undo()
    status = CliRunner().invoke(app, ["--db", db, "status"])
    assert "record(s) are not tagged yet, or changed (or the tagging rules did) since they were: `ketlit tag` " \
        "tags them" in status.output
    assert CliRunner().invoke(app, ["--db", db, "tag"]).exit_code == 0
    after = CliRunner().invoke(app, ["--db", db, "status", "--json"])
    assert '"untagged_records": 0' in after.output
    assert "not tagged yet" not in CliRunner().invoke(app, ["--db", db, "status"]).output


def test_out_naming_the_config_or_a_rules_file_is_refused(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (cache.parent / "ketlit.toml").write_text(f'db = "{cache.name}"\n', encoding="utf-8")
    result = CliRunner().invoke(app, ["export", "articles", "--out", "ketlit.toml"])
    assert result.exit_code == 1 and "it is the config file" in result.output
    assert (cache.parent / "ketlit.toml").read_text(encoding="utf-8") == f'db = "{cache.name}"\n'
    rules = cache.parent / "mine.toml"
    rules.write_text("", encoding="utf-8")
    monkeypatch.setenv("KETLIT_CLAIM_RULES", str(rules))
    result = CliRunner().invoke(app, ["check", "-", "--out", "mine.toml"], input="Ketamine works.\n")
    assert result.exit_code == 1 and "it is the claim rules file" in result.output


def test_a_symlinked_caches_companions_are_protected(tmp_path: Path) -> None:
    real = tmp_path / "real.db"
    real.write_bytes(b"")
    (tmp_path / "link.db").symlink_to(real)
    with pytest.raises(InputError, match="a file of the cache"):
        refuse_overwrite(tmp_path / "real.db-wal", cache_files(tmp_path / "link.db"))  # SQLite's name for it


def test_fetch_ctgov_takes_cond_or_intr_without_a_term(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``--cond`` alone used to fail with "Missing argument 'term'" (exit 2), while ``""`` as the term was
    accepted: the term is optional now, and the search needs a term, a condition or an intervention."""
    monkeypatch.setenv("KETLIT_CTGOV_URL", "http://127.0.0.1:9/api/v2/")
    db = str(tmp_path / "k.db")
    result = CliRunner().invoke(app, ["--db", db, "fetch", "ctgov", "--cond", "alcohol"])
    assert result.exit_code == 1 and "unreachable" in result.output, result.output
    nothing = CliRunner().invoke(app, ["--db", db, "fetch", "ctgov"])
    assert nothing.exit_code == 1 and "give a search term, --cond or --intr" in nothing.output


def untagged_count(db: str) -> int:
    result = CliRunner().invoke(app, ["--db", db, "status", "--json"])
    assert result.exit_code == 0, result.output
    return int(json.loads(result.stdout)["counts"]["untagged_records"])


def test_status_counts_records_changed_since_they_were_tagged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A re-import whose tagging step was stopped leaves a revised record with its old tags, and a
    rule change leaves every record's tags stale: ``status`` counts what ``ketlit tag`` redoes."""
    from ketlit.jobs.tag import TagRunner

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    db = str(tmp_path / "k.db")
    assert CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "efetch_oddities.xml")]).exit_code == 0
    assert untagged_count(db) == 0
    revised = tmp_path / "revised.xml"
    text = (FIXTURES / "efetch_oddities.xml").read_text(encoding="utf-8")
    revised.write_text(text.replace("<ArticleTitle>Ketamine (Book chapter)", "<ArticleTitle>Esketamine (Book chapter)"),
                       encoding="utf-8")
    monkeypatch.setattr(TagRunner, "tag_pending", interrupted)
    result = CliRunner().invoke(app, ["--db", db, "import", str(revised)])
    assert result.exit_code == 130 and "tagging stopped" in result.output
    monkeypatch.undo()
    assert untagged_count(db) == 1
    assert "1 record(s) are not tagged yet" in CliRunner().invoke(app, ["--db", db, "status"]).output
    assert CliRunner().invoke(app, ["--db", db, "tag"]).exit_code == 0
    assert untagged_count(db) == 0
    # Other rules (a user rules file merged over the packaged one): every record is to re-tag.
    rules = tmp_path / "rules.toml"
    rules.write_text("# no change yet\n", encoding="utf-8")
    monkeypatch.setenv("KETLIT_TAGGING_RULES", str(rules))
    assert untagged_count(db) == 3


@pytest.mark.parametrize(("content", "fragment"), [(None, "cannot read rules file"), ("x = [\n", "invalid TOML")])
def test_status_shows_the_counts_when_the_tagging_rules_cannot_be_used(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, content: str | None, fragment: str
) -> None:
    """A KETLIT_TAGGING_RULES file that was moved made `status`, the command one runs to see what is
    wrong, fail with 'Error: … cannot read rules file' and show nothing."""
    db = str(tmp_path / "k.db")
    assert CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "efetch_oddities.xml")]).exit_code == 0
    rules = tmp_path / "rules.toml"
    if content is not None:
        rules.write_text(content, encoding="utf-8")
    monkeypatch.setenv("KETLIT_TAGGING_RULES", str(rules))
    shown = CliRunner().invoke(app, ["--db", db, "status"])
    assert shown.exit_code == 0 and "Error" not in shown.output, shown.output
    assert "│ articles            │       3 │" in shown.stdout and "│ untagged records    │ unknown │" in shown.stdout
    (warning,) = [line for line in shown.stdout.splitlines() if line.startswith("warning: ")]
    assert f"tagging rules file cannot be used ({rules}: {fragment}" in warning
    assert warning.endswith("so the untagged count is unknown")
    as_json = CliRunner().invoke(app, ["--db", db, "status", "--json"])
    status = json.loads(as_json.stdout)
    assert as_json.exit_code == 0 and status["counts"]["articles"] == 3 and status["counts"]["untagged_records"] is None
    assert status["warnings"] == [warning.removeprefix("warning: ")]
