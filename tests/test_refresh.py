"""`ketlit report` / `ketlit refresh` end to end against both stand-ins: determinism, the
changes section, interruption, locking, partial failure, offline mode, citations."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.jobs.lock import RunLock
from ketlit.jobs.refresh import QueryOutcome, RefreshResult
from tests.conftest import REPO, shared
from tests.standins.ctgov import CtgovStandin, Fault
from tests.standins.eutils import EutilsStandin

runner = CliRunner()

QUERY = """
name = "esk"
title = "Esketamine nasal spray"
[pubmed]
term = "esketamine"
[ctgov]
cond = "alcohol OR depression OR mental"
[focus]
molecule = ["esketamine"]
[check]
claims = ["Esketamine nasal spray is FDA-approved for treatment-resistant depression.",
          "Over 90% of patients respond to esketamine within hours."]
"""


def studies() -> list[dict[str, Any]]:
    return [json.loads(p.read_text()) for p in sorted(shared("ctgov").glob("*.json"))]


def pubmed_files() -> list[Path]:
    return [shared("replay", "pubmed", "meta-harness_efetch_esketamine_trd_3records.xml")]


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    (tmp_path / "queries").mkdir()
    (tmp_path / "queries" / "esk.toml").write_text(QUERY)
    monkeypatch.setenv("KETLIT_CTGOV_RATE", "50")
    monkeypatch.setenv("KETLIT_BACKOFF_BASE", "0.02")
    monkeypatch.setenv("KETLIT_BACKOFF_CAP", "0.1")
    monkeypatch.setenv("NCBI_EMAIL", "t@example.org")
    yield tmp_path


def refresh(work: Path, eutils: str, ctgov: str, *extra: str) -> tuple[int, str]:
    os.environ["KETLIT_EUTILS_URL"], os.environ["KETLIT_CTGOV_URL"] = eutils, ctgov
    try:
        result = runner.invoke(app, ["--db", str(work / "k.db"), "refresh", "--queries-dir", str(work / "queries"),
                                     "--out-dir", str(work / "reports"), *extra])
    finally:
        del os.environ["KETLIT_EUTILS_URL"], os.environ["KETLIT_CTGOV_URL"]
    return result.exit_code, result.stderr


def without_stamp(text: str) -> str:
    return "\n".join(line for line in text.splitlines() if not line.startswith("Generated:"))


def section(text: str, title: str) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


def test_refresh_twice_is_identical_and_asks_only_for_counts(work: Path) -> None:
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, err = refresh(work, eu.base_url, ct.base_url)
        assert code == 0, err
        first = (work / "reports" / "esk.md").read_text()
        svg = sorted(p.name for p in (work / "reports").glob("*.svg"))
        eu.requests.clear()
        ct.requests.clear()
        code, err = refresh(work, eu.base_url, ct.base_url)
        assert code == 0, err
        second = (work / "reports" / "esk.md").read_text()
        assert [r.path.rsplit("/", 1)[-1] for r in eu.requests] == ["esearch.fcgi"]
        assert eu.requests[0].params["datetype"] == "mdat"
        assert len(ct.requests) == 1 and "filter.advanced" in ct.requests[0].params
    assert without_stamp(first) == without_stamp(second)
    assert sum(1 for line in second.splitlines() if line.startswith("Generated:")) == 1
    assert "31166571" in first and "NCT03418623" in first
    assert "Nothing to compare with yet" in section(first, "Changes since last run")
    assert "publications.svg" in " ".join(svg)
    claims = section(first, "Claim checks") if "## Claim checks" in first else first
    assert "FDA" in claims


def test_changes_section_lists_exactly_what_moved(work: Path) -> None:
    real = studies()
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(real) as ct:
        assert refresh(work, eu.base_url, ct.base_url)[0] == 0
        # Upstream: one new article today, one trial changes status.
        record = pubmed_files()[0].read_bytes().split(b"<PubmedArticle>")[2].split(b"</PubmedArticle>")[0]
        eu.add_records(b"<PubmedArticle>" + record.replace(b">31290965<", b">99999991<") + b"</PubmedArticle>")
        eu.revise("99999991", date.today())

        def terminate(study: dict[str, Any]) -> None:
            study["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"

        ct.update_study("NCT03418623", terminate, last_update="2099-02-01")
        code, err = refresh(work, eu.base_url, ct.base_url)
    assert code == 0, err
    changes = section((work / "reports" / "esk.md").read_text(), "Changes since last run")
    assert "99999991" in changes and "NCT03418623" in changes and "completed → terminated" in changes.lower()
    assert "31166571" not in changes and "32316080" not in changes
    assert set(re.findall(r"NCT\d{8}", changes)) == {"NCT03418623"}


def test_offline_renders_without_requests(work: Path) -> None:
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        assert refresh(work, eu.base_url, ct.base_url)[0] == 0
        eu.requests.clear()
        ct.requests.clear()
        code, err = refresh(work, eu.base_url, ct.base_url, "--offline")
        assert code == 0, err
        assert eu.requests == [] and ct.requests == []


def test_a_failing_source_gives_exit_3_and_a_banner(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_MAX_RETRIES", "1")
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(
        studies(), fault=Fault(rate=1.0, kinds=("503",))
    ) as ct:
        code, err = refresh(work, eu.base_url, ct.base_url)
    assert code == 3, err
    assert "ctgov not refreshed" in err and "Traceback" not in err
    report = (work / "reports" / "esk.md").read_text()
    assert "ClinicalTrials.gov" in report.split("## Summary")[0]  # the stale banner sits above the summary


def test_a_down_source_is_not_retried_for_every_query(work: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KETLIT_MAX_RETRIES", "1")
    (work / "queries" / "second.toml").write_text(QUERY.replace('name = "esk"', 'name = "second"'))
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(
        studies(), fault=Fault(rate=1.0, kinds=("503",))
    ) as ct:
        code, err = refresh(work, eu.base_url, ct.base_url)
        assert len(ct.requests) == 2  # one query's attempts (1 + 1 retry); the second query skips it
    # Named once for the run, not once per query; each report's banner says it was not tried.
    assert code == 3 and err.count("ctgov not refreshed") == 1, err
    assert "not tried: failed earlier in this run" in (work / "reports" / "second.md").read_text()


def test_second_refresh_exits_at_once_while_one_runs(work: Path) -> None:
    with RunLock(work / "k.db", purpose="refresh"):
        started = time.monotonic()
        code, err = refresh(work, "http://127.0.0.1:9/entrez/eutils/", "http://127.0.0.1:9/api/v2/")
        assert time.monotonic() - started < 5
    assert code == 4 and "already running" in err and err.count("\n") <= 2


def test_kill_9_then_rerun_gives_the_same_reports(work: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "KETLIT_CTGOV_RATE": "50"}
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        env.update(KETLIT_EUTILS_URL=eu.base_url, KETLIT_CTGOV_URL=ct.base_url)
        clean = work / "clean"
        clean.mkdir()
        cmd = [sys.executable, "-m", "ketlit", "--db", str(clean / "k.db"), "-q", "refresh", "--queries-dir",
               str(work / "queries"), "--out-dir", str(clean / "reports")]
        assert subprocess.run(cmd, env=env, capture_output=True, timeout=300).returncode == 0
    with EutilsStandin(pubmed_files(), rate_limit=None, fault=Fault(latency=0.4)) as eu, CtgovStandin(
        studies(), fault=Fault(latency=0.4)
    ) as ct:
        env.update(KETLIT_EUTILS_URL=eu.base_url, KETLIT_CTGOV_URL=ct.base_url)
        cmd = [sys.executable, "-m", "ketlit", "--db", str(work / "k.db"), "-q", "refresh", "--queries-dir",
               str(work / "queries"), "--out-dir", str(work / "reports")]
        proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and len(eu.requests) < 2:
            time.sleep(0.05)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert not (work / "reports" / "esk.md").exists()
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        env.update(KETLIT_EUTILS_URL=eu.base_url, KETLIT_CTGOV_URL=ct.base_url)
        assert subprocess.run(cmd, env=env, capture_output=True, timeout=300).returncode == 0
    ours = (work / "reports" / "esk.md").read_text()
    theirs = (clean / "reports" / "esk.md").read_text()
    # The killed run is on record in the cache (`ketlit status`), not in the report: the report
    # depends on the data only, so it equals the uninterrupted run's apart from the stamp line.
    assert "interrupted" not in ours
    assert without_stamp(ours) == without_stamp(theirs)


def test_report_and_citations_from_the_cache(work: Path) -> None:
    db = str(work / "k.db")
    xml = pubmed_files()[0]
    assert runner.invoke(app, ["--db", db, "import", str(xml)]).exit_code == 0
    result = runner.invoke(app, ["--db", db, "report", "--all", "--queries-dir", str(work / "queries"),
                                 "--out-dir", str(work / "out")])
    assert result.exit_code == 0, result.stderr
    assert (work / "out" / "esk.md").exists()
    ris = runner.invoke(app, ["--db", db, "export", "citations", "--format", "ris"]).stdout
    assert ris.count("ER  -") == 3 and "AN  - 31166571" in ris
    bib = runner.invoke(app, ["--db", db, "export", "citations", "--format", "bibtex"]).stdout
    assert bib.count("@article{") == 3
    bad = runner.invoke(app, ["--db", db, "report", str(work / "nope.toml")])
    assert bad.exit_code == 1 and bad.stderr.startswith("Error: ")


def test_claim_json_percentages_render_as_percentages() -> None:
    from ketlit.report.model import ClaimCheck

    claim = ClaimCheck.from_dict({
        "id": "c1", "text": "Over 60% respond.", "verdict": "contradicted", "certainty": "low", "reasons": [],
        "evidence": [], "pooled": {"k": 4, "n": 145, "estimate": 42.8, "ci_low": 35.0, "ci_high": 51.0,
                                   "pi_low": 26.6, "pi_high": 60.6, "i2": 0.0, "unit": "%"},
    })
    assert claim.pooled is not None
    assert (claim.pooled.estimate, claim.pooled.ci_low, claim.pooled.pi_high) == (0.428, 0.35, 0.606)


# A molecule no packaged rules file knows; a user's tagging rules file adds it.
NEW_MOLECULE = "example_molecule"


@pytest.mark.parametrize(
    "command",
    [
        ["report", "{queries}/new.toml", "--out-dir", "{work}/out"],
        ["report", "--all", "--queries-dir", "{queries}", "--out-dir", "{work}/out"],
        ["refresh", "--offline", "--queries-dir", "{queries}", "--out-dir", "{work}/out"],
        ["export", "citations", "--query", "{queries}/new.toml"],
    ],
)
def test_query_files_accept_slugs_of_the_configured_tagging_rules(work: Path, command: list[str]) -> None:
    queries = work / "new-queries"
    queries.mkdir()
    (queries / "new.toml").write_text(
        f'[pubmed]\nterm = "{NEW_MOLECULE}"\n[focus]\nmolecule = ["{NEW_MOLECULE}"]\n'
    )
    tagging = work / "tagging.toml"
    tagging.write_text(f'[axes.molecule]\nvalues = ["{NEW_MOLECULE}"]\n')
    assert runner.invoke(app, ["--db", str(work / "k.db"), "import", str(pubmed_files()[0])]).exit_code == 0
    args = ["--db", str(work / "k.db"), *(a.format(queries=queries, work=work) for a in command)]
    bad = runner.invoke(app, args)
    assert bad.exit_code == 1 and "Traceback" not in bad.stdout + bad.stderr
    (line,) = bad.stderr.splitlines()
    assert line.startswith("Error: ") and f"focus.molecule[0]: unknown molecule slug {NEW_MOLECULE!r}" in line
    good = runner.invoke(app, args, env={"KETLIT_TAGGING_RULES": str(tagging)})
    assert good.exit_code == 0, good.stderr


def test_a_malformed_claim_rules_file_stops_refresh_before_fetching(
    work: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rules = work / "claims.toml"
    rules.write_text("[drug]\nnames = ['(unclosed']\n")
    monkeypatch.setenv("KETLIT_CLAIM_RULES", str(rules))
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, err = refresh(work, eu.base_url, ct.base_url)
        assert eu.requests == [] and ct.requests == []
    assert code == 1 and "Traceback" not in err
    (line,) = err.splitlines()
    assert line.startswith(f"Error: {rules}: drug.names") and "bad regex" in line
    assert not (work / "reports").exists()


def test_a_bad_query_file_costs_only_itself(work: Path) -> None:
    """A colleague's typo in one query file (or a name another file took) is an error naming that file,
    but the other queries are still fetched and their reports written: a scheduled job does not freeze.
    The run is partial (3), not an error (1): the README's recipes commit the reports of a run that exits
    0 or 3, so one typo stopped every report being committed."""
    (work / "queries" / "broken.toml").write_text('name = "broken"\n[pubmed]\nterm = "x"\ncolour = 1\n')
    (work / "queries" / "twin.toml").write_text(QUERY)  # the name "esk" again
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, err = refresh(work, eu.base_url, ct.base_url)
    assert code == 3
    lines = [line for line in err.splitlines() if line.startswith("Error:")]
    assert len(lines) == 2 and "broken.toml" in lines[0] and "colour" in lines[0], err
    assert "twin.toml" in lines[1] and "already used" in lines[1]
    assert "Traceback" not in err
    assert "31166571" in (work / "reports" / "esk.md").read_text()
    assert not (work / "reports" / "broken.md").exists()


@pytest.mark.parametrize(
    ("outcome", "unusable", "code"),
    [(QueryOutcome("a", Path("a.md")), 0, 0), (QueryOutcome("a", Path("a.md")), 1, 3),
     (QueryOutcome("a", Path("a.md"), unchanged=True), 2, 3),  # an up-to-date report counts as written
     (QueryOutcome("a", None, skipped="nothing fetched for it and nothing cached"), 0, 3),
     (QueryOutcome("a", None, skipped="nothing fetched for it and nothing cached"), 1, 1),
     (QueryOutcome("a", Path("a.md"), error="cannot write"), 1, 1)],
)
def test_an_unusable_query_file_makes_the_run_partial_if_a_report_was_written(
    outcome: QueryOutcome, unusable: int, code: int
) -> None:
    assert RefreshResult([outcome], unusable=unusable).exit_code == code


def test_no_usable_query_file_fetches_nothing(work: Path) -> None:
    (work / "queries" / "esk.toml").write_text('name = "esk"\n')
    with EutilsStandin(pubmed_files(), rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        code, err = refresh(work, eu.base_url, ct.base_url)
        assert eu.requests == [] and ct.requests == []
    assert code == 1 and err.count("\n") == 1 and "esk.toml" in err, err
    assert not (work / "k.db").exists()
