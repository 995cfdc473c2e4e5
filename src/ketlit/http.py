"""The only place an httpx client is built.

Why our own retry loop: httpx retries connection errors only, while NCBI answers an
overloaded or over-eager client with 429 (no ``Retry-After``) and 5xx, and sometimes
with a 200 whose body is cut short or is an HTML error page. All of these are retried
here with capped exponential backoff and jitter; a body is "good" only once the
caller's ``parse`` function accepted it, so a broken page can never be mistaken for
"no results". Each service host gets one process-wide token bucket so that several
clients (or several windows of one query) still respect the service's rate limit.

Unattended runs must end, whatever the service does:

- **Deadlines.** httpx's timeouts bound each socket operation, so a server trickling one
  byte every few seconds never trips them. Each attempt therefore also has a wall-clock
  deadline, ``timeout`` × :data:`REQUEST_DEADLINE_FACTOR`, and each client (one fetch run) a
  ``run_deadline`` that covers its retries and backoff waits too. The attempt's deadline is
  checked between body chunks and enforced by a watchdog timer that shuts down the
  connection's socket, which also ends a response whose *headers* trickle in. A missed
  deadline is not retried: a server that slow now is slow on the next try too.
- **Bodies are read by us, capped.** Responses are streamed raw and decoded here
  (gzip/deflate only; we ask for nothing else), a bounded amount of output at a time, so
  a decompression bomb is refused once it passes ``max_decompressed_mb`` instead of
  filling memory. An oversized reply is not retried either.
- **Redirects are followed by hand,** within the same origin only: a redirect elsewhere is
  an error, so the API key (a query parameter) and URL credentials never travel to a host
  the user did not configure.

Secrets: the NCBI API key is added to every E-utilities request here. Everything that
leaves this module goes through :mod:`ketlit.redact`: error messages (which name the
endpoint only — scheme, host and path, never the query string or userinfo), log records
(:class:`RedactingFilter`), and the reply bodies themselves (:func:`ketlit.redact.redact_bytes`),
so a service echoing the key cannot carry it into the database, a report or an export.
"""

from __future__ import annotations

import contextlib
import logging
import random
import socket
import ssl
import threading
import time
import zlib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx

from ketlit import __version__
from ketlit.config import ENV_VARS, Settings
from ketlit.errors import ConfigError, KetlitError, QueryError, ServiceError, UnreachableError
from ketlit.redact import REDACTED, add_secrets, one_line, redact_bytes, redact_text

log = logging.getLogger("ketlit.http")

T = TypeVar("T")
Service = Literal["ncbi", "ctgov"]

RETRY_STATUSES = frozenset({429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key"})
# One attempt (connect, send, headers, body) may take this many times the socket timeout.
REQUEST_DEADLINE_FACTOR = 10.0
MAX_REDIRECTS = 5
# Of an error reply (4xx/5xx) only this much is read: it is shown, never parsed.
ERROR_BODY_BYTES = 64 * 1024
# A GET whose URL would be longer than this is sent as a POST. Counted in bytes of the
# percent-encoded URL, as servers count it: a non-ASCII character is 6-9 bytes ("%C3%A9").
MAX_GET_URL_BYTES = 2000
_DECODED_AWAY = frozenset({"content-encoding", "content-length", "transfer-encoding"})

__all__ = [
    "REDACTED", "REQUEST_DEADLINE_FACTOR", "BadResponse", "HttpClient", "RateLimiter", "RedactingFilter",
    "RequestRecord", "endpoint", "install_log_redaction", "limiter_for", "make_client", "redact", "redact_url",
]

# Loggers that can see request URLs. A logger's filters do not apply to records propagated from
# its children, so httpcore's (which log on "httpcore.http11" etc.) are named one by one.
_LOGGERS = ("httpx", "httpcore", "httpcore.connection", "httpcore.http11", "httpcore.proxy", "ketlit",
            "ketlit.http")


class RedactingFilter(logging.Filter):
    """Redacts secrets (:func:`ketlit.redact.redact_text`) in any log record, httpx's own INFO
    request lines included."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message with secrets redacted; never drops a record."""
        message = record.getMessage()
        clean = redact_text(message)
        if clean != message:
            record.msg = clean
            record.args = ()
        return True


def install_log_redaction() -> None:
    """Attach the redacting filter to the loggers that can see request URLs (idempotent)."""
    for name in _LOGGERS:
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
    return {k: (REDACTED if k in SECRET_PARAMS else redact_text(str(v))) for k, v in (params or {}).items()}


def endpoint(url: str) -> str:
    """``url`` as error messages show it: scheme, host, port and path; no userinfo, no query."""
    parts = urlsplit(url)
    host = parts.netloc.rpartition("@")[2]
    return redact_text(f"{parts.scheme}://{host}{parts.path}")


def redact_url(url: str, params: Mapping[str, object] | None = None) -> str:
    """``url`` with its (redacted) query string and without userinfo, for debug logs."""
    query = dict(httpx.QueryParams(urlsplit(url).query))
    query.update({k: str(v) for k, v in (params or {}).items()})
    base = endpoint(url)
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


# -- reading a body: deadline and decompression cap ---------------------------------------------


class _TooLarge(Exception):
    """The body passed its size limit (after decoding)."""


class _DeadlinePassed(Exception):
    """The attempt's wall-clock deadline passed while the body was arriving."""


class _Body:
    """Accumulates a response body, decoding gzip/deflate a bounded amount at a time.

    ``zlib``'s ``max_length`` keeps each step's output to what is left under ``limit`` (plus
    one byte, to notice the overflow), so a bomb costs at most ``limit`` bytes of memory."""

    def __init__(self, content_encoding: str, limit: int) -> None:
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        codings = [c for c in codings if c != "identity"]
        if len(codings) > 1 or (codings and codings[0] not in ("gzip", "x-gzip", "deflate")):
            raise BadResponse(f"unsupported Content-Encoding {one_line(content_encoding)[:40]!r}")
        # 32 + MAX_WBITS: zlib reads a gzip or a zlib header, whichever is there.
        self._zlib = zlib.decompressobj(32 + zlib.MAX_WBITS) if codings else None
        self.limit = limit
        self.size = 0
        self._parts: list[bytes] = []

    def feed(self, chunk: bytes) -> None:
        """Add a raw chunk; raises :class:`_TooLarge` once the decoded body passes ``limit``."""
        if self._zlib is None:
            self._add(chunk)
            return
        data = chunk
        while data and not self._zlib.eof:  # anything after the end of the stream is ignored, as httpx does
            try:
                out = self._zlib.decompress(data, self.limit - self.size + 1)
            except zlib.error as exc:
                raise BadResponse(f"corrupt compressed body ({exc})") from None
            self._add(out)
            data = self._zlib.unconsumed_tail

    def _add(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            keep = len(data) - (self.size - self.limit)
            self._parts.append(data[:keep])
            self.size = self.limit
            raise _TooLarge
        self._parts.append(data)

    def content(self, *, complete: bool) -> bytes:
        """The decoded body; with ``complete``, a compressed stream must have reached its end."""
        if complete and self._zlib is not None and not self._zlib.eof:
            raise BadResponse("compressed body ends before the end of its stream")
        return b"".join(self._parts)


def _read_body(response: httpx.Response, limit: int, deadline: float, *, truncate: bool) -> bytes:
    """The decoded body of a streamed ``response``: at most ``limit`` bytes (``truncate``: cut
    there; otherwise :class:`_TooLarge`), :class:`_DeadlinePassed` once ``deadline`` passes."""
    if response.is_stream_consumed:
        # Only a test transport hands over a response it has already read (and decoded).
        body = _Body("", limit)
        with contextlib.suppress(_TooLarge):
            body.feed(response.content)
        if body.size >= limit and not truncate:
            raise _TooLarge
        return body.content(complete=False)
    body = _Body(response.headers.get("content-encoding", ""), limit)
    length = response.headers.get("content-length", "")
    if not truncate and length.isdigit() and "content-encoding" not in response.headers and int(length) > limit:
        raise _TooLarge
    try:
        for chunk in response.iter_raw():
            if time.monotonic() > deadline:
                raise _DeadlinePassed
            body.feed(chunk)
    except _TooLarge:
        if not truncate:
            raise
        return body.content(complete=False)
    return body.content(complete=not truncate)


class _Sockets:
    """The sockets of one client's connections, learnt from httpcore's ``trace`` events, so
    that a watchdog can cut them when an attempt's deadline passes."""

    def __init__(self) -> None:
        self._socks: list[socket.socket] = []

    def trace(self, event: str, info: Mapping[str, Any]) -> None:
        """httpcore trace callback: remember the socket of each new (or TLS-wrapped) connection."""
        if event not in ("connection.connect_tcp.complete", "connection.start_tls.complete"):
            return
        stream = info.get("return_value")
        sock = stream.get_extra_info("socket") if stream is not None else None
        if isinstance(sock, socket.socket):
            # A closed socket (or one wrapped for TLS, which detaches it) has no descriptor left.
            self._socks = [s for s in self._socks if s.fileno() != -1] + [sock]

    def cut(self) -> None:
        """Shut every known socket down: a ``recv`` blocked in another thread returns at once."""
        for sock in list(self._socks):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


@contextlib.contextmanager
def _watchdog(deadline: float, sockets: _Sockets) -> Iterator[threading.Event]:
    """Cut ``sockets`` at ``deadline`` (monotonic); the yielded event tells whether it fired.
    The timer thread is joined on exit, so none outlives the attempt (workers fork later)."""
    fired = threading.Event()

    def expire() -> None:
        fired.set()
        sockets.cut()

    timer = threading.Timer(max(0.0, deadline - time.monotonic()), expire)
    timer.daemon = True
    timer.start()
    try:
        yield fired
    finally:
        timer.cancel()
        timer.join()


def _origin(url: httpx.URL) -> tuple[str, str, int | None]:
    default = {"http": 80, "https": 443}.get(url.scheme)
    return url.scheme, url.host, url.port or default


def _scrubbed(exc: KetlitError) -> KetlitError:
    """``exc`` itself if its message is clean and on one line, else the same kind of error with a
    cleaned message (raised ``from None``, so the original text is not chained either)."""
    text = one_line(str(exc))
    return exc if text == str(exc) else type(exc)(text)


# -- the client -------------------------------------------------------------------------------


@dataclass
class HttpClient:
    """A rate-limited, retrying wrapper around one ``httpx.Client`` (one fetch run)."""

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
    timeout: float = 30.0
    run_deadline: float | None = None  # seconds from creation; None: no limit
    max_body: int = 512 * 1024**2
    clock: Callable[[], float] = time.monotonic  # for the run deadline (backoff waits use ``sleep``)

    def __post_init__(self) -> None:
        self._run_ends = None if self.run_deadline is None else self.clock() + self.run_deadline
        self._sockets = _Sockets()

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

    def url_bytes(self, url: str, params: Mapping[str, str]) -> int:
        """Length in bytes of the GET URL for ``params`` (default parameters included), encoded."""
        query = urlencode({**self.default_params, **params})
        return len(url.encode()) + 1 + len(query)

    def method_for(self, url: str, params: Mapping[str, str]) -> Literal["GET", "POST"]:
        """GET, or POST when the GET URL would pass :data:`MAX_GET_URL_BYTES`."""
        return "POST" if self.url_bytes(url, params) > MAX_GET_URL_BYTES else "GET"

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
        rejects (4xx other than 429) and :class:`ServiceError` once retries run out, or at once
        for a missed deadline, an oversized body or a redirect to another origin. Every
        message is one line, redacted.
        """
        merged = {**self.default_params, **(params or {})}
        shown = endpoint(url)
        last: str | None = None
        for attempt in range(self.max_retries + 1):
            self._check_run_deadline(last)
            self.limiter.acquire()
            started = time.monotonic()
            status: int | None = None
            try:
                response = self._fetch(method, url, merged, shown)
                status = response.status_code
                if status in RETRY_STATUSES:
                    reason = f"HTTP {status}"
                elif status >= 400:
                    raise self._client_error(response, shown)
                else:
                    result = parse(response)
                    self._record(method, url, merged, status, "ok", started)
                    return result
            except KetlitError as exc:
                clean = _scrubbed(exc)
                self._record(method, url, merged, status, f"error: {clean}", started)
                if clean is exc:
                    raise
                raise clean from None
            except BadResponse as exc:
                reason = f"bad body: {exc}"
            except (httpx.ConnectError, httpx.ConnectTimeout) as exc:
                reason = connect_failure(exc)
                # A host this client never reached is most likely down or offline: one quick retry
                # for a resolver blip (none after a connect timeout, already a long wait), then a
                # one-line UnreachableError instead of minutes of backoff. Once reached, a
                # connection error is a transient fault like any other.
                if not self.reached and (attempt >= 1 or isinstance(exc, httpx.ConnectTimeout)):
                    self._record(method, url, merged, None, f"error: {reason}", started)
                    raise self._unreachable(url, reason) from None
            except (ValueError, RecursionError) as exc:
                # A parser choking on a body (a number too long to read, JSON nested too deep):
                # an unexpected answer like a truncated one, never a traceback.
                reason = f"unreadable body ({type(exc).__name__})"
            except httpx.TimeoutException:
                reason = "timeout"
            except httpx.TransportError as exc:
                # The message of a transport error can quote the URL; use the type only.
                reason = f"connection error ({type(exc).__name__})"
            except httpx.InvalidURL:
                raise ConfigError(f"{self.label}: cannot build a request URL from {shown}") from None
            last = one_line(reason)[:300]
            self._record(method, url, merged, status, f"retry: {last}", started)
            if attempt < self.max_retries:
                delay = self.backoff(attempt)
                self._check_run_deadline(last, wait=delay)
                log.info("%s: %s on %s; retrying in %.1fs", self.label, last, shown, delay)
                self.sleep(delay)
        # The endpoint, not the full request URL: a term can make that hundreds of characters.
        raise ServiceError(one_line(f"{self.label} failed after {self.max_retries + 1} attempts ({last}) for {shown}"))

    def _check_run_deadline(self, last: str | None, wait: float = 0.0) -> None:
        """ServiceError if the run's deadline has passed, or would pass during a ``wait``."""
        if self._run_ends is not None and self.clock() + wait >= self._run_ends:
            raise ServiceError(one_line(
                f"{self.label}: stopped, the run passed its deadline of {self.run_deadline:g} s "
                f"(run_deadline, {ENV_VARS['run_deadline']})" + (f"; last attempt: {last}" if last else "")
            ))

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

    def _fetch(self, method: str, url: str, params: Mapping[str, str], shown: str) -> httpx.Response:
        """One attempt, redirects included, within its deadline: the response with its whole
        body decoded, capped and redacted (only :data:`ERROR_BODY_BYTES` of an error reply)."""
        budget = self.timeout * REQUEST_DEADLINE_FACTOR
        by_run = False
        if self._run_ends is not None and self._run_ends - self.clock() < budget:
            budget, by_run = max(0.0, self._run_ends - self.clock()), True
        deadline = time.monotonic() + budget
        with _watchdog(deadline, self._sockets) as fired:
            try:
                response = self._send(method, url, params, shown)
                try:
                    error = response.status_code >= 400
                    body = _read_body(response, ERROR_BODY_BYTES if error else self.max_body, deadline,
                                      truncate=error)
                finally:
                    response.close()
            except (_DeadlinePassed, httpx.TransportError) as exc:
                if not (isinstance(exc, _DeadlinePassed) or fired.is_set() or time.monotonic() >= deadline):
                    raise
                raise self._deadline_error(shown, budget, by_run) from None
            except _TooLarge:
                raise ServiceError(
                    f"{self.label} sent a reply larger than {self.max_body / 1024**2:g} MiB once decompressed "
                    f"for {shown}; refused (max_decompressed_mb, {ENV_VARS['max_decompressed_mb']})"
                ) from None
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DECODED_AWAY]
        return httpx.Response(response.status_code, headers=headers, content=redact_bytes(body),
                              request=response.request)

    def _deadline_error(self, shown: str, budget: float, by_run: bool) -> ServiceError:
        if by_run:
            return ServiceError(
                f"{self.label}: stopped, the run passed its deadline of {self.run_deadline:g} s "
                f"(run_deadline, {ENV_VARS['run_deadline']}) while waiting for {shown}"
            )
        return ServiceError(
            f"{self.label} sent no complete reply within {budget:g} s ({REQUEST_DEADLINE_FACTOR:g} × timeout "
            f"of {self.timeout:g} s) for {shown}; not retried"
        )

    def _send(self, method: str, url: str, params: Mapping[str, str], shown: str) -> httpx.Response:
        """Send, following same-origin redirects only; the final response is streamed, unread."""
        trace = {"trace": self._sockets.trace}
        if method == "GET":
            request = self.client.build_request(method, url, params=params, extensions=trace)
        else:
            request = self.client.build_request(method, url, data=params, extensions=trace)
        origin = _origin(request.url)
        for _ in range(MAX_REDIRECTS + 1):
            response = self.client.send(request, stream=True, follow_redirects=False)
            target = response.next_request
            if target is None:
                return response
            response.close()
            if _origin(target.url) != origin:
                var = ENV_VARS["eutils_url" if self.service == "ncbi" else "ctgov_url"]
                raise ServiceError(
                    f"{self.label} redirected {shown} to another site ({endpoint(str(target.url))}); not followed, "
                    f"so the API key and credentials stay with the configured host. If the service has moved, "
                    f"set {var} to its new address"
                )
            request = target
        raise ServiceError(f"{self.label}: more than {MAX_REDIRECTS} redirects for {shown}")

    def _record(self, method: str, url: str, params: Mapping[str, str], status: int | None, outcome: str,
                started: float) -> None:
        self.records.append(RequestRecord(method, endpoint(url), status, outcome, time.monotonic() - started))
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s -> %s (%s)", method, redact_url(url, params), status, outcome)

    def _client_error(self, response: httpx.Response, shown: str) -> KetlitError:
        body = one_line(response.text)[:500]
        if "<html" in body.lower():
            body = "(HTML error page)"
        if response.status_code in (400, 422):
            # The service's own message is the most useful thing we can show.
            return QueryError(f"{self.label} rejected the request (HTTP {response.status_code}): {body}")
        return ServiceError(f"{self.label} answered HTTP {response.status_code} for {shown}: {body}")

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
    clock: Callable[[], float] = time.monotonic,
) -> HttpClient:
    """Build the client for ``service`` from ``settings`` (tests pass a transport); its run
    deadline starts now."""
    install_log_redaction()
    add_secrets(settings.secrets())
    base = settings.eutils_url if service == "ncbi" else settings.ctgov_url
    contact = f" (mailto:{settings.ncbi_email})" if settings.ncbi_email else ""
    # Only encodings _Body can decode with a cap (httpx would offer br/zstd if installed).
    headers = {"User-Agent": f"ketlit/{__version__}{contact}", "Accept-Encoding": "gzip, deflate"}
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
        follow_redirects=False,
    )
    return HttpClient(
        client=client,
        service=service,
        limiter=limiter or limiter_for(urlsplit(base).netloc.rpartition("@")[2], rate),
        default_params=default_params,
        max_retries=settings.max_retries,
        backoff_base=settings.backoff_base,
        backoff_cap=settings.backoff_cap,
        sleep=sleep,
        rng=rng or random.Random(),
        timeout=settings.timeout,
        run_deadline=settings.run_deadline,
        max_body=settings.max_decompressed_mb * 1024**2,
        clock=clock,
    )
