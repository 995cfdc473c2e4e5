"""End to end on in-repo fixtures only: a clean clone without ``../shared`` runs fetch, parse,
store, tag, check and report with no skips.

The loopback stand-ins (real HTTP on 127.0.0.1) serve the hand-written records under
``tests/fixtures/offline/`` (eleven PubMed records, four CT.gov v2 studies, a query file and a
clinic page), and the real CLI is driven through them. Nothing here may read ``../shared``: the
``no_shared_data`` fixture points ``SHARED_DATA`` at a folder that does not exist, makes
``tests.conftest.shared`` fail loudly, and an audit hook records any file opened under the real
shared folder while these tests run, so a test that starts to depend on recorded data fails here
instead of silently skipping in a clean clone.

Assertions name specific records (PMIDs, NCT IDs, tags, verdicts), not just exit codes; the
fixtures' numbers were chosen so that the expected values follow from the abstracts (for example
21/48 and 14/36 responders pool to about 42%, so "more than 30%" is supported and "over 90%"
contradicted).
"""

from __future__ import annotations

import csv
import io
import json
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import tests.conftest
from ketlit.cli import app
from tests.conftest import FIXTURES
from tests.standins.ctgov import CtgovStandin
from tests.standins.eutils import EutilsStandin

runner = CliRunner()

OFFLINE = FIXTURES / "offline"
PUBMED_XML = OFFLINE / "efetch_offline_ketamine_set.xml"
NBIB = OFFLINE / "medline_offline_esketamine.nbib"
QUERIES = OFFLINE / "queries"
QUERY_FILE = QUERIES / "offline_ketamine.toml"
PAGE = OFFLINE / "pages" / "clinic_offline_ketamine.html"

# The query file's own search parameters: fetching with them files the records under the query's
# keys, which is what `ketlit report QUERY_FILE` reads.
PUBMED_TERM = "ketamine OR esketamine"
CTGOV_INTR = "ketamine OR esketamine"

ON_TOPIC_PMIDS = {f"903000{n:02d}" for n in range(1, 12)} - {"90300010"}
OFF_TOPIC_PMID = "90300010"  # soil nematodes: in the stand-in's corpus, never matched by the term
NCT_IDS = {"NCT09930001", "NCT09930002", "NCT09930003", "NCT09930004"}

# Paths opened under the real shared folder while an offline test runs (see no_shared_data).
_SHARED_ROOTS = tuple({str(tests.conftest.SHARED_DATA.parent), str(tests.conftest.SHARED_DATA.parent.resolve())})
_watch: list[list[str]] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if _watch and event in ("open", "os.listdir", "os.scandir") and args:
        target = args[0]
        if isinstance(target, (str, Path)) and str(target).startswith(_SHARED_ROOTS):
            _watch[-1].append(str(target))


# Audit hooks cannot be removed; this one does nothing unless an offline test is running.
sys.addaudithook(_audit)


def _no_shared(*parts: str) -> Path:
    raise AssertionError(f"an offline test asked for shared data: {parts}")


@pytest.fixture(autouse=True)
def no_shared_data(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    """Hide ../shared from every test in this module, and fail if anything reaches for it."""
    monkeypatch.setattr(tests.conftest, "SHARED_DATA", tmp_path / "no-shared-here" / "data")
    monkeypatch.setattr(tests.conftest, "shared", _no_shared)
    opened: list[str] = []
    _watch.append(opened)
    try:
        yield
    finally:
        _watch.pop()
    assert opened == [], f"offline test opened shared data: {opened[:5]}"


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NCBI_EMAIL", "offline-tests@example.org")
    monkeypatch.setenv("KETLIT_CTGOV_RATE", "50")
    monkeypatch.setenv("KETLIT_BACKOFF_BASE", "0.02")
    monkeypatch.setenv("KETLIT_BACKOFF_CAP", "0.1")
    yield


def studies() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(OFFLINE.glob("ctgov_study_*.json"))]


def cli(db: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["--db", str(db), *args])
    return result.exit_code, result.stdout, result.stderr


def jsonl(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def fetch_both(db: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], list[str]]:
    """Fetch the query file's PubMed term and CT.gov parameters through the stand-ins; returns
    the paths each stand-in was asked for."""
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        monkeypatch.setenv("KETLIT_EUTILS_URL", eu.base_url)
        monkeypatch.setenv("KETLIT_CTGOV_URL", ct.base_url)
        code, _, err = cli(db, "fetch", "pubmed", PUBMED_TERM)
        assert code == 0, err
        assert "expected 10, retrieved 10 (10 new, 0 updated)" in err
        code, _, err = cli(db, "fetch", "ctgov", "", "--intr", CTGOV_INTR)
        assert code == 0, err
        assert "expected 4, retrieved 4 (4 new, 0 updated, 0 unchanged)" in err
        return [r.path for r in eu.requests], [r.path for r in ct.requests]


@pytest.fixture
def cache(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> Path:
    db = tmp_path / "offline.db"
    fetch_both(db, monkeypatch)
    return db


def test_fixtures_are_in_the_repo_not_in_shared() -> None:
    for path in (PUBMED_XML, NBIB, QUERY_FILE, PAGE, *OFFLINE.glob("ctgov_study_*.json")):
        assert path.is_file() and path.resolve().is_relative_to(tests.conftest.REPO), path
    assert len(studies()) == 4
    assert PUBMED_XML.read_text(encoding="utf-8").count("<PubmedArticle>") == 11


def test_fetch_both_sources_then_status(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "offline.db"
    eutils_paths, ctgov_paths = fetch_both(db, monkeypatch)
    assert {p.rsplit("/", 1)[-1] for p in eutils_paths} == {"esearch.fcgi", "efetch.fcgi"}
    assert ctgov_paths and all(p.endswith("/studies") for p in ctgov_paths)
    code, out, err = cli(db, "status", "--json")
    assert code == 0, err
    status = json.loads(out)
    counts = status["counts"]
    assert counts["articles"] == 10 and counts["trials"] == 4 and counts["trials_with_results"] == 1
    # 90300007 (PubMed-not-MEDLINE) and 90300009 (In-Data-Review) carry no MeSH yet.
    assert counts["unindexed_articles"] == 2 and counts["retracted_articles"] == 0
    # 90300001 names NCT09930001 in its DataBankList and abstract; the study cites it back.
    assert counts["links_from_pubmed"] == 1 and counts["links_from_ctgov"] == 1 and counts["links_both_cached"] == 1
    runs = {r["source"]: r for r in status["runs"]}
    assert runs["pubmed"]["status"] == runs["ctgov"]["status"] == "complete"
    assert (runs["pubmed"]["expected"], runs["pubmed"]["retrieved"]) == (10, 10)
    assert (runs["ctgov"]["expected"], runs["ctgov"]["retrieved"]) == (4, 4)
    articles = {a["pmid"] for a in jsonl(cli(db, "export", "articles")[1])}
    assert articles == ON_TOPIC_PMIDS and OFF_TOPIC_PMID not in articles


def test_tag_explain_and_search(cache: Path) -> None:
    code, _, err = cli(cache, "tag")
    assert code == 0 and "tagged 14 record(s)" in err, err
    tags = {(t["source"], t["id"]): t for t in jsonl(cli(cache, "export", "tags")[1])}
    assert len(tags) == 14
    iv_rct = tags[("pubmed", "90300001")]
    assert iv_rct["indication"] == ["depression", "treatment_resistant_depression"]
    assert (iv_rct["route"], iv_rct["molecule"], iv_rct["design"]) == (["intravenous"], ["racemic_ketamine"], ["rct"])
    nasal = tags[("pubmed", "90300003")]
    assert (nasal["route"], nasal["molecule"], nasal["design"]) == (["intranasal"], ["esketamine"], ["rct"])
    assert set(tags[("pubmed", "90300004")]["design"]) == {"meta_analysis", "systematic_review"}
    case_report, cohort = tags[("pubmed", "90300005")], tags[("pubmed", "90300007")]
    assert case_report["design"] == ["case_report"] and "crps" in case_report["indication"]
    assert cohort["route"] == ["oral"] and "fibromyalgia" in cohort["indication"]
    assert tags[("pubmed", "90300008")]["indication"] == ["ptsd"]
    assert tags[("pubmed", "90300011")]["design"] == ["animal"] and tags[("pubmed", "90300011")]["indication"] == []
    assert tags[("ctgov", "NCT09930002")]["molecule"] == ["esketamine"]
    assert tags[("ctgov", "NCT09930003")]["indication"] == ["ptsd"]
    assert ("pubmed", OFF_TOPIC_PMID) not in tags

    code, out, err = cli(cache, "explain", "90300003")
    assert code == 0, err
    assert out.startswith("PMID 90300003")
    assert "route: intranasal" in out and "molecule: esketamine" in out and "design: rct" in out
    assert '"Administration, Intranasal"' in out  # the evidence names the field and the text matched
    code, out, _ = cli(cache, "explain", "NCT09930003", "--json")
    payload = json.loads(out)
    assert payload["source"] == "ctgov" and payload["id"] == "NCT09930003"
    assert ("indication", "ptsd") in {(t["axis"], t["value"]) for t in payload["tags"]}

    code, out, err = cli(cache, "search", "fibromyalgia", "--json")
    assert code == 0, err
    assert {(h["source"], h["id"]) for h in jsonl(out)} == {("pubmed", "90300007"), ("ctgov", "NCT09930004")}
    code, out, _ = cli(cache, "search", "ketamine", "--json", "--indication", "ptsd", "--limit", "50")
    assert {h["id"] for h in jsonl(out)} == {"90300008", "90300009", "NCT09930003"}
    code, out, err = cli(cache, "search", "nematode")
    assert code == 0 and out == "" and "no matches" in err  # the off-topic record was never fetched


def _csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_exports_in_jsonl_and_csv(cache: Path) -> None:
    for fmt in ("jsonl", "csv"):
        code, out, err = cli(cache, "export", "articles", "--format", fmt)
        assert code == 0 and "exported 10 article(s)" in err, err
        rows = jsonl(out) if fmt == "jsonl" else _csv_rows(out)
        assert {r["pmid"] for r in rows} == ON_TOPIC_PMIDS
        code, out, err = cli(cache, "export", "trials", "--format", fmt)
        assert code == 0 and "exported 4 trial(s)" in err, err
        rows = jsonl(out) if fmt == "jsonl" else _csv_rows(out)
        assert {r["nct_id"] for r in rows} == NCT_IDS
        status = {r["nct_id"]: r["overall_status"] for r in rows}
        assert status == {"NCT09930001": "COMPLETED", "NCT09930002": "ACTIVE_NOT_RECRUITING",
                          "NCT09930003": "RECRUITING", "NCT09930004": "TERMINATED"}
        code, out, err = cli(cache, "export", "links", "--format", fmt)
        assert code == 0, err
        rows = jsonl(out) if fmt == "jsonl" else _csv_rows(out)
        assert {(r["pmid"], r["nct_id"], r["origin"]) for r in rows} == {
            ("90300001", "NCT09930001", "pubmed_databank"),
            ("90300001", "NCT09930001", "pubmed_abstract"),
            ("90300001", "NCT09930001", "ctgov_reference"),
        }
        code, out, err = cli(cache, "export", "tags", "--format", fmt)
        assert code == 0 and "exported 14 record(s)" in err, err
        rows = jsonl(out) if fmt == "jsonl" else _csv_rows(out)
        by_id = {r["id"]: r for r in rows}
        assert set(by_id) == ON_TOPIC_PMIDS | NCT_IDS
        route = by_id["90300003"]["route"]
        assert route == (["intranasal"] if fmt == "jsonl" else "intranasal")
    articles = {a["pmid"]: a for a in jsonl(cli(cache, "export", "articles")[1])}
    assert "Randomized Controlled Trial" in json.dumps(articles["90300001"], ensure_ascii=False)
    assert "Case Reports" in json.dumps(articles["90300005"], ensure_ascii=False)
    trials = {t["nct_id"]: t for t in jsonl(cli(cache, "export", "trials")[1])}
    assert trials["NCT09930001"]["has_results"] is True and trials["NCT09930001"]["result_outcome_measures"] == 1
    assert trials["NCT09930001"]["linked_pmids"] == ["90300001"]
    assert trials["NCT09930004"]["why_stopped"] == "Slow enrollment during the pandemic."


def test_check_clinic_page(cache: Path) -> None:
    code, out, err = cli(cache, "check", str(PAGE), "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    claims = payload["claims"]
    # The terminal line counts sentences, as the report does (a sentence read as several claims is one).
    checked = len(payload["all_claims"])
    assert 5 <= len(claims) <= 10 and f"{checked} sentence{'s' * (checked != 1)} checked on " in err
    text = json.dumps(payload)
    assert "100% of patients" not in text  # the script is never read
    # The footer is read (every sentence is listed with its checkability) but is no claim.
    assert "555-0199" not in json.dumps(claims)
    footer = [s for s in payload["sentences"] if "555-0199" in s["text"]]
    assert footer and not any(s["checkable"] for s in footer)

    def claim(fragment: str, kind: str | None = None) -> dict[str, Any]:
        (found,) = [c for c in claims if fragment in c["text"] and (kind is None or c["kind"] == kind)]
        return found

    modest = claim("More than 30%", "efficacy_rate")
    inflated = claim("Over 90%", "efficacy_rate")
    # Two arms only, 21/48 (PMID 90300002) and 14/36 (NCT09930001's posted results): the verdict
    # rules pool rates from three or more comparable arms (issue 13, L), so no pool of two decides
    # either claim; the review's figure (45%) is quoted instead.
    assert modest["verdict"] == "supported" and inflated["verdict"] == "contradicted"
    for rate in (modest, inflated):
        assert rate["pooled"] is None and any("a review reports response 45.0%" in r for r in rate["reasons"])
    assert inflated["route"] == ["intravenous"] and inflated["indication"] == ["treatment_resistant_depression"]
    onset = claim("within hours", "onset")
    # Onset is judged only where efficacy is established (issue 13, E). Here two RCTs of 72 and 96 participants
    # (their arms printed "n = 36" and "n = 48" each) meet the supported bar, so the onset part is judged on the
    # times reported and holds, as does the efficacy the sentence also claims: one reconciled verdict, supported,
    # with no part differing from it.
    assert onset["verdict"] == "supported" and onset["part_verdict"] is None
    assert "90300004" in {e["id"] for e in onset["evidence"]}
    same_sentence = [c for c in claims if c["sentence"] == onset["sentence"] and c["checkable"]]
    assert len({c["verdict"] for c in same_sentence}) == 1
    approved = claim("Esketamine nasal spray is FDA-approved", "regulatory")
    assert approved["verdict"] == "supported" and approved["evidence"]
    assert claim("FDA-approved for PTSD", "regulatory")["verdict"] == "contradicted"
    testimonial = claim("I felt like myself again")
    assert testimonial["verdict"] == "not_checkable" and testimonial["evidence"] == []
    verdicts = [c["verdict"] for c in claims]
    assert {"supported", "contradicted", "not_checkable"} <= set(verdicts), verdicts
    assert sum(payload["summary"].values()) == len(claims)
    # Record evidence cites only fixture records; regulatory claims cite the packaged facts.
    cited = {e["id"] for c in claims if c["kind"] != "regulatory" for e in c["evidence"]}
    assert cited & ON_TOPIC_PMIDS and cited <= ON_TOPIC_PMIDS | NCT_IDS

    # Every card (by default only those of the sentences that need attention are printed).
    code, out, err = cli(cache, "check", str(PAGE), "--format", "md", "--cards", "all")
    assert code == 0, err
    assert out.startswith(f"# ketlit check — {PAGE.name}\n")
    # Every record the summary rows and cards show is linked (once), PubMed and ClinicalTrials.gov alike
    # (a regulatory fact is named; its long source address is in the HTML and the JSON).
    shown = {e["ref"]["url"] for c in payload["cards"] for e in c["evidence"]} | {
        k["ref"]["url"] for r in payload["all_claims"] for k in r["key"]}
    records = {u for u in shown if u and u.startswith(("https://pubmed.ncbi.nlm.nih.gov/", "https://clinicaltrials.gov/"))}
    assert records and all(url in out for url in records)
    assert any("pubmed.ncbi.nlm.nih.gov/9030000" in str(u) for u in shown)
    # The registered trial is cited in the audit trail (the Markdown shows the deciding records only).
    assert any(x["record"] == "ctgov:NCT09930001" for c in claims for k in ("decisive", "cited")
               for x in c["candidates"][k])
    assert "✗ Contradicted" in out and "✓ Supported" in out
    # One card per checked sentence (a sentence read as several claims is one card).
    checked = [s for s in payload["sentences"] if s["checkable"]]
    assert checked and len(re.findall(r"(?m)^## \d+ · ", out)) == len(checked)
    assert "## Not checkable" in out and "I felt like myself again" in out.split("## Not checkable", 1)[1]


def test_report_from_the_query_file(cache: Path, tmp_path: Path) -> None:
    out_dir = tmp_path / "reports"
    code, _, err = cli(cache, "report", str(QUERY_FILE), "--out-dir", str(out_dir))
    assert code == 0, err
    report = (out_dir / "offline_ketamine.md").read_text(encoding="utf-8")
    assert report.startswith("# Ketamine and esketamine for depression (offline fixtures)")
    assert "**10** PubMed articles and **4** ClinicalTrials.gov trials" in report
    for record in ("PMID 90300001", "PMID 90300002", "PMID 90300003", "PMID 90300004", "NCT09930001"):
        assert record in report, record
    assert OFF_TOPIC_PMID not in report
    figures = sorted(p.name for p in out_dir.glob("*.svg"))
    assert "offline_ketamine-publications.svg" in figures
    for name in figures:
        assert f"]({name})" in report and (out_dir / name).read_text(encoding="utf-8").lstrip().startswith("<")
    assert "## Claim checks" in report and "FDA" in report
    assert sum(1 for line in report.splitlines() if line.startswith("Generated:")) == 1


def test_refresh_twice_gives_identical_reports(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "refresh.db"
    out_dir = tmp_path / "reports"
    args = ("refresh", "--queries-dir", str(QUERIES), "--out-dir", str(out_dir))
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        monkeypatch.setenv("KETLIT_EUTILS_URL", eu.base_url)
        monkeypatch.setenv("KETLIT_CTGOV_URL", ct.base_url)
        code, _, err = cli(db, *args)
        assert code == 0, err
        assert "offline_ketamine: wrote" in err
        first = (out_dir / "offline_ketamine.md").read_text(encoding="utf-8")
        eu.requests.clear()
        ct.requests.clear()
        code, _, err = cli(db, *args)
        assert code == 0, err
        second = (out_dir / "offline_ketamine.md").read_text(encoding="utf-8")
        # The second run only asks what changed: one ESearch, one CT.gov page, no EFetch.
        assert [r.path.rsplit("/", 1)[-1] for r in eu.requests] == ["esearch.fcgi"]
        assert len(ct.requests) == 1
    # Nothing changed, so the report was left as it was, stamp line included.
    assert first == second and "offline_ketamine: unchanged" in err
    assert "Nothing to compare with yet" in first and "PMID 90300003" in first and "NCT09930001" in first


def test_import_pubmed_xml(tmp_path: Path) -> None:
    db = tmp_path / "import.db"
    code, _, err = cli(db, "import", str(PUBMED_XML))
    assert code == 0, err
    assert "imported 11 record(s)" in err and "11 new" in err
    articles = {a["pmid"]: a for a in jsonl(cli(db, "export", "articles")[1])}
    assert set(articles) == ON_TOPIC_PMIDS | {OFF_TOPIC_PMID}  # an import keeps what the file holds
    assert articles["90300003"]["title"].startswith("Esketamine nasal spray added to a new oral antidepressant")
    assert (articles["90300003"]["pub_year"], articles["90300003"]["doi"]) == (2020, "10.9999/synth.2020.0003")
    assert "RESULTS: At day 28, 52 of 101 patients (51%)" in articles["90300003"]["abstract"]  # labelled sections
    assert articles["90300007"]["indexed"] is False and articles["90300007"]["pmcid"] == "PMC9900007"
    # Re-importing the same file changes nothing.
    code, _, err = cli(db, "import", str(PUBMED_XML))
    assert code == 0 and "0 new, 0 updated, 11 unchanged" in err, err
    tags = {t["id"]: t for t in jsonl(cli(db, "export", "tags")[1])}
    assert tags["90300008"]["indication"] == ["ptsd"] and tags["90300006"]["design"] == ["rct"]


def test_import_medline_nbib(tmp_path: Path) -> None:
    db = tmp_path / "import.db"
    code, _, err = cli(db, "import", str(NBIB))
    assert code == 0, err
    assert "imported 2 record(s)" in err and "2 new" in err
    articles = {a["pmid"]: a for a in jsonl(cli(db, "export", "articles")[1])}
    assert set(articles) == {"90300021", "90300022"}
    older = articles["90300021"]
    assert older["title"].startswith("Esketamine nasal spray in older adults with treatment-resistant depression")
    assert "22 of 60 patients (37%)" in older["abstract"]  # continuation lines are joined
    links = {(r["pmid"], r["nct_id"]) for r in jsonl(cli(db, "export", "links")[1])}
    assert links == {("90300021", "NCT09930002")}
    tags = {t["id"]: t for t in jsonl(cli(db, "export", "tags")[1])}
    assert tags["90300021"]["molecule"] == ["esketamine"] and tags["90300021"]["route"] == ["intranasal"]
    assert "rct" in tags["90300021"]["design"] and "narrative_review" in tags["90300022"]["design"]


def test_refresh_lists_an_upstream_change(tmp_path: Path, env: None, monkeypatch: pytest.MonkeyPatch) -> None:
    db = tmp_path / "refresh.db"
    out_dir = tmp_path / "reports"
    args = ("refresh", "--queries-dir", str(QUERIES), "--out-dir", str(out_dir))

    def complete(study: dict[str, Any]) -> None:
        study["protocolSection"]["statusModule"]["overallStatus"] = "COMPLETED"

    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        monkeypatch.setenv("KETLIT_EUTILS_URL", eu.base_url)
        monkeypatch.setenv("KETLIT_CTGOV_URL", ct.base_url)
        assert cli(db, *args)[0] == 0
        ct.update_study("NCT09930003", complete, last_update="2099-01-15")
        code, _, err = cli(db, *args)
        assert code == 0, err
    report = (out_dir / "offline_ketamine.md").read_text(encoding="utf-8")
    changes = report.split("## Changes since last run", 1)[1].split("\n## ", 1)[0]
    assert "NCT09930003" in changes and "recruiting → completed" in changes.lower()
    assert "NCT09930001" not in changes and "90300001" not in changes
    code, out, _ = cli(db, "history", "NCT09930003", "--json")
    versions = json.loads(out)["versions"]
    assert [v["overall_status"] for v in versions] == ["RECRUITING", "COMPLETED"]
