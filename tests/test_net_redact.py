"""Issue 11 item 2: one redaction path. A service that echoes the API key (raw, percent-encoded,
in JSON) and the URL password, and a redirect to another origin carrying the key: afterwards the
secrets appear nowhere — not in the database (WAL included), stdout, stderr, logs, reports or
exports — and the other origin never sees a request."""

from __future__ import annotations

import base64
import html
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, quote_plus

import httpx
import pytest

from ketlit.config import Settings, load_settings
from ketlit.errors import QueryError, ServiceError
from ketlit.http import RateLimiter, install_log_redaction, make_client
from ketlit.redact import REDACTED, add_secrets, redact_bytes, redact_obj, redact_text
from ketlit.store import open_store
from tests.conftest import REPO
from tests.standins.loopback import LoopbackServer, Request

# A key with characters that every encoding spells differently; 24 characters, as long as a real
# key is for the body-level scrub.
KEY = "k3Y+a1b2/c3d4=e5f6&g7h8"
USER = "ketuser"
PASSWORD = "pa55@w0rd!zzTop"  # written into the URL percent-encoded: pa55%40w0rd%21zzTop
PASSWORD_IN_URL = quote(PASSWORD, safe="")


def spellings(secret: str) -> set[str]:
    return {secret, quote(secret, safe=""), quote(secret, safe="").lower(), quote_plus(secret),
            json.dumps(secret)[1:-1], html.escape(secret)}


FORBIDDEN = spellings(KEY) | spellings(PASSWORD) | {PASSWORD_IN_URL}


def leaks(text: str) -> list[str]:
    return sorted(form for form in FORBIDDEN if form in text)


# -- the redaction functions ------------------------------------------------------------------


def test_redact_text_hides_every_spelling_of_a_registered_secret() -> None:
    add_secrets([KEY])
    for form in spellings(KEY):
        text = f"error: API key invalid ({form}) …"
        assert KEY not in redact_text(text) and form not in redact_text(text), form
        assert "API key invalid" in redact_text(text)
    echoed = json.dumps({"error": "API key invalid", "api-key": KEY, "type": "invalid"})
    assert leaks(redact_text(echoed)) == [] and json.loads(redact_text(echoed))["api-key"] == REDACTED


@pytest.mark.parametrize("text", [
    "GET https://bob:hunter2x@h.example/p?term=x",
    'see "https:\\/\\/bob:hunter2x@h.example\\/p"',
    "https://bob:hunter2x@host@h.example/p",  # a raw "@" in the password: nothing of it is left
    "https://h.example/p?api_key=unregistered9&term=x",
    '{"api_key": "unregistered9"}',
    "api-key:unregistered9",
    "https://h.example/p?url=https%3A%2F%2Fh%2F%3Fapi_key%3Dunregistered9",
])
def test_structural_secrets_need_no_registry(text: str) -> None:
    clean = redact_text(text)
    assert "hunter2x" not in clean and "unregistered9" not in clean and "host@" not in clean
    assert REDACTED in clean


def test_what_redaction_must_leave_alone() -> None:
    add_secrets(["ab"])  # too short to hide everywhere
    text = "ab: mailto:me@example.org https://h.example/p?email=me@example.org API key invalid"
    assert redact_text(text) == text


def test_bodies_lose_only_long_secrets() -> None:
    add_secrets(["test1", KEY])
    body = f"<Abstract>a test1 of {quote(KEY, safe='')}</Abstract>".encode()
    clean = redact_bytes(body)
    assert b"test1" in clean and quote(KEY, safe="").encode() not in clean and REDACTED.encode() in clean
    assert redact_bytes(b"<x>no secret</x>") == b"<x>no secret</x>"


def test_settings_name_url_passwords_as_secrets(tmp_path: Path) -> None:
    url = f"https://{USER}:{PASSWORD_IN_URL}@eutils.example/entrez/eutils/"
    settings = load_settings(env={"KETLIT_EUTILS_URL": url, "NCBI_API_KEY": KEY}, cwd=tmp_path)
    assert set(settings.secrets()) == {KEY, PASSWORD_IN_URL, PASSWORD}
    assert leaks(redact_text(f"{url} {PASSWORD} {KEY}")) == []


def test_run_records_are_redacted_in_the_store(tmp_path: Path) -> None:
    add_secrets([KEY])
    store = open_store(tmp_path / "k.db")
    try:
        run_id = store.start_run("pubmed", "k", "esketamine", {"eutils_url": f"https://u:{PASSWORD}@h/",
                                                                "nested": [KEY]}, "full", None)
        store.finish_run(run_id, status="failed", expected=None, retrieved=0, new_records=0, updated_records=0,
                         missing_ids=[], requests=1, retries=0, duration_s=0.1, message=f"echo {quote(KEY)}")
        (run,) = store.recent_runs(1)
    finally:
        store.close()
    assert run.message == f"echo {REDACTED}"
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir() if p.is_file())
    assert not [f for f in FORBIDDEN if f.encode() in raw]
    assert redact_obj({"a": [f"x {KEY}"]}) == {"a": [f"x {REDACTED}"]}


def test_log_records_of_child_loggers_are_redacted(caplog: pytest.LogCaptureFixture) -> None:
    add_secrets([KEY])
    install_log_redaction()
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpcore.http11").debug("send %s", f"https://u:{PASSWORD}@h/?api_key={quote(KEY)}")
    logging.getLogger("ketlit.http").debug("echo %s", KEY)
    assert caplog.records and leaks(caplog.text) == [] and "u:" not in caplog.text


# -- the HTTP layer ---------------------------------------------------------------------------


def _settings(base: str, **kw: object) -> Settings:
    return Settings(eutils_url=base, ctgov_url=base, ncbi_api_key=KEY, ncbi_email="t@example.org",
                    max_retries=1, backoff_base=0.01, backoff_cap=0.01, **kw)  # type: ignore[arg-type]


def test_an_echoed_key_never_reaches_the_error_message() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.url.params["api_key"]
        return httpx.Response(400, json={"error": "API key invalid", "api-key": key, "url": str(request.url)})

    with make_client(_settings("https://eutils.test/"), "ncbi", transport=httpx.MockTransport(handler),
                     limiter=RateLimiter(1000)) as http, pytest.raises(QueryError) as info:
        http.request("GET", "https://eutils.test/esearch.fcgi", lambda r: r, params={"term": "x"})
    assert "API key invalid" in str(info.value) and leaks(str(info.value)) == []
    assert "\n" not in str(info.value)


def test_a_redirect_to_another_origin_is_not_followed() -> None:
    with LoopbackServer(lambda r: r.reply(200, b"<eSearchResult/>")) as elsewhere:
        def respond(request: Request) -> None:
            location = f"{elsewhere.url}esearch.fcgi?api_key={quote(request.params['api_key'])}"
            request.reply(302, b"", headers={"Location": location})

        with LoopbackServer(respond) as server:
            base = server.url.replace("http://", f"http://{USER}:{PASSWORD_IN_URL}@")
            with make_client(_settings(base), "ncbi", limiter=RateLimiter(1000)) as http, \
                    pytest.raises(ServiceError, match=r"redirected .* to another site") as info:
                http.request("GET", base + "esearch.fcgi", lambda r: r.text, params={"term": "x"})
        assert server.requests[0].params["api_key"] == KEY  # the configured host does get the key
        assert elsewhere.requests == []
    assert leaks(str(info.value)) == [] and USER not in str(info.value)


def test_same_origin_redirects_are_followed() -> None:
    def respond(request: Request) -> None:
        if request.path == "/old/esearch.fcgi":
            request.reply(301, b"", headers={"Location": "/new/esearch.fcgi?term=x"})
        else:
            request.reply(200, b"<eSearchResult/>", "text/xml")

    with LoopbackServer(respond) as server, make_client(_settings(server.url), "ncbi",
                                                       limiter=RateLimiter(1000)) as http:
        assert http.request("GET", server.url + "old/esearch.fcgi", lambda r: r.text) == "<eSearchResult/>"
    assert [r.path for r in server.requests] == ["/old/esearch.fcgi", "/new/esearch.fcgi"]


# -- end to end: nothing anywhere ----------------------------------------------------------------


# CT.gov answers (with no studies) and PubMed echoes the key: a partial run, so the report is
# written with a stale-data banner quoting the service's (redacted) answer.
QUERY = 'name = "esk"\ntitle = "Esketamine"\n[pubmed]\nterm = "esketamine"\n[ctgov]\nintr = "esketamine"\n'


def _echo_key(request: Request) -> None:
    """NCBI's answer to an invalid key, echoing it; plus the password the client authenticated with."""
    user_pass = base64.b64decode(request.headers.get("Authorization", "Basic ")[6:]).decode()
    body = json.dumps({"error": "API key invalid", "api-key": request.params.get("api_key"),
                       "type": "invalid", "status": "unknown",
                       "detail": f"key {quote(request.params.get('api_key', ''), safe='')} for {user_pass}"})
    request.reply(400, body.encode(), "application/json")


def test_with_an_echoing_service_the_secrets_appear_nowhere(tmp_path: Path) -> None:
    ctgov = LoopbackServer(lambda r: r.reply(200, b'{"studies": [], "totalCount": 0}', "application/json"))
    with LoopbackServer(lambda r: r.reply(200, b"<eSearchResult><Count>0</Count></eSearchResult>")) as elsewhere, \
            ctgov:
        def respond(request: Request) -> None:
            if "moved" in request.params.get("term", ""):
                location = f"{elsewhere.url}entrez/eutils/esearch.fcgi?api_key={quote(request.params['api_key'])}"
                request.reply(302, b"moved", headers={"Location": location})
            else:
                _echo_key(request)

        with LoopbackServer(respond) as server:
            base = server.url.replace("http://", f"http://{USER}:{PASSWORD_IN_URL}@") + "entrez/eutils/"
            env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NCBI_API_KEY": KEY, "KETLIT_EUTILS_URL": base,
                   "NCBI_EMAIL": "t@example.org", "KETLIT_DB": str(tmp_path / "k.db"), "KETLIT_MAX_RETRIES": "0",
                   "KETLIT_CTGOV_URL": ctgov.url + "api/v2/"}
            (tmp_path / "queries").mkdir()
            (tmp_path / "queries" / "esk.toml").write_text(QUERY)

            def ketlit(*args: str) -> subprocess.CompletedProcess[str]:
                return subprocess.run([sys.executable, "-m", "ketlit", "-v", *args], env=env, cwd=tmp_path,
                                      capture_output=True, text=True, timeout=120)

            runs = [
                ketlit("fetch", "pubmed", "esketamine"),
                ketlit("fetch", "pubmed", "moved esketamine"),
                ketlit("refresh", "--queries-dir", "queries", "--out-dir", "reports"),
                ketlit("status", "--json"),
                ketlit("export", "articles", "--out", "exports/articles.jsonl"),
                ketlit("export", "trials", "--format", "csv", "--out", "exports/trials.csv"),
            ]
        assert elsewhere.requests == []
    assert all(r.params.get("api_key") == KEY for r in server.requests)  # the key was really sent
    fetch, moved, refresh, status = runs[:4]
    assert fetch.returncode == 1 and "API key invalid" in fetch.stderr and REDACTED in fetch.stderr
    assert moved.returncode == 1 and "another site" in moved.stderr
    assert refresh.returncode == 3 and (tmp_path / "reports" / "esk.md").is_file()
    assert "API key invalid" in (tmp_path / "reports" / "esk.md").read_text()  # the banner says why
    assert status.returncode == 0 and REDACTED in status.stdout
    outputs = [text for r in runs for text in (r.stdout, r.stderr)]
    assert all(r.stderr.count("Traceback") == 0 for r in runs)
    files = {p: p.read_bytes().decode("utf-8", "replace") for p in tmp_path.rglob("*") if p.is_file()}
    assert any(p.name == "k.db" for p in files)
    found = {str(p): leaks(text) for p, text in files.items() if leaks(text)}
    found |= {f"output {i}": leaks(text) for i, text in enumerate(outputs) if leaks(text)}
    assert found == {}
    # The base URL's userinfo never shows (the user name alone, echoed by the service, is no secret).
    texts = [*outputs, *files.values()]
    assert not any(f"//{USER}" in text for text in texts)
    assert any(f"//{REDACTED}@127.0.0.1" in text for text in texts)  # the run's parameters name the base URL
