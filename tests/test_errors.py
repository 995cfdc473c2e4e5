"""Exit codes are defined once, in ketlit.errors, and every error class takes its code from there."""

from __future__ import annotations

import pytest

from ketlit.errors import (
    ConfigError,
    ExitCode,
    InputError,
    KetlitError,
    LockedError,
    ParseError,
    QueryError,
    ServiceError,
    StoreBusyError,
    StoreError,
)


def test_the_codes() -> None:
    assert {c.name: int(c) for c in ExitCode} == {
        "OK": 0, "ERROR": 1, "USAGE": 2, "PARTIAL": 3, "LOCKED": 4, "INTERRUPTED": 130,
    }


@pytest.mark.parametrize(
    ("cls", "code"),
    [(KetlitError, ExitCode.ERROR), (ConfigError, ExitCode.ERROR), (StoreError, ExitCode.ERROR),
     (ServiceError, ExitCode.ERROR), (QueryError, ExitCode.ERROR), (ParseError, ExitCode.ERROR),
     (InputError, ExitCode.ERROR), (LockedError, ExitCode.LOCKED), (StoreBusyError, ExitCode.LOCKED)],
)
def test_every_error_takes_its_code_from_exit_code(cls: type[KetlitError], code: ExitCode) -> None:
    assert cls("x").exit_code is code
    assert isinstance(cls.exit_code, ExitCode)  # never a bare number that could drift


def test_the_readme_lists_exactly_these_codes() -> None:
    from tests.conftest import REPO

    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("### Exit codes", 1)[1].split("\n#", 1)[0]
    rows = [line.split("|")[1].strip() for line in section.splitlines() if line.startswith("| ")]
    assert [int(code) for code in rows if code.isdigit()] == [int(c) for c in ExitCode]
