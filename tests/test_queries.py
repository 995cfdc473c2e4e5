"""Query files: the shipped examples load; every kind of mistake is a one-line error naming
the file and the key, and nothing half-valid gets through."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from ketlit.errors import ConfigError, InputError, KetlitError
from ketlit.queries import (
    CtgovQuery,
    Focus,
    PubmedQuery,
    ReportOptions,
    load_queries,
    load_queries_apart,
    load_query,
    parse_query,
)
from ketlit.tagging import load_rules, vocabularies
from ketlit.tagging.vocab import tag_vocabularies
from tests.conftest import REPO

QUERIES = REPO / "queries"

GOOD = """
name = "ptsd"
title = "Ketamine for PTSD"
description = "Trials and reviews."

[pubmed]
term = '''
("Ketamine"[Mesh] OR ketamine[tiab])
AND PTSD[tiab]
'''
mindate = "2000-01"
maxdate = 2024-12-31

[ctgov]
cond = "PTSD"
intr = "ketamine"
status = ["completed", "Active, not recruiting"]

[focus]
indication = ["ptsd"]
route = ["intravenous", "intranasal"]
molecule = ["racemic_ketamine"]

[check]
pages = ["page.txt"]
claims = ["Ketamine is effective for PTSD."]

[report]
key_evidence_limit = 5
years = 10
plots = false
"""


def write(tmp_path: Path, text: str, name: str = "q.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_good_file_loads_and_normalises(tmp_path: Path) -> None:
    (tmp_path / "page.txt").write_text("Ketamine works.")
    q = load_query(write(tmp_path, GOOD))
    assert q.name == "ptsd" and q.title == "Ketamine for PTSD"
    # Whitespace collapsed and dates normalised exactly as `ketlit fetch` does, so watermarks match.
    assert q.pubmed == PubmedQuery('("Ketamine"[Mesh] OR ketamine[tiab]) AND PTSD[tiab]', "2000/01", "2024/12/31")
    assert q.ctgov == CtgovQuery(None, "PTSD", "ketamine", ("COMPLETED", "ACTIVE_NOT_RECRUITING"))
    assert q.focus == Focus(("ptsd",), ("intravenous", "intranasal"), ("racemic_ketamine",))
    assert q.focus.filters() == {"indication": ["ptsd"], "route": ["intravenous", "intranasal"],
                                 "molecule": ["racemic_ketamine"]}
    assert q.check.pages == ((tmp_path / "page.txt").resolve(),)
    assert q.check.claims == ("Ketamine is effective for PTSD.",)
    assert q.report == ReportOptions(key_evidence_limit=5, years=10, plots=False)


def test_minimal_file_gets_defaults(tmp_path: Path) -> None:
    q = load_query(write(tmp_path, '[ctgov]\nintr = "ketamine"\n', "my-query.toml"))
    assert q.name == "my-query" and q.title == "my-query"
    assert q.pubmed is None and q.focus == Focus() and q.focus.filters() == {}
    assert q.report == ReportOptions()


def test_shipped_examples_are_valid_and_real() -> None:
    queries = load_queries(QUERIES)
    names = {q.name for q in queries}
    assert {"depression_trd", "esketamine_spravato", "ptsd", "chronic_pain", "safety_addiction"} <= names
    for q in queries:
        assert q.pubmed is not None and q.ctgov is not None, q.name
        assert "[Mesh]" in q.pubmed.term or "[nm]" in q.pubmed.term, f"{q.name}: use MeSH, not only free text"
        assert "[tiab]" in q.pubmed.term, f"{q.name}: free text catches unindexed records"
        assert q.pubmed.term.count("(") == q.pubmed.term.count(")"), q.name
        assert q.check.claims, f"{q.name} ships claims to check"
        assert q.path.name == f"{q.name}.toml"


@pytest.mark.parametrize(
    ("text", "key", "fragment"),
    [
        ('nmae = "x"\n[ctgov]\nintr = "k"\n', "nmae", "unknown key"),
        ('[pubmed]\ntrem = "k"\n', "pubmed.trem", "unknown key"),
        ('[ctgov]\nintr = "k"\nphase = "2"\n', "ctgov.phase", "unknown key"),
        ('[ctgov]\nintr = "k"\n[focus]\ndesign = ["rct"]\n', "focus.design", "unknown key"),
        ('[ctgov]\nintr = "k"\n[report]\nlimit = 3\n', "report.limit", "unknown key"),
        ("[pubmed]\nterm = 42\n", "pubmed.term", "must be a string"),
        ('[pubmed]\nterm = "   "\n', "pubmed.term", "must not be empty"),
        ('[pubmed]\nmindate = "2000"\n', "pubmed.term", "is required"),
        ('[pubmed]\nterm = "k"\nmindate = "January 2000"\n', "pubmed.mindate", "YYYY"),
        ('[pubmed]\nterm = "k"\nmindate = 2000\n', "pubmed.mindate", "date string"),
        ('[pubmed]\nterm = "k"\nmindate = "2020"\nmaxdate = "2010"\n', "pubmed.maxdate", "before"),
        ('pubmed = "ketamine"\n', "pubmed", "must be a table"),
        ('[ctgov]\nstatus = ["COMPLETED"]\n', "ctgov", "at least one of term, cond or intr"),
        ('[ctgov]\nintr = "k"\nstatus = ["FINISHED"]\n', "ctgov.status[0]", "unknown trial status 'FINISHED'"),
        ('[ctgov]\nintr = "k"\nstatus = "COMPLETED"\n', "ctgov.status", "must be a list of strings"),
        ('[ctgov]\nintr = "k"\n[focus]\nroute = ["iv"]\n', "focus.route[0]", "unknown route slug 'iv'"),
        ('[ctgov]\nintr = "k"\n[focus]\nindication = ["ptsd", "PTSD"]\n', "focus.indication[1]", "unknown"),
        ('[ctgov]\nintr = "k"\n[focus]\nmolecule = "esketamine"\n', "focus.molecule", "must be a list"),
        ('[ctgov]\nintr = "k"\n[focus]\nroute = ["oral", 3]\n', "focus.route", "containing an integer"),
        ('[ctgov]\nintr = "k"\n[check]\nclaims = "Ketamine works."\n', "check.claims", "must be a list"),
        ('[ctgov]\nintr = "k"\n[check]\npages = ["missing.html"]\n', "check.pages[0]", "no such file"),
        ('[ctgov]\nintr = "k"\n[report]\nkey_evidence_limit = 0\n', "report.key_evidence_limit", "at least 1"),
        ('[ctgov]\nintr = "k"\n[report]\nyears = "10"\n', "report.years", "must be an integer"),
        ('[ctgov]\nintr = "k"\n[report]\nyears = true\n', "report.years", "must be an integer"),
        ('[ctgov]\nintr = "k"\n[report]\nplots = "yes"\n', "report.plots", "true or false"),
        ('name = "My Query"\n[ctgov]\nintr = "k"\n', "name", "lower-case"),
        ('name = "../escape"\n[ctgov]\nintr = "k"\n', "name", "lower-case"),
        ('title = "x"\n', None, "needs a [pubmed] or a [ctgov] section"),
    ],
)
def test_bad_files_fail_with_one_line_naming_file_and_key(
    tmp_path: Path, text: str, key: str | None, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_query(path)
    message = str(info.value)
    assert "\n" not in message
    assert message.startswith(f"{path}: ")
    if key is not None:
        assert f": {key}: " in message, message
    assert fragment in message, message
    assert info.value.exit_code == 1


def test_invalid_toml_and_unreadable_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"q\.toml: invalid TOML"):
        load_query(write(tmp_path, "[pubmed\nterm = 'x'\n"))
    # Read failures read like every other TOML error: the path first, then the OS's reason.
    with pytest.raises(ConfigError, match=r"absent\.toml: cannot read query file: No such file"):
        load_query(tmp_path / "absent.toml")
    with pytest.raises(ConfigError, match=r": cannot read query file: Is a directory"):
        load_query(tmp_path)
    bad = tmp_path / "latin1.toml"
    bad.write_bytes('title = "caf\xe9"\n'.encode("latin-1"))
    with pytest.raises(ConfigError, match=r"latin1\.toml: not UTF-8 text"):
        load_query(bad)


def test_duplicate_names_across_files(tmp_path: Path) -> None:
    write(tmp_path, 'name = "same"\n[ctgov]\nintr = "a"\n', "a.toml")
    write(tmp_path, 'name = "same"\n[ctgov]\nintr = "b"\n', "b.toml")
    with pytest.raises(ConfigError) as info:
        load_queries(tmp_path)
    message = str(info.value)
    # Neither is same.toml, the file "same" is the default name of: both are refused, each naming the other.
    assert "a.toml: name: 'same' is already used by" in message and "b.toml" in message


def test_a_copy_sorting_first_does_not_take_the_report_of_the_file_named_after_it(tmp_path: Path) -> None:
    """A colleague's copy (``copy.toml``, still ``name = "esk"``) sorts before ``esk.toml``: it must not
    become the "esk" report (its records would replace the report's and roll its state over)."""
    write(tmp_path, 'name = "esk"\n[pubmed]\nterm = "esketamine"\n', "esk.toml")
    write(tmp_path, 'name = "esk"\n[pubmed]\nterm = "ketamine"\n', "copy.toml")
    write(tmp_path, 'name = "other"\n[pubmed]\nterm = "ketamine"\n', "other.toml")
    queries, bad = load_queries_apart(tmp_path)
    assert [(q.name, q.path.name, q.pubmed.term if q.pubmed else None) for q in queries] == [
        ("esk", "esk.toml", "esketamine"), ("other", "other.toml", "ketamine")]
    assert [(path.name, str(exc)) for path, exc in bad] == [
        ("copy.toml", f"{tmp_path / 'copy.toml'}: name: 'esk' is already used by {tmp_path / 'esk.toml'} "
                      "(report files would collide)")]


def test_a_name_no_file_is_named_after_is_refused_to_every_claimant(tmp_path: Path) -> None:
    write(tmp_path, 'name = "same"\n[ctgov]\nintr = "a"\n', "b.toml")
    write(tmp_path, 'name = "same"\n[ctgov]\nintr = "b"\n', "a.toml")
    write(tmp_path, 'name = "other"\n[ctgov]\nintr = "c"\n', "c.toml")
    queries, bad = load_queries_apart(tmp_path)
    assert [q.name for q in queries] == ["other"]
    assert [path.name for path, _ in bad] == ["a.toml", "b.toml"]
    assert all("none is written until one is renamed" in str(exc) for _, exc in bad)


def test_load_queries_errors_and_order(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such queries directory"):
        load_queries(tmp_path / "nope")
    with pytest.raises(InputError, match=r"no query files \(\*\.toml\)"):
        load_queries(tmp_path)
    write(tmp_path, '[ctgov]\nintr = "b"\n', "b.toml")
    write(tmp_path, '[ctgov]\nintr = "a"\n', "a.toml")
    (tmp_path / "notes.txt").write_text("not a query")
    assert [q.name for q in load_queries(tmp_path)] == ["a", "b"]


def test_one_bad_file_stops_the_directory(tmp_path: Path) -> None:
    write(tmp_path, '[ctgov]\nintr = "a"\n', "a.toml")
    write(tmp_path, '[ctgov]\nintr = "a"\n[focus]\nroute = ["iv"]\n', "b.toml")
    with pytest.raises(KetlitError, match=r"b\.toml: focus\.route\[0\]"):
        load_queries(tmp_path)


# A molecule no packaged rules file knows (psilocybin and the other psychedelics are packaged now).
NEW_MOLECULE = "example_molecule"


def test_a_slug_added_to_the_tagging_rules_can_be_named(tmp_path: Path) -> None:
    assert NEW_MOLECULE not in tag_vocabularies()["molecule"]
    path = write(tmp_path, f'[ctgov]\nintr = "k"\n[focus]\nmolecule = ["esketamine", "{NEW_MOLECULE}"]\n')
    with pytest.raises(ConfigError) as info:
        load_query(path)
    message = str(info.value)
    assert "\n" not in message and message.startswith(f"{path}: focus.molecule[1]: ")
    assert f"unknown molecule slug {NEW_MOLECULE!r}" in message
    user = tmp_path / "rules" / "tagging.toml"
    user.parent.mkdir()
    user.write_text(f'[axes.molecule]\nvalues = ["{NEW_MOLECULE}"]\n')
    q = load_query(path, vocabularies=tag_vocabularies(user))
    assert q.focus.molecule == ("esketamine", NEW_MOLECULE)
    assert [x.name for x in load_queries(tmp_path, vocabularies=tag_vocabularies(user))] == ["q"]


def test_default_vocabularies_are_the_packaged_tagging_rules(tmp_path: Path) -> None:
    # Every packaged tagging slug is accepted, and nothing else: no list of our own.
    vocab = vocabularies(load_rules())
    focus = "".join(f"{axis} = {list(vocab[axis])!r}\n" for axis in ("indication", "route", "molecule"))
    q = load_query(write(tmp_path, f'[ctgov]\nintr = "k"\n[focus]\n{focus}'))
    assert q.focus.filters() == {axis: list(vocab[axis]) for axis in ("indication", "route", "molecule")}
    # Vocabularies given by the caller replace the packaged ones rather than extend them.
    with pytest.raises(ConfigError, match=r"focus\.indication\[0\]: unknown indication slug 'ptsd'"):
        load_query(write(tmp_path, '[ctgov]\nintr = "k"\n[focus]\nindication = ["ptsd"]\n'),
                   vocabularies={"indication": ("depression",)})


def test_check_pages_can_be_skipped_and_parse_query_is_pure(tmp_path: Path) -> None:
    data = {"ctgov": {"intr": "k"}, "check": {"pages": ["later.html"]}}
    q = parse_query(data, tmp_path / "q.toml", check_pages=False)
    assert q.check.pages == ((tmp_path / "later.html").resolve(),)


def test_toml_date_objects_are_accepted(tmp_path: Path) -> None:
    q = parse_query({"pubmed": {"term": "k", "mindate": dt.date(2001, 2, 3)}}, tmp_path / "q.toml")
    assert q.pubmed is not None and q.pubmed.mindate == "2001/02/03"
