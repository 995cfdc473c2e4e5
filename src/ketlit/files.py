"""User files in and out: one place for the size limits, atomic writes and the one-line errors.

Design decisions:
- **Reads** are bounded (:func:`read_limited` reads at most ``max_bytes + 1``) and every failure,
  a NUL byte in the name included, is an :class:`~ketlit.errors.InputError` naming the file.
- A gzip file is limited twice: its own size, like any file, and what it decompresses to,
  :data:`MAX_DECOMPRESSED_BYTES` (512 MiB). The second limit is what stops a decompression
  bomb — a 1 MB ``.xml.gz`` that expands to gigabytes — and it is enforced while decompressing
  (:class:`GunzipLimited` asks zlib for at most what is left under the limit), so the bomb is
  refused after using no more than the limit, never read whole first. 512 MiB is several times a
  PubMed export of 10,000 records with abstracts, the most PubMed's own export gives.
- **Writes are atomic.** :func:`atomic_output` writes to a temporary file in the destination's
  folder and renames it over the destination only when everything was written; on any failure
  (a full disk half-way, an error in the data being written) the temporary file is removed and
  the destination keeps its previous content, or does not appear. A truncated export or report
  can therefore never be mistaken for a complete one.
- The temporary file is created with mode 0666 less the umask (as ``open()`` would), or with the
  destination's own mode when it exists: the rename must not leave a private 0600 file behind.
- A destination that exists and is not a regular file (``/dev/stdout``, ``/dev/null``, a FIFO)
  is written through directly: renaming over it would replace the device with a file.
"""

from __future__ import annotations

import errno
import gzip
import io
import os
import secrets
import stat
import zlib
from collections.abc import Iterable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, BinaryIO, Final

from ketlit.errors import FileParseError, InputError

MAX_DECOMPRESSED_BYTES = 512 * 1024**2
_CHUNK = 1 << 20

# The raw file type writes go through; a test swaps in one that fails like a full disk.
RAW_FILE: type[io.FileIO] = io.FileIO
_TEMP_TRIES: Final = 8


def _size(n: int) -> str:
    for unit, factor in (("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)):
        if n >= factor:
            return f"{n / factor:g} {unit}"
    return f"{n} bytes"


def open_limited(path: Path, max_bytes: int, what: str = "file") -> IO[bytes]:
    """``path`` opened for reading (the caller closes it), refused with :class:`InputError` when it is
    missing, a directory, unreadable, or larger than ``max_bytes``."""
    if "\0" in str(path):
        raise InputError(f"not a usable {what} name (it contains a NUL byte): {str(path)!r}")
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
            raise FileParseError(f"{self._name}: corrupt gzip file ({exc})") from None

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


def write_error(path: Path, exc: OSError) -> InputError:
    """The one-line error for a failed write to ``path`` (never naming the temporary file)."""
    return InputError(f"cannot write {path}: {exc.strerror or exc}")


def ensure_dir(path: Path, what: str = "folder") -> Path:
    """``path`` as an existing, writable directory (created with its parents if needed), or a one-line
    InputError."""
    path = Path(path)
    if "\0" in str(path):
        raise InputError(f"not a usable {what} name (it contains a NUL byte): {str(path)!r}")
    try:
        path.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError(f"cannot write to {path}: it is a file, not a {what}") from None
    except OSError as exc:
        raise InputError(f"cannot create {what} {path}: {exc.strerror or exc}") from None
    # Checked here so that a long job (a refresh fetches first) fails before it starts, not after.
    if not os.access(path, os.W_OK | os.X_OK):
        raise InputError(f"cannot write to {what} {path}: {os.strerror(errno.EACCES)}")
    return path


def _same_file(a: Path, b: Path) -> bool:
    """Whether ``a`` and ``b`` name one file: the same inode when both exist (links, ``./x`` and
    ``x``, another spelling of the folder), else the same absolute path once symlinks are resolved."""
    with suppress(OSError, ValueError):
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    with suppress(OSError, ValueError, RuntimeError):
        return a.resolve() == b.resolve()
    return False


def cache_files(db: Path | str) -> list[tuple[Path, str]]:
    """The files SQLite keeps for the cache ``db``, each with what it is, for :func:`refuse_overwrite`:
    the database and its WAL, shared-memory and rollback-journal companions (none in memory)."""
    if str(db) in ("", ":memory:"):
        return []
    base = Path(db)
    # SQLite names the companions after the database's real path (a symlinked --db's target).
    with suppress(OSError, RuntimeError):
        base = base.resolve()
    return [(Path(db), "the cache"),
            *((base.with_name(base.name + suffix), "a file of the cache") for suffix in ("-wal", "-shm", "-journal"))]


def refuse_overwrite(dest: Path | None, protected: Iterable[tuple[Path, str]]) -> None:
    """An :class:`InputError` if writing ``dest`` would replace a file the command reads.

    ``protected`` pairs each such file with what it is to the user ("the cache", "the page being
    checked"). Checked before any work: an atomic write renames its result over ``dest``, so an
    ``--out`` naming the cache (or its WAL) would silently replace the database with an export and
    lose every stored record, and one naming the input page would replace the page with its own
    verdicts."""
    if dest is None:
        return
    for path, what in protected:
        if _same_file(Path(dest), Path(path)):
            raise InputError(f"will not write {dest}: it is {what} ({path}); choose another --out file")


def _open_temp(final: Path) -> tuple[Path, BinaryIO]:
    """A new, empty temporary file beside ``final`` and its open binary handle."""
    for _ in range(_TEMP_TRIES):
        tmp = final.with_name(f".{final.name}.{secrets.token_hex(4)}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
        except FileExistsError:
            continue
        try:
            if final.exists():
                os.chmod(tmp, stat.S_IMODE(final.stat().st_mode))
            return tmp, io.BufferedWriter(RAW_FILE(fd, "wb", closefd=True))
        except BaseException:
            os.close(fd)
            tmp.unlink(missing_ok=True)
            raise
    raise FileExistsError(f"no free temporary name beside {final}")


@contextmanager
def atomic_output(dest: Path) -> Iterator[BinaryIO]:
    """A binary handle whose bytes become ``dest`` only if the ``with`` block completes (see the
    module docstring); every OSError is a one-line :class:`InputError` naming ``dest``."""
    dest = Path(dest)
    if "\0" in str(dest):
        raise InputError(f"not a usable file name (it contains a NUL byte): {str(dest)!r}")
    try:
        mode = dest.stat().st_mode
    except OSError:
        mode = None
    if mode is not None and stat.S_ISDIR(mode):
        raise InputError(f"cannot write {dest}: it is a directory")
    if mode is not None and not stat.S_ISREG(mode):
        try:
            with dest.open("wb") as device:
                yield device
        except OSError as exc:
            raise write_error(dest, exc) from None
        return
    final = dest.resolve() if dest.is_symlink() else dest  # write the link's target, keep the link
    try:
        tmp, handle = _open_temp(final)
    except OSError as exc:
        raise write_error(dest, exc) from None
    try:
        with handle:
            yield handle
        os.replace(tmp, final)
    except OSError as exc:
        tmp.unlink(missing_ok=True)
        raise write_error(dest, exc) from None
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


@contextmanager
def atomic_text(dest: Path) -> Iterator[IO[str]]:
    """:func:`atomic_output` as UTF-8 text; newlines are written as given (``newline=""``)."""
    with atomic_output(dest) as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        try:
            yield text
        except BaseException:
            with suppress(OSError, ValueError):  # the output is dropped: a failed flush changes nothing
                text.detach()
            raise
        text.detach()  # flushes; atomic_output closes the binary handle and renames


def write_atomic(path: Path, data: bytes) -> bool:
    """Write ``data`` to ``path`` atomically; skip (return False) when it already holds exactly these bytes."""
    try:
        if Path(path).read_bytes() == data:
            return False
    except (OSError, ValueError):
        pass
    with atomic_output(path) as handle:
        handle.write(data)
    return True
