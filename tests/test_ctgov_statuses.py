"""CT.gov status spellings: one table, checked through the parser itself, a query file and
`ketlit fetch ctgov --status` (against the loopback stand-in), so the two user paths cannot drift."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.errors import ConfigError, InputError
from ketlit.queries import parse_query
from ketlit.sources.ctgov_vocab import STATUSES, parse_statuses
from tests.standins.ctgov import CtgovStandin

# (values as repeated --status options / query-file list items, the API enums sent)
GOOD: list[tuple[list[str], tuple[str, ...]]] = [
    (["completed"], ("COMPLETED",)),
    (["COMPLETED"], ("COMPLETED",)),
    (["Active, not recruiting"], ("ACTIVE_NOT_RECRUITING",)),
    (["ACTIVE_NOT_RECRUITING"], ("ACTIVE_NOT_RECRUITING",)),
    (["active-not-recruiting"], ("ACTIVE_NOT_RECRUITING",)),
    (["Not yet recruiting"], ("NOT_YET_RECRUITING",)),
    (["Unknown status"], ("UNKNOWN",)),
    (["unknown"], ("UNKNOWN",)),
    (["completed|terminated"], ("COMPLETED", "TERMINATED")),
    (["completed,terminated"], ("COMPLETED", "TERMINATED")),
    (["completed, terminated"], ("COMPLETED", "TERMINATED")),
    (["Active, not recruiting,completed"], ("ACTIVE_NOT_RECRUITING", "COMPLETED")),
    (["completed,Active, not recruiting"], ("COMPLETED", "ACTIVE_NOT_RECRUITING")),
    (["recruiting | Active, not recruiting | not yet recruiting"],
     ("RECRUITING", "ACTIVE_NOT_RECRUITING", "NOT_YET_RECRUITING")),
    (["completed", "Active, not recruiting"], ("COMPLETED", "ACTIVE_NOT_RECRUITING")),
    (["terminated", "COMPLETED", "Completed|terminated"], ("TERMINATED", "COMPLETED")),
    (["completed,"], ("COMPLETED",)),
]

# (values, the bad value the one-line error names)
BAD: list[tuple[list[str], str]] = [
    (["finished"], "finished"),
    (["completed", "done"], "done"),
    (["completed|finished"], "finished"),
    (["completed terminated"], "completed terminated"),
    # The comma inside a display name joins; "|" never does, and a wrong second half is no name.
    (["Active|not recruiting"], "Active"),
    (["Active,completed"], "Active"),
    (["Unknown status status"], "Unknown status status"),
]


def test_the_vocabulary_is_the_specs_status_enum() -> None:
    assert len(STATUSES) == len(set(STATUSES)) == 14
    assert {"ACTIVE_NOT_RECRUITING", "UNKNOWN", "WITHHELD", "APPROVED_FOR_MARKETING"} <= set(STATUSES)


@pytest.mark.parametrize(("values", "expected"), GOOD)
def test_parser(values: list[str], expected: tuple[str, ...]) -> None:
    assert parse_statuses(values) == expected
    if len(values) == 1:
        assert parse_statuses(values[0]) == expected


@pytest.mark.parametrize(("values", "bad"), BAD)
def test_parser_rejects(values: list[str], bad: str) -> None:
    with pytest.raises(InputError) as info:
        parse_statuses(values)
    message = str(info.value)
    assert f"unknown trial status {bad!r}" in message
    assert "\n" not in message and "ACTIVE_NOT_RECRUITING" in message and "Active, not recruiting" in message


def _query(values: list[str]) -> tuple[str, ...]:
    query = parse_query({"ctgov": {"intr": "ketamine", "status": values}}, Path("q.toml"), check_pages=False)
    assert query.ctgov is not None
    return query.ctgov.status


@pytest.mark.parametrize(("values", "expected"), GOOD)
def test_query_file(values: list[str], expected: tuple[str, ...]) -> None:
    assert _query(values) == expected


@pytest.mark.parametrize(("values", "bad"), BAD)
def test_query_file_rejects(values: list[str], bad: str) -> None:
    with pytest.raises(ConfigError) as info:
        _query(values)
    message = str(info.value)
    index = next(i for i, value in enumerate(values) if bad in value)
    assert message.startswith(f"q.toml: ctgov.status[{index}]: ")
    assert f"unknown trial status {bad!r}" in message and "\n" not in message


STUDY = {
    "protocolSection": {
        "identificationModule": {"nctId": "NCT09000001", "briefTitle": "Ketamine for depression"},
        "statusModule": {"overallStatus": "COMPLETED", "lastUpdatePostDateStruct": {"date": "2024-01-02"}},
    },
    "hasResults": False,
}


def _fetch(tmp_path: Path, values: list[str]) -> tuple[int, str, list[dict[str, str]]]:
    args = ["--db", str(tmp_path / "k.db"), "fetch", "ctgov", "ketamine"]
    for value in values:
        args += ["--status", value]
    with CtgovStandin([STUDY]) as standin:
        os.environ["KETLIT_CTGOV_URL"] = standin.base_url
        try:
            result = CliRunner().invoke(app, args)
        finally:
            del os.environ["KETLIT_CTGOV_URL"]
        requests = [dict(r.params) for r in standin.requests]
    return result.exit_code, result.stderr, requests


@pytest.mark.parametrize(("values", "expected"), GOOD)
def test_cli(tmp_path: Path, values: list[str], expected: tuple[str, ...]) -> None:
    code, err, requests = _fetch(tmp_path, values)
    assert code == 0, err
    assert requests and all(r["filter.overallStatus"] == ",".join(expected) for r in requests)


@pytest.mark.parametrize(("values", "bad"), BAD)
def test_cli_rejects_before_any_request(tmp_path: Path, values: list[str], bad: str) -> None:
    code, err, requests = _fetch(tmp_path, values)
    assert code == 1 and requests == [] and "Traceback" not in err
    (line,) = [x for x in err.splitlines() if x.startswith("Error:")]
    assert f"unknown trial status {bad!r}" in line
