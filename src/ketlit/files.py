"""Reading user-supplied files: one place for the size limit and the one-line errors."""

from __future__ import annotations

from pathlib import Path
from typing import IO

from ketlit.errors import InputError


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


def open_limited(path: Path, max_bytes: int, what: str = "file") -> IO[bytes]:
    """``path`` opened for reading (the caller closes it), refused with :class:`InputError` when it is
    missing, a directory, unreadable, or larger than ``max_bytes``."""
    try:
        if Path(path).stat().st_size > max_bytes:
            raise InputError(f"{path} is larger than {_size(max_bytes)}; is this really a {what}?")
        return Path(path).open("rb")
    except FileNotFoundError:
        raise InputError(f"no such {what}: {path}") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a directory, not a {what}") from None
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None


def read_limited(path: Path, max_bytes: int, what: str = "file") -> bytes:
    """The bytes of ``path``, or :class:`InputError` (missing, a directory, unreadable, too large).

    Reads at most ``max_bytes + 1`` bytes, so an oversized file is refused without loading it.
    """
    with open_limited(path, max_bytes, what) as handle:
        try:
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{path} is larger than {_size(max_bytes)}; is this really a {what}?")
    return data
