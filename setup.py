"""Build hook: compile the modules every ingested record runs through to C with mypyc, where it can.

Evidence reading and tagging run ~1.35x as many records per second compiled (``bench/``; the same
tags, numbers and profiles, byte for byte: ``tests/test_native_equivalence.py``). Everything else
about the package is in ``pyproject.toml``. What is compiled, and why a changed source is never
shadowed by a stale extension, are in ``src/ketlit/native.py``.

Without a C compiler, with ``KETLIT_PURE_PYTHON=1``, or if mypyc fails, the install goes on with the
sources (the same answers) and writes no build record, so only sources run.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
from pathlib import Path
from typing import Any

from setuptools import setup
from setuptools.command.build_ext import build_ext

_SRC = Path(__file__).resolve().parent / "src"


def _native() -> Any:
    """``ketlit/native.py`` loaded on its own (stdlib only): importing ``ketlit`` here would run its guard."""
    spec = importlib.util.spec_from_file_location("_ketlit_native", _SRC / "ketlit" / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


NATIVE = _native()


def _ext_modules() -> list[Any]:
    # An earlier build's record goes first: it is written again only once this build's extensions exist.
    (_SRC / "ketlit" / NATIVE.RECORD).unlink(missing_ok=True)
    if os.environ.get("KETLIT_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify

        sources = NATIVE.compiled_sources(_SRC / "ketlit")
        # The build environment has none of the type stubs the dev checks use: modules outside the compiled set
        # are type-checked silently (their errors are `mypy`'s business in CI, not the build's).
        paths = [str(p.relative_to(_SRC.parent)) for p in sources]
        exts = mypycify(
            ["--follow-imports=silent", "--ignore-missing-imports", *paths],
            opt_level="3",
            group_name=NATIVE.GROUP,
        )
    except (SystemExit, Exception) as exc:  # mypyc missing (ImportError) or failing: the sources serve
        print(f"ketlit: not compiling with mypyc ({type(exc).__name__}: {exc}); the sources serve", file=sys.stderr)
        return []
    for ext in exts:
        # No C compiler: the install goes on with the sources (build_ext below then writes no record).
        ext.optional = True
    return list(exts)


class BuildExt(build_ext):
    """``build_ext`` that writes the build record once, and only if, every extension was built."""

    def run(self) -> None:
        if not self.extensions:
            super().run()
            return
        # Where the extensions will be: the source tree for an in-place (editable) build, else build_lib.
        outputs = [Path(self.get_ext_fullpath(ext.name)) for ext in self.extensions]
        if self.inplace:  # an editable install: the extensions are copied into the source tree after the build
            for earlier in outputs:
                # An earlier build's extension is removed first: one this build fails to make (an optional
                # extension without a compiler) must not be found there afterwards as if this build made it.
                earlier.unlink(missing_ok=True)
        super().run()
        if not all(p.is_file() for p in outputs):
            print("ketlit: some extensions were not built; the sources will run", file=sys.stderr)
            return
        library = next(p for p in outputs if p.name.startswith(f"{NATIVE.GROUP}__mypyc"))
        package = library.parent / "ketlit"
        record = NATIVE.build_record(_SRC / "ketlit", library)
        target = package / NATIVE.RECORD
        temp = target.with_suffix(".tmp")
        temp.write_text(json.dumps(record, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temp, target)


setup(ext_modules=_ext_modules(), cmdclass={"build_ext": BuildExt})
