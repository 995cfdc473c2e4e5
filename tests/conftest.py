"""Shared fixtures: paths to ../shared/data, a temp cache, and a guard against real network use."""

from __future__ import annotations

import importlib.util
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest

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
        "KETLIT_MAX_DECOMPRESSED_MB",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.chdir(tmp_path)


@pytest.fixture
def db_path(tmp_path: Path) -> Iterator[Path]:
    yield tmp_path / "cache" / "test.db"
