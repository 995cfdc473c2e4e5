"""The command line's pieces that need neither typer nor rich (kept out of ``cli.py``, which
only maps commands to jobs and renders): moving global options after the command in front of
it, scrubbing secrets from messages, and the safety net's one-line wording for an exception the
library did not turn into a :class:`~ketlit.errors.KetlitError`."""

from __future__ import annotations

import codecs
import sys
from enum import StrEnum

from ketlit.errors import InputError, KetlitError
from ketlit.store import as_store_error

__all__ = ["CheckCards", "CheckFormat", "ReportFormat", "cell", "hoist_global_options", "scrub", "unexpected_error"]


class CheckFormat(StrEnum):
    """What ``ketlit check --format`` writes (one view model renders all three)."""

    md = "md"
    json = "json"
    html = "html"


class CheckCards(StrEnum):
    """Which cards ``ketlit check --cards`` prints in Markdown and HTML (the JSON has every card)."""

    attention = "attention"
    all = "all"


class ReportFormat(StrEnum):
    """What ``ketlit report --format`` writes."""

    md = "md"
    html = "html"

# Global options that take a value, and global flags: accepted after the command too.
_GLOBAL_VALUES = ("--db", "--config")
_GLOBAL_FLAGS = ("--quiet", "-q", "--verbose", "-v")


def hoist_global_options(args: list[str]) -> list[str]:
    """``args`` with the global options given after the command moved in front of it, so
    ``ketlit status --db x.db`` means ``ketlit --db x.db status`` (no command has options of
    these names; everything after ``--`` is left alone)."""
    head: list[str] = []
    index = 0
    while index < len(args) and args[index].startswith("-") and args[index] != "--":
        takes_value = args[index] in _GLOBAL_VALUES
        head += args[index : index + 1 + takes_value]
        index += 1 + takes_value
    rest = args[index:]
    moved: list[str] = []
    kept: list[str] = []
    index = 0
    while index < len(rest):
        token = rest[index]
        if token == "--":
            kept += rest[index:]
            break
        if token in _GLOBAL_VALUES and index + 1 < len(rest):
            moved += rest[index : index + 2]
            index += 2
            continue
        if token in _GLOBAL_FLAGS or token.startswith(tuple(f"{name}=" for name in _GLOBAL_VALUES)):
            moved.append(token)
        else:
            kept.append(token)
        index += 1
    return head + moved + kept


def scrub(message: str, secrets: list[str]) -> str:
    """Remove secret values from a message, whatever produced it."""
    for secret in secrets:
        message = message.replace(secret, "REDACTED")
    return " ".join(message.split())



def unexpected_error(exc: Exception) -> KetlitError:
    """A one-line KetlitError for an exception the library did not turn into one."""
    stored = as_store_error(exc)
    if stored is not None:
        return stored
    if isinstance(exc, OSError):
        return KetlitError(f"{exc.strerror or exc}" + (f": {exc.filename}" if exc.filename else ""))
    if isinstance(exc, UnicodeEncodeError) and "surrogate" in exc.reason:
        # Bytes in argv that are not UTF-8 reach Python as lone surrogates; no service or file takes them.
        return InputError(f"an argument is not valid UTF-8 text ({exc.object[exc.start:exc.end]!r}); "
                          "was it typed in another encoding?")
    text = " ".join(str(exc).split())
    text = f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
    return KetlitError(f"internal error ({text}); rerun with KETLIT_TRACEBACK=1 to see the traceback, "
                       "and please report it")


def cell(value: object, empty: str = "") -> str:
    """A table cell: ``value`` as text, ``empty`` for None."""
    return empty if value is None else str(value)


def survive_narrow_stdout() -> None:
    """In an ASCII or Latin-1 locale (``PYTHONIOENCODING=ascii``, ``LANG=…ISO-8859-1``) the first "–" or
    "α" a command prints stopped it with an internal error, half its output written. Characters the
    terminal cannot show are written as ``\\u03b1`` escapes instead (:func:`json_escape`: inside a
    ``--json`` string, the same JSON). Exports write UTF-8 bytes themselves."""
    encoding = (getattr(sys.stdout, "encoding", None) or "").lower().replace("_", "-")
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and not encoding.startswith("utf"):
        codecs.register_error("ketlit-json-escape", json_escape)
        reconfigure(errors="ketlit-json-escape")


def json_escape(exc: UnicodeError) -> tuple[str, int]:
    """``\\uXXXX`` for each character a codec cannot encode, astral ones as a surrogate pair, which JSON
    reads back as the character (Python's ``backslashreplace`` writes ``\\U0001f600``, which JSON does not)."""
    if not isinstance(exc, UnicodeEncodeError):
        raise exc
    escaped = []
    for ch in exc.object[exc.start : exc.end]:
        code = ord(ch)
        if code > 0xFFFF:
            code -= 0x10000
            escaped.append(f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}")
        else:
            escaped.append(f"\\u{code:04x}")
    return "".join(escaped), exc.end
