"""Issue 11 item 4: runs that never end. A server trickling one byte at a time (body or headers)
cannot keep a request alive past timeout × REQUEST_DEADLINE_FACTOR, nor a fetch run past its
run deadline; CT.gov page tokens that cycle (A→B→A) or repeat stop the run with one line, and
the run is closed as failed, not left ``running``."""

from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.config import Settings, load_settings
from ketlit.errors import ConfigError, ServiceError
from ketlit.http import REQUEST_DEADLINE_FACTOR, RateLimiter, make_client
from ketlit.jobs.ingest import fetch_ctgov, fetch_pubmed
from ketlit.store import open_store
from tests.standins.loopback import LoopbackServer, Request

TIMEOUT = 0.3
EVERY = 0.1  # well below TIMEOUT: no single read ever times out
ESEARCH = b"<eSearchResult><Count>0</Count><IdList/></eSearchResult>"
# Long enough that trickling all of it takes far longer than the deadline.
TRICKLE_SECONDS = 12 * TIMEOUT * REQUEST_DEADLINE_FACTOR


def settings(base: str, **kw: object) -> Settings:
    values: dict[str, object] = {"eutils_url": base, "ctgov_url": base, "timeout": TIMEOUT, "max_retries": 3,
                                 "backoff_base": 0.01, "backoff_cap": 0.01, "ncbi_email": "t@example.org"}
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


def trickle_body(request: Request) -> None:
    body = ESEARCH + b" " * int(TRICKLE_SECONDS / EVERY)
    request.send(f"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\nContent-Length: {len(body)}\r\n\r\n".encode())
    request.trickle(body, EVERY, threading.Event())


def trickle_headers(request: Request) -> None:
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/xml\r\n" + b"X-Slow: " + b"z" * int(TRICKLE_SECONDS / EVERY)
    request.trickle(head + b"\r\nContent-Length: 0\r\n\r\n", EVERY, threading.Event())


@pytest.mark.parametrize("respond", [trickle_body, trickle_headers], ids=["body", "headers"])
def test_a_trickling_server_cannot_outlast_the_request_deadline(respond: object) -> None:
    deadline = TIMEOUT * REQUEST_DEADLINE_FACTOR
    with LoopbackServer(respond) as server:  # type: ignore[arg-type]
        with make_client(settings(server.url), "ncbi", limiter=RateLimiter(1000)) as http:
            started = time.monotonic()
            with pytest.raises(ServiceError, match=r"no complete reply within .* not retried") as info:
                http.request("GET", server.url + "esearch.fcgi", lambda r: r.text, params={"term": "x"})
            elapsed = time.monotonic() - started
        assert len(server.requests) == 1  # a missed deadline is not retried
    assert deadline <= elapsed < deadline + TIMEOUT + 1.0
    assert "\n" not in str(info.value)


def test_a_refresh_against_trickling_services_ends_and_leaves_no_run_running(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The issue's case: refresh, both sources trickling. It ends within the deadlines, says so
    in one line per source, and the next refresh is not locked out."""
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "q.toml").write_text('name = "q"\ntitle = "Q"\n[pubmed]\nterm = "ketamine"\n'
                                                 '[ctgov]\ncond = "depression"\n')
    monkeypatch.setenv("KETLIT_TIMEOUT", str(TIMEOUT))
    args = ["--db", str(tmp_path / "k.db"), "refresh", "--queries-dir", str(tmp_path / "queries"),
            "--out-dir", str(tmp_path / "reports")]
    with LoopbackServer(trickle_body) as server:
        monkeypatch.setenv("KETLIT_EUTILS_URL", server.url)
        monkeypatch.setenv("KETLIT_CTGOV_URL", server.url)
        started = time.monotonic()
        first = CliRunner().invoke(app, args)
        elapsed = time.monotonic() - started
        second = CliRunner().invoke(app, args)
    assert elapsed < 2 * (TIMEOUT * REQUEST_DEADLINE_FACTOR + TIMEOUT) + 10  # two sources, one attempt each
    for result in (first, second):
        # A failure, reported — and the second run was not locked out (4) by the first.
        assert result.exit_code not in (0, 4) and "Traceback" not in result.output, result.output
        assert "no complete reply within" in result.stderr
    store = open_store(tmp_path / "k.db")
    try:
        assert {r.status for r in store.recent_runs(10)} == {"failed"}
    finally:
        store.close()


def test_the_run_deadline_caps_one_attempt_too(tmp_path: Path) -> None:
    """With a run deadline shorter than the request deadline, the trickle stops at the run's
    end, and the run is recorded as failed with that reason."""
    run_deadline = 1.0
    with LoopbackServer(trickle_body) as server:
        cfg = settings(server.url, timeout=5.0, run_deadline=run_deadline)
        store = open_store(tmp_path / "k.db")
        try:
            started = time.monotonic()
            with make_client(cfg, "ncbi", limiter=RateLimiter(1000)) as http, \
                    pytest.raises(ServiceError, match="run passed its deadline"):
                fetch_pubmed(store, http, cfg, "ketamine")
            elapsed = time.monotonic() - started
            (run,) = store.recent_runs(1)
        finally:
            store.close()
    assert elapsed < run_deadline + 1.5
    assert run.status == "failed" and "KETLIT_RUN_DEADLINE" in (run.message or "")


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_the_run_deadline_stops_retries_and_waits() -> None:
    clock = FakeClock()
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(clock.now)
        return httpx.Response(503)

    cfg = settings("https://eutils.test/", max_retries=100, backoff_base=1.0, backoff_cap=4.0, run_deadline=30.0)
    with make_client(cfg, "ncbi", transport=httpx.MockTransport(handler), sleep=clock.sleep,
                     limiter=RateLimiter(1000, clock=clock, sleep=clock.sleep), rng=random.Random(1),
                     clock=clock) as http, pytest.raises(ServiceError, match=r"deadline of 30 s.*HTTP 503"):
        http.request("GET", "https://eutils.test/esearch.fcgi", lambda r: r.text)
    # It stopped well short of its 101 attempts, and never waited past the deadline.
    assert 3 < len(calls) < 100 and clock.now <= cfg.run_deadline


def test_run_deadline_is_configurable_and_checked(tmp_path: Path) -> None:
    assert load_settings(env={"KETLIT_RUN_DEADLINE": "90"}, cwd=tmp_path).run_deadline == 90.0
    (tmp_path / "ketlit.toml").write_text("run_deadline = 600\n")
    assert load_settings(env={}, cwd=tmp_path).run_deadline == 600.0
    for bad in ("0", "-5", "nan", "inf", "soon"):
        with pytest.raises(ConfigError, match="run_deadline"):
            load_settings(env={"KETLIT_RUN_DEADLINE": bad}, cwd=tmp_path)


# -- CT.gov page tokens -------------------------------------------------------------------------


def study(n: int) -> dict[str, object]:
    return {"protocolSection": {"identificationModule": {"nctId": f"NCT{n:08d}", "briefTitle": f"Study {n}"}}}


@pytest.mark.parametrize(("tokens", "looped"), [
    ({None: "A", "A": "B", "B": "A"}, "A"),  # A→B→A
    ({None: "A", "A": "A"}, "A"),  # the same token twice
    ({None: "A", "A": "B", "B": "C", "C": "B"}, "B"),
])
def test_page_tokens_that_loop_stop_the_run_as_failed(tmp_path: Path, tokens: dict[str | None, str],
                                                      looped: str) -> None:
    served: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        token = request.url.params.get("pageToken")
        served.append(token)
        n = len(served)
        # A bound of our own, so that a client that does not notice the loop fails here rather than hangs.
        following = tokens[token] if n < 20 else None
        return httpx.Response(200, json={"studies": [study(n)], "nextPageToken": following, "totalCount": 9})

    cfg = settings("https://ctgov.test/api/v2/")
    store = open_store(tmp_path / "k.db")
    try:
        with make_client(cfg, "ctgov", transport=httpx.MockTransport(handler), limiter=RateLimiter(1000)) as http, \
                pytest.raises(ServiceError, match=rf"page token '{looped}' again .* loops; stopped") as info:
            fetch_ctgov(store, http, cfg, "ketamine")
        (run,) = store.recent_runs(1)
    finally:
        store.close()
    assert len(served) == len(tokens)  # stopped at the first token seen before, asked nothing more
    assert run.status == "failed" and run.message == str(info.value) and "\n" not in run.message
