"""Build hook: compile the modules every ingested record runs through to C with mypyc, where it can.

The evidence reader is ~1.35x as fast compiled (``bench/evidence_reading.py``; the same profiles,
byte for byte). Everything else about the package is in ``pyproject.toml``. The compiled set, and
why a changed source is never shadowed by a stale extension, are in ``src/ketlit/native.py``.
"""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path
from typing import Any

from setuptools import setup

_SRC = Path(__file__).resolve().parent / "src"
GROUP = "ketlit_native"  # mypyc's shared library: ketlit_native__mypyc.*.so, beside the ketlit package


def _native() -> Any:
    """``ketlit/native.py`` loaded on its own (stdlib only): importing ``ketlit`` here would run its guard."""
    spec = importlib.util.spec_from_file_location("_ketlit_native", _SRC / "ketlit" / "native.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _ext_modules() -> list[object]:
    manifest = _SRC / "ketlit" / "_native_build.py"
    manifest.unlink(missing_ok=True)
    if os.environ.get("KETLIT_PURE_PYTHON"):
        return []
    try:
        from mypyc.build import mypycify
    except ImportError:  # built without the build requirements (--no-build-isolation): the sources serve
        return []
    native = _native()
    sources = native.compiled_sources(_SRC / "ketlit")
    digests = {native.module_name(p, _SRC / "ketlit"): native.source_digest(p) for p in sources}
    # The build environment has none of the type stubs the dev checks use: modules outside the compiled set are
    # type-checked silently (their errors are `mypy`'s business in CI, not the build's).
    exts = mypycify(
        ["--follow-imports=silent", "--ignore-missing-imports", *(str(p.relative_to(_SRC.parent)) for p in sources)],
        opt_level="3",
        group_name=GROUP,
    )
    for ext in exts:
        # No C compiler: the install goes on with the sources, which give the same answers (native.guard
        # sees the missing extensions and loads every compiled module from its source).
        ext.optional = True
    lines = [f"{name!r}: {digest!r}," for name, digest in sorted(digests.items())]
    manifest.write_text(
        '"""Written by setup.py: what the mypyc build compiled (see ketlit.native). Not in git."""\n\n'
        f"GROUP = {GROUP!r}\nSOURCES = {{\n" + "".join(f"    {line}\n" for line in lines) + "}\n"
    )
    return list(exts)


setup(ext_modules=_ext_modules())
