"""One redaction path for every text that leaves the process or enters the database.

Design decisions:

- **A process-wide registry of live secrets.** The NCBI API key and any password written into a
  base URL (``https://user:pass@host/``) are registered by :func:`ketlit.config.load_settings`
  and :func:`ketlit.http.make_client`. The places that must scrub text — the HTTP layer's error
  messages, the logging filter, the run records in ``store/``, the CLI's error line — do not all
  hold a :class:`~ketlit.config.Settings`, and a secret must be hidden wherever it turns up, so
  the registry is global (values are only ever added; nothing here is configuration).
- **Every spelling a service may echo.** NCBI's "API key invalid" answer quotes the key; other
  answers may quote the request URL. Each character of a secret may appear as is,
  percent-encoded (either hex case, or twice), JSON- or HTML-escaped — in any mix, since
  ``quote`` leaves ``/`` alone and ``quote_plus`` does not — and the match ignores case
  (over-redacting a differently-cased copy costs nothing).
- **Structural patterns need no registry.** URL userinfo (``scheme://user:pass@``) and the value
  after ``api_key=`` / ``"api-key": …`` are replaced wherever they appear, so a key or password
  that was never registered (a recorded URL, another tool's key) is hidden too.
- **Short values are hidden only structurally.** A "secret" of fewer than
  :data:`MIN_SECRET_LENGTH` characters would turn every occurrence of, say, ``ab`` into
  ``REDACTED`` in all text; a key that short is not a key.
- **Bodies are scrubbed only of long secrets.** :func:`redact_bytes` runs on every service reply
  before it is parsed or stored, and there a false match would change data (a password ``test``
  inside an abstract), so it replaces only secrets of :data:`MIN_BODY_SECRET_LENGTH` characters or
  more: an NCBI key has 36, and a value that long does not occur in a record by accident.
- Pure string and bytes functions without dependencies, so ``store/``, the logging filter and the
  CLI can all import this module.
"""

from __future__ import annotations

import html
import json
import re
import threading
from collections.abc import Iterable
from typing import Any
from urllib.parse import quote, unquote, urlsplit

REDACTED = "REDACTED"
MIN_SECRET_LENGTH = 4
MIN_BODY_SECRET_LENGTH = 16

# scheme://userinfo@ — the userinfo runs to the last "@" before the host's end (a raw "@" in a
# password must not leave its tail behind); "\/\/" is the same URL inside a JSON string.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*:(?://|\\/\\/))[^\s/\\?#\"'<>]*@")
# api_key=…, api-key: "…", "apiKey":"…", api_key%3D… (a URL quoted inside another URL).
_KEY_VALUE = re.compile(r"""(?i)(api[_-]?key["']?\s*(?:=|:|%3D)\s*["']?)[^\s&"',;}<>]+""")

_lock = threading.Lock()
_secrets: set[str] = set()
_text_pattern: re.Pattern[str] | None = None
_body_anchors: tuple[bytes, ...] = ()
_body_pattern: re.Pattern[bytes] | None = None


def _char_pattern(ch: str) -> str:
    """Every way one character of a secret may be spelled in echoed text."""
    if ch.isascii() and ch.isalnum():
        return re.escape(ch)  # no encoding touches these
    encoded = quote(ch, safe="")
    forms = {ch, encoded, quote(encoded, safe=""), html.escape(ch), json.dumps(ch)[1:-1],
             json.dumps(ch, ensure_ascii=False)[1:-1], f"&#{ord(ch)};", f"&#x{ord(ch):x};"}
    if ch == " ":
        forms.add("+")
    return "(?:" + "|".join(re.escape(f) for f in sorted(forms, key=len, reverse=True)) + ")"


def _secret_pattern(secret: str) -> str:
    """A pattern for ``secret`` in any mix of plain, percent-encoded (either hex case, or twice),
    JSON- and HTML-escaped characters: a service may encode some characters and not others."""
    return "".join(_char_pattern(ch) for ch in secret)


def _anchor(secret: str) -> bytes:
    """The longest run of ASCII letters and digits in ``secret``, lower-cased: every spelling of
    the secret contains it as it is, so a body without it needs no regex search."""
    runs = re.findall(r"[A-Za-z0-9]+", secret)
    return max(runs, key=len).lower().encode() if runs else b""


def add_secrets(values: Iterable[str | None]) -> None:
    """Register live secret values (idempotent; values shorter than MIN_SECRET_LENGTH are hidden
    only where they stand in a URL's userinfo or after ``api_key=``)."""
    global _text_pattern, _body_anchors, _body_pattern
    fresh = {v for v in values if v and len(v) >= MIN_SECRET_LENGTH} - _secrets
    if not fresh:
        return
    with _lock:
        _secrets.update(fresh)
        ordered = sorted(_secrets, key=len, reverse=True)
        _text_pattern = re.compile("|".join(_secret_pattern(s) for s in ordered), re.IGNORECASE)
        long = [s for s in ordered if len(s) >= MIN_BODY_SECRET_LENGTH]
        anchors = [_anchor(s) for s in long]
        # A secret without letters or digits has no anchor: then every body is searched.
        _body_anchors = () if not all(anchors) else tuple(anchors)
        _body_pattern = (
            re.compile("|".join(_secret_pattern(s) for s in long).encode(), re.IGNORECASE) if long else None
        )


def url_secrets(url: str) -> list[str]:
    """The password of ``url``'s userinfo, as written and percent-decoded (empty if none)."""
    try:
        password = urlsplit(url).password
    except ValueError:
        return []
    return [password, unquote(password)] if password else []


def redact_text(text: str) -> str:
    """``text`` with every registered secret, URL userinfo and ``api_key`` value replaced."""
    if not text:
        return text
    pattern = _text_pattern
    if pattern is not None:
        text = pattern.sub(REDACTED, text)
    text = _USERINFO.sub(rf"\1{REDACTED}@", text)
    return _KEY_VALUE.sub(rf"\1{REDACTED}", text)


def redact_bytes(data: bytes) -> bytes:
    """A service reply with every registered long secret replaced (see the module docstring)."""
    pattern = _body_pattern
    if pattern is None or not data:
        return data
    if _body_anchors:
        low = data.lower()
        if not any(anchor in low for anchor in _body_anchors):
            return data
    return pattern.sub(REDACTED.encode(), data)


def redact_obj(value: Any) -> Any:
    """A copy of a JSON-like value (dicts, lists, strings) with :func:`redact_text` applied to
    every string, keys included; other values are returned as they are."""
    if isinstance(value, str):
        return redact_text(value)
    if isinstance(value, dict):
        return {redact_text(str(k)): redact_obj(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_obj(v) for v in value]
    return value


def one_line(text: str) -> str:
    """``text`` redacted, with every run of whitespace (newlines included) made one space."""
    return " ".join(redact_text(text).split())


__all__ = [
    "MIN_BODY_SECRET_LENGTH", "MIN_SECRET_LENGTH", "REDACTED", "add_secrets", "one_line", "redact_bytes",
    "redact_obj", "redact_text", "url_secrets",
]
