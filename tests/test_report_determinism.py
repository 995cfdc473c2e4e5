"""Reports depend on the cache's content only (issue 11, item 10): not on the order the query
files are processed in, not on how many refreshes came before, not on where an earlier run was
killed. Apart from the one ``Generated:`` stamp line, the reports must be byte-identical.

Three query files search overlapping parts of the offline fixtures (``tests/fixtures/offline``,
served by the loopback stand-ins), and every one checks the same claims about depression, PTSD
and fibromyalgia. Claims are weighed against the whole cache, so each report's verdicts rest on
records that *other* query files fetch: exactly what made a report rendered between two fetches
depend on the order of the files, and on where a killed run stopped.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ketlit.claims.stats import StudyProportion, pool_proportions
from ketlit.cli import app
from ketlit.config import load_settings
from ketlit.jobs.refresh import refresh
from ketlit.jobs.tag import TagRunner
from ketlit.queries import QueryFile, load_queries
from ketlit.report.model import EvidenceItem, ReportOutcome
from ketlit.report.render import render_report
from ketlit.store import open_store
from tests.conftest import FIXTURES, REPO
from tests.standins.ctgov import CtgovStandin
from tests.standins.eutils import EutilsStandin
from tests.test_report import minimal_data

OFFLINE = FIXTURES / "offline"
PUBMED_XML = OFFLINE / "efetch_offline_ketamine_set.xml"
PAGE = OFFLINE / "pages" / "clinic_offline_ketamine.html"

CLAIMS = """
[check]
claims = [
    "Over 90% of patients with treatment-resistant depression respond to ketamine infusions.",
    "Ketamine infusions relieve the symptoms of PTSD.",
    "Ketamine relieves fibromyalgia pain.",
]
"""

# name → (PubMed term, CT.gov condition, extra TOML). The file names sort in this order.
QUERIES = {
    "a_depression": ("depression OR depressive", "depression", f'[focus]\nindication = ["depression"]\n{CLAIMS}'),
    "b_ptsd": ("PTSD OR posttraumatic", "PTSD", CLAIMS.replace("[check]\n", f'[check]\npages = ["{PAGE}"]\n')),
    "c_pain": ("pain OR fibromyalgia", "pain OR fibromyalgia", CLAIMS),
}

STAMP = "Generated: "
runner = CliRunner()


def studies() -> list[dict[str, Any]]:
    return [json.loads(p.read_text(encoding="utf-8")) for p in sorted(OFFLINE.glob("ctgov_study_*.json"))]


def write_queries(folder: Path, *, plots: bool = True) -> Path:
    """The three query files; without ``plots`` the run skips importing matplotlib (faster)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, (term, cond, extra) in QUERIES.items():
        (folder / f"{name}.toml").write_text(
            f'name = "{name}"\ntitle = "{name}"\n[pubmed]\nterm = "{term}"\n[ctgov]\ncond = "{cond}"\n'
            f'intr = "ketamine OR esketamine"\n{extra}\n[report]\nplots = {str(plots).lower()}\n', encoding="utf-8")
    return folder


def without_stamp(text: str) -> str:
    lines = text.splitlines()
    assert sum(line.startswith(STAMP) for line in lines) == 1 and lines[-1].startswith(STAMP)
    return "\n".join(lines[:-1])


def reports(folder: Path) -> dict[str, str]:
    """Each report's Markdown without its stamp line (figures are compared byte for byte)."""
    out = {p.name: without_stamp(p.read_text(encoding="utf-8")) for p in sorted(folder.glob("*.md"))}
    out.update({p.name: p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.svg"))})
    return out


def section(text: str, title: str) -> str:
    return text.split(f"## {title}", 1)[1].split("\n## ", 1)[0]


@pytest.fixture
def standins(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[EutilsStandin, CtgovStandin]]:
    monkeypatch.setenv("NCBI_EMAIL", "determinism-tests@example.org")
    monkeypatch.setenv("KETLIT_CTGOV_RATE", "50")
    monkeypatch.setenv("KETLIT_BACKOFF_BASE", "0.02")
    monkeypatch.setenv("KETLIT_BACKOFF_CAP", "0.1")
    with EutilsStandin([PUBMED_XML], rate_limit=None) as eu, CtgovStandin(studies()) as ct:
        monkeypatch.setenv("KETLIT_EUTILS_URL", eu.base_url)
        monkeypatch.setenv("KETLIT_CTGOV_URL", ct.base_url)
        yield eu, ct


def refresh_in_order(work: Path, queries: Sequence[QueryFile], runner: TagRunner) -> dict[str, str]:
    """``refresh`` (the library call under ``ketlit refresh``) over ``queries`` in the order given,
    into a fresh cache."""
    settings = load_settings(env={**os.environ, "KETLIT_DB": str(work / "k.db")})
    store = open_store(settings.db)
    try:
        result = refresh(store, settings, queries, work / "reports", runner=runner)
    finally:
        store.close()
    assert [o.error for o in result.outcomes] == [None] * len(queries)
    assert [o.stale for o in result.outcomes] == [[]] * len(queries)
    return reports(work / "reports")


def test_the_order_of_the_query_files_does_not_change_any_report(
        tmp_path: Path, standins: tuple[EutilsStandin, CtgovStandin]) -> None:
    runner = TagRunner(load_settings(env={}))  # the compiled rules, shared as `ketlit refresh` shares them
    queries = load_queries(write_queries(tmp_path / "queries"), vocabularies=runner.vocabularies)
    assert [q.name for q in queries] == ["a_depression", "b_ptsd", "c_pain"]
    forward = refresh_in_order(tmp_path / "forward", queries, runner)
    backward = refresh_in_order(tmp_path / "backward", queries[::-1], runner)
    assert sorted(forward) == sorted(backward)
    assert {n for n in forward if n.endswith(".md")} == {"a_depression.md", "b_ptsd.md", "c_pain.md"}
    for name in forward:
        assert forward[name] == backward[name], name
    # The claims rest on records other query files fetched: the depression claim is contradicted
    # in the pain report too, which fetched no depression record of its own.
    pain_claims = section(forward["c_pain.md"], "Claim checks")
    assert "90300001" not in section(forward["c_pain.md"], "Key evidence")
    assert "Over 90% of patients" in pain_claims and "| ✗ Contradicted |" in pain_claims
    # No run ids or run times anywhere in the body.
    assert all("T0" not in line and "T1" not in line and "T2" not in line
               for text in forward.values() for line in text.splitlines() if "Z |" in line)


def test_refreshes_without_upstream_change_rewrite_nothing_but_the_stamp(
        tmp_path: Path, standins: tuple[EutilsStandin, CtgovStandin]) -> None:
    _, ct = standins
    queries = write_queries(tmp_path / "queries")

    def run() -> dict[str, str]:
        result = runner.invoke(app, ["--db", str(tmp_path / "k.db"), "-q", "refresh", "--queries-dir", str(queries),
                                     "--out-dir", str(tmp_path / "reports")])
        assert result.exit_code == 0, result.stderr
        return reports(tmp_path / "reports")

    first, second = run(), run()
    assert first == second
    for name, text in second.items():
        if name.endswith(".md"):
            changes = section(text, "Changes since last run")
            assert "Nothing to compare with yet" in changes and "moved" not in changes, name

    # Upstream changes once: the next report says what moved; the refresh after it (no upstream
    # change) says the same again, byte for byte, and reports no verdict that moved.
    def terminate(study: dict[str, Any]) -> None:
        study["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"

    ct.update_study("NCT09930003", terminate, last_update="2099-02-01")
    third, fourth = run(), run()
    assert third == fourth
    changes = section(third["b_ptsd.md"], "Changes since last run")
    assert "### Status changes (1)" in changes and "NCT09930003" in changes and "terminated" in changes
    assert all("Verdicts that moved" not in text for text in fourth.values())
    assert third["a_depression.md"] == first["a_depression.md"]  # NCT09930003 is not in its search


def _cli(work: Path, queries: Path) -> list[str]:
    return [sys.executable, "-m", "ketlit", "--db", str(work / "k.db"), "-q", "refresh", "--queries-dir",
            str(queries), "--out-dir", str(work / "reports")]


def test_a_refresh_killed_at_random_points_then_rerun_writes_the_uninterrupted_reports(
        tmp_path: Path, standins: tuple[EutilsStandin, CtgovStandin]) -> None:
    eu, ct = standins
    queries = write_queries(tmp_path / "queries", plots=False)  # each run is a new process: keep it short
    # A key raises NCBI's allowance from 3 to 10 requests a second: less waiting per run.
    env = {**os.environ, "PYTHONPATH": str(REPO / "src"), "NCBI_API_KEY": "determinism-test-key"}
    clean = tmp_path / "clean"
    started = time.monotonic()
    done = subprocess.run(_cli(clean, queries), env=env, capture_output=True, text=True, timeout=120)
    took = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    expected = reports(clean / "reports")
    served = len(eu.requests) + len(ct.requests)
    assert served > 6

    seed = random.randrange(1 << 30)
    rng = random.Random(seed)
    # Three kills: after a random number of requests to the stand-ins (while fetching), as soon
    # as the first report is written (while rendering), and at a random time in the clean run's span.
    points: list[tuple[str, float]] = [("requests", rng.randint(1, served - 1)), ("first report", 0.0),
                                       ("seconds", rng.uniform(0.2, took))]
    for i, (kind, at) in enumerate(points):
        work = tmp_path / f"killed{i}"
        eu.requests.clear()
        ct.requests.clear()
        proc = subprocess.Popen(_cli(work, queries), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        begun = time.monotonic()
        while proc.poll() is None and time.monotonic() - begun < 60:
            if ((kind == "requests" and len(eu.requests) + len(ct.requests) >= at)
                    or (kind == "first report" and any((work / "reports").glob("*.md")))
                    or (kind == "seconds" and time.monotonic() - begun >= at)):
                break
            time.sleep(0.005)
        killed = proc.poll() is None
        if killed:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        rerun = subprocess.run(_cli(work, queries), env=env, capture_output=True, text=True, timeout=120)
        assert rerun.returncode == 0, f"seed {seed}, kill {kind} {at}: {rerun.stderr}"
        got = reports(work / "reports")
        assert sorted(got) == sorted(expected), f"seed {seed}, kill {kind} {at}"
        for name in expected:
            assert got.get(name) == expected[name], f"seed {seed}, kill {kind} {at} (killed: {killed}): {name}"
        shutil.rmtree(work)


# -- the orderings underneath -------------------------------------------------------------------


def test_pooling_gives_the_same_bits_whatever_the_order_of_the_studies() -> None:
    # Floating-point sums depend on their order: before studies were pooled in one canonical
    # order, many of these five studies' 120 orders moved the last bits of I², τ² or the interval.
    counts = [(7, 35), (32, 71), (2, 51), (25, 75), (0, 20)]
    studies = [StudyProportion(f"PMID {9000 + i}", events, n) for i, (events, n) in enumerate(counts)]
    results = {pool_proportions(list(order)) for order in itertools.permutations(studies)}
    assert len(results) == 1
    assert results.pop().corrected == ("PMID 9004",)


def test_outcomes_that_share_a_measure_and_timepoint_render_in_one_order() -> None:
    a = ReportOutcome("response", 0.40, 20, 50, "24 h")
    b = ReportOutcome("response", 0.55, 11, 20, "24 h")
    item = EvidenceItem(source="pubmed", id="90300001", title="Trial", design="rct", year=2020, outcomes=(a, b))
    base = minimal_data()
    one = render_report(dataclasses.replace(base, key_evidence=[item]))
    other = render_report(dataclasses.replace(base, key_evidence=[dataclasses.replace(item, outcomes=(b, a))]))
    assert one == other
    assert "response 40% (20/50), 24 h; response 55% (11/20), 24 h" in one
