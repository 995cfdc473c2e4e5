"""A tiny loopback HTTP server whose every answer a test writes by hand (hostile ones included).

The test's ``respond(request)`` gets a :class:`Request` and writes raw bytes with ``request.send``
— a whole reply, a trickle, a redirect, a gzip bomb — so what reaches ketlit's HTTP stack is
exactly what a misbehaving server would send. Standard library only.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit


@dataclass
class Request:
    """One request as the server saw it, and the socket to answer on."""

    method: str
    path: str
    params: dict[str, str]
    headers: dict[str, str]
    handler: BaseHTTPRequestHandler = field(repr=False)

    def send(self, data: bytes) -> None:
        """Write raw bytes to the client (ignoring a client that has gone)."""
        try:
            self.handler.wfile.write(data)
            self.handler.wfile.flush()
        except OSError:
            pass

    def reply(self, status: int, body: bytes, content_type: str = "text/plain",
              headers: dict[str, str] | None = None) -> None:
        """A complete reply with a Content-Length."""
        head = [f"HTTP/1.1 {status} X", f"Content-Type: {content_type}", f"Content-Length: {len(body)}"]
        head += [f"{k}: {v}" for k, v in (headers or {}).items()]
        self.send(("\r\n".join(head) + "\r\n\r\n").encode() + body)

    def trickle(self, data: bytes, every: float, stop: threading.Event) -> None:
        """Send ``data`` one byte at a time, ``every`` seconds apart, until done or ``stop``."""
        for i in range(len(data)):
            if stop.wait(every):
                return
            try:
                self.handler.wfile.write(data[i : i + 1])
                self.handler.wfile.flush()
            except OSError:
                return


Respond = Callable[[Request], None]


class LoopbackServer:
    """``with LoopbackServer(respond) as server:`` — ``server.url`` is its base URL."""

    def __init__(self, respond: Respond, *, ipv6: bool = False) -> None:
        self.requests: list[Request] = []
        self.stop = threading.Event()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _serve(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                parts = urlsplit(self.path)
                params = dict(parse_qsl(parts.query, keep_blank_values=True))
                params.update(parse_qsl(body, keep_blank_values=True))
                request = Request(self.command, parts.path, params, dict(self.headers.items()), self)
                outer.requests.append(request)
                respond(request)
                self.close_connection = True

            do_GET = do_POST = _serve

        class Server(ThreadingHTTPServer):
            address_family = socket.AF_INET6 if ipv6 else socket.AF_INET
            daemon_threads = True

        self._server = Server(("::1" if ipv6 else "127.0.0.1", 0), Handler)
        port = self._server.server_address[1]
        self.url = f"http://[::1]:{port}/" if ipv6 else f"http://127.0.0.1:{port}/"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> LoopbackServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


def wait_for(predicate: Callable[[], bool], seconds: float = 5.0) -> bool:
    """Poll ``predicate`` until it holds or ``seconds`` pass."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return predicate()
