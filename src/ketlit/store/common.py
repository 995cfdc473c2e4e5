"""Small helpers every area of the store shares: the clock, the JSON encoding of stored
values, and chunking of ``IN (…)`` lists (SQLite limits bound parameters per statement)."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

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


def marks(values: Sequence[Any]) -> str:
    """``?,?,…`` for an ``IN (…)`` list of ``values``."""
    return ",".join("?" * len(values))
