"""fetch_pubmed against httpx.MockTransport: the exact requests sent, and run bookkeeping."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest

from ketlit.config import Settings
from ketlit.errors import QueryError, ServiceError
from ketlit.http import RateLimiter, make_client
from ketlit.jobs.ingest import fetch_pubmed
from ketlit.store.core import Store, open_store

BASE = "https://eutils.test/entrez/eutils/"


def record(pmid: str) -> str:
    return (
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">{pmid}</PMID>'
        f"<Article><Journal><Title>J</Title><JournalIssue><PubDate><Year>2020</Year></PubDate></JournalIssue>"
        f"</Journal><ArticleTitle>Record {pmid} on ketamine</ArticleTitle></Article></MedlineCitation>"
        f"<PubmedData><ArticleIdList><ArticleId IdType=\"pubmed\">{pmid}</ArticleId></ArticleIdList></PubmedData>"
        f"</PubmedArticle>"
    )


def efetch_body(pmids: list[str]) -> str:
    return "<?xml version='1.0'?><PubmedArticleSet>" + "".join(record(p) for p in pmids) + "</PubmedArticleSet>"


def esearch_body(count: int, ids: list[str]) -> str:
    return (
        f"<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax><RetStart>0</RetStart><IdList>"
        + "".join(f"<Id>{i}</Id>" for i in ids)
        + "</IdList><TranslationSet/><QueryTranslation>ketamine[All Fields]</QueryTranslation></eSearchResult>"
    )


class FakeEutils:
    """A tiny scripted E-utilities: fixed IDs, optional drops, optional ESearch error."""

    def __init__(self, ids: list[str], *, drop: set[str] | None = None, error: str | None = None) -> None:
        self.ids = ids
        self.drop = drop or set()
        self.error = error
        self.requests: list[tuple[str, str, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if request.method == "POST":
            params.update(dict(httpx.QueryParams(request.content.decode())))
        endpoint = request.url.path.rsplit("/", 1)[-1]
        self.requests.append((request.method, endpoint, params))
        if endpoint == "esearch.fcgi":
            if self.error:
                return httpx.Response(200, text=f"<eSearchResult><ERROR>{self.error}</ERROR></eSearchResult>")
            return httpx.Response(200, text=esearch_body(len(self.ids), self.ids[: int(params["retmax"])]))
        wanted = [p for p in params["id"].split(",") if p not in self.drop]
        return httpx.Response(200, text=efetch_body(wanted), headers={"content-type": "text/xml; charset=UTF-8"})


def setup(tmp_path: Path, fake: Callable[[httpx.Request], httpx.Response], **kw: object):  # type: ignore[no-untyped-def]
    settings = Settings(eutils_url=BASE, ncbi_email="me@example.org", **kw)  # type: ignore[arg-type]
    store = open_store(tmp_path / "k.db")
    http = make_client(settings, "ncbi", transport=httpx.MockTransport(fake), sleep=lambda s: None,
                       limiter=RateLimiter(1000.0), rng=random.Random(0))
    return settings, store, http


def test_small_query_exact_requests(tmp_path: Path) -> None:
    fake = FakeEutils(["3", "2", "1"])
    settings, store, http = setup(tmp_path, fake)
    report = fetch_pubmed(store, http, settings, "ketamine")
    assert report.status == "complete" and (report.expected, report.retrieved, report.new) == (3, 3, 3)
    assert fake.requests == [
        ("GET", "esearch.fcgi", {"tool": "ketlit", "email": "me@example.org", "db": "pubmed", "term": "ketamine",
                                 "retmax": "9999", "retstart": "0"}),
        ("GET", "efetch.fcgi", {"tool": "ketlit", "email": "me@example.org", "db": "pubmed", "id": "3,2,1",
                                "retmode": "xml", "rettype": "xml"}),
    ]
    assert store.watermark("pubmed", _key(store)) is not None


def _key(store: Store) -> str:
    return str(store.db.execute("SELECT query_key FROM runs ORDER BY id DESC LIMIT 1").fetchone()[0])


def test_long_id_lists_are_posted_in_batches(tmp_path: Path) -> None:
    ids = [str(i) for i in range(1000, 450, -1)]  # 550 IDs
    fake = FakeEutils(ids)
    settings, store, http = setup(tmp_path, fake, batch_size=250)
    report = fetch_pubmed(store, http, settings, "ketamine")
    fetches = [r for r in fake.requests if r[1] == "efetch.fcgi"]
    assert [(m, len(p["id"].split(","))) for m, p in ((r[0], r[2]) for r in fetches)] == [
        ("POST", 250), ("POST", 250), ("GET", 50)]
    assert report.retrieved == 550 and store.counts()["articles"] == 550


def test_missing_records_are_retried_once_then_recorded(tmp_path: Path) -> None:
    fake = FakeEutils(["5", "4", "3", "2", "1"], drop={"4"})
    settings, store, http = setup(tmp_path, fake)
    report = fetch_pubmed(store, http, settings, "ketamine")
    fetches = [r[2]["id"] for r in fake.requests if r[1] == "efetch.fcgi"]
    assert fetches == ["5,4,3,2,1", "4"]
    assert report.status == "incomplete" and report.missing == ["4"]
    assert store.watermark("pubmed", _key(store)) is None
    (run,) = store.recent_runs(1)
    assert (run.expected, run.retrieved, run.missing_ids, run.status) == (5, 4, ["4"], "incomplete")


def test_query_error_is_shown_and_run_failed(tmp_path: Path) -> None:
    fake = FakeEutils([], error="Invalid query: unbalanced parentheses")
    settings, store, http = setup(tmp_path, fake)
    with pytest.raises(QueryError, match="unbalanced parentheses"):
        fetch_pubmed(store, http, settings, "(ketamine")
    (run,) = store.recent_runs(1)
    assert run.status == "failed" and "unbalanced" in (run.message or "")
    assert len(fake.requests) == 1  # a rejected query is not retried


def test_html_instead_of_xml_fails_after_retries(tmp_path: Path) -> None:
    def html(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html><body>Error</body></html>", headers={"content-type": "text/html"})

    settings, store, http = setup(tmp_path, html, max_retries=2)
    with pytest.raises(ServiceError, match="HTML error page"):
        fetch_pubmed(store, http, settings, "ketamine")
    assert store.counts()["articles"] == 0
    assert http.requests_made == 3


def test_incremental_asks_for_changes_since_watermark(tmp_path: Path) -> None:
    fake = FakeEutils(["2", "1"])
    settings, store, http = setup(tmp_path, fake, overlap_days=3)
    fetch_pubmed(store, http, settings, "ketamine")
    store.db.execute("UPDATE watermarks SET watermark = '2026-03-10T12:00:00Z'")
    store.db.conn.commit()
    fake.requests.clear()
    report = fetch_pubmed(store, http, settings, "ketamine")
    esearch = fake.requests[0][2]
    assert (esearch["datetype"], esearch["mindate"], esearch["maxdate"]) == ("mdat", "2026/03/07", "3000/12/31")
    assert report.mode == "incremental" and report.since == "2026-03-07"
    assert report.new == 0 and report.updated == 0
    fake.requests.clear()
    fetch_pubmed(store, http, settings, "ketamine", full=True)
    assert "datetype" not in fake.requests[0][2]


def test_date_bounds_go_into_the_term(tmp_path: Path) -> None:
    fake = FakeEutils(["1"])
    settings, store, http = setup(tmp_path, fake)
    fetch_pubmed(store, http, settings, "ketamine", mindate="2015", maxdate="2020/06")
    assert fake.requests[0][2]["term"] == '(ketamine) AND ("2015"[dp] : "2020/06"[dp])'


def test_ctrl_c_during_a_fetch_leaves_the_run_interrupted_not_running(tmp_path: Path) -> None:
    ids = [str(i) for i in range(1000, 450, -1)]

    def stop_at_second_page(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("efetch.fcgi") and sum(r[1] == "efetch.fcgi" for r in fake.requests) >= 2:
            raise KeyboardInterrupt
        return fake(request)

    fake = FakeEutils(ids)
    settings, store, http = setup(tmp_path, stop_at_second_page, batch_size=250)
    with pytest.raises(KeyboardInterrupt):
        fetch_pubmed(store, http, settings, "ketamine")
    (run,) = store.recent_runs(1)
    # Before, the run stayed "running" until a later run found its process gone.
    assert run.status == "interrupted" and "stopped by the user" in (run.message or "")
    assert run.retrieved == store.counts()["articles"] == 500  # the two pages fetched before it
    assert store.watermark("pubmed", _key(store)) is None


@pytest.mark.parametrize("name", ["medline_esketamine.nbib", "efetch_oddities.xml"])
def test_ctrl_c_during_an_import_leaves_the_run_interrupted(name: str, tmp_path: Path,
                                                            monkeypatch: pytest.MonkeyPatch) -> None:
    from ketlit.jobs.ingest import import_file
    from tests.conftest import FIXTURES

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    store = open_store(tmp_path / "k.db")
    monkeypatch.setattr(Store, "save_page", interrupted)
    monkeypatch.setattr(Store, "save_prepared", interrupted, raising=False)
    with pytest.raises(KeyboardInterrupt):
        import_file(store, FIXTURES / name)
    (run,) = store.recent_runs(1)
    assert run.status == "interrupted", (name, run.status)
