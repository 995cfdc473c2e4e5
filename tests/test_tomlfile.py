"""ketlit.tomlfile: every user TOML file is read, merged and checked the same way, and every
mistake is one line that starts with the file and names the dotted key."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ketlit.errors import ConfigError, ExitCode
from ketlit.tomlfile import (
    MAX_TOML_BYTES,
    Table,
    describe,
    merge_documents,
    parse,
    read_packaged,
    read_user,
)

FILE = "rules.toml"


def table(data: dict[str, Any]) -> Table:
    return Table(data, FILE)


# -- reading --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'title = "caf\xe9"\n', "not UTF-8 text"),
        (b"[pubmed\nterm = 'x'\n", "invalid TOML: "),
        (b"a = 1\na = 2\n", "invalid TOML: "),
        (b'a = "unterminated\n', "invalid TOML: "),
    ],
)
def test_undecodable_files_are_one_line_config_errors(tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "user.toml"
    path.write_bytes(content)
    with pytest.raises(ConfigError) as info:
        read_user(path, "rules file")
    message = str(info.value)
    assert message.startswith(f"{path}: {expected}"), message
    assert "\n" not in message
    assert info.value.exit_code == ExitCode.ERROR


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda tmp: tmp / "absent.toml", "No such file or directory"),
        (lambda tmp: tmp, "Is a directory"),
    ],
)
def test_unreadable_files_name_the_path_and_the_reason(
    tmp_path: Path, make: Callable[[Path], Path], reason: str
) -> None:
    path = make(tmp_path)
    with pytest.raises(ConfigError) as info:
        read_user(path, "query file")
    assert str(info.value) == f"{path}: cannot read query file: {reason}"


def test_size_limit_is_checked_without_reading_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "big.toml"
    path.write_text("a = 1\n" + "#" * 2048 + "\n")
    with pytest.raises(ConfigError, match=r"big\.toml: cannot read rules file: larger than 1 KiB$"):
        read_user(path, "rules file", max_bytes=1024)
    assert read_user(path, "rules file").data == {"a": 1}  # the default limit is far larger
    assert MAX_TOML_BYTES == 1024 * 1024


def test_a_document_keeps_its_bytes_and_its_name(tmp_path: Path) -> None:
    path = tmp_path / "user.toml"
    path.write_bytes(b'[drug]\nnames = ["x"]\n')
    doc = read_user(path, "rules file")
    assert doc.data == {"drug": {"names": ["x"]}}
    assert doc.raw == path.read_bytes()  # digests are taken over the exact bytes
    assert doc.where == str(path)
    assert doc.root().error("drug", "boom").args == (f"{path}: drug: boom",)


def test_packaged_files_are_named_as_packaged() -> None:
    doc = read_packaged("regulatory.toml")
    assert doc.where == "packaged regulatory.toml"
    assert doc.data["fact"] and doc.raw == resources.files("ketlit.data").joinpath("regulatory.toml").read_bytes()
    assert parse(b"x = 1", "anything") == {"x": 1}
    with pytest.raises(ConfigError, match=r"^packaged x\.toml: invalid TOML"):
        parse(b"x =", "packaged x.toml")


# -- merging --------------------------------------------------------------------------------


def test_merge_documents_merges_tables_and_replaces_everything_else() -> None:
    base = {"a": {"b": 1, "c": [1, 2], "d": {"e": 1}}, "f": "x"}
    user = {"a": {"c": [3], "d": {"g": 2}}, "h": True}
    merged = merge_documents(base, user)
    assert merged == {"a": {"b": 1, "c": [3], "d": {"e": 1, "g": 2}}, "f": "x", "h": True}
    assert base == {"a": {"b": 1, "c": [1, 2], "d": {"e": 1}}, "f": "x"}  # the packaged document is not touched
    # A table given where the base has a scalar (or the reverse) replaces it: validation decides.
    assert merge_documents({"a": 1}, {"a": {"b": 2}}) == {"a": {"b": 2}}
    assert merge_documents({"a": {"b": 2}}, {"a": 1}) == {"a": 1}


# -- validation -----------------------------------------------------------------------------

NESTED = {"evidence": {"arms": {"n": "3", "limit": 0, "ok": True}, "facts": [{"id": 1}, "text"]}}


def arms(t: Table) -> Table:
    return t.sub("evidence").sub("arms")


@pytest.mark.parametrize(
    ("call", "message"),
    [
        # unknown keys, at the top and nested: the dotted key, then what was expected
        (lambda t: t.known_keys(("evidence",)) or t.sub("evidence").known_keys(("facts",)),
         "evidence.arms: unknown key (expected one of: facts)"),
        # a close valid key is named; a far one is not guessed at
        (lambda t: Table({"colour": 1}, FILE).known_keys(("color", "size")),
         "colour: unknown key (expected one of: color, size); did you mean 'color'?"),
        (lambda t: Table({"weight": 1}, FILE).known_keys(("color", "size")),
         "weight: unknown key (expected one of: color, size)"),
        # wrong types, each named with its full dotted path
        (lambda t: arms(t).integer("n"), "evidence.arms.n: must be an integer, got a string"),
        (lambda t: arms(t).integer("ok"), "evidence.arms.ok: must be an integer, got a boolean"),
        (lambda t: arms(t).number("ok"), "evidence.arms.ok: must be a number, got a boolean"),
        (lambda t: arms(t).string("limit"), "evidence.arms.limit: must be a string, got an integer"),
        (lambda t: arms(t).boolean("n"), "evidence.arms.n: must be true or false, got a string"),
        (lambda t: arms(t).strings("n"), "evidence.arms.n: must be a list of strings, got a string"),
        (lambda t: arms(t).table("n"), "evidence.arms.n: must be a table, got a string"),
        (lambda t: t.sub("evidence").tables("facts"),
         "evidence.facts: must be a list of tables, got a list containing a string"),
        (lambda t: t.sub("evidence").sub("facts"), "evidence.facts: must be a table, got a list"),
        # range and required
        (lambda t: arms(t).integer("limit", minimum=1), "evidence.arms.limit: must be at least 1, got 0"),
        (lambda t: arms(t).string("absent"), "evidence.arms.absent: is required"),
        (lambda t: arms(t).integer("absent"), "evidence.arms.absent: is required"),
        # array-of-tables items are indexed
        (lambda t: Table({"evidence": {"facts": [{"id": 1}]}}, FILE).sub("evidence").tables("facts")[0].string("id"),
         "evidence.facts[0].id: must be a string, got an integer"),
    ],
)
def test_errors_are_one_line_with_file_and_dotted_key(call: Callable[[Table], object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        call(table(NESTED))
    assert str(info.value) == f"{FILE}: {message}"


@pytest.mark.parametrize(
    ("data", "call", "message"),
    [
        ({"term": ""}, lambda t: t.string("term", nonblank=True), "term: must not be empty"),
        ({"term": " \n\t"}, lambda t: t.string("term", None, nonblank=True), "term: must not be empty"),
        ({"pages": ["a", "  "]}, lambda t: t.strings("pages", nonblank=True), "pages[1]: must not be empty"),
        ({"pages": ["a", 3]}, lambda t: t.strings("pages"),
         "pages: must be a list of strings, got a list containing an integer"),
        ({"op": "=="}, lambda t: t.choice("op", (">", "<")), "op: must be one of >, <"),
        ({"kind": "approvall"}, lambda t: t.choice("kind", ("approval", "rems")),
         "kind: must be one of approval, rems; did you mean 'approval'?"),
        ({"kinds": ["rems", "aproval"]}, lambda t: t.choices("kinds", ("approval", "rems")),
         "kinds[1]: must be one of approval, rems; did you mean 'approval'?"),
        ({"kinds": "rems"}, lambda t: t.choices("kinds", ("approval", "rems")),
         "kinds: must be a list of strings, got a string"),
        ({"when": dt.date(2020, 1, 1)}, lambda t: t.string("when"), "when: must be a string, got date"),
    ],
)
def test_empty_and_invalid_values(data: dict[str, Any], call: Callable[[Table], object], message: str) -> None:
    with pytest.raises(ConfigError) as info:
        call(table(data))
    assert str(info.value) == f"{FILE}: {message}"


def test_empty_strings_are_kept_unless_refused() -> None:
    # A rules file may mean "" (no note); only callers that need text pass nonblank.
    assert table({"note": ""}).string("note") == ""
    assert table({"pages": [""]}).strings("pages") == ("",)


def test_absent_keys_give_defaults_and_present_ones_are_never_replaced_by_them() -> None:
    t = table({"n": 3, "x": 0.5, "flag": False, "name": "a  b", "list": "one"})
    assert t.integer("absent", 7) == 7 and t.integer("absent", None) is None and t.integer("n", 7) == 3
    assert t.number("absent", 2) == 2.0 and isinstance(t.number("n"), float) and t.number("x", 9.0) == 0.5
    assert t.boolean("absent", True) is True and t.boolean("flag", True) is False
    assert t.string("absent", "d") == "d" and t.string("absent", None) is None
    assert t.string("name") == "a  b"  # no normalisation: that is the caller's decision
    assert t.strings("absent") == () and t.strings("list", single=True) == ("one",)
    assert t.table("absent") is None and t.sub("absent").data == {} and t.tables("absent") == []
    assert t.choice("absent", ("a", "b"), "b") == "b"
    assert t.names() == ["n", "x", "flag", "name", "list"] and t.get("n") == 3 and t.get("absent") is None


def test_paths_and_errors_of_nested_tables() -> None:
    t = table({"a": {"b": {"c": 1}}, "items": [{"x": 1}, {"x": 2}]})
    inner = t.sub("a").sub("b")
    assert inner.dotted() == "a.b" and inner.dotted("c") == "a.b.c" and inner.file == FILE
    assert [item.dotted("x") for item in t.tables("items")] == ["items[0].x", "items[1].x"]
    assert str(t.error(None, "needs a [pubmed] section")) == f"{FILE}: needs a [pubmed] section"
    # A message quoting a user's multi-line value still makes one line.
    assert str(inner.error("c", "bad value 'a\nb'")) == f"{FILE}: a.b.c: bad value 'a b'"


def test_subclasses_keep_their_type_through_navigation() -> None:
    class Rules(Table):
        __slots__ = ()

    root = Rules({"a": {"b": {}}, "c": [{}]}, FILE)
    assert type(root.sub("a").table("b")) is Rules and type(root.tables("c")[0]) is Rules


@pytest.mark.parametrize(
    ("value", "words"),
    [(True, "a boolean"), (1, "an integer"), (1.5, "a number"), ("s", "a string"), ({}, "a table"),
     (["a", 1], "a list"), (dt.date(2000, 1, 1), "date")],
)
def test_describe(value: object, words: str) -> None:
    assert describe(value) == words
