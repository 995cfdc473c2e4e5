"""`ketlit fetch pubmed` overlaps the network with storing (the next page is requested while the
last one is stored), through a bounded queue, with the same errors and bookkeeping as when it
fetched page after page; and past the 10,000-record cap it makes no more searches than needed."""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from ketlit import http as http_module
from ketlit.cli import app
from ketlit.config import Settings
from ketlit.errors import ExitCode, ServiceError
from ketlit.http import RateLimiter, make_client
from ketlit.jobs.ingest import fetch_pubmed
from ketlit.jobs.prefetch import prefetched
from ketlit.store.core import Store, open_store
from tests.test_fetch_mock import BASE, efetch_body, esearch_body

_UID = re.compile(r"\((\d+):(\d+)\[uid\]\)")


class RangeEutils:
    """A scripted E-utilities over ``ids`` that understands ``lo:hi[uid]`` and lists at most ``cap``
    IDs per search, newest PMID first (as ESearch does) or, with ``shuffled``, in another order."""

    def __init__(self, ids: list[int], *, cap: int = 9999, shuffled: bool = False, html_from: int | None = None,
                 efetch_delay: float = 0.0) -> None:
        self.ids = sorted(ids, reverse=True)
        self.cap = cap
        self.shuffled = shuffled
        self.html_from = html_from  # the efetch request number (1-based) from which every answer is HTML
        self.efetch_delay = efetch_delay
        self.searches: list[str] = []
        self.fetches: list[list[str]] = []
        self.fetch_started: list[float] = []
        self.lock = threading.Lock()

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        if request.method == "POST":
            params.update(dict(httpx.QueryParams(request.content.decode())))
        if request.url.path.endswith("esearch.fcgi"):
            self.searches.append(params["term"])
            match = _UID.search(params["term"])
            lo, hi = (int(match.group(1)), int(match.group(2))) if match else (0, 10**12)
            hits = [i for i in self.ids if lo <= i <= hi]
            if self.shuffled:
                random.Random(len(self.searches)).shuffle(hits)
            listed = hits[: min(self.cap, int(params["retmax"]))]
            return httpx.Response(200, text=esearch_body(len(hits), [str(i) for i in listed]))
        with self.lock:
            self.fetch_started.append(time.monotonic())
            self.fetches.append(params["id"].split(","))
            number = len(self.fetches)
        time.sleep(self.efetch_delay)
        if self.html_from is not None and number >= self.html_from:
            return httpx.Response(200, text="<html><body>Error</body></html>", headers={"content-type": "text/html"})
        return httpx.Response(200, text=efetch_body(params["id"].split(",")),
                              headers={"content-type": "text/xml; charset=UTF-8"})


def _setup(tmp_path: Path, fake: RangeEutils, **kw: Any) -> tuple[Settings, Store, http_module.HttpClient]:
    settings = Settings(eutils_url=BASE, ncbi_email="me@example.org", **kw)
    store = open_store(tmp_path / "k.db")
    http = make_client(settings, "ncbi", transport=httpx.MockTransport(fake), sleep=lambda s: None,
                       limiter=RateLimiter(1000.0), rng=random.Random(0))
    return settings, store, http


def test_next_page_is_requested_while_the_last_is_stored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = RangeEutils(list(range(1, 41)))
    settings, store, http = _setup(tmp_path, fake, batch_size=10)
    overlapped: list[bool] = []
    save_prepared = Store.save_prepared  # a fetch stores each page as prepared (rows kept for tagging)

    def slow_save(self: Store, **kw: Any) -> Any:
        # Storing page k waits (up to 2 s) for request k+1 to start: fetching page after page, it never does.
        page = len(overlapped)
        deadline = time.monotonic() + 2.0
        while len(fake.fetch_started) < page + 2 and page + 1 < 4 and time.monotonic() < deadline:
            time.sleep(0.005)
        overlapped.append(len(fake.fetch_started) >= min(page + 2, 4))
        return save_prepared(self, **kw)

    monkeypatch.setattr(Store, "save_prepared", slow_save)
    report = fetch_pubmed(store, http, settings, "ketamine")
    assert report.status == "complete" and report.retrieved == 40
    assert overlapped == [True, True, True, True]
    # Requests still go out in order, one page each, and nothing is fetched twice.
    assert [batch[0] for batch in fake.fetches] == ["40", "30", "20", "10"]


def test_prefetch_queue_is_bounded_and_stops_when_left() -> None:
    fetched: list[int] = []

    def fetch(item: int) -> int:
        fetched.append(item)
        return item * 2

    pages = prefetched(fetch, list(range(50)), depth=2)
    assert next(pages) == (0, 0)
    time.sleep(0.3)  # ample time to run ahead, were it unbounded
    # The one taken, two waiting in the queue, one fetched and waiting for room: no more.
    assert fetched == [0, 1, 2, 3]
    pages.close()
    time.sleep(0.2)
    assert fetched == [0, 1, 2, 3]  # left early: no further request
    assert list(prefetched(fetch, [7, 8], depth=1)) == [(7, 14), (8, 16)]


def test_producer_error_is_raised_in_order_after_the_pages_before_it() -> None:
    def fetch(item: int) -> int:
        if item == 3:
            raise ServiceError("NCBI E-utilities failed after 7 attempts (timeout) for https://x/efetch.fcgi")
        return item

    seen: list[int] = []
    with pytest.raises(ServiceError, match=r"^NCBI E-utilities failed after 7 attempts"):
        for item, _ in prefetched(fetch, list(range(10))):
            seen.append(item)
    assert seen == [0, 1, 2]


def test_failed_page_is_one_line_with_the_same_exit_code_and_earlier_pages_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = RangeEutils(list(range(1, 31)), html_from=3)  # pages 1 and 2 arrive, page 3 never does
    real_make_client = http_module.make_client

    def mocked(settings: Settings, service: Any, **kw: Any) -> http_module.HttpClient:
        return real_make_client(settings, service, transport=httpx.MockTransport(fake), sleep=lambda s: None,
                                limiter=RateLimiter(1000.0))

    monkeypatch.setattr(http_module, "make_client", mocked)
    monkeypatch.setenv("KETLIT_EUTILS_URL", BASE)
    monkeypatch.setenv("NCBI_EMAIL", "me@example.org")
    monkeypatch.setenv("KETLIT_MAX_RETRIES", "2")
    monkeypatch.setenv("KETLIT_BATCH_SIZE", "10")
    db = tmp_path / "k.db"
    result = CliRunner().invoke(app, ["--db", str(db), "fetch", "pubmed", "ketamine"])
    assert result.exit_code == ServiceError.exit_code == ExitCode.ERROR
    assert "Traceback" not in result.output + result.stderr
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("Error:")]
    assert line == ("Error: NCBI E-utilities failed after 3 attempts (bad body: HTML error page instead of XML) "
                    "for https://eutils.test/entrez/eutils/efetch.fcgi")
    store = open_store(db)
    try:
        assert store.counts()["articles"] == 20  # the two pages before the failure
        run = store.recent_runs(1)[0]
        assert run.status == "failed" and run.retrieved == 20 and run.message == line.removeprefix("Error: ")
        assert store.watermark("pubmed", run.query_key) is None
    finally:
        store.close()
    # Nothing was requested after the failed page: its three attempts were the last requests.
    assert len(fake.fetches) == 2 + 3


@pytest.mark.parametrize(("count", "cap"), [(14_440, 9999), (650, 200)])
def test_past_the_cap_the_requests_are_the_minimum(tmp_path: Path, count: int, cap: int) -> None:
    ids = list(range(40_000_000, 40_000_000 + 3 * count, 3))
    fake = RangeEutils(ids, cap=cap)
    settings, store, http = _setup(tmp_path, fake)
    report = fetch_pubmed(store, http, settings, "ketamine")
    assert report.status == "complete" and report.retrieved == count and report.missing == []
    # Each search lists at most ``cap`` IDs, so ceil(count / cap) is the fewest that can list them all.
    searches = math.ceil(count / cap)
    assert len(fake.searches) == searches == report.windows > 1
    assert http.requests_made == report.requests == searches + math.ceil(count / settings.batch_size)
    # Each search after the first asks only for what lies below the lowest PMID listed so far.
    newest_first = sorted(ids, reverse=True)
    assert fake.searches[1:] == [f"(ketamine) AND (1:{newest_first[k * cap - 1] - 1}[uid])"
                                 for k in range(1, searches)]


def test_a_service_that_does_not_list_newest_first_still_yields_every_id(tmp_path: Path) -> None:
    ids = list(range(1000, 1000 + 2 * 950, 2))
    fake = RangeEutils(ids, cap=200, shuffled=True)
    settings, store, http = _setup(tmp_path, fake)
    report = fetch_pubmed(store, http, settings, "ketamine")
    assert report.status == "complete" and report.retrieved == 950 == store.counts()["articles"]
    # More searches than the ordered minimum (5), but bounded: the median cuts halve what is unlisted.
    assert 5 < len(fake.searches) < 40


# -- tagging while fetching ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def replay_standin() -> Iterator[Any]:
    from tests.conftest import shared
    from tests.standins.eutils import EutilsStandin

    files = [shared("replay", "pubmed", "psynamic_all.xml"),
             shared("replay", "pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")]
    with EutilsStandin(files, rate_limit=None) as standin:
        yield standin


def _replay_fetch(standin: Any, db: Path, tagger: Any) -> Store:
    settings = Settings(eutils_url=standin.base_url, ncbi_email="me@example.org", batch_size=40)
    store = open_store(db)
    with make_client(settings, "ncbi", limiter=RateLimiter(1000.0)) as http:
        report = fetch_pubmed(store, http, settings, "esketamine", tagger=tagger)
    assert report.status == "complete" and report.retrieved == 114  # three pages
    return store


def _tags_and_findings(store: Store, runner: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, Any]]:
    pmids = [pmid for _, pmid in store.all_record_ids()]
    return ({p: store.tags_for("pubmed", p) for p in pmids}, store.load_findings(runner.claim_rules.digest),
            store.profiles.profiles(pmids))


@pytest.mark.parametrize("workers", [2, 0])
def test_pages_tagged_during_the_fetch_get_what_tagging_after_it_gives(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_standin: Any, workers: int
) -> None:
    from ketlit.jobs import ingest
    from ketlit.jobs.tag import TagRunner

    runner = TagRunner(Settings())
    after = _replay_fetch(replay_standin, tmp_path / "after.db", None)
    # The old way: everything tagged after the fetch (what tag_pending does, study profiles aside).
    assert runner.tag_records(after, after.untagged(runner.rules_sha)) == 114
    monkeypatch.setattr(ingest, "_TAG_WORKERS", workers)
    during = _replay_fetch(replay_standin, tmp_path / "during.db", runner)
    # Nothing left for the tagging after the fetch, and the same tags and findings.
    drug = sorted(runner.drug_molecules)
    assert during.untagged(runner.rules_sha) == [] and during.stale_findings(runner.claim_rules.digest, drug) == []
    # Study profiles too: tagging reads them for the drug's records, during the fetch as after it.
    assert during.profiles.stale_profiles(runner.evidence_rules.digest, list(runner.evidence_rules.molecules)) == []
    expected, got = _tags_and_findings(after, runner), _tags_and_findings(during, runner)
    assert got == expected and len(got[1]) > 0 and len(got[2]) > 0 and sum(map(len, got[0].values())) > 114


def test_a_tagging_failure_during_the_fetch_leaves_the_fetch_alone(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, replay_standin: Any
) -> None:
    from ketlit.jobs import ingest
    from ketlit.jobs.tag import TagRunner

    def broken(self: Any, articles: Any, part: int = 0, parts: int = 1) -> Any:
        raise ValueError("a rule broke")

    monkeypatch.setattr(TagRunner, "tag_articles", broken)
    monkeypatch.setattr(ingest, "_TAG_WORKERS", 2)
    runner = TagRunner(Settings())
    store = _replay_fetch(replay_standin, tmp_path / "broken.db", runner)  # complete, all stored (asserted there)
    run = store.recent_runs(1)[0]
    assert run.status == "complete" and run.message is None
    assert store.watermark("pubmed", run.query_key) is not None
    assert len(store.untagged(runner.rules_sha)) == 114  # left to the tagging after the fetch,
    with pytest.raises(ValueError, match="a rule broke"):  # which meets the error where it always did
        runner.tag_pending(store)


def test_standin_replicas_are_served_under_new_pmids() -> None:
    from tests.conftest import shared
    from tests.standins.eutils import REPLICA_PMID_BASE, EutilsStandin

    standin = EutilsStandin([shared("replay", "pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")])
    originals = standin.pmids
    assert standin.replicate(3) == 3 * len(originals)
    replicas = standin.pmids - originals
    assert len(replicas) == 2 * len(originals) and min(map(int, replicas)) == REPLICA_PMID_BASE
    assert len(standin.matching_pmids("esketamine")) == 3 * len(originals & standin.matching_pmids("esketamine"))
    with standin:
        body = httpx.post(standin.base_url + "efetch.fcgi", data={"db": "pubmed", "id": str(REPLICA_PMID_BASE)}).content
    (record,) = re.findall(rb"<PubmedArticle>.*?</PubmedArticle>", body, re.S)
    assert re.findall(rb"<PMID[^>]*>(\d+)</PMID>", record)[0] == str(REPLICA_PMID_BASE).encode()
    assert b'<ArticleId IdType="pubmed">%d</ArticleId>' % REPLICA_PMID_BASE in record


def test_a_page_damaged_inside_is_asked_again_and_parsed_as_it_arrives(tmp_path: Path) -> None:
    fake = RangeEutils(list(range(1, 31)))
    damaged = {"sent": False}
    original = fake.__call__

    def once_damaged(request: httpx.Request) -> httpx.Response:
        response = original(request)
        if request.url.path.endswith("efetch.fcgi") and len(fake.fetches) == 2 and not damaged["sent"]:
            damaged["sent"] = True  # complete at its end (passes the quick check), broken inside
            return httpx.Response(200, text=response.text.replace("<ArticleTitle>", "<ArticleTitle><", 1),
                                  headers=response.headers)
        return response

    settings, store, http = _setup(tmp_path, fake, batch_size=10)
    http.client._transport = httpx.MockTransport(once_damaged)  # type: ignore[attr-defined]
    report = fetch_pubmed(store, http, settings, "ketamine")
    assert report.status == "complete" and report.retrieved == 30 == store.counts()["articles"]
    # The damaged page once more (its second request may go before or after the next page's).
    assert sorted(batch[0] for batch in fake.fetches) == ["10", "20", "20", "30"]
    assert report.requests == 1 + 4 and report.retries == 0
