"""The KetlitError family and the process exit codes, defined once.

The library raises only these for expected failures; the CLI maps each to a one-line
``Error: …`` message and the error's :attr:`~KetlitError.exit_code`, so a user never sees a
traceback for bad input, a dead service or a broken file. Messages must never contain secrets:
anything built from a URL or a parameter set goes through :func:`ketlit.http.redact` first.

Every exit code the CLI can return is a member of :class:`ExitCode`, here, so the CLI, the
refresh job and the documentation cannot disagree about what ``3`` means.
"""

from __future__ import annotations

from enum import IntEnum
from typing import ClassVar


class ExitCode(IntEnum):
    """Process exit codes of the ``ketlit`` command."""

    OK = 0
    ERROR = 1  # any KetlitError without a more specific code; a refresh that could fetch nothing
    USAGE = 2  # bad command line (Click/Typer's own code for usage errors)
    PARTIAL = 3  # the run finished, something was fetched, but a source, query or clinic page failed
    LOCKED = 4  # another ketlit process holds the lock, or kept the database busy
    INTERRUPTED = 130  # Ctrl-C: 128 + SIGINT, as shells report it


class KetlitError(Exception):
    """Base class: an expected failure with a user-facing one-line message."""

    exit_code: ClassVar[ExitCode] = ExitCode.ERROR


class ConfigError(KetlitError):
    """Invalid configuration (bad value, unreadable or malformed TOML file)."""


class StoreError(KetlitError):
    """The database cannot be opened, created or written (read-only, damaged, disk full…)."""


class StoreBusyError(StoreError):
    """Another process kept the database busy past the busy timeout.

    Exit code 4, like :class:`LockedError`: the cause is the same (another ketlit process is
    writing to this cache) and so is the remedy (try again when it has finished), so a scheduler
    that retries on 4 treats both alike.
    """

    exit_code: ClassVar[ExitCode] = ExitCode.LOCKED


class ServiceError(KetlitError):
    """A remote service failed after all retries (5xx, 429, timeouts, broken bodies)."""


class UnreachableError(ServiceError):
    """A service could not be reached at all: its name did not resolve, the connection was
    refused or timed out, or TLS failed. Raised at once (not after minutes of backoff), so a
    run without network fails fast; the message names the host only, never a request URL."""

    def __init__(self, service: str, host: str, reason: str, hint: str = "") -> None:
        self.service, self.host, self.reason, self.hint = service, host, reason, hint
        super().__init__(f"{service} unreachable ({host}: {reason})" + (f" — {hint}" if hint else ""))

    def __reduce__(self) -> tuple[type[UnreachableError], tuple[str, str, str, str]]:
        # Rebuilt from its fields when pickled (worker processes), not from the message.
        return (type(self), (self.service, self.host, self.reason, self.hint))


class QueryError(KetlitError):
    """The remote service rejected the query itself (syntax error, unknown parameter)."""


class ParseError(KetlitError):
    """A payload or input file could not be parsed."""


class FileParseError(ParseError):
    """A ParseError whose message starts with the name of the file it is about (``x.gz: corrupt gzip
    file …``), so that whoever passes it on does not name the file again. A class, not a test of the
    message's start: a file may be named like a message ("unrecognised file: …")."""


class InputError(KetlitError):
    """A user-supplied file or argument is unusable."""


class LockedError(KetlitError):
    """Another ketlit process holds the lock."""

    exit_code: ClassVar[ExitCode] = ExitCode.LOCKED
