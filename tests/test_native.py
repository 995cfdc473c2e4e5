"""The compiled (mypyc) modules are used only when built from the sources beside them (ketlit.native)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ketlit import native

SUFFIX = native.ext_suffix()


@pytest.fixture(autouse=True)
def no_pure_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests say what the guard decides on its own (the suite may run with KETLIT_PURE_PYTHON=1)."""
    monkeypatch.delenv("KETLIT_PURE_PYTHON", raising=False)


def _fake_build(tmp_path: Path) -> Path:
    """A package tree shaped like a compiled build: two compiled sources, a module they import, one they do not,
    their extensions, mypyc's library and the build record."""
    root = tmp_path / "src" / "ketlit"
    (root / "evidence").mkdir(parents=True)
    (root / "__init__.py").write_text("")
    (root / "evidence" / "__init__.py").write_text("")
    (root / "evidence" / "a.py").write_text("from ketlit.evidence import b\n")
    (root / "evidence" / "b.py").write_text("def f() -> None:\n    from ketlit.helper import X\n")
    (root / "helper.py").write_text("X = 1\n")
    (root / "other.py").write_text("Y = 2\n")
    for name in ("a", "b"):
        (root / "evidence" / f"{name}{SUFFIX}").write_bytes(b"")
    library = root.parent / f"{native.GROUP}__mypyc{SUFFIX}"
    library.write_bytes(b"compiled")
    (root / native.RECORD).write_text(json.dumps(native.build_record(root, library)))
    return root


def _record(root: Path) -> dict[str, object]:
    return dict(json.loads((root / native.RECORD).read_text()))


def test_a_build_of_these_sources_is_used(tmp_path: Path) -> None:
    root = _fake_build(tmp_path)
    assert native.stale_reason(root) is None
    assert set(_record(root)["sources"]) == {"__init__.py", "evidence/__init__.py", "evidence/a.py", "evidence/b.py",
                                              "helper.py"}  # what they import, even inside a function; not other.py
    (root / "other.py").write_text("Y = 3\n")
    assert native.stale_reason(root) is None


def _set(root: Path, key: str, value: object) -> None:
    record = _record(root)
    record[key] = value
    (root / native.RECORD).write_text(json.dumps(record))


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda root: (root / "evidence" / "a.py").write_text("X = 'edited'\n"), "ketlit.evidence.a changed"),
        (lambda root: (root / "helper.py").write_text("X = 2\n"), "ketlit.helper changed"),
        (lambda root: (root / "evidence" / f"b{SUFFIX}").unlink(), "ketlit.evidence.b was not compiled"),
        (lambda root: (root.parent / f"{native.GROUP}__mypyc{SUFFIX}").unlink(), "shared library is missing"),
        (lambda root: (root.parent / f"{native.GROUP}__mypyc{SUFFIX}").write_bytes(b"another"), "not this build's"),
        (lambda root: _set(root, "ext_suffix", ".cpython-399-x.so"), "another interpreter"),
        (lambda root: (root / "evidence" / "c.py").write_text(""), "added or removed"),
        (lambda root: (root / native.RECORD).unlink(), "not a compiled build"),
        (lambda root: (root / native.RECORD).write_text('{"group": '), "cannot be read"),
    ],
    ids=["source edited", "imported source edited", "extension missing", "library missing", "another library",
         "another interpreter", "source added", "no build record", "corrupt record"],
)
def test_a_stale_or_partial_build_is_not_used(tmp_path: Path, change: object, reason: str) -> None:
    root = _fake_build(tmp_path)
    change(root)  # type: ignore[operator]
    got = native.stale_reason(root)
    assert got is not None and reason in got


def test_pure_python_can_be_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_PURE_PYTHON", "1")
    assert native.stale_reason(_fake_build(tmp_path)) == "KETLIT_PURE_PYTHON is set"


def test_the_source_finder_loads_the_py_file_and_never_a_leftover_extension(tmp_path: Path) -> None:
    root = _fake_build(tmp_path)
    finder = native._SourceFinder({"ketlit.evidence.a": root / "evidence" / "a.py", "ketlit.evidence.gone": None})
    spec = finder.find_spec("ketlit.evidence.a", None)
    assert spec is not None and spec.origin == str(root / "evidence" / "a.py")
    assert finder.find_spec("ketlit.evidence.other", None) is None  # not the build's: the usual finders decide
    with pytest.raises(ModuleNotFoundError, match="source is gone"):
        finder.find_spec("ketlit.evidence.gone", None)


def test_every_compiled_source_is_listed_and_no_package_init() -> None:
    sources = native.compiled_sources()
    names = {native.module_name(p, native._ROOT) for p in sources}
    assert "ketlit.evidence.findings" in names and "ketlit.tagging.engine" in names and "ketlit.claims.numbers" in names
    assert not any(p.name == "__init__.py" for p in sources)  # the guard runs from them: they stay sources


_PROBE = "import ketlit, ketlit.evidence.findings as f, ketlit.native as n; print(f.__file__); print(n.build_note())"


def test_an_edited_source_runs_instead_of_its_stale_extension(tmp_path: Path) -> None:
    """On a compiled build (CI's): a copy of the installed tree uses its extensions until a source is edited, then
    every compiled module comes from its source — the edit runs, not the stale build."""
    if not native.guard():
        pytest.skip(f"this install is not a compiled build: {native.build_note()}")
    src = native._ROOT.parent
    copy = tmp_path / "src"
    shutil.copytree(src / "ketlit", copy / "ketlit", ignore=shutil.ignore_patterns("__pycache__"))
    for lib in src.glob("*__mypyc.*"):
        shutil.copy2(lib, copy / lib.name)
    env = {**os.environ, "PYTHONPATH": str(copy)}
    env.pop("KETLIT_PURE_PYTHON", None)

    def probe() -> list[str]:
        run = subprocess.run([sys.executable, "-c", _PROBE], env=env, cwd=tmp_path, capture_output=True, text=True)
        assert run.returncode == 0, run.stderr
        return run.stdout.splitlines()

    path, note = probe()
    assert path.startswith(str(copy)) and path.endswith(SUFFIX) and note == "compiled (mypyc)"
    with (copy / "ketlit" / "tagging" / "engine.py").open("a") as edit:
        edit.write("\n# an edit after the build\n")
    path, note = probe()
    assert path == str(copy / "ketlit" / "evidence" / "findings.py")
    assert note == "pure Python (ketlit.tagging.engine changed since the build)"


def test_the_build_depends_on_what_the_compiled_code_imports() -> None:
    inputs = {p.relative_to(native._ROOT).as_posix() for p in native.build_inputs()}
    assert {"evidence/findings.py", "claims/numbers.py", "claims/rules.py", "sources/models.py"} <= inputs
    assert "numwords.py" in inputs
    assert "cli.py" not in inputs and "report/render.py" not in inputs
