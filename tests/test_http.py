"""The HTTP layer: exact requests, retries with backoff, rate limiting, redaction."""

from __future__ import annotations

import itertools
import logging
import random

import httpx
import pytest

from ketlit.config import Settings
from ketlit.errors import QueryError, ServiceError
from ketlit.http import BadResponse, RateLimiter, make_client, redact, redact_url


class FakeClock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


def settings(**kw: object) -> Settings:
    base = {"eutils_url": "https://eutils.test/entrez/eutils/", "ncbi_email": "me@example.org"}
    base.update(kw)
    return Settings(**base)  # type: ignore[arg-type]


def _client(handler: httpx.MockTransport, clock: FakeClock, **kw: object):  # type: ignore[no-untyped-def]
    return make_client(
        settings(**kw), "ncbi", transport=handler, sleep=clock.sleep,
        limiter=RateLimiter(3.0, clock=clock, sleep=clock.advance), rng=random.Random(1),
    )


def text(response: httpx.Response) -> str:
    if "<eSearchResult" not in response.text:
        raise BadResponse("not an ESearch document")
    return response.text


def test_tool_email_key_on_every_request_get_and_post() -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, text="<eSearchResult/>")

    clock = FakeClock()
    with _client(httpx.MockTransport(handler), clock, ncbi_api_key="KEY123") as http:
        http.request("GET", "https://eutils.test/entrez/eutils/esearch.fcgi", text, params={"term": "x"})
        http.request("POST", "https://eutils.test/entrez/eutils/efetch.fcgi", text, params={"id": "1,2"})
    get, post = seen
    assert dict(get.url.params) == {"tool": "ketlit", "email": "me@example.org", "api_key": "KEY123", "term": "x"}
    assert post.method == "POST"
    form = dict(httpx.QueryParams(post.content.decode()))
    assert form == {"tool": "ketlit", "email": "me@example.org", "api_key": "KEY123", "id": "1,2"}
    assert get.headers["user-agent"].startswith("ketlit/")


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_retries_transient_statuses(status: int) -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        if len(calls) < 3:
            return httpx.Response(status, json={"error": "API rate limit exceeded", "count": "4"})
        return httpx.Response(200, text="<eSearchResult/>")

    clock = FakeClock()
    with _client(httpx.MockTransport(handler), clock) as http:
        assert http.request("GET", "https://eutils.test/entrez/eutils/esearch.fcgi", text) == "<eSearchResult/>"
        assert http.requests_made == 3 and http.retries == 2
    # Exponential with jitter: attempt n waits between base*2^n/2 and base*2^n.
    assert len(clock.sleeps) == 2
    assert 0.25 <= clock.sleeps[0] <= 0.5 and 0.5 <= clock.sleeps[1] <= 1.0


def test_retries_broken_bodies_connection_errors_and_timeouts() -> None:
    outcomes = iter(["truncated", "connect", "timeout", "html", "ok"])

    def handler(request: httpx.Request) -> httpx.Response:
        kind = next(outcomes)
        if kind == "connect":
            raise httpx.ConnectError("boom https://eutils.test/?api_key=KEY123", request=request)
        if kind == "timeout":
            raise httpx.ReadTimeout("slow", request=request)
        if kind == "truncated":
            return httpx.Response(200, text="<eSearchRes")
        if kind == "html":
            return httpx.Response(200, text="<html>error</html>", headers={"content-type": "text/html"})
        return httpx.Response(200, text="<eSearchResult/>")

    clock = FakeClock()
    with _client(httpx.MockTransport(handler), clock) as http:
        assert http.request("GET", "https://eutils.test/entrez/eutils/esearch.fcgi", text)
        outcomes_seen = [r.outcome for r in http.records]
    assert outcomes_seen[-1] == "ok" and len(outcomes_seen) == 5
    assert all("KEY123" not in r for r in outcomes_seen)


def test_gives_up_with_service_error_and_no_secret() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="<html>down</html>")

    clock = FakeClock()
    with (
        _client(httpx.MockTransport(handler), clock, ncbi_api_key="KEY123", max_retries=2) as http,
        pytest.raises(ServiceError) as info,
    ):
        http.request("GET", "https://eutils.test/entrez/eutils/esearch.fcgi", text, params={"term": "x"})
    assert "after 3 attempts" in str(info.value) and "HTTP 503" in str(info.value)
    # The message names the endpoint, never the query string (no URL walls, no key).
    assert "KEY123" not in str(info.value) and "?" not in str(info.value)
    assert str(info.value).endswith("for https://eutils.test/entrez/eutils/esearch.fcgi")


def test_client_error_is_not_retried_and_shows_service_message() -> None:
    calls = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(1)
        return httpx.Response(400, text="Unknown parameter: query.recrs")

    clock = FakeClock()
    with (
        _client(httpx.MockTransport(handler), clock) as http,
        pytest.raises(QueryError, match=r"Unknown parameter: query\.recrs"),
    ):
        http.request("GET", "https://eutils.test/entrez/eutils/esearch.fcgi", text)
    assert len(calls) == 1


def test_rate_limiter_spaces_requests() -> None:
    clock = FakeClock()
    limiter = RateLimiter(3.0, clock=clock, sleep=clock.sleep)
    times = []
    for _ in range(7):
        limiter.acquire()
        times.append(clock.now)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert all(gap >= 1 / 3 - 1e-9 for gap in gaps)
    # Never more than 3 requests in any 1-second window.
    assert all(sum(1 for t in times if start <= t < start + 1 - 1e-6) <= 3 for start in times)


def test_redaction_helpers_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    assert redact({"api_key": "K", "term": "t"}) == {"api_key": "REDACTED", "term": "t"}
    assert "K" not in redact_url("https://h/p?api_key=K&term=t").replace("ketlit", "")

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(500)

    clock = FakeClock()
    caplog.set_level(logging.DEBUG)
    with (
        _client(httpx.MockTransport(handler), clock, ncbi_api_key="KEY123", max_retries=1) as http,
        pytest.raises(ServiceError),
    ):
        http.request("GET", "https://eutils.test/entrez/eutils/esearch.fcgi", text)
    # httpx itself logs request URLs at INFO: our filter redacts those too.
    assert caplog.records and "KEY123" not in caplog.text
    assert "api_key=REDACTED" in caplog.text
