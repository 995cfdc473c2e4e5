"""The KetlitError family.

The library raises only these for expected failures; the CLI maps each to a one-line
``Error: …`` message and an exit code, so a user never sees a traceback for bad input,
a dead service or a broken file. Messages must never contain secrets: anything built
from a URL or a parameter set goes through :func:`ketlit.http.redact` first.
"""

from __future__ import annotations


class KetlitError(Exception):
    """Base class: an expected failure with a user-facing one-line message."""

    exit_code = 1


class ConfigError(KetlitError):
    """Invalid configuration (bad value, unreadable config file)."""


class StoreError(KetlitError):
    """The database cannot be opened, created or written."""


class ServiceError(KetlitError):
    """A remote service failed after all retries (5xx, 429, timeouts, broken bodies)."""


class QueryError(KetlitError):
    """The remote service rejected the query itself (syntax error, unknown parameter)."""


class ParseError(KetlitError):
    """A payload or input file could not be parsed."""


class InputError(KetlitError):
    """A user-supplied file or argument is unusable."""


class LockedError(KetlitError):
    """Another ketlit process holds the lock."""

    exit_code = 4
