"""Use the mypyc-compiled modules only when they were built from the sources beside them.

``pip install`` compiles the modules every ingested record runs through (:data:`COMPILED`) to C
extensions with mypyc (``setup.py``), when a C compiler is there; the extension
(``findings.cpython-311-x86_64-linux-gnu.so``) sits next to ``findings.py``, and Python's import
system prefers it. That is a trap in an editable install (the README's): a changed ``.py`` would
silently not run until the next ``pip install``. So the build writes a record
(``ketlit/_native_build.json``, not in git) once every extension is built: the interpreter's
extension suffix, the SHA-256 of mypyc's shared library, and the SHA-256 of every source the
compiled code was built from — the compiled modules and every ketlit module they import, directly or
not (mypyc builds their types and constants in). :func:`guard`, run by ``ketlit/__init__.py``
before any other ketlit module loads, compares: if any of those sources changed, an extension or
the library is missing or is another one, or the record cannot be read, every compiled module is
loaded from its source instead. All or none: compiled modules call each other directly through the
shared library, so one module from source beside compiled ones would still run the others' stale
code.

``KETLIT_PURE_PYTHON=1`` (at build or at run time) keeps to the sources; answers are the same
either way (``tests/test_native_equivalence.py`` compares them record by record).
"""

from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

# What the build compiles (globs under ``ketlit/``; packages' ``__init__`` stay sources): the code every
# ingested record runs through in the tagging workers. setup.py reads this list.
COMPILED = ("evidence/*.py", "tagging/*.py", "claims/numbers.py")
GROUP = "ketlit_native"  # mypyc's shared library is ``ketlit_native__mypyc<EXT_SUFFIX>``, beside the package
RECORD = "_native_build.json"

_ROOT = Path(__file__).resolve().parent
_state: dict[str, str | None] = {}


def source_digest(path: Path) -> str:
    """SHA-256 of a file's bytes (what the build records and :func:`guard` compares)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ext_suffix() -> str:
    """This interpreter's extension-module suffix (``.cpython-311-x86_64-linux-gnu.so``: sysconfig's
    ``EXT_SUFFIX``, which setuptools names extensions with, without loading sysconfig's data at every start)."""
    return importlib.machinery.EXTENSION_SUFFIXES[0]


def compiled_sources(root: Path = _ROOT) -> list[Path]:
    """The source files the build compiles, in a stable order."""
    return sorted({p for pattern in COMPILED for p in root.glob(pattern) if p.name != "__init__.py"})


def module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root).with_suffix("").parts
    return ".".join(("ketlit", *(parts[:-1] if parts[-1] == "__init__" else parts)))


def _module_file(name: str, root: Path) -> Path | None:
    """The source of ketlit module ``name`` under ``root`` (a package: its ``__init__.py``), or None."""
    rel = Path(*name.split(".")[1:]) if name != "ketlit" else Path()
    for candidate in (root / rel.with_suffix(".py") if rel.parts else None, root / rel / "__init__.py"):
        if candidate is not None and candidate.is_file():
            return candidate
    return None


def _imported(path: Path) -> Iterable[str]:
    """The ketlit modules ``path`` imports anywhere in it (each package on the way too)."""
    import ast  # the build's question, not every start's

    for node in ast.walk(ast.parse(path.read_bytes())):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # ``from ketlit.evidence import numbers``: a submodule or a name; both are looked for.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        for name in names:
            if name == "ketlit" or name.startswith("ketlit."):
                parts = name.split(".")
                yield from (".".join(parts[:k]) for k in range(1, len(parts) + 1))


def build_inputs(root: Path = _ROOT) -> list[Path]:
    """The compiled sources and every ketlit source they import, directly or not: what a build depends on."""
    seen: dict[Path, None] = {}
    todo = list(compiled_sources(root))
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen[path] = None
        todo.extend(f for name in _imported(path) if (f := _module_file(name, root)) is not None and f not in seen)
    return sorted(seen)


def build_record(root: Path, library: Path) -> dict[str, object]:
    """What the build writes once its extensions exist (``root``: the ketlit package; ``library``: mypyc's)."""
    return {
        "group": GROUP,
        "ext_suffix": ext_suffix(),
        "library_sha256": source_digest(library),
        "compiled": [module_name(p, root) for p in compiled_sources(root)],
        "sources": {str(p.relative_to(root).as_posix()): source_digest(p) for p in build_inputs(root)},
    }


def _read_record(root: Path) -> dict[str, Any] | str:
    """The build record, or why there is none to read."""
    try:
        record = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except FileNotFoundError:
        # Not a compiled build (or a pure one over an earlier compiled one: its extensions may still be there).
        return "not a compiled build"
    except (OSError, ValueError) as exc:
        return f"the build record cannot be read ({type(exc).__name__})"
    return record if isinstance(record, dict) else "the build record cannot be read (not an object)"


def stale_reason(root: Path = _ROOT) -> str | None:
    """Why the compiled modules must not be used, or None when they may."""
    return _judge(root, _read_record(root))


def _judge(root: Path, record: dict[str, Any] | str) -> str | None:
    """:func:`stale_reason` once the record is read (:func:`guard` reads it once for this and its finder)."""
    if os.environ.get("KETLIT_PURE_PYTHON"):
        return "KETLIT_PURE_PYTHON is set"
    if isinstance(record, str):
        return record
    try:
        suffix, sources = record["ext_suffix"], record["sources"]
        library = root.parent / f"{record['group']}__mypyc{suffix}"
        compiled, library_sha = list(record["compiled"]), record["library_sha256"]
        items = list(sources.items())
    except (KeyError, TypeError, AttributeError) as exc:
        return f"the build record cannot be read ({type(exc).__name__})"
    if suffix != ext_suffix():
        return f"built for another interpreter ({suffix})"
    if not library.is_file() or source_digest(library) != library_sha:
        return "mypyc's shared library is missing or not this build's: not compiled (no C compiler at install?)"
    current = compiled_sources(root)
    if compiled != [module_name(p, root) for p in current]:
        return "a compiled module's source was added or removed since the build"
    for rel, digest in items:
        path = root / rel
        if not path.is_file() or source_digest(path) != digest:
            return f"{module_name(path, root)} changed since the build"
    for path in current:
        if not path.with_name(path.stem + suffix).is_file():
            return f"{module_name(path, root)} was not compiled"
    return None


class _SourceFinder:
    """Finds the compiled modules' ``.py`` files, ahead of the path finder that prefers extensions.

    A meta path finder needs only ``find_spec`` (not the ``importlib.abc`` base, whose import costs ~10 ms at
    every start).

    A module the build compiled whose source is gone is not found at all: its leftover extension
    would run code no source shows.
    """

    def __init__(self, sources: dict[str, Path | None]) -> None:
        self._sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        if fullname not in self._sources:
            return None
        source = self._sources[fullname]
        if source is None:
            raise ModuleNotFoundError(f"{fullname}: its source is gone (only a stale compiled build remains)")
        return importlib.util.spec_from_file_location(fullname, source)


def guard(root: Path = _ROOT) -> bool:
    """Load the compiled modules from their sources if the build is stale; True when compiled ones are used.

    Decided once per process (:func:`build_note` says how).
    """
    if "reason" not in _state:
        record = _read_record(root)
        reason = _state["reason"] = _judge(root, record)
        if reason is not None:
            recorded = record.get("compiled") if isinstance(record, dict) else None
            sources: dict[str, Path | None] = dict.fromkeys(map(str, recorded) if isinstance(recorded, list) else ())
            sources.update((module_name(p, root), p) for p in compiled_sources(root))
            sys.meta_path.insert(0, _SourceFinder(sources))
    return _state["reason"] is None


def build_note() -> str:
    """How this process runs the compiled set: for ``ketlit --version`` (a user asking why reading is slow)."""
    reason = _state.get("reason", "not decided yet")
    return "compiled (mypyc)" if reason is None else f"pure Python ({reason})"
