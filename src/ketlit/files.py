"""Reading user-supplied files: one place for the size limits and the one-line errors.

A gzip file is limited twice: its own size, like any file, and what it decompresses to,
:data:`MAX_DECOMPRESSED_BYTES` (512 MiB). The second limit is what stops a decompression
bomb — a 1 MB ``.xml.gz`` that expands to gigabytes — and it is enforced while decompressing
(:class:`GunzipLimited` asks zlib for at most what is left under the limit), so the bomb is
refused after using no more than the limit, never read whole first. 512 MiB is several times a
PubMed export of 10,000 records with abstracts, the most PubMed's own export gives.
"""

from __future__ import annotations

import gzip
import io
import os
import zlib
from pathlib import Path
from typing import IO

from ketlit.errors import InputError, ParseError

MAX_DECOMPRESSED_BYTES = 512 * 1024**2
_CHUNK = 1 << 20


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
            # Sized by the file, not the limit: read(n) allocates n bytes up front.
            expected = min(os.fstat(handle.fileno()).st_size, max_bytes)
            data = handle.read(expected + 1)
            if len(data) > expected:  # it grew since, or has no size (a pipe): read on to the limit
                data += handle.read(max_bytes + 1 - len(data))
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{path} is larger than {_size(max_bytes)}; is this really a {what}?")
    return data


class GunzipLimited(io.RawIOBase):
    """A read-only binary stream of the decompressed content of a gzip stream, refused with
    :class:`InputError` once that content passes ``max_bytes``; closing it closes ``raw``."""

    def __init__(self, raw: IO[bytes], name: object, max_bytes: int | None = None) -> None:
        super().__init__()
        self._raw = raw
        self._gzip = gzip.GzipFile(fileobj=raw, mode="rb")
        self._name = name
        self.max_bytes = MAX_DECOMPRESSED_BYTES if max_bytes is None else max_bytes
        self.produced = 0

    def readable(self) -> bool:
        """Always: this is a reader."""
        return True

    def read(self, size: int | None = -1) -> bytes:
        """Up to ``size`` decompressed bytes (all of them, within the limit, for ``-1``);
        :class:`InputError` once the content passes the limit."""
        if size is None or size < 0:
            return self.readall()
        # GzipFile.read(n) decompresses at most n bytes, so asking for one byte beyond the limit
        # is enough to notice a bomb without ever holding more than the limit.
        data = self._read(min(size, self.max_bytes - self.produced + 1))
        self.produced += len(data)
        if self.produced > self.max_bytes:
            raise InputError(
                f"{self._name} decompresses to more than {_size(self.max_bytes)}; refused (a damaged file "
                "or a decompression bomb; a larger export can be imported in parts)"
            )
        return data

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        """Fill ``buffer`` with decompressed bytes (0 at the end), within the limit."""
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def readall(self) -> bytes:
        """Everything left, read in chunks so that the limit applies as it grows."""
        parts = []
        while chunk := self.read(_CHUNK):
            parts.append(chunk)
        return b"".join(parts)

    def _read(self, size: int) -> bytes:
        try:
            return self._gzip.read(size)
        except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ParseError(f"{self._name}: corrupt gzip file ({exc})") from None

    def close(self) -> None:
        """Close the gzip reader and the file under it."""
        if not self.closed:
            self._gzip.close()
            self._raw.close()
        super().close()


def gunzip_limited(data: bytes, name: object, max_bytes: int | None = None) -> bytes:
    """The decompressed content of gzip ``data`` (all members), refused with :class:`InputError`
    past ``max_bytes`` (default :data:`MAX_DECOMPRESSED_BYTES`), :class:`ParseError` if corrupt."""
    with GunzipLimited(io.BytesIO(data), name, max_bytes) as stream:
        return stream.readall()
