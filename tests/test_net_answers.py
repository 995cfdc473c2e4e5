"""Issue 11 item 7 (service answers and settings) and item 11 (GET/POST by encoded bytes).

Every unexpected service answer — an ESearch Count with no IDs, JSON nested too deep, numbers too
long to read, shapes of the wrong kind — ends the fetch with one ``KetlitError`` line and the run
closed as failed; IPv6 base URLs work and malformed ones are refused with one line; ``timeout =
nan`` and friends are refused with one line; a long non-ASCII term is sent as a POST because its
encoded URL, not its character count, is what a server's URL limit counts."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.config import Settings, load_settings
from ketlit.errors import ConfigError, KetlitError, ServiceError
from ketlit.http import MAX_GET_URL_BYTES, RateLimiter, make_client
from ketlit.jobs.ingest import fetch_ctgov, fetch_pubmed
from ketlit.sources.pubmed import PubMedClient
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.store import open_store
from tests.standins.loopback import LoopbackServer, Request

BASE = "https://service.test/"
RETRIES = 2


def settings(base: str = BASE, **kw: object) -> Settings:
    values: dict[str, object] = {"eutils_url": base, "ctgov_url": base, "max_retries": RETRIES,
                                 "backoff_base": 0.001, "backoff_cap": 0.001, "ncbi_email": "t@example.org"}
    values.update(kw)
    return Settings(**values)  # type: ignore[arg-type]


def esearch(count: str, ids: list[str]) -> bytes:
    return (f"<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax><IdList>"
            + "".join(f"<Id>{i}</Id>" for i in ids) + "</IdList></eSearchResult>").encode()


def fetch(tmp_path: Path, service: str, answer: Callable[[httpx.Request], httpx.Response]
          ) -> tuple[KetlitError, Any, int]:
    """Run a fetch against ``answer``; the error it ends with, its run record, requests made."""
    calls: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(request)
        if len(calls) > 50:  # a bound of our own: a client that never gives up fails here, not hangs
            return httpx.Response(200, content=esearch("0", []) if service == "ncbi" else b'{"studies": []}')
        return answer(request)

    store = open_store(tmp_path / "k.db")
    try:
        with make_client(settings(), service, transport=httpx.MockTransport(handler),  # type: ignore[arg-type]
                         limiter=RateLimiter(1000)) as http, pytest.raises(KetlitError) as info:
            (fetch_pubmed if service == "ncbi" else fetch_ctgov)(store, http, settings(), "ketamine")
        (run,) = store.recent_runs(1)
    finally:
        store.close()
    return info.value, run, len(calls)


def ok_efetch(request: httpx.Request) -> httpx.Response:
    return httpx.Response(200, text="<PubmedArticleSet></PubmedArticleSet>")


NCBI_ANSWERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "count without ids": lambda r: httpx.Response(200, content=esearch("50", [])),
    "an id that is no pmid": lambda r: httpx.Response(200, content=esearch("2", ["123", "12a; DROP"])),
    "count not a number": lambda r: httpx.Response(200, content=esearch("many", [])),
    "json instead of xml": lambda r: httpx.Response(200, json={"esearchresult": {"count": "1"}}),
    "nested too deep": lambda r: httpx.Response(200, content=b"<eSearchResult>" + b"<a>" * 50_000),
    "an error over lines": lambda r: httpx.Response(418, text="I am\na teapot\n\n<b>really</b>"),
    "redirect without location": lambda r: httpx.Response(302, text="moved"),
    "unknown encoding": lambda r: httpx.Response(200, content=b"x", headers={"Content-Encoding": "br"}),
    "efetch garbage": lambda r: (httpx.Response(200, content=esearch("1", ["1"]))
                                 if "esearch" in r.url.path else httpx.Response(200, content=b"\0\1\2")),
}

DEEP = b'{"studies": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}"
CTGOV_ANSWERS: dict[str, Callable[[httpx.Request], httpx.Response]] = {
    "nested too deep": lambda r: httpx.Response(200, content=DEEP, headers={"content-type": "application/json"}),
    "unclosed nesting": lambda r: httpx.Response(200, content=b"[" * 100_000),
    "a number too long": lambda r: httpx.Response(200, content=b'{"studies": [], "totalCount": ' + b"9" * 5000
                                                 + b"}"),
    "studies not a list": lambda r: httpx.Response(200, json={"studies": "none"}),
    "a list at the top": lambda r: httpx.Response(200, json=[]),
    "not utf-8": lambda r: httpx.Response(200, content=b'{"studies": ["\xff"]}'),
    "html": lambda r: httpx.Response(200, text="<html>busy</html>", headers={"content-type": "text/html"}),
}


@pytest.mark.parametrize("service", ["ncbi", "ctgov"])
def test_every_unexpected_answer_is_one_line_and_a_failed_run(tmp_path: Path, service: str) -> None:
    answers = NCBI_ANSWERS if service == "ncbi" else CTGOV_ANSWERS
    for case, answer in answers.items():
        where = tmp_path / case.replace(" ", "_")
        where.mkdir()
        error, run, requests = fetch(where, service, answer)
        message = str(error)
        assert message and "\n" not in message and len(message) < 700, case
        assert run.status == "failed" and run.message == message, case
        assert requests <= 2 * (RETRIES + 1), case  # retried at most as configured, never a runaway


def test_an_esearch_count_without_ids_is_a_service_error(tmp_path: Path) -> None:
    error, _, requests = fetch(tmp_path, "ncbi", NCBI_ANSWERS["count without ids"])
    assert isinstance(error, ServiceError) and requests == RETRIES + 1
    assert "ESearch reported Count=50 but listed no IDs" in str(error)


def test_a_count_only_esearch_may_list_no_ids() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, content=esearch("50", []))

    with make_client(settings(), "ncbi", transport=httpx.MockTransport(handler), limiter=RateLimiter(1000)) as http:
        assert PubMedClient(http, BASE).esearch("ketamine", retmax=0).count == 50


# -- GET or POST, by encoded bytes (item 11) ---------------------------------------------------------

SERVER_URL_LIMIT = 2 * MAX_GET_URL_BYTES  # what the server's front end accepts in a request line


def test_a_long_non_ascii_term_is_posted_not_refused_with_414() -> None:
    term = "é" * (MAX_GET_URL_BYTES // 2)
    # Few characters, many bytes: a rule counting characters would send this as a GET...
    assert len(f"{BASE}esearch.fcgi?term={term}") < MAX_GET_URL_BYTES
    assert len(quote(term)) > SERVER_URL_LIMIT  # ...which the server refuses.
    ascii_term = "k" * len(term)
    seen: list[tuple[str, str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if len(str(request.url).encode()) > SERVER_URL_LIMIT:
            return httpx.Response(414, text="<html><title>414 Request-URI Too Large</title></html>")
        term = request.url.params.get("term") or httpx.QueryParams(request.content.decode()).get("term")
        seen.append((request.method, term or ""))
        return httpx.Response(200, content=esearch("0", []))

    with make_client(settings(), "ncbi", transport=httpx.MockTransport(handler), limiter=RateLimiter(1000)) as http:
        client = PubMedClient(http, BASE)
        assert client.esearch(term).count == 0
        assert client.esearch(ascii_term).count == 0
    assert seen == [("POST", term), ("GET", ascii_term)]  # the ASCII term of as many characters stays a GET


# -- settings ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "-5", "0", "1e300", "true", "[]", '"soon"'])
def test_a_bad_timeout_in_ketlit_toml_is_one_line(tmp_path: Path, value: str) -> None:
    (tmp_path / "ketlit.toml").write_text(f"timeout = {value}\n")
    with pytest.raises(ConfigError, match=r"invalid value for timeout \(config file .*\): .* \(expected a number"):
        load_settings(env={}, cwd=tmp_path)


@pytest.mark.parametrize(("var", "value"), [
    ("KETLIT_TIMEOUT", "nan"), ("KETLIT_TIMEOUT", "inf"), ("KETLIT_TIMEOUT", "-1"),
    ("KETLIT_BACKOFF_CAP", "nan"), ("KETLIT_CTGOV_RATE", "inf"), ("KETLIT_MAX_RETRIES", "1e9"),
    ("KETLIT_OVERLAP_DAYS", "99999999999"), ("KETLIT_MAX_DECOMPRESSED_MB", "0"),
])
def test_bad_numbers_from_the_environment_are_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       var: str, value: str) -> None:
    monkeypatch.setenv(var, value)
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "k.db"), "status"])
    assert result.exit_code == 1 and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: invalid value for ") and f"environment variable {var}" in line


@pytest.mark.parametrize(("url", "why"), [
    ("http://::1:8080/eutils/", "an IPv6 address goes in brackets"),
    ("http://[::1/eutils/", "Invalid IPv6 URL"),
    ("http://[::1]x/eutils/", "unexpected text after the IPv6 address"),
    ("http://[::1]:99999/eutils/", "Port out of range"),
    ("http://:80/eutils/", "no host name"),
])
def test_malformed_base_urls_are_one_line(tmp_path: Path, url: str, why: str) -> None:
    with pytest.raises(ConfigError, match=rf"invalid URL for eutils_url .*{why}"):
        load_settings(env={"KETLIT_EUTILS_URL": url}, cwd=tmp_path)


def test_an_ipv6_base_url_works(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def respond(request: Request) -> None:
        request.reply(200, esearch("0", []), "text/xml")

    with LoopbackServer(respond, ipv6=True) as server:
        assert server.url.startswith("http://[::1]:")
        monkeypatch.setenv("KETLIT_EUTILS_URL", server.url + "entrez/eutils/")
        result = CliRunner().invoke(app, ["--db", str(tmp_path / "k.db"), "fetch", "pubmed", "ketamine"])
    assert result.exit_code == 0, result.output
    assert [r.path for r in server.requests] == ["/entrez/eutils/esearch.fcgi"]


@pytest.mark.parametrize("number", ["9" * 5000, "²", "１２"])
def test_hostile_date_numbers_in_a_record_are_dropped_not_a_traceback(number: str) -> None:
    """A date part that ``str.isdigit`` accepts but ``int`` refuses (a 5,000-digit run, "²"), or
    non-ASCII digits, is not a number: the record is kept, a date made of it is left empty."""
    record = (f'<PubmedArticleSet><PubmedArticle><MedlineCitation><PMID Version="1">7</PMID>'
              f"<DateRevised><Year>{number}</Year><Month>{number}</Month><Day>1</Day></DateRevised>"
              f"<Article><Journal><JournalIssue><PubDate><Year>{number}</Year><Month>{number}</Month>"
              f"<Day>{number}</Day></PubDate></JournalIssue></Journal><ArticleTitle>T</ArticleTitle></Article>"
              f"</MedlineCitation></PubmedArticle></PubmedArticleSet>")
    (article,) = parse_pubmed_xml(record.encode())
    assert article.pmid == "7" and article.date_revised is None
    assert article.pub_date.month is None and article.pub_date.day is None
