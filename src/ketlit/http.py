"""The only place an httpx client is built.

Why our own retry loop: httpx retries connection errors only, while NCBI answers an
overloaded or over-eager client with 429 (no ``Retry-After``) and 5xx, and sometimes
with a 200 whose body is cut short or is an HTML error page. All of these are retried
here with capped exponential backoff and jitter; a body is "good" only once the
caller's ``parse`` function accepted it, so a broken page can never be mistaken for
"no results". Each service host gets one process-wide token bucket so that several
clients (or several windows of one query) still respect the service's rate limit.

Secrets: the NCBI API key is added to every E-utilities request here, and every URL or
parameter set that leaves this module (log lines, error messages, run records) goes
through :func:`redact` first.
"""

from __future__ import annotations

import logging
import random
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Literal, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

from ketlit import __version__
from ketlit.config import Settings
from ketlit.errors import QueryError, ServiceError, UnreachableError

log = logging.getLogger("ketlit.http")

T = TypeVar("T")
Service = Literal["ncbi", "ctgov"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key"})
REDACTED = "REDACTED"


_SECRET_IN_TEXT = re.compile(r"(api_key=)[^&\s\"']+")


class RedactingFilter(logging.Filter):
    """Redacts ``api_key=…`` in any log record, including httpx's own INFO request lines."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets redacted; never drops a record."""
        message = record.getMessage()
        if "api_key=" in message:
            record.msg = _SECRET_IN_TEXT.sub(r"\1" + REDACTED, message)
            record.args = ()
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers that can see request URLs (idempotent)."""
    for name in ("httpx", "httpcore", "ketlit"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in logger.filters):
            logger.addFilter(RedactingFilter())


class BadResponse(Exception):
    """Raised by a ``parse`` callback when a 2xx body is truncated or unparseable (retried)."""


def connect_failure(exc: httpx.ConnectError | httpx.ConnectTimeout) -> str:
    """Why a connection could not be made, in a few words (never the URL)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "connection timed out"
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, socket.gaierror):
            return "name resolution failed"
        if isinstance(cause, ConnectionRefusedError):
            return "connection refused"
        if isinstance(cause, ssl.SSLError):
            return "TLS handshake failed"
        if isinstance(cause, OSError) and cause.strerror:
            return cause.strerror.lower()
        cause = cause.__cause__ or cause.__context__
    return "connection failed"


def redact(params: Mapping[str, object] | None) -> dict[str, str]:
    """A copy of ``params`` with secret values replaced, safe to log or store."""
    return {k: (REDACTED if k in SECRET_PARAMS else str(v)) for k, v in (params or {}).items()}


def redact_url(url: str, params: Mapping[str, object] | None = None) -> str:
    """``url`` with its (redacted) query string, for messages and logs."""
    parts = urlsplit(url)
    base = f"{parts.scheme}://{parts.netloc}{parts.path}"
    query = dict(httpx.QueryParams(parts.query))
    query.update({k: str(v) for k, v in (params or {}).items()})
    return f"{base}?{urlencode(redact(query))}" if query else base


class RateLimiter:
    """Spaces requests at least ``1/rate`` seconds apart (a token bucket of depth one).

    Depth one on purpose: NCBI counts requests per rolling second, so bursts are what
    trigger 429s; evenly spaced requests never do.
    """

    def __init__(
        self,
        rate: float,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.rate = rate
        self._clock = clock
        self._sleep = sleep
        self._next = 0.0
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Block until a request may be sent; return the seconds waited."""
        with self._lock:
            now = self._clock()
            wait = max(0.0, self._next - now)
            if wait:
                self._sleep(wait)
            # 5% below the nominal rate: the service counts arrivals in a rolling second, and
            # network jitter can bring two evenly sent requests closer together on arrival.
            self._next = max(now, self._next) + 1.05 / self.rate
            return float(wait)


_LIMITERS: dict[str, RateLimiter] = {}
_LIMITERS_LOCK = threading.Lock()


def limiter_for(host: str, rate: float) -> RateLimiter:
    """The process-wide limiter for ``host``; its rate follows the latest configuration."""
    with _LIMITERS_LOCK:
        limiter = _LIMITERS.get(host)
        if limiter is None:
            limiter = _LIMITERS[host] = RateLimiter(rate)
        limiter.rate = rate
        return limiter


@dataclass
class RequestRecord:
    """One attempt, as logged and counted (URL already redacted)."""

    method: str
    url: str
    status: int | None
    outcome: str  # "ok", "retry: <reason>", "error: <reason>"
    seconds: float


@dataclass
class HttpClient:
    """A rate-limited, retrying wrapper around one ``httpx.Client``."""

    client: httpx.Client
    service: Service
    limiter: RateLimiter
    default_params: dict[str, str] = field(default_factory=dict)
    max_retries: int = 6
    backoff_base: float = 0.5
    backoff_cap: float = 30.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)
    records: list[RequestRecord] = field(default_factory=list)

    @property
    def label(self) -> str:
        """The service's name as users know it, for messages."""
        return "NCBI E-utilities" if self.service == "ncbi" else "ClinicalTrials.gov"

    @property
    def requests_made(self) -> int:
        """Attempts sent so far, retries included."""
        return len(self.records)

    @property
    def retries(self) -> int:
        """Attempts that were retried."""
        return sum(1 for r in self.records if r.outcome.startswith("retry"))

    def backoff(self, attempt: int) -> float:
        """Capped exponential backoff with 'equal jitter' (half fixed, half random)."""
        delay = min(self.backoff_cap, self.backoff_base * (2.0**attempt))
        return delay / 2 + self.rng.uniform(0, delay / 2)

    def request(
        self,
        method: Literal["GET", "POST"],
        url: str,
        parse: Callable[[httpx.Response], T],
        *,
        params: Mapping[str, str] | None = None,
    ) -> T:
        """Send ``params`` (query string for GET, form body for POST) and return ``parse(response)``.

        Retries transient failures; raises :class:`QueryError` for a request the service
        rejects (4xx other than 429) and :class:`ServiceError` once retries run out.
        """
        merged = {**self.default_params, **(params or {})}
        shown = redact_url(url, merged)
        last = "no attempt made"
        for attempt in range(self.max_retries + 1):
            self.limiter.acquire()
            started = time.monotonic()
            status: int | None = None
            try:
                if method == "GET":
                    response = self.client.get(url, params=merged)
                else:
                    response = self.client.post(url, data=merged)
                status = response.status_code
                if status in RETRY_STATUSES:
                    reason = f"HTTP {status}"
                elif status >= 400:
                    self._record(method, shown, status, f"error: HTTP {status}", started)
                    raise self._client_error(response, redact_url(url))
                else:
                    result = parse(response)
                    self._record(method, shown, status, "ok", started)
                    return result
            except BadResponse as exc:
                reason = f"bad body: {exc}"
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                reason = connect_failure(exc)
                # A host this client never reached is most likely down or offline: one quick retry
                # for a resolver blip (none after a connect timeout, already a long wait), then a
                # one-line UnreachableError instead of minutes of backoff. Once reached, a
                # connection error is a transient fault like any other.
                if not self.reached and (attempt >= 1 or isinstance(exc, httpx.ConnectTimeout)):
                    self._record(method, shown, None, f"error: {reason}", started)
                    raise self._unreachable(url, reason) from None
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as exc:
                # The message of a transport error can quote the URL; use the type only.
                reason = f"connection error ({type(exc).__name__})"
            last = reason
            self._record(method, shown, status, f"retry: {reason}", started)
            if attempt < self.max_retries:
                delay = self.backoff(attempt)
                log.info("%s: %s on %s; retrying in %.1fs", self.label, reason, shown, delay)
                self.sleep(delay)
        # The endpoint, not the full request URL: a term can make that hundreds of characters.
        raise ServiceError(f"{self.label} failed after {self.max_retries + 1} attempts ({last}) for {redact_url(url)}")

    def _record(self, method: str, url: str, status: int | None, outcome: str, started: float) -> None:
        self.records.append(RequestRecord(method, url, status, outcome, time.monotonic() - started))
        log.debug("%s %s -> %s (%s)", method, url, status, outcome)

    @property
    def reached(self) -> bool:
        """Whether any attempt of this client got an HTTP answer."""
        return any(r.status is not None for r in self.records)

    def _unreachable(self, url: str, reason: str) -> UnreachableError:
        parts = urlsplit(url)
        host = parts.hostname or parts.netloc.rpartition("@")[2]  # never the credentials of a URL
        if ":" in host:
            host = f"[{host}]"
        host += f":{parts.port}" if parts.port else ""
        setting = "KETLIT_EUTILS_URL" if self.service == "ncbi" else "KETLIT_CTGOV_URL"
        return UnreachableError(self.label, host, reason, f"check the network or set {setting}")

    def _client_error(self, response: httpx.Response, endpoint: str) -> Exception:
        body = " ".join(response.text.split())[:500]
        if "<html" in body.lower():
            body = "(HTML error page)"
        if response.status_code in (400, 422):
            # The service's own message is the most useful thing we can show.
            return QueryError(f"{self.label} rejected the request (HTTP {response.status_code}): {body}")
        return ServiceError(f"{self.label} answered HTTP {response.status_code} for {endpoint}: {body}")

    def close(self) -> None:
        """Close the underlying httpx client."""
        self.client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def make_client(
    settings: Settings,
    service: Service,
    *,
    transport: httpx.BaseTransport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    limiter: RateLimiter | None = None,
    rng: random.Random | None = None,
) -> HttpClient:
    """Build the client for ``service`` from ``settings`` (tests pass a transport)."""
    install_log_redaction()
    base = settings.eutils_url if service == "ncbi" else settings.ctgov_url
    contact = f" (mailto:{settings.ncbi_email})" if settings.ncbi_email else ""
    headers = {"User-Agent": f"ketlit/{__version__}{contact}"}
    default_params: dict[str, str] = {}
    if service == "ncbi":
        rate = settings.ncbi_rate_limit
        default_params["tool"] = settings.ncbi_tool
        if settings.ncbi_email:
            default_params["email"] = settings.ncbi_email
        if settings.ncbi_api_key:
            default_params["api_key"] = settings.ncbi_api_key
    else:
        rate = settings.ctgov_rate
    client = httpx.Client(
        transport=transport,
        headers=headers,
        timeout=httpx.Timeout(settings.timeout, connect=min(10.0, settings.timeout)),
        follow_redirects=True,
    )
    return HttpClient(
        client=client,
        service=service,
        limiter=limiter or limiter_for(urlsplit(base).netloc, rate),
        default_params=default_params,
        max_retries=settings.max_retries,
        backoff_base=settings.backoff_base,
        backoff_cap=settings.backoff_cap,
        sleep=sleep,
        rng=rng or random.Random(),
    )
