"""The first run, as a new user meets it (issue 11, "The first run"): a machine that cannot reach
the services fails fast with one line per source and writes nothing; exit 3 means a genuinely
partial result; progress on stderr; the NCBI_EMAIL warning; reports left alone when unchanged;
an unreadable clinic page costs only its own claims.

Everything runs on the in-repo offline fixtures and loopback stand-ins; a dead host is a closed
loopback port (connection refused) or a name whose resolution is made to fail here.
"""

from __future__ import annotations

import io
import json
import os
import socket
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from rich.console import Console
from typer.testing import CliRunner

import ketlit.cli
from ketlit.cli import app
from ketlit.config import Settings
from ketlit.errors import ServiceError, UnreachableError
from ketlit.http import make_client
from tests.conftest import FIXTURES
from tests.standins.ctgov import CtgovStandin
from tests.standins.eutils import EutilsStandin

runner = CliRunner()

OFFLINE = FIXTURES / "offline"
PUBMED_XML = OFFLINE / "efetch_offline_ketamine_set.xml"
PAGE = OFFLINE / "pages" / "clinic_offline_ketamine.html"
DEAD_HOST = "eutils.dead.test"


def query_text(name: str, *, pubmed: bool = True, ctgov: bool = True, pages: tuple[Path, ...] = ()) -> str:
    text = f'name = "{name}"\ntitle = "{name}"\n'
    if pubmed:
        text += '[pubmed]\nterm = "ketamine OR esketamine"\n'
    if ctgov:
        text += '[ctgov]\nintr = "ketamine OR esketamine"\n'
    if pages:
        text += "[check]\npages = [" + ", ".join(json.dumps(str(p)) for p in pages) + "]\n"
    return text


def studies() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(OFFLINE.glob("ctgov_study_*.json"))]


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "queries").mkdir()
    for name in ("alpha", "beta", "gamma"):
        (tmp_path / "queries" / f"{name}.toml").write_text(query_text(name))
    return tmp_path


@pytest.fixture
def dead_dns(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Name resolution of DEAD_HOST fails as it does offline; returns the lookups made."""
    real = socket.getaddrinfo
    lookups: list[str] = []

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == DEAD_HOST:
            lookups.append(host)
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return lookups


def run(work: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(work / "cache" / "k.db"), *args], env=env)
    return result.exit_code, result.stdout, result.stderr


def refresh(work: Path, eutils: str, ctgov: str, *extra: str, **env: str) -> tuple[int, str, str]:
    return run(work, "refresh", "--queries-dir", str(work / "queries"), "--out-dir", str(work / "reports"), *extra,
               env={"KETLIT_EUTILS_URL": eutils, "KETLIT_CTGOV_URL": ctgov, "KETLIT_CTGOV_RATE": "50", **env})


# -- offline: fail fast, one line per source, nothing written ---------------------------------


def test_offline_first_run_fails_fast_with_one_line_per_source(work: Path, dead_dns: list[str]) -> None:
    (work / "reports").mkdir()
    old = work / "reports" / "alpha.md"
    old.write_text("# last week's report\n")
    port = closed_port()
    started = time.monotonic()
    # The default retry settings: before, each source backed off ~30 s before giving up.
    code, out, err = refresh(work, f"https://{DEAD_HOST}/entrez/eutils/", f"http://127.0.0.1:{port}/api/v2/")
    elapsed = time.monotonic() - started
    assert code == 1, err
    assert elapsed < 10, f"took {elapsed:.1f}s"
    lines = err.splitlines()
    assert lines[-1] == "Error: nothing could be fetched; no report was written or changed"
    unreachable = [line for line in lines if "unreachable" in line]
    assert unreachable == [
        f"NCBI E-utilities unreachable ({DEAD_HOST}: name resolution failed) — check the network or set "
        "KETLIT_EUTILS_URL",
        f"ClinicalTrials.gov unreachable (127.0.0.1:{port}: connection refused) — check the network or set "
        "KETLIT_CTGOV_URL",
    ]
    # Three query files, yet each dead source was tried for one request (and one quick retry).
    assert len(dead_dns) <= 2
    assert len(lines) <= 4 and out == ""
    assert "?" not in err and "http" not in err and "Traceback" not in err
    assert old.read_text() == "# last week's report\n"
    assert sorted(p.name for p in (work / "reports").iterdir()) == ["alpha.md"]


def test_one_unreachable_source_is_partial_and_reports_are_written(work: Path) -> None:
    port = closed_port()
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu:
        code, _, err = refresh(work, eu.base_url, f"http://127.0.0.1:{port}/api/v2/", NCBI_EMAIL="t@example.org")
    assert code == 3, err
    assert err.count("ClinicalTrials.gov unreachable") == 1 and "http" not in err
    for name in ("alpha", "beta", "gamma"):
        report = (work / "reports" / f"{name}.md").read_text()
        assert "Stale data:" in report.split("## Summary")[0]


def test_a_query_with_nothing_fetched_and_nothing_cached_is_not_rendered(work: Path) -> None:
    (work / "queries" / "beta.toml").write_text(query_text("beta", pubmed=False))
    for name in ("alpha", "gamma"):
        (work / "queries" / f"{name}.toml").write_text(query_text(name, ctgov=False))
    port = closed_port()
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu:
        code, _, err = refresh(work, eu.base_url, f"http://127.0.0.1:{port}/api/v2/", NCBI_EMAIL="t@example.org")
    assert code == 3, err
    assert sorted(p.name for p in (work / "reports").glob("*.md")) == ["alpha.md", "gamma.md"]
    assert "beta: no report written (nothing fetched for it and nothing cached)" in err


def test_all_up_is_exit_0(work: Path) -> None:
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, out, err = refresh(work, eu.base_url, ct.base_url, NCBI_EMAIL="t@example.org")
    assert code == 0, err
    assert out == "" and sorted(p.name for p in (work / "reports").glob("*.md")) == ["alpha.md", "beta.md",
                                                                                     "gamma.md"]


# -- the HTTP side of "unreachable" -----------------------------------------------------------


def _client(handler: Any, **settings: Any) -> Any:
    sleeps: list[float] = []
    http = make_client(Settings(**settings), "ncbi", transport=httpx.MockTransport(handler), sleep=sleeps.append)
    return http, sleeps


@pytest.mark.parametrize(("error", "attempts"), [(httpx.ConnectError, 2), (httpx.ConnectTimeout, 1)])
def test_a_host_never_reached_is_unreachable_at_once(error: type[httpx.TransportError], attempts: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        raise error("no route", request=request)

    http, sleeps = _client(handler, max_retries=6)
    with http, pytest.raises(UnreachableError) as info:
        http.request("GET", "https://user:secret@eutils.example:8443/entrez/eutils/esearch.fcgi", lambda r: r.text,
                     params={"term": "x" * 500})
    assert len(calls) == attempts and len(sleeps) == attempts - 1
    message = str(info.value)
    assert message.startswith("NCBI E-utilities unreachable (eutils.example:8443: ")
    assert "secret" not in message and "user" not in message and "esearch" not in message and "x" * 20 not in message


def test_connection_errors_after_the_host_answered_are_retried_as_before() -> None:
    outcomes = iter(["ok", "connect", "connect", "connect", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        if next(outcomes) == "connect":
            raise httpx.ConnectError("reset", request=request)
        return httpx.Response(200, text="fine")

    http, sleeps = _client(handler, max_retries=6)
    with http:
        assert http.request("GET", "https://eutils.example/a", lambda r: r.text) == "fine"
        assert http.request("GET", "https://eutils.example/b", lambda r: r.text) == "fine"
    assert len(sleeps) == 3


def test_an_unreachable_error_is_a_service_error_that_survives_pickling() -> None:
    import pickle

    exc = UnreachableError("ClinicalTrials.gov", "h.example", "connection refused", "set X")
    again = pickle.loads(pickle.dumps(exc))
    assert isinstance(again, ServiceError) and str(again) == str(exc) == (
        "ClinicalTrials.gov unreachable (h.example: connection refused) — set X")


# -- progress and the NCBI_EMAIL warning ------------------------------------------------------


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """stderr as a terminal (progress bars are drawn only there)."""
    buffer = io.StringIO()
    monkeypatch.setattr(ketlit.cli, "err", Console(file=buffer, force_terminal=True, width=120, highlight=False,
                                                   soft_wrap=True))
    return buffer


def test_refresh_shows_each_long_step_on_stderr(work: Path, terminal: io.StringIO) -> None:
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, out, _ = refresh(work, eu.base_url, ct.base_url, NCBI_EMAIL="t@example.org")
    assert code == 0 and out == ""
    drawn = terminal.getvalue()
    for step in ("alpha: PubMed", "alpha: ClinicalTrials.gov", "gamma: PubMed", "tagging", "alpha: report",
                 "gamma: report"):
        assert step in drawn, step


def test_quiet_draws_no_progress(work: Path, terminal: io.StringIO) -> None:
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, out, err = refresh(work, eu.base_url, ct.base_url, "-q", NCBI_EMAIL="t@example.org")
    assert code == 0 and out == "" and err == ""
    assert terminal.getvalue() == ""


def test_fetch_shows_its_tagging_tail(tmp_path: Path, terminal: io.StringIO) -> None:
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu:
        result = runner.invoke(app, ["--db", str(tmp_path / "k.db"), "fetch", "pubmed", "ketamine"],
                               env={"KETLIT_EUTILS_URL": eu.base_url, "NCBI_EMAIL": "t@example.org"})
    assert result.exit_code == 0, result.stderr
    drawn = terminal.getvalue()
    assert "PubMed" in drawn and "tagging" in drawn and result.stdout == ""


def test_refresh_warns_once_that_ncbi_email_is_unset(work: Path) -> None:
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, _, err = refresh(work, eu.base_url, ct.base_url)
        assert code == 0, err
        assert err.count("NCBI_EMAIL is not set") == 1
        code, _, err = refresh(work, eu.base_url, ct.base_url, NCBI_EMAIL="t@example.org")
        assert code == 0 and "NCBI_EMAIL" not in err
        code, _, err = refresh(work, eu.base_url, ct.base_url, "--offline")
        assert code == 0 and "NCBI_EMAIL" not in err


# -- reports: left alone when unchanged; an unreadable page costs only its claims ------------


def test_an_unchanged_report_is_not_rewritten_stamp_included(work: Path) -> None:
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        assert refresh(work, eu.base_url, ct.base_url, NCBI_EMAIL="t@example.org")[0] == 0
        path = work / "reports" / "alpha.md"
        body, _, stamp = path.read_text().rstrip("\n").rpartition("\n")
        assert stamp.startswith("Generated: ")
        path.write_text(f"{body}\nGenerated: 2000-01-01T00:00:00Z\n")
        before = os.stat(path)
        code, _, err = refresh(work, eu.base_url, ct.base_url, NCBI_EMAIL="t@example.org")
    assert code == 0 and "alpha: unchanged" in err
    after = os.stat(path)
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    assert path.read_text().endswith("Generated: 2000-01-01T00:00:00Z\n")


def test_an_unreadable_clinic_page_does_not_stop_refresh(work: Path) -> None:
    binary = work / "binary.html"
    binary.write_bytes(b"<html>\x00\x01\x02</html>")
    (work / "queries" / "alpha.toml").write_text(query_text("alpha", pages=(PAGE, binary)))
    (work / "queries" / "beta.toml").write_text(query_text("beta", pages=(work / "moved-away.html",)))
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, _, err = refresh(work, eu.base_url, ct.base_url, NCBI_EMAIL="t@example.org")
    assert code == 3, err
    assert sorted(p.name for p in (work / "reports").glob("*.md")) == ["alpha.md", "beta.md", "gamma.md"]
    assert "alpha: clinic page binary.html not checked: " in err and "beta: clinic page moved-away.html" in err
    alpha = (work / "reports" / "alpha.md").read_text()
    assert "Not checked: the page could not be read" in alpha
    assert "### Claims from clinic_offline" in alpha and "| ✓ Supported |" in alpha  # the readable one
    assert str(work) not in alpha  # the unreadable page is named by its file name only


def test_report_still_refuses_an_unreadable_page(work: Path) -> None:
    binary = work / "binary.html"
    binary.write_bytes(b"\x00\x01\x02")
    (work / "queries" / "alpha.toml").write_text(query_text("alpha", pages=(binary,)))
    assert run(work, "import", str(PUBMED_XML))[0] == 0
    code, _, err = run(work, "report", str(work / "queries" / "alpha.toml"), "--out-dir", str(work / "reports"))
    assert code == 1 and err.startswith("Error: ") and "binary" in err and len(err.splitlines()) == 1


@pytest.mark.parametrize("command", ["report", "refresh"])
def test_out_dir_dash_is_refused(work: Path, command: str) -> None:
    assert run(work, "import", str(PUBMED_XML))[0] == 0
    args = ["--all"] if command == "report" else ["--offline"]
    code, _, err = run(work, command, *args, "--queries-dir", str(work / "queries"), "--out-dir", "-")
    assert code == 1 and err.startswith("Error: --out-dir - is not supported") and len(err.splitlines()) == 1
    assert not (work / "-").exists() and not Path("-").exists()
