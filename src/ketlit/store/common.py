"""Small helpers every area of the store shares: the clock, the JSON encoding of stored
values, chunking of ``IN (…)`` lists (SQLite limits bound parameters per statement), limits
checked before they reach SQLite, and the one translation of SQLite's errors.

Design decision: **no sqlite3 exception leaves the store.** :func:`store_error` turns one into
a :class:`~ketlit.errors.StoreError` whose one line names the file and the cause a user can act
on (read-only, another writer, damaged, disk full), chosen by SQLite's primary result code, not
by the message text. :func:`translate_errors` applies it to every public method of a class
(generators included, whose errors surface while the caller iterates); ``core`` applies it to
the facade and to every area class, so a new area method cannot forget it. Inside the store,
code still sees the raw sqlite3 errors it may want to handle (sqlite-utils relies on that).
"""

from __future__ import annotations

import functools
import inspect
import json
import sqlite3
import weakref
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import sqlite_utils

from ketlit.errors import InputError, StoreBusyError, StoreError

T = TypeVar("T")

# Bound parameters per ``IN (…)`` list; far below SQLite's limit, and large enough that the
# statement overhead does not matter.
CHUNK = 500


def utcnow() -> str:
    """Current UTC time, ISO 8601 to the second."""
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def to_json(value: Any) -> str:
    """The compact JSON every stored value uses (stable: ``content_sha256`` digests depend on it)."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[list[T]]:
    """``items`` in consecutive lists of at most ``size``."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def batches_keeping_order(items: Sequence[T], key: Callable[[T], object]) -> list[Sequence[T]]:
    """``items`` as one batch to write with one statement of each kind, or, when two name the same record
    (``key``), one batch per item: deleting every old row before inserting would then let the earlier item's
    rows survive beside the later's, where writing in order lets the later one win."""
    keys = [key(item) for item in items]
    return [[item] for item in items] if len(set(keys)) < len(keys) else [items]


def marks(values: Sequence[Any]) -> str:
    """``?,?,…`` for an ``IN (…)`` list of ``values``."""
    return ",".join("?" * len(values))


# The largest row count a caller may ask for: far beyond any cache, far below SQLite's 64-bit limit.
MAX_LIMIT = 1_000_000


def check_limit(value: int, what: str, *, minimum: int = 1) -> int:
    """``value`` if it is a whole number from ``minimum`` to :data:`MAX_LIMIT`, else a one-line InputError
    (a huge number would overflow SQLite's integers, a negative LIMIT means "no limit" there)."""
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= MAX_LIMIT:
        raise InputError(f"{what} must be a whole number from {minimum} to {MAX_LIMIT:,}, got {value}")
    return value


# -- SQLite errors → StoreError ---------------------------------------------------------------------

# The name each open database is shown by in messages: the path the user gave (open_store records
# it), not the absolute one SQLite knows.
_NAMES: weakref.WeakKeyDictionary[sqlite_utils.Database, str] = weakref.WeakKeyDictionary()


def name_database(db: sqlite_utils.Database, path: Path | str) -> None:
    """Record how messages about ``db`` name it."""
    _NAMES[db] = str(path)


def database_name(db: sqlite_utils.Database) -> str:
    """How messages name ``db``: the recorded path, else SQLite's file name for it."""
    if db in _NAMES:
        return _NAMES[db]
    try:
        rows = db.conn.execute("PRAGMA database_list").fetchall()
    except sqlite3.Error:
        return "the cache"
    return next((str(r[2]) for r in rows if r[1] == "main" and r[2]), "the in-memory cache")


def store_error(exc: sqlite3.Error, where: str) -> StoreError:
    """The one-line :class:`StoreError` for SQLite's ``exc`` on the cache named ``where``."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if primary is None and detail == "database is locked":
        primary = sqlite3.SQLITE_BUSY  # raised by hand (no code): say what it means all the same
    if primary in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return StoreBusyError(f"another ketlit process is writing to {where}; try again when it has finished")
    if primary == sqlite3.SQLITE_READONLY:
        return StoreError(f"cannot write to the cache {where}: it is read-only (check the permissions of the "
                          f"file and its folder; {detail})")
    if primary == sqlite3.SQLITE_FULL:
        return StoreError(f"cannot write to the cache {where}: the disk is full")
    if primary in (sqlite3.SQLITE_CORRUPT, sqlite3.SQLITE_NOTADB):
        return StoreError(f"{where} is not a ketlit cache or is damaged: {detail}")
    if primary in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM):
        return StoreError(f"cannot open the cache {where}: {detail} (can ketlit write to its folder?)")
    if primary == sqlite3.SQLITE_IOERR:
        return StoreError(f"cannot read or write the cache {where}: {detail}")
    return StoreError(f"cache {where}: {detail}")


def as_store_error(exc: BaseException, where: str = "the cache") -> StoreError | None:
    """:func:`store_error` for ``exc`` if it is an SQLite error (None otherwise): for callers
    outside the store, which may not import sqlite3 (the CLI's safety net)."""
    return store_error(exc, where) if isinstance(exc, sqlite3.Error) else None


def _not_utf8() -> InputError:
    # SQLite stores UTF-8; a command-line argument in another encoding reaches Python as text with
    # lone surrogates, which cannot be bound as a parameter.
    return InputError("text that is not valid UTF-8 cannot be stored or looked up "
                      "(was an argument typed in another encoding?)")


F = TypeVar("F", bound=Callable[..., Any])


@contextmanager
def _translated(db: sqlite_utils.Database) -> Iterator[None]:
    try:
        yield
    except sqlite3.Error as exc:
        raise store_error(exc, database_name(db)) from None
    except UnicodeEncodeError:
        raise _not_utf8() from None


def _translating(fn: F) -> F:
    """``fn`` (a method of an object with a ``db``) raising StoreError instead of sqlite3.Error."""
    if inspect.isgeneratorfunction(fn):
        @functools.wraps(fn)
        def generator(self: Any, *args: Any, **kwargs: Any) -> Iterator[Any]:
            with _translated(self.db):
                yield from fn(self, *args, **kwargs)

        generator.__ketlit_translated__ = True  # type: ignore[attr-defined]
        return generator  # type: ignore[return-value]

    @functools.wraps(fn)
    def method(self: Any, *args: Any, **kwargs: Any) -> Any:
        with _translated(self.db):
            return fn(self, *args, **kwargs)

    method.__ketlit_translated__ = True  # type: ignore[attr-defined]
    return method  # type: ignore[return-value]


def translate_errors(cls: type[T]) -> type[T]:
    """Make every public method of ``cls`` (whose instances have a ``db``) raise StoreError for
    sqlite3 errors; idempotent. Private helpers are left alone: their caller translates."""
    for name, value in list(vars(cls).items()):
        if name.startswith("_") or not inspect.isfunction(value) or hasattr(value, "__ketlit_translated__"):
            continue
        setattr(cls, name, _translating(value))
    return cls
