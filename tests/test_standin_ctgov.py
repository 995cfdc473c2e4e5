"""The CT.gov API v2 stand-in behaves like the real API where ketlit depends on it.

Studies are the real v2 records in ../shared/data/ctgov, read in place; expected sets
are computed from those records here, not typed in.
"""

from __future__ import annotations

import json
import math
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from tests.conftest import SHARED_DATA
from tests.standins.ctgov import (
    BUILTIN_SPEC,
    FAULT_KINDS,
    CtgovStandin,
    Fault,
    allowed_query_params,
    check_request_against_spec,
    load_spec,
    nct_of,
    operation_params,
)

CTGOV = SHARED_DATA / "ctgov"
SPEC_PATH = CTGOV / "ctg-oas-v2_api-2.0.5.yaml"
MISSING = f"shared CT.gov data not found at {CTGOV} (tests read ../shared/data in place)"

# urllib honours *_proxy variables; the stand-in is on loopback, so never use a proxy.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))


@pytest.fixture(scope="module")
def studies() -> list[dict[str, Any]]:
    files = sorted(CTGOV.glob("*.json")) if CTGOV.is_dir() else []
    if not files:
        pytest.skip(MISSING)
    return [json.loads(f.read_text(encoding="utf-8")) for f in files]


@pytest.fixture(scope="module")
def spec_path() -> Path:
    if not SPEC_PATH.is_file():
        pytest.skip(f"OpenAPI spec not found at {SPEC_PATH}")
    return SPEC_PATH


@pytest.fixture
def standin(studies: list[dict[str, Any]], spec_path: Path) -> Iterator[CtgovStandin]:
    with CtgovStandin(studies, spec_path=spec_path) as server:
        yield server


class Reply:
    def __init__(self, status: int, headers: Any, body: bytes) -> None:
        self.status, self.headers, self.body = status, headers, body

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> Any:
        return json.loads(self.body)


def get(base: str, path: str, params: dict[str, str] | None = None) -> Reply:
    url = base + path + ("?" + urlencode(params) if params else "")
    try:
        with OPENER.open(url, timeout=10) as resp:
            return Reply(resp.status, resp.headers, resp.read())
    except urllib.error.HTTPError as err:
        return Reply(err.code, err.headers, err.read())
    except urllib.error.URLError as err:  # a truncated body can surface as IncompleteRead
        raise AssertionError(f"transport error for {url}: {err}") from err


def ids(reply: Reply) -> list[str]:
    return [nct_of(s) for s in reply.json()["studies"]]


def last_update(study: dict[str, Any]) -> str:
    date: str = study["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"]
    return date


def walk_pages(base: str, params: dict[str, str]) -> list[Reply]:
    pages = [get(base, "studies", params)]
    while "nextPageToken" in pages[-1].json():
        pages.append(get(base, "studies", {**params, "pageToken": pages[-1].json()["nextPageToken"]}))
        assert len(pages) < 1000, "paging does not terminate"
    return pages


# ------------------------------------------------------------------------------ paging


def test_paging_visits_every_study_once(standin: CtgovStandin, studies: list[dict[str, Any]]) -> None:
    pages = walk_pages(standin.base_url, {"pageSize": "3", "countTotal": "true"})
    seen = [nct for page in pages for nct in ids(page)]
    assert sorted(seen) == sorted(nct_of(s) for s in studies)
    assert len(seen) == len(set(seen))
    assert len(pages) == math.ceil(len(studies) / 3)
    assert pages[0].json()["totalCount"] == len(studies)
    assert all("totalCount" not in p.json() for p in pages[1:])  # first page only
    assert "nextPageToken" not in pages[-1].json()
    assert all(p.status == 200 and p.headers["Content-Type"].startswith("application/json") for p in pages)
    sent = [r.params for r in standin.requests]
    assert "pageToken" not in sent[0] and all("pageToken" in p for p in sent[1:])


def test_order_is_deterministic_by_nct_id(standin: CtgovStandin) -> None:
    first = ids(get(standin.base_url, "studies", {"pageSize": "100"}))
    assert first == sorted(first)
    assert ids(get(standin.base_url, "studies", {"pageSize": "100"})) == first


def test_page_size_default_and_cap(studies: list[dict[str, Any]]) -> None:
    small = [s for s in studies if "resultsSection" not in s]  # keeps 1,205 copies cheap
    with CtgovStandin(CtgovStandin.replicate(small, 1205)) as server:
        assert len(ids(get(server.base_url, "studies"))) == 10
        assert len(ids(get(server.base_url, "studies", {"pageSize": "0"}))) == 10
        big = get(server.base_url, "studies", {"pageSize": "5000", "countTotal": "true"})
        assert len(ids(big)) == 1000 and big.json()["totalCount"] == 1205
        rest = get(server.base_url, "studies", {"pageSize": "5000", "pageToken": big.json()["nextPageToken"]})
        assert len(ids(rest)) == 205 and "nextPageToken" not in rest.json()


def test_later_pages_must_repeat_the_parameters(standin: CtgovStandin) -> None:
    first = get(standin.base_url, "studies", {"pageSize": "2", "filter.overallStatus": "COMPLETED"})
    token = first.json()["nextPageToken"]
    changed = get(standin.base_url, "studies", {"pageSize": "2", "filter.overallStatus": "UNKNOWN", "pageToken": token})
    assert changed.status == 400 and changed.headers["Content-Type"].startswith("text/plain")
    dropped = get(standin.base_url, "studies", {"pageSize": "2", "pageToken": token})
    assert dropped.status == 400
    # countTotal and pageSize may change between pages
    ok = get(
        standin.base_url,
        "studies",
        {"pageSize": "5", "countTotal": "true", "filter.overallStatus": "COMPLETED", "pageToken": token},
    )
    assert ok.status == 200 and "totalCount" not in ok.json()
    assert not set(ids(ok)) & set(ids(first))
    assert get(standin.base_url, "studies", {"pageToken": "not-a-token"}).status == 400


# --------------------------------------------------------------------- rejected requests


@pytest.mark.parametrize("name", ["query.recrs", "filter.phase", "filter.intervention", "page_size"])
def test_unknown_parameter_is_400_with_the_real_wording(standin: CtgovStandin, name: str) -> None:
    reply = get(standin.base_url, "studies", {"query.cond": "diabetes", name: "x"})
    assert reply.status == 400
    assert reply.headers["Content-Type"].startswith("text/plain")
    assert reply.text == f"`{name}` is unknown parameter"


def test_unknown_parameter_on_single_study(standin: CtgovStandin) -> None:
    assert get(standin.base_url, "studies/NCT00763412", {"pageSize": "3"}).status == 400


@pytest.mark.parametrize("value", ["RECRUITNG", "COMPLETED|recruiting", "Completed"])
def test_bad_status_value_is_400(standin: CtgovStandin, value: str) -> None:
    reply = get(standin.base_url, "studies", {"filter.overallStatus": value})
    assert reply.status == 400
    assert "filter.overallStatus" in reply.text


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"format": "csv"}, 400),  # valid for the API, not served here
        ({"format": "xml"}, 400),
        ({"markupFormat": "html"}, 400),
        ({"countTotal": "yes"}, 400),
        ({"pageSize": "-1"}, 400),
        ({"pageSize": "ten"}, 400),
        ({"filter.ids": "NCT0000000X"}, 400),
        ({"sort": "LastUpdatePostDate:up"}, 400),
        ({"filter.geo": "distance(39.0,-77.1,50mi)"}, 501),  # spec-valid but not implemented
        ({"sort": "NumArmGroups"}, 501),
        ({"filter.advanced": "AREA[NoSuchArea]x"}, 501),
        ({"filter.advanced": "AREA[LastUpdatePostDate]RANGE[yesterday,MAX]"}, 400),
        ({"query.term": "(ketamine"}, 400),
    ],
)
def test_other_rejections(standin: CtgovStandin, params: dict[str, str], status: int) -> None:
    reply = get(standin.base_url, "studies", params)
    assert reply.status == status, reply.text
    assert reply.headers["Content-Type"].startswith("text/plain") and reply.text


# ----------------------------------------------------------------------------- filters


def test_overall_status_filter(standin: CtgovStandin, studies: list[dict[str, Any]]) -> None:
    wanted = {"COMPLETED", "UNKNOWN"}
    expected = sorted(
        nct_of(s) for s in studies if s["protocolSection"].get("statusModule", {}).get("overallStatus") in wanted
    )
    for value in ("COMPLETED|UNKNOWN", "COMPLETED,UNKNOWN"):
        assert ids(get(standin.base_url, "studies", {"filter.overallStatus": value, "pageSize": "50"})) == expected


@pytest.mark.parametrize(
    ("expression", "low", "high"),
    [
        ("AREA[LastUpdatePostDate]RANGE[2022-01-01,MAX]", "2022-01-01", "9999-12-31"),
        ("AREA[LastUpdatePostDate]RANGE[MIN,2017-06-05]", "0000-01-01", "2017-06-05"),
        ("AREA[LastUpdatePostDate]RANGE[2019-01-01,2020-12-31]", "2019-01-01", "2020-12-31"),
        ("AREA[LastUpdatePostDate]RANGE[2019-11,2019-12]", "2019-11-01", "2019-12-31"),
    ],
)
def test_last_update_range_filter(
    standin: CtgovStandin, studies: list[dict[str, Any]], expression: str, low: str, high: str
) -> None:
    expected = sorted(nct_of(s) for s in studies if study_has_update(s) and low <= last_update(s) <= high)
    assert expected, "the range should select something in the real data"
    for param in ("filter.advanced", "query.term"):  # the spec's own example puts AREA[] in query.term
        reply = get(standin.base_url, "studies", {param: expression, "pageSize": "50"})
        assert ids(reply) == expected, param


def study_has_update(study: dict[str, Any]) -> bool:
    return "lastUpdatePostDateStruct" in study["protocolSection"].get("statusModule", {})


def test_update_study_moves_it_into_the_refresh_window(standin: CtgovStandin) -> None:
    window = {"filter.advanced": "AREA[LastUpdatePostDate]RANGE[2030-01-01,MAX]"}
    assert ids(get(standin.base_url, "studies", window)) == []

    def retitle(study: dict[str, Any]) -> None:
        study["protocolSection"]["identificationModule"]["briefTitle"] = "Changed title"

    standin.update_study("NCT03418623", retitle, last_update="2030-02-03")
    assert ids(get(standin.base_url, "studies", window)) == ["NCT03418623"]
    fetched = get(standin.base_url, "studies/NCT03418623").json()
    assert fetched["protocolSection"]["identificationModule"]["briefTitle"] == "Changed title"
    assert last_update(fetched) == "2030-02-03"
    with pytest.raises(KeyError):
        standin.update_study("NCT99999999", retitle, last_update="2030-02-03")


def test_filter_ids_and_query_words(standin: CtgovStandin) -> None:
    got = ids(get(standin.base_url, "studies", {"filter.ids": "NCT02513394|NCT00763412,NCT99999999"}))
    assert got == ["NCT00763412", "NCT02513394"]
    assert ids(get(standin.base_url, "studies", {"query.cond": "Cystic Fibrosis"})) == ["NCT00763412"]
    assert ids(get(standin.base_url, "studies", {"query.intr": "repaglinide"})) == ["NCT00763412"]
    assert ids(get(standin.base_url, "studies", {"query.titles": "PALLAS"})) == ["NCT02513394"]
    assert ids(get(standin.base_url, "studies", {"query.term": "palbociclib OR repaglinide"})) == [
        "NCT00763412",
        "NCT02513394",
    ]
    # Word matching, not substring: "fibro" is no word of any study
    assert ids(get(standin.base_url, "studies", {"query.cond": "fibro"})) == []
    assert ids(get(standin.base_url, "studies", {"query.term": "repaglinide NOT placebo"})) == []


def test_phase_area_and_nct_only_queries_ignore_filters(standin: CtgovStandin, studies: list[dict[str, Any]]) -> None:
    phase3 = sorted(
        nct_of(s) for s in studies if "PHASE3" in s["protocolSection"].get("designModule", {}).get("phases", [])
    )
    assert ids(get(standin.base_url, "studies", {"filter.advanced": "AREA[Phase]PHASE3"})) == phase3
    # documented API rule: a query of only NCT IDs makes the API ignore filters
    reply = get(standin.base_url, "studies", {"query.term": "NCT02513394", "filter.overallStatus": "COMPLETED"})
    assert ids(reply) == ["NCT02513394"]


def test_fields_selection_and_sort(standin: CtgovStandin, studies: list[dict[str, Any]]) -> None:
    reply = get(
        standin.base_url,
        "studies",
        {"fields": "NCTId|LastUpdatePostDate", "sort": "LastUpdatePostDate", "pageSize": "50"},
    )
    got = reply.json()["studies"]
    assert all(set(s) == {"protocolSection"} for s in got)
    assert all("briefTitle" not in s["protocolSection"].get("identificationModule", {}) for s in got)
    dated = [s for s in got if study_has_update(s)]
    assert [last_update(s) for s in dated] == sorted((last_update(s) for s in dated), reverse=True)  # dates: desc
    assert not study_has_update(got[-1])  # a study without the sort field comes last
    assert len(got) == len(studies)


def test_single_study_endpoint(standin: CtgovStandin, studies: list[dict[str, Any]]) -> None:
    raw = next(s for s in studies if nct_of(s) == "NCT02210780")
    reply = get(standin.base_url, "studies/NCT02210780")
    assert reply.status == 200 and reply.json() == raw
    missing = get(standin.base_url, "studies/NCT09999999")
    assert missing.status == 404 and missing.headers["Content-Type"].startswith("text/plain")
    assert get(standin.base_url, "studies/XYZ123").status == 400
    assert get(standin.base_url, "nothing-here").status == 404


# ------------------------------------------------------------------------------ faults


@pytest.mark.parametrize("kind", FAULT_KINDS)
def test_each_fault_kind_then_recovery(studies: list[dict[str, Any]], kind: str) -> None:
    with CtgovStandin(studies) as server:
        server.fail_next(kind)
        reply = get(server.base_url, "studies", {"pageSize": "3"})
        if kind in ("500", "502", "503"):
            assert reply.status == int(kind) and reply.headers["Content-Type"].startswith("text/html")
        elif kind == "429":
            assert reply.status == 429
        elif kind == "html":
            assert reply.status == 200 and reply.headers["Content-Type"].startswith("text/html")
            assert reply.body.lstrip().startswith(b"<!DOCTYPE html>")
        else:
            assert reply.status == 200 and reply.headers["Content-Type"].startswith("application/json")
            assert int(reply.headers["Content-Length"]) == len(reply.body)
            with pytest.raises(json.JSONDecodeError):
                json.loads(reply.body)
        if kind != "truncated":
            with pytest.raises(json.JSONDecodeError):
                json.loads(reply.body)
        assert server.requests[-1].fault == kind and server.requests[-1].status == reply.status
        again = get(server.base_url, "studies", {"pageSize": "3"})
        assert again.status == 200 and len(ids(again)) == 3 and server.requests[-1].fault is None


def test_truncation_never_turns_an_error_into_a_200(standin: CtgovStandin) -> None:
    standin.fail_next("truncated")
    reply = get(standin.base_url, "studies", {"query.recrs": "x"})
    assert (reply.status, reply.text) == (400, "`query.recrs` is unknown parameter")
    assert standin.requests[-1].fault is None


def test_random_faults_are_seeded_and_latency_applies(studies: list[dict[str, Any]]) -> None:
    def run() -> list[str | None]:
        with CtgovStandin(studies, fault=Fault(rate=0.5, seed=7, latency=0.001)) as server:
            for _ in range(30):
                get(server.base_url, "studies", {"pageSize": "1"})
            return [r.fault for r in server.requests]

    first = run()
    assert first == run()
    assert any(f is None for f in first) and any(f is not None for f in first)
    assert set(f for f in first if f) <= set(FAULT_KINDS)
    with pytest.raises(ValueError):
        CtgovStandin(studies, fault=Fault(kinds=("404",)))


def test_concurrent_requests(standin: CtgovStandin) -> None:
    results: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        for _ in range(5):
            status = get(standin.base_url, "studies", {"pageSize": "4"}).status
            with lock:
                results.append(status)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [200] * 40 and len(standin.requests) == 40


# --------------------------------------------------------------------------- replicate


def test_replicate_makes_unique_deterministic_ids(studies: list[dict[str, Any]]) -> None:
    before = json.dumps(studies, sort_keys=True)
    many = CtgovStandin.replicate(studies, 40)
    assert len(many) == 40
    numbers = [nct_of(s) for s in many]
    assert len(set(numbers)) == 40
    assert sorted(numbers[: len(studies)]) == sorted(nct_of(s) for s in studies)
    assert all(n.startswith("NCT9") and len(n) == 11 for n in numbers[len(studies) :])
    assert [nct_of(s) for s in CtgovStandin.replicate(studies, 40)] == numbers
    assert json.dumps(studies, sort_keys=True) == before  # inputs untouched
    # a copy differs from its source only in the NCT ID
    source = next(s for s in studies if nct_of(s) == sorted(numbers[: len(studies)])[0])
    clone = many[len(studies)]
    assert json.dumps(clone["protocolSection"]["statusModule"]) == json.dumps(source["protocolSection"]["statusModule"])
    assert len(CtgovStandin.replicate(studies, 3)) == 3
    stubs = [s for s in studies if "resultsSection" not in s]
    assert len({nct_of(s) for s in CtgovStandin.replicate(stubs, 5000)}) == 5000


# ------------------------------------------------------------------------ spec helpers


def test_spec_derived_parameter_list(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    names = allowed_query_params(spec, "/studies")
    assert {"query.term", "query.cond", "query.intr", "query.titles", "filter.overallStatus", "filter.ids",
            "filter.advanced", "fields", "sort", "countTotal", "pageSize", "pageToken", "format",
            "markupFormat"} <= set(names)  # fmt: skip
    assert "query.recrs" not in names and "filter.phase" not in names
    assert allowed_query_params(spec, "/api/v2/studies/NCT02513394") == ["format", "markupFormat", "fields"]


def test_builtin_spec_matches_the_yaml(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    for path in ("/studies", "/studies/NCT02513394"):
        real, builtin = operation_params(spec, path), operation_params(BUILTIN_SPEC, path)
        assert list(real) == list(builtin)
        for name in real:
            assert real[name]["in"] == builtin[name]["in"]
    assert BUILTIN_SPEC["components"]["schemas"]["Status"]["enum"] == spec["components"]["schemas"]["Status"]["enum"]


def test_check_request_against_spec(spec_path: Path) -> None:
    spec = load_spec(spec_path)
    good = {
        "query.cond": "depression",
        "filter.overallStatus": "COMPLETED|RECRUITING",
        "pageSize": "100",
        "countTotal": "true",
        "format": "json",
        "filter.advanced": "AREA[LastUpdatePostDate]RANGE[2024-01-01,MAX]",
    }
    assert check_request_against_spec(spec, "/api/v2/studies", good) == []
    problems = check_request_against_spec(
        spec, "/studies", {"query.recrs": "x", "filter.overallStatus": "DONE", "format": "xml"}
    )
    assert len(problems) == 3
    assert problems[0] == "`query.recrs` is unknown parameter"
    assert "DONE" in problems[1] and "xml" in problems[2]
    assert check_request_against_spec(spec, "/studies/NCT1", {}) == []
    assert check_request_against_spec(spec, "/studies/ABC", {}) != []
    assert check_request_against_spec(spec, "/no/such/path", {}) != []
