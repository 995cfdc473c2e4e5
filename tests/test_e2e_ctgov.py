"""End to end: `ketlit fetch ctgov` against the loopback CT.gov v2 stand-in serving the real
studies (replicated under new NCT IDs): paging, faults, incremental runs with version
history, links, spec-conformant requests, and one-line errors."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.store import TRIAL_EXPORT_FIELDS, open_store
from tests.conftest import SHARED_DATA, shared
from tests.standins.ctgov import CtgovStandin, Fault, check_request_against_spec, load_spec

runner = CliRunner()
EVERYTHING = "a OR the OR of"  # the stand-in matches words; this matches every real study


def real_studies() -> list[dict[str, Any]]:
    folder = shared("ctgov")
    return [json.loads(p.read_text()) for p in sorted(folder.glob("*.json"))]


def spec_path() -> Path:
    return shared("ctgov", "ctg-oas-v2_api-2.0.5.yaml")


@pytest.fixture(autouse=True)
def fast(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("KETLIT_CTGOV_RATE", "50")
    monkeypatch.setenv("KETLIT_BACKOFF_BASE", "0.02")
    monkeypatch.setenv("KETLIT_BACKOFF_CAP", "0.2")
    yield


def cli(base: str, db: Path, *args: str) -> tuple[int, str, str]:
    os.environ["KETLIT_CTGOV_URL"] = base
    try:
        result = runner.invoke(app, ["--db", str(db), *args])
    finally:
        del os.environ["KETLIT_CTGOV_URL"]
    return result.exit_code, result.stdout, result.stderr


def scalar(db: Path, sql: str) -> Any:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(sql).fetchone()[0]
    finally:
        conn.close()


def test_paging_2500_studies_each_stored_once(tmp_path: Path) -> None:
    studies = CtgovStandin.replicate(real_studies(), 2500)
    db = tmp_path / "k.db"
    with CtgovStandin(studies, spec_path=spec_path()) as standin:
        code, _, err = cli(standin.base_url, db, "fetch", "ctgov", EVERYTHING)
        requests = list(standin.requests)
    assert code == 0, err
    assert [r.params.get("countTotal") for r in requests] == ["true", None, None]
    assert all(r.params["pageSize"] == "1000" for r in requests)
    assert scalar(db, "SELECT count(*) FROM trials") == 2500
    assert scalar(db, "SELECT count(DISTINCT nct_id) FROM trials") == 2500
    store = open_store(db)
    (run,) = store.recent_runs(1)
    store.close()
    assert run.status == "complete" and run.expected == run.retrieved == 2500
    assert "expected 2500, retrieved 2500" in err
    # Every request the client sent is one the official spec defines.
    spec = load_spec(spec_path())
    for r in requests:
        assert check_request_against_spec(spec, r.path, r.params) == [], r


def test_faults_do_not_change_the_result(tmp_path: Path) -> None:
    # Without the 1.5 MB mCODE study, so two pages stay quick to serve and parse.
    light = [s for s in real_studies() if len(json.dumps(s)) < 500_000]
    studies = CtgovStandin.replicate(light, 1200)
    with CtgovStandin(studies) as clean:
        assert cli(clean.base_url, tmp_path / "clean.db", "fetch", "ctgov", EVERYTHING)[0] == 0
    with CtgovStandin(studies, fault=Fault(rate=0.2, seed=11)) as faulty:
        faulty.fail_next("truncated", "503", "html", "429")
        code, _, err = cli(faulty.base_url, tmp_path / "faulty.db", "fetch", "ctgov", EVERYTHING)
        faults = [r.fault for r in faulty.requests if r.fault]
    assert code == 0, err
    assert len(faults) >= 4
    hashes = []
    for name in ("clean.db", "faulty.db"):
        store = open_store(tmp_path / name)
        hashes.append(store.trials_content_hash())
        assert store.counts()["trials"] == 1200
        store.close()
    assert hashes[0] == hashes[1]


def _complete(study: dict[str, Any]) -> None:
    study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"


def test_incremental_run_refetches_only_changed_trials(tmp_path: Path) -> None:
    studies = real_studies()
    db = tmp_path / "k.db"
    with CtgovStandin(studies, spec_path=spec_path()) as standin:
        assert cli(standin.base_url, db, "fetch", "ctgov", EVERYTHING)[0] == 0
        before = {r[0]: r[1] for r in sqlite3.connect(db).execute("SELECT nct_id, content_sha256 FROM trials")}
        # Upstream: three trials change status, one posts results.
        without_results = [s for s in studies if not s.get("hasResults") and "statusModule" in s["protocolSection"]]
        changed = sorted(s["protocolSection"]["identificationModule"]["nctId"] for s in without_results[:3])
        old_status = {s["protocolSection"]["identificationModule"]["nctId"]:
                      s["protocolSection"]["statusModule"].get("overallStatus") for s in without_results[:3]}
        for nct in changed:
            standin.update_study(nct, _complete, last_update="2099-01-15")

        def post_results(study: dict[str, Any]) -> None:
            study["hasResults"] = True
            study["resultsSection"] = next(s for s in studies if s.get("hasResults"))["resultsSection"]

        standin.update_study(changed[0], post_results, last_update="2099-01-16")
        standin.requests.clear()
        code, _, err = cli(standin.base_url, db, "fetch", "ctgov", EVERYTHING)
        requests = list(standin.requests)
    assert code == 0, err
    assert len(requests) == 1 and "AREA[LastUpdatePostDate]RANGE[" in requests[0].params["filter.advanced"]
    assert "retrieved 3 (0 new, 3 updated, 0 unchanged)" in err
    for nct in changed:
        if old_status[nct] != "COMPLETED":
            assert f"changed: {nct}: overall status {old_status[nct]} → COMPLETED" in err
    assert f"changed: {changed[0]}: results posted" in err
    after = {r[0]: r[1] for r in sqlite3.connect(db).execute("SELECT nct_id, content_sha256 FROM trials")}
    assert {n for n in after if after[n] != before[n]} == set(changed)  # nothing else moved
    code, out, _ = cli("http://127.0.0.1:9/api/v2/", db, "history", changed[0], "--json")
    versions = json.loads(out)["versions"]
    assert len(versions) == 2 and versions[-1]["has_results"] is True and versions[0]["has_results"] is False


def test_links_between_pubmed_and_ctgov(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    xml = shared("pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")
    assert runner.invoke(app, ["--db", str(db), "import", str(xml)]).exit_code == 0
    result = runner.invoke(app, ["--db", str(db), "export", "links"])
    links = {(r["pmid"], r["nct_id"]) for r in map(json.loads, result.stdout.splitlines())}
    assert {("31166571", "NCT02493868"), ("31290965", "NCT02417064"), ("32316080", "NCT02497287")} <= links
    # CT.gov references: a study with RESULT references links back to PubMed.
    studies = real_studies()
    with CtgovStandin(studies) as standin:
        assert cli(standin.base_url, db, "fetch", "ctgov", EVERYTHING)[0] == 0
    expected = {
        (ref["pmid"], s["protocolSection"]["identificationModule"]["nctId"])
        for s in studies
        for ref in s["protocolSection"].get("referencesModule", {}).get("references", [])
        if ref.get("pmid")
    }
    assert expected
    result = runner.invoke(app, ["--db", str(db), "export", "links", "--format", "jsonl"])
    rows = [json.loads(line) for line in result.stdout.splitlines()]
    assert expected <= {(r["pmid"], r["nct_id"]) for r in rows if r["origin"] == "ctgov_reference"}
    status = json.loads(runner.invoke(app, ["--db", str(db), "status", "--json"]).stdout)
    assert status["counts"]["links_from_ctgov"] >= len(expected) and status["counts"]["links_from_pubmed"] >= 3


def test_search_and_export_cover_trials(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    with CtgovStandin(real_studies()) as standin:
        assert cli(standin.base_url, db, "fetch", "ctgov", "alcohol")[0] == 0
    result = runner.invoke(app, ["--db", str(db), "search", "alcohol", "--json"])
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert "NCT03418623" in {h["id"] for h in hits if h["source"] == "ctgov"}
    result = runner.invoke(app, ["--db", str(db), "export", "trials", "--format", "csv"])
    assert result.exit_code == 0 and result.stdout.splitlines()[0].startswith("nct_id,brief_title")
    trials = [json.loads(x) for x in runner.invoke(app, ["--db", str(db), "export", "trials"]).stdout.splitlines()]
    assert all(t["nct_id"].startswith("NCT") for t in trials) and trials
    # Every record has exactly the keys the CSV header names, in its order.
    assert all(tuple(t) == TRIAL_EXPORT_FIELDS for t in trials)


def _error_line(err: str) -> str:
    lines = [x for x in err.splitlines() if x.startswith("Error:")]
    assert len(lines) == 1, err
    return lines[0]


def test_bad_status_is_a_one_line_error_before_any_request(tmp_path: Path) -> None:
    with CtgovStandin(real_studies()) as standin:
        code, out, err = cli(standin.base_url, tmp_path / "k.db", "fetch", "ctgov", "x", "--status", "finished")
        assert standin.requests == []
    assert code == 1 and "Traceback" not in out + err
    assert "unknown trial status 'finished'" in _error_line(err)


def test_api_400_message_is_shown_as_it_is(tmp_path: Path) -> None:
    with CtgovStandin(real_studies()) as standin:
        code, out, err = cli(standin.base_url, tmp_path / "k.db", "fetch", "ctgov", "x AND (y")
    assert code == 1 and "Traceback" not in out + err
    line = _error_line(err)
    assert "HTTP 400" in line


def test_non_json_body_is_a_one_line_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_MAX_RETRIES", "1")
    with CtgovStandin(real_studies(), fault=Fault(rate=1.0, kinds=("html",))) as standin:
        code, out, err = cli(standin.base_url, tmp_path / "k.db", "fetch", "ctgov", EVERYTHING)
    assert code == 1 and "Traceback" not in out + err
    assert "HTML error page instead of JSON" in _error_line(err)


def test_shared_data_present_for_this_module() -> None:
    if not (SHARED_DATA / "ctgov").exists():
        pytest.skip("shared data not available")
    assert len(real_studies()) == 12
