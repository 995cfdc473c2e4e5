"""User TOML files: one reader, one merge, one validator for every file a user can hand ketlit.

Query files, ``ketlit.toml``, claim rules, regulatory facts and tagging rules are all read
here, so a mistake in any of them reads the same way: one line, starting with the file, then
the dotted key, then what is wrong (``q.toml: report.years: must be an integer, got a string``).

Design decisions:

- **Errors are ConfigErrors that start with the path.** Every failure, from a missing file to a
  wrong type three tables deep, is a :class:`~ketlit.errors.ConfigError` whose text starts with
  ``PATH: ``; the CLI turns it into one ``Error: …`` line. Read failures say
  ``PATH: cannot read WHAT: <strerror>``. (:func:`ketlit.files.read_limited` words its errors for
  data files — ``no such file: PATH`` as an InputError — so it is not used here: a user's TOML
  file is configuration, and its errors follow the configuration pattern. The size limit is the
  same idea: at most ``max_bytes + 1`` bytes are read.)
- **Validation is a typed accessor, not a schema language.** :class:`Table` wraps a parsed
  table with the file and its dotted path, and each accessor checks one value's type and
  returns it typed. Callers keep their own domain checks (slugs, regexes, dates) and raise
  them through :meth:`Table.error`, so the prefix is built in one place.
- **Absent and wrong are different.** An absent key gives the caller's default (or
  ``is required``); a present key of the wrong type is always an error, never the default.
- **No normalisation.** Accessors return values as written; collapsing whitespace, stripping
  or de-duplicating are the caller's decisions (a regex in a rules file must not be touched).
- ``bool`` is an ``int`` subclass in Python; ``true`` is never accepted as a number.
- **Numbers are bounded.** TOML allows ``nan``, ``inf`` and integers of any size; no ketlit
  setting means any of them, and downstream they overflow SQLite's integers or date arithmetic
  or loop for ever. :meth:`Table.number` refuses non-finite values, and both accessors refuse
  magnitudes beyond :data:`MAX_NUMBER` unless the caller gives a tighter ``maximum``.
- **Nesting is bounded** (:data:`MAX_DEPTH`): ``a = [[[[…]]]]`` a thousand levels deep would
  otherwise exhaust Python's recursion limit in the parser or in the merge.
- **A misspelt key or value is refused, never ignored.** :meth:`Table.known_keys` and
  :meth:`Table.choice` name the unknown key or value and, when one is close, the valid one it
  probably meant (``did you mean 'adequate_rct_n'?``): an ignored typo silently runs the packaged
  default, which is worse than stopping.
- **Encoding errors say where.** A file that is not UTF-8 (a Latin-1 ``é``) is refused with the
  byte offset and line of the first bad byte, so the user can find it.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from enum import Enum
from importlib import resources
from pathlib import Path
from typing import Any, Final, Self, overload

from ketlit.errors import ConfigError

MAX_TOML_BYTES: Final = 1024 * 1024
# The deepest nesting of tables and arrays a ketlit TOML file may have; none needs more than a few
# levels, and the code that walks a parsed file (merging, validation) recurses per level.
MAX_DEPTH: Final = 32
# The largest magnitude any number in a ketlit TOML file may have (see the module docstring).
MAX_NUMBER: Final = 1_000_000_000


class _Required(Enum):
    """Sentinel type for "no default: the key must be present"."""

    REQUIRED = "required"


REQUIRED: Final = _Required.REQUIRED


@dataclass(frozen=True, slots=True)
class Document:
    """A parsed TOML file: its tables, its exact bytes (for digests) and its name in messages."""

    data: dict[str, Any]
    raw: bytes
    where: str

    def root(self) -> Table:
        """The top-level table, for validation."""
        return Table(self.data, self.where)


def parse(raw: bytes, where: str) -> dict[str, Any]:
    """``raw`` TOML as a dict; one-line :class:`ConfigError` naming ``where`` if it is not UTF-8 or not TOML."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        raise ConfigError(f"{where}: not UTF-8 text: byte {exc.start} (line {line}) is 0x{raw[exc.start]:02x}; "
                          "save the file as UTF-8") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(" ".join(f"{where}: invalid TOML: {exc}".split())) from None
    except RecursionError:  # tomllib recurses once per nested array or inline table
        raise ConfigError(f"{where}: invalid TOML: nested more than {MAX_DEPTH} levels deep") from None
    if _depth(data) > MAX_DEPTH:
        raise ConfigError(f"{where}: invalid TOML: nested more than {MAX_DEPTH} levels deep")
    return data


def _depth(value: object) -> int:
    """How deeply tables and arrays nest in ``value`` (without recursion: the input is hostile)."""
    deepest, stack = 0, [(value, 0)]
    while stack:
        item, level = stack.pop()
        deepest = max(deepest, level)
        if isinstance(item, dict):
            stack.extend((v, level + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, level + 1) for v in item)
    return deepest


def read_user(path: Path, what: str, *, max_bytes: int = MAX_TOML_BYTES) -> Document:
    """Read and parse the user's TOML file ``path`` (``what`` names it in errors: "query file")."""
    try:
        with Path(path).open("rb") as handle:
            raw = handle.read(max_bytes + 1)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read {what}: {exc.strerror or exc}") from None
    if len(raw) > max_bytes:
        raise ConfigError(f"{path}: cannot read {what}: larger than {max_bytes // 1024} KiB")
    return Document(parse(raw, str(path)), raw, str(path))


def read_packaged(name: str) -> Document:
    """Read and parse the data file ``name`` shipped in ``ketlit/data``."""
    raw = resources.files("ketlit").joinpath("data", name).read_bytes()
    where = f"packaged {name}"
    return Document(parse(raw, where), raw, where)


def merge_documents(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` over ``base``: tables merge recursively, every other value (lists too) replaces."""
    merged: dict[str, Any] = dict(base)
    for key, value in user.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_documents(merged[key], value)
        else:
            merged[key] = value
    return merged


def describe(value: object) -> str:
    """A TOML value's type as a message says it: "an integer", "a table"."""
    names = {bool: "a boolean", int: "an integer", float: "a number", str: "a string", list: "a list",
             dict: "a table"}
    for kind, name in names.items():
        if type(value) is kind:
            return name
    return type(value).__name__


def _describe_list(value: object, item: type) -> str:
    # What a list-of-``item`` check found instead: the type, or the first item of the wrong type.
    if isinstance(value, list):
        bad = [v for v in value if not isinstance(v, item)]
        return f"a list containing {describe(bad[0])}" if bad else "a list"
    return describe(value)


def _did_you_mean(word: str, options: Collection[str]) -> str:
    """A hint naming the option closest to a misspelt ``word`` ("; did you mean 'x'?"), or ""."""
    close = difflib.get_close_matches(word, list(options), n=1)
    return f"; did you mean {close[0]!r}?" if close else ""


def _shown(value: float) -> str:
    """A number as a message shows it: a 400-digit integer is cut short, not printed whole."""
    text = str(value)
    return text if len(text) <= 24 else f"{text[:12]}…({len(text)} digits)"


class Table:
    """A parsed TOML table that knows its file and dotted path, with typed, checked accessors.

    Every accessor takes a key of this table; every error is ``ConfigError("FILE: dotted.key: …")``.
    """

    __slots__ = ("data", "file", "path")

    def __init__(self, data: Mapping[str, Any], file: str, path: str = "") -> None:
        self.data = data
        self.file = file
        self.path = path

    def dotted(self, key: str | None = None) -> str:
        """The dotted path of ``key`` in this table (of the table itself when ``key`` is None)."""
        if key is None:
            return self.path
        return f"{self.path}.{key}" if self.path else key

    def error(self, key: str | None, message: str) -> ConfigError:
        """A one-line error about ``key`` (about this table when ``key`` is None)."""
        dotted = self.dotted(key)
        where = f"{self.file}: {dotted}: " if dotted else f"{self.file}: "
        # One line whatever the message quotes (a user's value may hold newlines).
        return ConfigError(where + " ".join(message.split()))

    def names(self) -> list[str]:
        """The keys of this table, in file order."""
        return list(self.data)

    def get(self, key: str) -> Any:
        """The raw value of ``key`` (None when absent), for checks no accessor covers."""
        return self.data.get(key)

    def known_keys(self, allowed: Collection[str]) -> None:
        """Refuse the first key not in ``allowed``: a misspelt key must not be silently ignored."""
        for key in self.data:
            if key not in allowed:
                raise self.error(key, f"unknown key (expected one of: {', '.join(allowed)})"
                                      + _did_you_mean(key, allowed))

    # -- tables -------------------------------------------------------------------------------

    def table(self, key: str) -> Self | None:
        """The sub-table ``key``, or None when absent."""
        value = self.data.get(key)
        if value is None:
            return None
        if not isinstance(value, Mapping):
            raise self.error(key, f"must be a table, got {describe(value)}")
        return type(self)(value, self.file, self.dotted(key))

    def sub(self, key: str) -> Self:
        """The sub-table ``key``; an empty one when absent."""
        found = self.table(key)
        return type(self)({}, self.file, self.dotted(key)) if found is None else found

    def tables(self, key: str) -> list[Self]:
        """The array of tables ``key`` (``[[key]]``); empty when absent."""
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise self.error(key, f"must be a list of tables, got {_describe_list(value, Mapping)}")
        return [type(self)(v, self.file, f"{self.dotted(key)}[{i}]") for i, v in enumerate(value)]

    # -- scalars --------------------------------------------------------------------------------

    def _present(self, key: str, default: object) -> Any:
        value = self.data.get(key)
        if value is None and default is REQUIRED:
            raise self.error(key, "is required")
        return value

    @overload
    def string(self, key: str, default: _Required = ..., *, nonblank: bool = ...) -> str: ...
    @overload
    def string(self, key: str, default: str, *, nonblank: bool = ...) -> str: ...
    @overload
    def string(self, key: str, default: None, *, nonblank: bool = ...) -> str | None: ...

    def string(self, key: str, default: str | _Required | None = REQUIRED, *, nonblank: bool = False) -> str | None:
        """The string ``key`` (``default`` when absent); ``nonblank`` refuses one of only whitespace."""
        value = self._present(key, default)
        if value is None:
            return None if isinstance(default, _Required) else default  # REQUIRED: refused by _present
        if not isinstance(value, str):
            raise self.error(key, f"must be a string, got {describe(value)}")
        if nonblank and not value.strip():
            raise self.error(key, "must not be empty")
        return value

    def strings(self, key: str, *, single: bool = False, nonblank: bool = False) -> tuple[str, ...]:
        """The list of strings ``key`` (empty when absent).

        ``single`` accepts a bare string as a list of one; ``nonblank`` refuses an item of only
        whitespace (the error names the item: ``key[2]``)."""
        value = self.data.get(key)
        if value is None:
            return ()
        if single and isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise self.error(key, f"must be a list of strings, got {_describe_list(value, str)}")
        if nonblank:
            for i, item in enumerate(value):
                if not item.strip():
                    raise self.error(f"{key}[{i}]", "must not be empty")
        return tuple(value)

    @overload
    def integer(self, key: str, default: _Required | int = ..., *, minimum: int | None = ...,
                maximum: int = ...) -> int: ...
    @overload
    def integer(self, key: str, default: None, *, minimum: int | None = ..., maximum: int = ...) -> int | None: ...

    def integer(
        self, key: str, default: int | _Required | None = REQUIRED, *, minimum: int | None = None,
        maximum: int = MAX_NUMBER,
    ) -> int | None:
        """The integer ``key`` (``default`` when absent), at least ``minimum`` if given and at most
        ``maximum`` (in magnitude, :data:`MAX_NUMBER` by default)."""
        value = self._present(key, default)
        if value is None:
            return None if isinstance(default, _Required) else default  # REQUIRED: refused by _present
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.error(key, f"must be an integer, got {describe(value)}")
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be at least {minimum}, got {_shown(value)}")
        if value > maximum or value < -MAX_NUMBER:
            raise self.error(key, f"must be at most {maximum:,}, got {_shown(value)}" if value > maximum
                             else f"must be at least {-MAX_NUMBER:,}, got {_shown(value)}")
        return value

    @overload
    def number(self, key: str, default: _Required | float = ...) -> float: ...
    @overload
    def number(self, key: str, default: None) -> float | None: ...

    def number(self, key: str, default: float | _Required | None = REQUIRED) -> float | None:
        """The finite number ``key`` as a float (``default`` when absent); integers are accepted."""
        value = self._present(key, default)
        if value is None:
            return None if default is None or isinstance(default, _Required) else float(default)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise self.error(key, f"must be a number, got {describe(value)}")
        if isinstance(value, float) and not math.isfinite(value):
            raise self.error(key, f"must be a finite number, got {value}")
        if abs(value) > MAX_NUMBER:
            raise self.error(key, f"must be between {-MAX_NUMBER:,} and {MAX_NUMBER:,}, got {_shown(value)}")
        return float(value)

    @overload
    def boolean(self, key: str, default: _Required | bool = ...) -> bool: ...
    @overload
    def boolean(self, key: str, default: None) -> bool | None: ...

    def boolean(self, key: str, default: bool | _Required | None = REQUIRED) -> bool | None:
        """The boolean ``key`` (``default`` when absent)."""
        value = self._present(key, default)
        if value is None:
            return None if isinstance(default, _Required) else default  # REQUIRED: refused by _present
        if not isinstance(value, bool):
            raise self.error(key, f"must be true or false, got {describe(value)}")
        return value

    def choice(self, key: str, options: Collection[str], default: str | _Required = REQUIRED) -> str:
        """The string ``key``, which must be one of ``options``."""
        value = self.string(key, default)
        if value not in options:
            raise self.error(key, f"must be one of {', '.join(options)}" + _did_you_mean(value, options))
        return value

    def choices(self, key: str, options: Collection[str]) -> tuple[str, ...]:
        """The list of strings ``key`` (empty when absent), each one of ``options`` (an error names the item)."""
        values = self.strings(key)
        for i, value in enumerate(values):
            if value not in options:
                raise self.error(f"{key}[{i}]", f"must be one of {', '.join(options)}" + _did_you_mean(value, options))
        return values


__all__ = [
    "MAX_DEPTH",
    "MAX_NUMBER",
    "MAX_TOML_BYTES",
    "REQUIRED",
    "Document",
    "Table",
    "describe",
    "merge_documents",
    "parse",
    "read_packaged",
    "read_user",
]
