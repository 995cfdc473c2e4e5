"""The compiled (mypyc) modules are used only when built from the sources beside them (ketlit.native)."""

from __future__ import annotations

import importlib.machinery
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ketlit import native

SUFFIX = importlib.machinery.EXTENSION_SUFFIXES[0]


@pytest.fixture(autouse=True)
def no_pure_python(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests say what the guard decides on its own (the suite may run with KETLIT_PURE_PYTHON=1)."""
    monkeypatch.delenv("KETLIT_PURE_PYTHON", raising=False)


def _fake_build(tmp_path: Path) -> Path:
    """A package tree shaped like a compiled build: two compiled sources, their extensions, the record."""
    root = tmp_path / "src" / "ketlit"
    (root / "evidence").mkdir(parents=True)
    (root / "evidence" / "__init__.py").write_text("")
    for name in ("a", "b"):
        (root / "evidence" / f"{name}.py").write_text(f"X = {name!r}\n")
        (root / "evidence" / f"{name}{SUFFIX}").write_bytes(b"")
    (root.parent / f"grp__mypyc{SUFFIX}").write_bytes(b"")
    sources = {f"ketlit.evidence.{n}": native.source_digest(root / "evidence" / f"{n}.py") for n in ("a", "b")}
    (root / "_native_build.py").write_text(f"GROUP = 'grp'\nSOURCES = {sources!r}\n")
    return root


def test_a_build_of_these_sources_is_used(tmp_path: Path) -> None:
    assert native.stale_reason(_fake_build(tmp_path)) is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (lambda root: (root / "evidence" / "a.py").write_text("X = 'edited'\n"), "ketlit.evidence.a changed"),
        (lambda root: (root / "evidence" / f"b{SUFFIX}").unlink(), "ketlit.evidence.b was not compiled"),
        (lambda root: (root.parent / f"grp__mypyc{SUFFIX}").unlink(), "shared library is missing"),
        (lambda root: (root / "evidence" / "c.py").write_text(""), "added or removed"),
        (lambda root: (root / "_native_build.py").unlink(), "not a compiled build"),
    ],
    ids=["source edited", "extension missing", "shared library missing", "source added", "no build record"],
)
def test_a_stale_or_partial_build_is_not_used(tmp_path: Path, change: object, reason: str) -> None:
    root = _fake_build(tmp_path)
    change(root)  # type: ignore[operator]
    got = native.stale_reason(root)
    assert got is not None and reason in got


def test_pure_python_can_be_asked_for(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_PURE_PYTHON", "1")
    assert native.stale_reason(_fake_build(tmp_path)) == "KETLIT_PURE_PYTHON is set"


def test_the_source_finder_loads_the_py_file(tmp_path: Path) -> None:
    root = _fake_build(tmp_path)
    finder = native._SourceFinder({"ketlit.evidence.a": root / "evidence" / "a.py"})
    spec = finder.find_spec("ketlit.evidence.a", None)
    assert spec is not None and spec.origin == str(root / "evidence" / "a.py")
    assert finder.find_spec("ketlit.evidence.other", None) is None


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
