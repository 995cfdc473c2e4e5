"""Self-tests for the loopback E-utilities stand-in (tests/standins/eutils.py).

They pin the behaviours ketlit's end-to-end tests rely on: the query language, the history server, the
PubMed retstart cap, rate limiting, 414 on long GET URLs and each injected fault.  The 3-record real file is
used wherever possible; the 1,580-record replay corpus is parsed once for the whole module.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from lxml import etree

from tests.standins.eutils import EutilsStandin, Fault, QuerySyntaxError

DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
REPLAY = DATA / "replay" / "pubmed"
SMALL = REPLAY / "meta-harness_efetch_esketamine_trd_3records.xml"
BIG = REPLAY / "psynamic_all.xml"

if not (SMALL.exists() and BIG.exists()):
    pytest.skip(f"shared replay corpus not available under {REPLAY}", allow_module_level=True)

SUSTAIN1, TRANSFORM1, SUSTAIN2 = "31166571", "31290965", "32316080"
ALL3 = {SUSTAIN1, TRANSFORM1, SUSTAIN2}

# Word-level count of "ketamine" over both replay files (1,582 distinct PMIDs; PMID 32316080 is in both and
# served once).  Cross-checked independently with a regex over each record's text: 722 whole-word hits
# (729 if substrings such as "esketamine" counted too).
KETAMINE_COUNT = 722


def _xml(resp: httpx.Response) -> etree._Element:
    return etree.fromstring(resp.content, etree.XMLParser(load_dtd=False, no_network=True))


def _ids(resp: httpx.Response) -> list[str]:
    return [e.text or "" for e in _xml(resp).findall("IdList/Id")]


def _fetched_pmids(resp: httpx.Response) -> list[str]:
    return [e.text or "" for e in _xml(resp).findall("PubmedArticle/MedlineCitation/PMID")]


@pytest.fixture(scope="module")
def small() -> Iterator[EutilsStandin]:
    with EutilsStandin([SMALL], rate_limit=None) as s:
        yield s


@pytest.fixture(scope="module")
def big() -> Iterator[EutilsStandin]:
    with EutilsStandin([BIG, SMALL], rate_limit=None) as s:
        yield s


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=10) as c:
        yield c


# ---------------------------------------------------------------------------------------------------------------
# Query language (evaluated in-process through matching_pmids, the same evaluator ESearch uses)
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("term", "expected"),
    [
        ("esketamine", ALL3),
        ("ESKETAMINE", ALL3),
        ("relapse", {SUSTAIN1}),  # TRANSFORM-1 has it only in its ReferenceList, which is not indexed
        ("relapse[ti]", {SUSTAIN1}),
        ("relapse AND prevention[ti]", {SUSTAIN1}),
        ("esketamine NOT relapse", {TRANSFORM1, SUSTAIN2}),
        ("relapse[ti] OR long-term[ti]", {SUSTAIN1, SUSTAIN2}),
        ('"relapse prevention"[tiab]', {SUSTAIN1}),
        ('"prevention relapse"[tiab]', set()),
        ("relapse prevention[ti]", {SUSTAIN1}),  # a tag after bare words makes them one phrase
        ("relap*[ti]", {SUSTAIN1}),
        ("ketamine[mh]", ALL3),
        ("depressive disorder, treatment-resistant[mh]", ALL3),
        ('"Major Depressive Disorder"[mh]', {SUSTAIN1}),
        ("depression[mh]", set()),  # [mh] matches whole headings, not words inside them
        ("randomized controlled trial[pt]", {SUSTAIN1, TRANSFORM1}),
        ("esketamine NOT randomized controlled trial[pt]", {SUSTAIN2}),
        ("esketamine[nm] AND young adult[mh]", {TRANSFORM1, SUSTAIN2}),
        ("s-ketamine[ot]", {TRANSFORM1}),
        ("jama psychiatry[ta]", {SUSTAIN1}),
        (f"{SUSTAIN2}[uid]", {SUSTAIN2}),
        ("31000000:31999999[uid]", {SUSTAIN1, TRANSFORM1}),
        ("2019/06/01:2019/06/30[crdt]", {SUSTAIN1}),
        ('"2019/06/01"[crdt] : "2019/07/31"[crdt]', {SUSTAIN1, TRANSFORM1}),
        ("2020[edat]", {SUSTAIN2}),
        ("2019/09[dp]", {SUSTAIN1}),
        ("2019:2019[pdat]", {SUSTAIN1, TRANSFORM1}),
        ("esketamine AND 2019/07/01:3000[crdt]", {TRANSFORM1, SUSTAIN2}),
        # PubMed is strictly left to right: (relapse OR cognition) AND long-term
        ("relapse OR cognition AND long-term[ti]", {SUSTAIN2}),
        ("relapse OR (cognition AND long-term[ti])", {SUSTAIN1, SUSTAIN2}),
        ("relapse OR cognition", {SUSTAIN1, SUSTAIN2}),
        ("zzqxnotaword", set()),
    ],
)
def test_term_evaluation(small: EutilsStandin, term: str, expected: set[str]) -> None:
    assert small.matching_pmids(term) == expected


@pytest.mark.parametrize("term", ["(ketamine", "ketamine)", '"ketamine', "ketamine[mh", "ketamine AND", "AND x"])
def test_syntax_errors_raise(small: EutilsStandin, term: str) -> None:
    with pytest.raises(QuerySyntaxError):
        small.matching_pmids(term)


def test_real_record_wins_over_derived_duplicate(big: EutilsStandin) -> None:
    # PMID 32316080 is in both files; the real one has the ChemicalList the derived copy lacks.
    assert SUSTAIN2 in big.matching_pmids("esketamine[nm]")
    assert len(big.pmids) == 1582


def test_ketamine_count_on_full_corpus(big: EutilsStandin, client: httpx.Client) -> None:
    assert len(big.matching_pmids("ketamine")) == KETAMINE_COUNT
    r = client.get(big.base_url + "esearch.fcgi", params={"db": "pubmed", "term": "ketamine", "retmode": "json"})
    res = r.json()["esearchresult"]
    assert res["count"] == str(KETAMINE_COUNT)
    assert res["retmax"] == "20" and len(res["idlist"]) == 20
    assert res["idlist"] == sorted(res["idlist"], key=int, reverse=True)


# ---------------------------------------------------------------------------------------------------------------
# ESearch over HTTP
# ---------------------------------------------------------------------------------------------------------------


def test_esearch_xml_shape_and_headers(small: EutilsStandin, client: httpx.Client) -> None:
    r = client.get(small.base_url + "esearch.fcgi", params={"db": "pubmed", "term": "esketamine", "retmax": "2"})
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/xml; charset=UTF-8"
    assert r.headers["ncbi-sid"] and r.headers["x-ratelimit-limit"] == "3"
    assert "x-ratelimit-remaining" in r.headers
    assert r.text.startswith('<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult')
    root = _xml(r)
    assert [c.tag for c in root][:4] == ["Count", "RetMax", "RetStart", "IdList"]
    assert root.findtext("Count") == "3" and root.findtext("RetMax") == "2"
    assert _ids(r) == [SUSTAIN2, TRANSFORM1]


def test_esearch_not_found_matches_real_shape(small: EutilsStandin, client: httpx.Client) -> None:
    r = client.get(small.base_url + "esearch.fcgi", params={"db": "pubmed", "term": "abcXYZ"})
    root = _xml(r)
    assert root.findtext("Count") == "0"
    assert root.find("IdList") is not None and len(root.find("IdList")) == 0  # type: ignore[arg-type]
    assert root.findtext("ErrorList/PhraseNotFound") == "abcXYZ"
    assert root.findtext("WarningList/OutputMessage") == "No items found."
    j = client.get(small.base_url + "esearch.fcgi", params={"term": "abcXYZ", "retmode": "json"}).json()
    assert j["esearchresult"]["errorlist"]["phrasesnotfound"] == ["abcXYZ"]
    assert j["esearchresult"]["warninglist"]["outputmessages"] == ["No items found."]


def test_esearch_syntax_error_document(small: EutilsStandin, client: httpx.Client) -> None:
    r = client.get(small.base_url + "esearch.fcgi", params={"db": "pubmed", "term": "(ketamine OR esketamine"})
    assert r.status_code == 200
    err = _xml(r).findtext("ERROR")
    assert err is not None and "unbalanced parentheses" in err
    j = client.post(small.base_url + "esearch.fcgi", data={"term": '"ketamine', "retmode": "json"})
    assert j.status_code == 200
    assert "unbalanced quotation marks" in j.json()["esearchresult"]["ERROR"]
    assert set(j.json()["esearchresult"]) == {"ERROR"}


def test_esearch_invalid_db(small: EutilsStandin, client: httpx.Client) -> None:
    j = client.get(small.base_url + "esearch.fcgi", params={"db": "fleegle", "term": "x", "retmode": "json"}).json()
    assert j["esearchresult"] == {"ERROR": "Invalid db name specified: fleegle"}


def test_esearch_mindate_maxdate(small: EutilsStandin, client: httpx.Client) -> None:
    params = {"term": "esketamine", "datetype": "edat", "mindate": "2019/07", "maxdate": "2020/04/22"}
    assert set(_ids(client.get(small.base_url + "esearch.fcgi", params=params))) == {TRANSFORM1, SUSTAIN2}
    params = {"term": "esketamine", "datetype": "pdat", "mindate": "2019", "maxdate": "2019"}
    assert set(_ids(client.get(small.base_url + "esearch.fcgi", params=params))) == {SUSTAIN1, TRANSFORM1}


def test_add_records_and_revise_move_mdat(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=None) as s:
        assert s.matching_pmids("2030/01/01:2030/12/31[mdat]") == set()
        s.revise(SUSTAIN1, dt.date(2030, 5, 1))
        assert s.matching_pmids("2030/05/01:2030/05/01[mdat]") == {SUSTAIN1}
        r = client.get(s.base_url + "efetch.fcgi", params={"db": "pubmed", "id": SUSTAIN1, "retmode": "xml"})
        revised = _xml(r).find("PubmedArticle/MedlineCitation/DateRevised")
        assert revised is not None and revised.findtext("Year") == "2030"
        new = (
            b'<PubmedArticleSet><PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
            b'<PMID Version="1">99999999</PMID><Article><Journal><Title>Test J</Title></Journal>'
            b"<ArticleTitle>Zorblatt trial of ketamine.</ArticleTitle></Article></MedlineCitation>"
            b'<PubmedData><History><PubMedPubDate PubStatus="entrez"><Year>2031</Year><Month>2</Month>'
            b"<Day>3</Day></PubMedPubDate></History></PubmedData></PubmedArticle></PubmedArticleSet>"
        )
        s.add_records(new)
        assert s.matching_pmids("zorblatt") == {"99999999"}
        assert s.matching_pmids("2031/02[crdt]") == {"99999999"}
        s.add_records(new.replace(b"Zorblatt", b"Quuxbar"))  # replacement = revised record
        assert s.matching_pmids("zorblatt") == set() and s.matching_pmids("quuxbar") == {"99999999"}


# ---------------------------------------------------------------------------------------------------------------
# History server and EFetch
# ---------------------------------------------------------------------------------------------------------------


def test_usehistory_then_efetch_by_webenv(big: EutilsStandin, client: httpx.Client) -> None:
    r = client.get(
        big.base_url + "esearch.fcgi",
        params={"db": "pubmed", "term": "ketamine", "usehistory": "y", "retmax": "7"},
    )
    root = _xml(r)
    webenv, key = root.findtext("WebEnv") or "", root.findtext("QueryKey")
    assert key == "1" and len(webenv) == 29 and webenv.startswith("MCID_")
    int(webenv[5:], 16)
    first7 = _ids(r)
    f = client.get(
        big.base_url + "efetch.fcgi",
        params={"db": "pubmed", "WebEnv": webenv, "query_key": key, "retstart": "0", "retmax": "7", "retmode": "xml"},
    )
    assert f.status_code == 200 and f.headers["content-type"] == "text/xml; charset=UTF-8"
    assert f.text.startswith('<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle')
    assert _fetched_pmids(f) == first7
    # ESearch paging through the stored set, and a second query appended to the same WebEnv.
    r2 = client.get(big.base_url + "esearch.fcgi", params={"WebEnv": webenv, "query_key": key, "retstart": "5"})
    assert _xml(r2).findtext("Count") == str(KETAMINE_COUNT) and _ids(r2)[:2] == first7[5:7]
    r3 = client.get(
        big.base_url + "esearch.fcgi",
        params={"term": "#1 AND esketamine[nm]", "WebEnv": webenv, "usehistory": "y", "retmode": "json"},
    ).json()["esearchresult"]
    assert r3["webenv"] == webenv and r3["querykey"] == "2"
    assert set(r3["idlist"]) == {SUSTAIN1, TRANSFORM1, SUSTAIN2}


def test_efetch_unknown_webenv(small: EutilsStandin, client: httpx.Client) -> None:
    r = client.get(small.base_url + "efetch.fcgi", params={"WebEnv": "MCID_000000000000000000000000", "query_key": "1"})
    assert r.status_code == 400
    assert (_xml(r).findtext("ERROR") or "").startswith("Cannot retrieve history data.")


def test_efetch_post_keeps_order_and_drops_unknown(small: EutilsStandin, client: httpx.Client) -> None:
    ids = f"{TRANSFORM1},1,{SUSTAIN1},{TRANSFORM1}"
    r = client.post(small.base_url + "efetch.fcgi", data={"db": "pubmed", "id": ids, "retmode": "xml"})
    assert r.status_code == 200
    assert _fetched_pmids(r) == [TRANSFORM1, SUSTAIN1]
    rec = small.requests[-1]
    assert rec.method == "POST" and rec.params["id"] == ids and rec.status == 200 and rec.fault is None


def test_efetch_serves_stored_record_verbatim(small: EutilsStandin, client: httpx.Client) -> None:
    r = client.get(small.base_url + "efetch.fcgi", params={"id": SUSTAIN2, "rettype": "xml"})
    text = SMALL.read_text(encoding="utf-8")
    start = text.index("<PubmedArticle>", text.index(f">{SUSTAIN2}</PMID>") - 200)
    original = etree.fromstring(text[start : text.index("</PubmedArticle>", start) + 16].encode())
    served = _xml(r).find("PubmedArticle")
    assert served is not None
    assert etree.tostring(served, method="c14n") == etree.tostring(original, method="c14n")


def test_long_get_id_list_is_414_but_post_is_fine(small: EutilsStandin, client: httpx.Client) -> None:
    ids = ",".join(str(30_000_000 + i) for i in range(250)) + f",{SUSTAIN1}"
    r = client.get(small.base_url + "efetch.fcgi", params={"db": "pubmed", "id": ids})
    assert r.status_code == 414
    r = client.post(small.base_url + "efetch.fcgi", data={"db": "pubmed", "id": ids})
    assert r.status_code == 200 and _fetched_pmids(r) == [SUSTAIN1]


# ---------------------------------------------------------------------------------------------------------------
# The PubMed retstart cap
# ---------------------------------------------------------------------------------------------------------------


def test_retstart_cap(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], retstart_cap=2, rate_limit=None) as s:
        url = s.base_url + "esearch.fcgi"
        # retstart beyond the cap: in-band error, HTTP 200, message adapted to the cap.
        r = client.get(url, params={"term": "esketamine", "retstart": "2"})
        assert r.status_code == 200
        err = _xml(r).findtext("ERROR") or ""
        assert err.startswith("Search Backend failed: Exception:\n'retstart' cannot be larger than 1.")
        assert "can only retrieve the first 2 records" in err
        # JSON: the newline is sent raw, so strict decoders fail exactly as against NCBI.
        j = client.get(url, params={"term": "esketamine", "retstart": "5", "retmode": "json"})
        with pytest.raises(json.JSONDecodeError, match="Invalid control character"):
            json.loads(j.text)
        assert "cannot be larger than 1" in json.loads(j.text, strict=False)["esearchresult"]["ERROR"]
        # A window crossing the cap is trimmed with a warning; Count stays the true count.
        r = client.get(url, params={"term": "esketamine", "retmax": "20", "usehistory": "y"})
        root = _xml(r)
        assert root.findtext("Count") == "3" and root.findtext("RetMax") == "2" and len(_ids(r)) == 2
        assert root.findtext("WarningList/OutputMessage") == "Restrictions achieved. start and count adjusted to 0, 2"
        # EFetch through the history server obeys the same cap.
        hist = {"WebEnv": root.findtext("WebEnv") or "", "query_key": "1"}
        f = client.get(s.base_url + "efetch.fcgi", params={**hist, "retstart": "0", "retmax": "10"})
        assert len(_fetched_pmids(f)) == 2
        f = client.get(s.base_url + "efetch.fcgi", params={**hist, "retstart": "2", "retmax": "10"})
        assert f.status_code == 400 and "'retstart' cannot be larger than 1" in (_xml(f).findtext("ERROR") or "")


# ---------------------------------------------------------------------------------------------------------------
# Rate limiting
# ---------------------------------------------------------------------------------------------------------------


def test_rate_limit_429(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=3) as s:
        url = s.base_url + "esearch.fcgi"
        statuses = [client.get(url, params={"term": "esketamine"}).status_code for _ in range(4)]
        assert statuses == [200, 200, 200, 429]
        r = client.get(url, params={"term": "esketamine"})
        assert r.status_code == 429
        assert r.headers["content-type"] == "application/json"
        assert r.json() == {"error": "API rate limit exceeded", "count": "5"}
        assert r.headers["x-ratelimit-limit"] == "3" and r.headers["x-ratelimit-remaining"] == "0"
        assert "retry-after" not in r.headers
        # An API key is its own bucket with the higher limit.
        keyed = [client.get(url, params={"term": "x", "api_key": "k1"}).status_code for _ in range(11)]
        assert keyed == [200] * 10 + [429]
        time.sleep(1.05)  # the window slides: the client recovers once it backs off
        assert client.get(url, params={"term": "esketamine"}).status_code == 200
        assert [r.status for r in s.requests].count(429) == 3


# ---------------------------------------------------------------------------------------------------------------
# Injected faults
# ---------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["500", "502", "503"])
def test_fault_http_errors(kind: str, client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=None, fault=Fault(rate=1.0, kinds=(kind,))) as s:
        r = client.get(s.base_url + "esearch.fcgi", params={"term": "esketamine"})
        assert r.status_code == int(kind)
        assert r.headers["content-type"].startswith("text/html") and "<html" in r.text
        assert s.requests[-1].fault == kind and s.requests[-1].status == int(kind)


def test_fault_429(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=None, fault=Fault(rate=1.0, kinds=("429",))) as s:
        r = client.get(s.base_url + "esearch.fcgi", params={"term": "esketamine"})
        assert r.status_code == 429 and r.json()["error"] == "API rate limit exceeded"
        assert "retry-after" not in r.headers


def test_fault_truncated(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=None, fault=Fault(rate=1.0, kinds=("truncated",), seed=3)) as s:
        r = client.post(s.base_url + "efetch.fcgi", data={"id": ",".join(sorted(ALL3))})
        assert r.status_code == 200 and r.headers["content-type"] == "text/xml; charset=UTF-8"
        assert int(r.headers["content-length"]) == len(r.content) < 71_570
        with pytest.raises(etree.XMLSyntaxError):
            _xml(r)


def test_fault_html(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=None, fault=Fault(rate=1.0, kinds=("html",))) as s:
        r = client.get(s.base_url + "efetch.fcgi", params={"id": SUSTAIN1})
        assert r.status_code == 200 and r.headers["content-type"] == "text/html"
        assert "temporarily unavailable" in r.text and "<html" in r.text


def test_fault_latency_and_seeded_sequence(client: httpx.Client) -> None:
    def kinds(seed: int) -> list[str | None]:
        with EutilsStandin([SMALL], rate_limit=None, fault=Fault(rate=0.5, seed=seed)) as s:
            for _ in range(12):
                client.get(s.base_url + "esearch.fcgi", params={"term": "esketamine"})
            return [r.fault for r in s.requests]

    first = kinds(7)
    assert first == kinds(7)  # reproducible
    assert any(first) and not all(first)
    with EutilsStandin([SMALL], rate_limit=None, fault=Fault(latency=0.2)) as s:
        t0 = time.monotonic()
        assert client.get(s.base_url + "esearch.fcgi", params={"term": "x"}).status_code == 200
        assert time.monotonic() - t0 >= 0.2


def test_rate_limited_requests_draw_no_fault(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=1, fault=Fault(rate=1.0, kinds=("503",))) as s:
        codes = [client.get(s.base_url + "esearch.fcgi", params={"term": "x"}).status_code for _ in range(3)]
        assert codes == [503, 429, 429]
        assert [r.fault for r in s.requests] == ["503", None, None]


def test_fault_validation() -> None:
    with pytest.raises(ValueError):
        Fault(rate=0.5, kinds=("teapot",))


# ---------------------------------------------------------------------------------------------------------------
# Odds and ends
# ---------------------------------------------------------------------------------------------------------------


def test_drop_unfound_terms_mimics_pubmed(client: httpx.Client) -> None:
    with EutilsStandin([SMALL], rate_limit=None, drop_unfound_terms=True) as s:
        assert s.matching_pmids("esketamine AND zzqxnotaword") == ALL3
        r = client.get(s.base_url + "esearch.fcgi", params={"term": "esketamine AND zzqxnotaword"})
        assert _xml(r).findtext("Count") == "3"
        assert _xml(r).findtext("ErrorList/PhraseNotFound") == "zzqxnotaword"


def test_request_log_merges_query_and_form(small: EutilsStandin, client: httpx.Client) -> None:
    client.post(small.base_url + "efetch.fcgi?db=pubmed&tool=ketlit", data={"id": SUSTAIN1, "email": "a@b.c"})
    rec = small.requests[-1]
    assert rec.path == "/entrez/eutils/efetch.fcgi"
    assert rec.params == {"db": "pubmed", "tool": "ketlit", "id": SUSTAIN1, "email": "a@b.c"}


def test_parallel_clients_are_served(big: EutilsStandin) -> None:
    def one(i: int) -> int:
        with httpx.Client(timeout=10) as c:
            r = c.get(big.base_url + "esearch.fcgi", params={"term": "ketamine", "retstart": str(i), "retmax": "3"})
            return len(_ids(r))

    with ThreadPoolExecutor(max_workers=8) as pool:
        assert list(pool.map(one, range(16))) == [3] * 16
