"""Use the mypyc-compiled modules only when they were built from the sources beside them.

``pip install`` compiles the modules every ingested record runs through (``setup.py``:
:data:`COMPILED`) to C extensions with mypyc, when a C compiler is there; the
extension (``findings.cpython-311-x86_64-linux-gnu.so``) sits next to ``findings.py``, and
Python's import system prefers it. That is a trap in an editable install (the README's): a
changed ``.py`` would silently not run until the next ``pip install``. So the build records the
SHA-256 of every source it compiled (``ketlit/_native_build.py``, generated, not in git), and
:func:`guard`, run by ``ketlit/__init__.py`` before any other ketlit module loads, compares:
if any compiled source changed, was removed, or its extension (or mypyc's shared library) is
missing, every module of the build is loaded from its source instead. All or none: compiled
modules call each other directly through mypyc's shared library, so one module from source
beside compiled ones would still run the others' stale code.

``KETLIT_PURE_PYTHON=1`` (at build or at run time) keeps to the sources; answers are the same
either way (the test suite runs on the compiled build in CI, and on the sources in a checkout
edited since its install).
"""

from __future__ import annotations

import hashlib
import importlib.abc
import importlib.machinery
import importlib.util
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from types import ModuleType

# What the build compiles (globs under ``ketlit/``; packages' ``__init__`` stay sources): the code every
# ingested record runs through in the tagging workers. setup.py reads this list.
COMPILED = ("evidence/*.py", "tagging/*.py", "claims/numbers.py")

_ROOT = Path(__file__).resolve().parent
_state: dict[str, str | None] = {}


def source_digest(path: Path) -> str:
    """SHA-256 of a source file's bytes (what the build records and :func:`guard` compares)."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def compiled_sources(root: Path = _ROOT) -> list[Path]:
    """The source files the build compiles, in a stable order."""
    return sorted({p for pattern in COMPILED for p in root.glob(pattern) if p.name != "__init__.py"})


def module_name(path: Path, root: Path) -> str:
    return ".".join(("ketlit", *path.relative_to(root).with_suffix("").parts))


def _has_extension(path: Path) -> bool:
    return any(path.with_name(path.stem + suffix).exists() for suffix in importlib.machinery.EXTENSION_SUFFIXES)


def _manifest(root: Path) -> ModuleType | None:
    """The build's record (``_native_build.py`` in ``root``), loaded by path; None when there is none."""
    path = root / "_native_build.py"
    spec = importlib.util.spec_from_file_location("ketlit._native_build", path)
    if spec is None or spec.loader is None or not path.exists():
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def stale_reason(root: Path = _ROOT) -> str | None:
    """Why the compiled modules must not be used, or None when they may."""
    if os.environ.get("KETLIT_PURE_PYTHON"):
        return "KETLIT_PURE_PYTHON is set"
    built = _manifest(root)
    if built is None:
        # Not a compiled build (or a pure one over an earlier compiled one: its extensions may still be there).
        return "not a compiled build"
    recorded: dict[str, str] = built.SOURCES
    if not any(root.parent.glob(f"{built.GROUP}__mypyc.*")):
        return "mypyc's shared library is missing: not compiled (no C compiler at install?)"
    sources = compiled_sources(root)
    if set(recorded) != {module_name(p, root) for p in sources}:
        return "a compiled module's source was added or removed since the build"
    for path in sources:
        name = module_name(path, root)
        if recorded[name] != source_digest(path):
            return f"{name} changed since the build"
        if not _has_extension(path):
            return f"{name} was not compiled"
    return None


class _SourceFinder(importlib.abc.MetaPathFinder):
    """Finds the compiled modules' ``.py`` files, ahead of the path finder that prefers extensions."""

    def __init__(self, sources: dict[str, Path]) -> None:
        self._sources = sources

    def find_spec(
        self, fullname: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> importlib.machinery.ModuleSpec | None:
        source = self._sources.get(fullname)
        return None if source is None else importlib.util.spec_from_file_location(fullname, source)


def guard(root: Path = _ROOT) -> bool:
    """Load the compiled modules from their sources if the build is stale; True when compiled ones are used.

    Decided once per process (:func:`build_note` says how).
    """
    if "reason" not in _state:
        reason = _state["reason"] = stale_reason(root)
        if reason is not None:
            sources = {module_name(p, root): p for p in compiled_sources(root)}
            sys.meta_path.insert(0, _SourceFinder(sources))
    return _state["reason"] is None


def build_note() -> str:
    """How this process runs the compiled set: for ``ketlit --version`` (a user asking why reading is slow)."""
    reason = _state.get("reason", "not decided yet")
    return "compiled (mypyc)" if reason is None else f"pure Python ({reason})"
