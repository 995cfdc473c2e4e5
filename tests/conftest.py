"""Shared fixtures: paths to ../shared/data, a temp cache, and a guard against real network use."""

from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING

import pytest

from ketlit import native

if TYPE_CHECKING:
    from ketlit.claims.evidence import InMemoryIndex
    from ketlit.claims.rules import Rules

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared(*parts: str) -> Path:
    """A path under ../shared/data, or skip the test with the reason."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not available: {path} (tests read ../shared/data in place)")
    return path


def repo_module(relative: str) -> ModuleType:
    """A bench or tool script of the repo (``bench/claims_accuracy.py``) loaded as a module, registered under its
    name (dataclasses in it resolve their module through ``sys.modules``)."""
    path = REPO / relative
    spec = importlib.util.spec_from_file_location(path.stem, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[path.stem] = module
    spec.loader.exec_module(module)
    return module


# How far a retrained weight may sit from the shipped one: the weights are rounded to 4 decimals, and another
# release of scikit-learn or scipy (lbfgs stops at its tolerance a hair elsewhere) moves a weight that lies
# near a rounding boundary by one step. More than a few steps is a different model.
WEIGHT_TOLERANCE = 5e-4


def assert_same_model(retrained: str, shipped: str) -> None:
    """The retrained model JSON is the shipped one: every field equal, the same features, and every weight
    and bias within :data:`WEIGHT_TOLERANCE` (rounding steps, not a different fit)."""
    new, old = json.loads(retrained), json.loads(shipped)
    numeric = ("bias", "weights")
    assert {k: v for k, v in new.items() if k not in numeric} == {k: v for k, v in old.items() if k not in numeric}
    assert sorted(new["weights"]) == sorted(old["weights"]), "the retrained model keeps other features"
    pairs = [(new["bias"], old["bias"], "bias")] + [(new["weights"][f], old["weights"][f], f) for f in old["weights"]]
    for got, want, name in pairs:
        assert len(got) == len(want), name
        worst = max((abs(a - b) for a, b in zip(got, want, strict=True)), default=0.0)
        assert worst <= WEIGHT_TOLERANCE, f"{name}: retrained weights differ by {worst:g} from the shipped ones"


_real_connect = socket.socket.connect


def _guarded_connect(self: socket.socket, address: object) -> object:
    host = address[0] if isinstance(address, tuple) else address
    if isinstance(host, str) and not (host.startswith("127.") or host in ("localhost", "::1")) and not (
        self.family == socket.AF_UNIX
    ):
        raise RuntimeError(f"test tried to reach the network: {address!r}")
    return _real_connect(self, address)  # type: ignore[arg-type]


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that is not to loopback: tests never call the real services."""
    monkeypatch.setattr(socket.socket, "connect", _guarded_connect)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No developer settings leak into tests; the working directory is a temp dir."""
    for var in (
        "KETLIT_DB", "NCBI_API_KEY", "NCBI_EMAIL", "NCBI_TOOL", "KETLIT_EUTILS_URL", "KETLIT_CTGOV_URL",
        "KETLIT_NCBI_RATE", "KETLIT_CTGOV_RATE", "KETLIT_CONFIG", "KETLIT_PUBMED_CAP", "KETLIT_MAX_RETRIES",
        "KETLIT_BACKOFF_BASE", "KETLIT_BACKOFF_CAP", "KETLIT_BATCH_SIZE", "KETLIT_TIMEOUT", "KETLIT_OVERLAP_DAYS",
        "KETLIT_TAGGING_RULES", "KETLIT_CLAIM_RULES", "KETLIT_REGULATORY", "KETLIT_RUN_DEADLINE",
        "KETLIT_MAX_DECOMPRESSED_MB", "KETLIT_VERDICT_RULES", "KETLIT_REFERENCE_STANDARD",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "cache" / "test.db"


# ------------------------------------------------------------------ tests that need the sources
# Some tests patch a module's function or class (to count calls, or to compare a shortcut with the plain code)
# or inspect ``__slots__``. Code compiled by mypyc (``ketlit.native``) calls its own functions directly, so a
# patch would not be seen and the test would pass without testing anything. On a compiled build, the tests
# marked ``sources`` run once, together, in a child pytest on the sources (``KETLIT_PURE_PYTHON=1``); each
# reports the child's outcome for it.

_RESULTS_ENV = "KETLIT_TEST_RESULTS"
_child_outcomes: dict[str, tuple[str, str]] = {}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "sources: patches or inspects internals that compiled code bypasses; run on the sources"
    )


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    results = os.environ.get(_RESULTS_ENV)
    if results and (report.when == "call" or report.outcome != "passed"):
        with open(results, "a", encoding="utf-8") as out:
            out.write(json.dumps([report.nodeid, report.when, report.outcome, str(report.longrepr or "")]) + "\n")


def _run_on_sources(session: pytest.Session) -> None:
    marked = [item.nodeid for item in session.items if item.get_closest_marker("sources") is not None]
    with tempfile.TemporaryDirectory() as tmp:
        results = Path(tmp) / "results.jsonl"
        env = {**os.environ, "KETLIT_PURE_PYTHON": "1", _RESULTS_ENV: str(results)}
        child = subprocess.run(
            [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *marked],
            cwd=session.config.rootpath, env=env, capture_output=True, text=True, check=False,
        )
        lines = results.read_text(encoding="utf-8").splitlines() if results.exists() else []
    reports = [json.loads(line) for line in lines]
    missing = ("failed", f"no result from the child pytest:\n{child.stdout[-3000:]}{child.stderr[-3000:]}")
    for nodeid in marked:
        _child_outcomes[nodeid] = missing
    for nodeid, when, outcome, detail in reports:  # setup, call, teardown: a pass only where nothing failed before
        if outcome != "passed" or _child_outcomes.get(nodeid) is missing:
            _child_outcomes[nodeid] = (outcome, f"{when}: {detail}")


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    if pyfuncitem.get_closest_marker("sources") is None or not native.guard():
        return None  # the sources are what runs here already
    if not _child_outcomes:
        _run_on_sources(pyfuncitem.session)
    outcome, detail = _child_outcomes.get(pyfuncitem.nodeid, ("failed", "not run on the sources"))
    if outcome == "skipped":
        pytest.skip(f"on the sources: {detail}")
    if outcome != "passed":
        pytest.fail(f"on the sources (KETLIT_PURE_PYTHON=1): {detail}", pytrace=False)
    return True


@pytest.fixture(scope="module")
def rules() -> Rules:
    """The packaged claim rules, as ``ketlit check`` loads them (once per test module)."""
    from ketlit.claims.rules import load_rules

    return load_rules()


@pytest.fixture(scope="module")
def index(rules: Rules) -> InMemoryIndex:
    """The claims fixture records (tests/fixtures/claims_records.json) as an in-memory evidence index."""
    from tests.claims_pages import fixture_index

    return fixture_index(rules)


@pytest.fixture(scope="module")
def claims_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A cache with the claims fixture records imported (``ketlit import``), shared by a module's
    ``ketlit check`` tests."""
    from typer.testing import CliRunner

    from ketlit.cli import app

    path = str(tmp_path_factory.mktemp("claims") / "k.db")
    result = CliRunner().invoke(app, ["--db", path, "import", str(FIXTURES / "efetch_claims_iv_trd.xml")])
    assert result.exit_code == 0, result.stderr
    return path


def cli_ok(db: Path, *args: str) -> str:
    """Run ``ketlit --db DB ARGS…`` in-process (Typer's runner) and return its output; exit 0 is asserted."""
    from typer.testing import CliRunner

    from ketlit.cli import app

    result = CliRunner().invoke(app, ["--db", str(db), *args])
    assert result.exit_code == 0, result.output
    return result.output
