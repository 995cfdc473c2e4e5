"""User files in and out: one place for the size limit, atomic writes and the one-line errors.

Design decisions:
- **Reads** are bounded (:func:`read_limited` reads at most ``max_bytes + 1``) and every failure,
  a NUL byte in the name included, is an :class:`~ketlit.errors.InputError` naming the file.
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
import io
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import IO, BinaryIO, Final

from ketlit.errors import InputError

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
            data = handle.read(max_bytes + 1)
        except OSError as exc:
            raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise InputError(f"{path} is larger than {_size(max_bytes)}; is this really a {what}?")
    return data


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
