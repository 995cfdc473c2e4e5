"""Reports and unattended regeneration: query file → (fetch) → tag → check → render.

Design decisions:
- **Gather, then render.** :func:`gather` reads everything a report shows from the cache into
  :class:`ketlit.report.render.ReportData`; :func:`ketlit.report.render.render_report` is pure. Ordering is
  fixed by the renderer, and the only wall-clock value is the single ``Generated:`` stamp line,
  so two renders of unchanged data are byte-identical apart from that line.
- **Changes since last run** compare the report's state (records, trial status/results/
  enrollment, retractions, verdicts) with the state before the latest change. The state rolls
  over only when it differs, so a rerun that changes nothing shows the same section again.
- **Unattended and safe to interrupt.** A lock file prevents overlapping runs; every fetch is
  incremental and upserts page by page, reports are written atomically (temp file + rename),
  and the report state is saved only after its Markdown is in place — a ``kill -9`` anywhere
  leaves a rerun to produce exactly what an uninterrupted run would have.
- **Partial is not failure.** If one source cannot be refreshed, the report is still rendered
  from the cache with a banner naming what is stale, and the exit code is 3.
"""

from __future__ import annotations

import dataclasses
import json
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from ketlit import __version__
from ketlit.claims.check import check_page, report_to_json
from ketlit.claims.numbers import abstract_findings, findings_from_json, format_hours
from ketlit.claims.rules import Rules
from ketlit.claims.stats import StudyProportion, pool_proportions
from ketlit.claims.text import read_page
from ketlit.config import Settings
from ketlit.errors import KetlitError, ServiceError
from ketlit.http import make_client
from ketlit.jobs.ingest import ctgov_query_key, fetch_ctgov, fetch_pubmed, query_key
from ketlit.jobs.lock import RunLock
from ketlit.jobs.tag import TagRunner
from ketlit.queries import QueryFile
from ketlit.report.plots import write_atomic, write_figures
from ketlit.report.render import (
    ArticleRef,
    Changes,
    ClaimCheck,
    ClaimGroup,
    CountRow,
    EvidenceItem,
    FieldChange,
    ForestData,
    ForestStudy,
    Outcome,
    PooledEstimate,
    ReportData,
    RunInfo,
    SourceCoverage,
    StaleSource,
    Stamp,
    Totals,
    TrialRef,
    TrialRow,
    VerdictChange,
    count_rows,
    render_report,
)
from ketlit.store.core import Store, utcnow
from ketlit.store.evidence import StoreEvidenceIndex

KEY_DESIGNS = ("meta_analysis", "systematic_review", "rct")
EXIT_OK, EXIT_ERROR, EXIT_PARTIAL = 0, 1, 3


@dataclass
class QueryOutcome:
    name: str
    path: Path | None
    stale: list[StaleSource] = field(default_factory=list)
    error: str | None = None
    fetched: list[str] = field(default_factory=list)


@dataclass
class RefreshResult:
    outcomes: list[QueryOutcome]

    @property
    def exit_code(self) -> int:
        if any(o.error for o in self.outcomes):
            return EXIT_ERROR
        if any(o.stale for o in self.outcomes):
            return EXIT_PARTIAL
        return EXIT_OK


# -- which records belong to a query ---------------------------------------------------------


def query_keys(query: QueryFile) -> dict[str, str]:
    keys = {}
    if query.pubmed is not None:
        keys["pubmed"] = query_key(query.pubmed.term, query.pubmed.mindate, query.pubmed.maxdate)
    if query.ctgov is not None:
        c = query.ctgov
        keys["ctgov"] = ctgov_query_key(c.term, c.cond, c.intr, list(c.status))
    return keys


def query_record_ids(store: Store, query: QueryFile) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {"pubmed": [], "ctgov": []}
    for source, key in query_keys(query).items():
        out[source] = [r[0] for r in store.db.execute(
            "SELECT record_id FROM query_records WHERE source = ? AND query_key = ? ORDER BY record_id",
            [source, key],
        )]
    return out


# -- gathering ---------------------------------------------------------------------------------


def _tags(store: Store, source: str, ids: Sequence[str]) -> dict[str, dict[str, list[str]]]:
    out: dict[str, dict[str, list[str]]] = {i: {} for i in ids}
    wanted = set(ids)
    for rid, axis, value in store.db.execute(
        "SELECT DISTINCT record_id, axis, value FROM tags WHERE source = ? ORDER BY 1, 2, 3", [source]
    ):
        if rid in wanted:
            out[rid].setdefault(axis, []).append(value)
    return out


def _matches_focus(tags: dict[str, list[str]], query: QueryFile) -> bool:
    return all(set(values) & set(tags.get(axis, [])) for axis, values in query.focus.filters().items())


def _retracted(store: Store, pmids: Sequence[str]) -> set[str]:
    wanted = set(pmids)
    rows = store.db.execute(
        "SELECT DISTINCT pmid FROM article_corrections WHERE ref_type = 'RetractionIn' "
        "UNION SELECT DISTINCT pmid FROM article_pubtypes WHERE name = 'Retracted Publication'"
    )
    return {r[0] for r in rows if r[0] in wanted}


def _articles(store: Store, pmids: Sequence[str]) -> dict[str, dict[str, Any]]:
    out: dict[str, dict[str, Any]] = {}
    for i in range(0, len(pmids), 500):
        chunk = list(pmids[i : i + 500])
        marks = ",".join("?" * len(chunk))
        for pmid, title, abstract, year, journal, indexed in store.db.execute(
            f"SELECT pmid, title, abstract, pub_year, journal, indexed FROM articles WHERE pmid IN ({marks})", chunk
        ):
            out[pmid] = {"title": title, "abstract": abstract, "year": year, "journal": journal,
                         "indexed": bool(indexed)}
    return out


def _links(store: Store) -> dict[str, set[str]]:
    """Publication links (BACKGROUND references on CT.gov are not publications of the trial)."""
    out: dict[str, set[str]] = {}
    for pmid, nct in store.db.execute(
        "SELECT DISTINCT pmid, nct_id FROM links WHERE origin != 'ctgov_reference' "
        "OR detail IS NULL OR detail != 'BACKGROUND'"
    ):
        out.setdefault(pmid, set()).add(nct)
        out.setdefault(nct, set()).add(pmid)
    return out


def _design(tags: dict[str, list[str]]) -> str:
    designs = tags.get("design", [])
    for d in ("meta_analysis", "systematic_review", "rct", "non_randomized_trial", "observational", "case_report",
              "narrative_review", "guideline", "protocol", "animal", "in_vitro"):
        if d in designs:
            return d
    return "other"


def _evidence(store: Store, query: QueryFile, pmids: Sequence[str], tags: dict[str, dict[str, list[str]]],
              articles: dict[str, dict[str, Any]], links: dict[str, set[str]], retracted: set[str],
              rules: Rules, findings: dict[str, str]) -> tuple[list[EvidenceItem], ForestData | None]:
    items: list[EvidenceItem] = []
    forest: list[ForestStudy] = []
    for pmid in pmids:
        t = tags.get(pmid, {})
        design = _design(t)
        if design not in KEY_DESIGNS or not _matches_focus(t, query) or pmid not in articles:
            continue
        a = articles[pmid]
        stored = findings.get(f"pubmed:{pmid}")
        found = findings_from_json(stored) if stored else abstract_findings(
            a["title"] or "", a["abstract"] or "", rules, summary=design in ("meta_analysis", "systematic_review"))
        outcomes = []
        for r in found.rates:
            if r.arm == "comparator":
                continue
            outcomes.append(Outcome(
                measure=r.construct, proportion=round(r.pct / 100.0, 4), events=r.events, total=r.n,
                timepoint=format_hours(r.timepoint_hours) if r.timepoint_hours else None,
            ))
            if (not r.summary and r.construct == "response" and r.events is not None and r.n
                    and r.arm == "active" and design == "rct" and pmid not in retracted):
                forest.append(ForestStudy(label=f"PMID {pmid}", source="pubmed", id=pmid, events=int(r.events),
                                          total=int(r.n), year=a["year"]))
        n = max((o.total for o in outcomes if o.total), default=None)
        items.append(EvidenceItem(
            source="pubmed", id=pmid, title=a["title"] or "", design=design, year=a["year"], journal=a["journal"],
            n=n, indication=tuple(t.get("indication", [])), route=tuple(t.get("route", [])),
            molecule=tuple(t.get("molecule", [])), outcomes=_distinct_outcomes(outcomes),
            linked=tuple(sorted(links.get(pmid, set()))), retracted=pmid in retracted,
        ))
    # One study per record in the forest plot (its first active-arm response rate).
    seen: set[str] = set()
    unique = [s for s in forest if not (s.id in seen or seen.add(s.id))]  # type: ignore[func-returns-value]
    forest_data = None
    if unique:
        pooled = pool_proportions([StudyProportion(s.label, s.events, s.total) for s in unique])
        forest_data = ForestData(
            outcome="response", studies=tuple(unique),
            pooled=PooledEstimate(estimate=pooled.estimate, ci_low=pooled.ci_low, ci_high=pooled.ci_high,
                                  k=pooled.k, n=pooled.n, pi_low=pooled.pi_low, pi_high=pooled.pi_high,
                                  i2=pooled.i2, method=pooled.method),
        )
    return items, forest_data


def _distinct_outcomes(outcomes: Sequence[Outcome]) -> tuple[Outcome, ...]:
    """One entry per (measure, rate, timepoint): an abstract often states the same rate twice,
    once with its counts ("91 of 336 (27%)") and once without; keep the one with counts."""
    best: dict[tuple[str, int | None, str | None], Outcome] = {}
    for o in outcomes:
        # Compared as whole percents: "27%" and "91/336" (27.08%) are the same figure.
        key = (o.measure, None if o.proportion is None else round(o.proportion * 100), o.timepoint)
        if key not in best or (best[key].total is None and o.total is not None):
            best[key] = o
    return tuple(best.values())


def _trials(store: Store, ncts: Sequence[str], links: dict[str, set[str]]) -> list[TrialRow]:
    wanted = set(ncts)
    rows = []
    for t in store.iter_trials():
        if t["nct_id"] not in wanted:
            continue
        extra = store.db.execute(
            "SELECT primary_completion_date, results_first_posted, enrollment_type FROM trials WHERE nct_id = ?",
            [t["nct_id"]],
        ).fetchone()
        rows.append(TrialRow(
            nct_id=t["nct_id"], title=t["brief_title"] or "", status=t["overall_status"], phases=tuple(t["phases"]),
            enrollment=t["enrollment_count"], enrollment_type=extra[2], has_results=t["has_results"],
            results_first_posted=extra[1], linked_pmids=tuple(sorted(links.get(t["nct_id"], set()))),
            completion_date=t["completion_date"], primary_completion_date=extra[0], sponsor=t["lead_sponsor"],
        ))
    return rows


def _claims(store: Store, query: QueryFile, rules: Rules) -> tuple[list[ClaimGroup], dict[str, list[Any]]]:
    groups: list[ClaimGroup] = []
    verdicts: dict[str, list[Any]] = {}
    index = StoreEvidenceIndex(store, rules)
    cache = index.findings_cache()
    sources: list[tuple[str, str]] = []
    for page_path in query.check.pages:
        page = read_page(page_path)
        sources.append((page_path.name, page.text))
    if query.check.claims:
        sources.append(("claims listed in the query file", "\n\n".join(query.check.claims)))
    for name, text in sources:
        report = report_to_json(check_page(text, name, index, rules, cache))
        items = []
        for claim in report["claims"]:
            items.append(ClaimCheck.from_dict(claim))
            verdicts[f"{name}#{claim['id']}"] = [claim["verdict"], claim.get("certainty"), claim["text"]]
        groups.append(ClaimGroup(source=name, items=tuple(items)))
    return groups, verdicts


def _runs(store: Store, query: QueryFile) -> tuple[list[RunInfo], dict[str, str], dict[str, int | None]]:
    runs: list[RunInfo] = []
    last_checked: dict[str, str] = {}
    expected: dict[str, int | None] = {}
    for source, key in sorted(query_keys(query).items()):
        for row in store.db.execute(
            "SELECT id, source, mode, status, started_at, finished_at, expected, retrieved, new_records, "
            "updated_records, message FROM runs WHERE source = ? AND query_key = ? ORDER BY id", [source, key]
        ):
            info = RunInfo(id=row[0], source=row[1], mode=row[2], status=row[3], started_at=row[4],
                           finished_at=row[5], expected=row[6], retrieved=row[7], new_records=row[8] or 0,
                           updated_records=row[9] or 0, message=row[10])
            runs.append(info)
            if info.finished_at:
                last_checked[source] = info.finished_at
            if info.status == "complete" and info.mode == "full":
                expected[source] = info.expected
    return runs, last_checked, expected


def _state(pmids: Sequence[str], trials: Sequence[TrialRow], retracted: set[str],
           verdicts: dict[str, list[Any]]) -> dict[str, Any]:
    return {
        "articles": sorted(pmids),
        "trials": {t.nct_id: [t.status, t.has_results, t.enrollment, t.title] for t in trials},
        "retracted": sorted(retracted),
        "verdicts": verdicts,
    }


def _changes(previous: dict[str, Any] | None, current: dict[str, Any], articles: dict[str, dict[str, Any]]) -> Changes:
    if previous is None:
        return Changes(first_run=True)
    new_pmids = sorted(set(current["articles"]) - set(previous["articles"]))
    new_trials = sorted(set(current["trials"]) - set(previous["trials"]))
    field_changes = []
    for nct in sorted(set(current["trials"]) & set(previous["trials"])):
        before, after = previous["trials"][nct], current["trials"][nct]
        for i, name in enumerate(("overall_status", "has_results", "enrollment_count")):
            if before[i] != after[i]:
                field_changes.append(FieldChange(nct_id=nct, field=name, before=before[i], after=after[i]))
    retractions = sorted(set(current["retracted"]) - set(previous["retracted"]))
    verdict_changes = []
    for key in sorted(set(current["verdicts"]) | set(previous["verdicts"])):
        b, a = previous["verdicts"].get(key), current["verdicts"].get(key)
        if b is None or a is None or b[:2] != a[:2]:
            verdict_changes.append(VerdictChange(
                claim_id=key, text=(a or b)[2], before=b[0] if b else None, after=a[0] if a else None,
                certainty_before=b[1] if b else None, certainty_after=a[1] if a else None,
            ))

    def ref(pmid: str) -> ArticleRef:
        a = articles.get(pmid, {})
        return ArticleRef(pmid=pmid, title=a.get("title") or "", year=a.get("year"), journal=a.get("journal"))

    return Changes(
        first_run=False,
        new_articles=tuple(ref(p) for p in new_pmids),
        new_trials=tuple(TrialRef(nct_id=n, title=current["trials"][n][3] or "", status=current["trials"][n][0])
                         for n in new_trials),
        trial_changes=tuple(field_changes),
        retractions=tuple(ref(p) for p in retractions),
        verdicts=tuple(verdict_changes),
    )


def gather(store: Store, settings: Settings, query: QueryFile, *, stale: Sequence[StaleSource] = (),
           today: date | None = None, runner: TagRunner | None = None) -> tuple[ReportData, dict[str, Any]]:
    """Everything the report for ``query`` shows, and the state to remember for next time.

    ``runner`` carries the configured tagging and claim rules (built from ``settings`` if not given)."""
    runner = runner or TagRunner(settings)
    rules = runner.claim_rules
    ids = query_record_ids(store, query)
    pmids, ncts = ids["pubmed"], ids["ctgov"]
    tags_pm = _tags(store, "pubmed", pmids)
    tags_ct = _tags(store, "ctgov", ncts)
    articles = _articles(store, pmids)
    links = _links(store)
    retracted = _retracted(store, pmids)
    summaries = [{"source": "pubmed", "id": p, **{a: tags_pm[p].get(a, []) for a in
                  ("indication", "route", "molecule", "design", "population")}} for p in pmids]
    summaries += [{"source": "ctgov", "id": n, **{a: tags_ct[n].get(a, []) for a in
                   ("indication", "route", "molecule", "design", "population")}} for n in ncts]
    counts: list[CountRow] = count_rows(summaries)
    by_design = Counter(_design(tags_pm[p]) for p in pmids) + Counter(_design(tags_ct[n]) for n in ncts)
    per_year = Counter(a["year"] for a in articles.values() if a["year"])
    key_evidence, forest = _evidence(store, query, pmids, tags_pm, articles, links, retracted, rules,
                                     store.load_findings(rules.digest))
    trials = _trials(store, ncts, links)
    claims, verdicts = _claims(store, query, rules)
    runs, last_checked, expected = _runs(store, query)
    state = _state(pmids, trials, retracted, verdicts)
    previous, current = store.report_state(query.name)
    baseline = previous if current == state else current
    if current is None:
        baseline = None
    changes = _changes(baseline, state, articles)
    unindexed = sum(1 for a in articles.values() if not a["indexed"])
    coverage = [SourceCoverage(source="pubmed", records=len(pmids), expected=expected.get("pubmed"),
                               unindexed=unindexed)] if query.pubmed else []
    if query.ctgov:
        coverage.append(SourceCoverage(source="ctgov", records=len(ncts), expected=expected.get("ctgov")))
    data = ReportData(
        query=query,
        stamp=Stamp(generated_at=utcnow(), last_checked=last_checked),
        reference_date=today or datetime.now(UTC).date(),
        tool_version=__version__,
        totals=Totals(articles=len(pmids), trials=len(ncts), by_design=dict(by_design), unindexed=unindexed,
                      retracted=len(retracted)),
        counts=counts,
        publications_per_year=dict(per_year),
        key_evidence=key_evidence,
        forest=forest,
        trials=trials,
        claims=claims,
        changes=changes,
        coverage=coverage,
        runs=runs,
        stale=list(stale),
        provenance={"tagging rules": runner.rules_sha[:12]},
    )
    return data, state


def render_query(store: Store, settings: Settings, query: QueryFile, out_dir: Path, *,
                 stale: Sequence[StaleSource] = (), runner: TagRunner | None = None) -> Path:
    """Write ``<out_dir>/<name>.md`` (and its figures) for one query; returns the Markdown path."""
    out_dir.mkdir(parents=True, exist_ok=True)
    data, state = gather(store, settings, query, stale=stale, runner=runner)
    if query.report.plots:
        data = dataclasses.replace(data, figures=write_figures(data, out_dir, stem=query.name))
    path = out_dir / f"{query.name}.md"
    write_atomic(path, render_report(data).encode("utf-8"))
    # Only after the report is in place: an interrupted run must not consume the change.
    store.save_report_state(query.name, state, utcnow())
    return path


def refresh(store: Store, settings: Settings, queries: Sequence[QueryFile], out_dir: Path, *,
            offline: bool = False, progress: Any = None, runner: TagRunner | None = None) -> RefreshResult:
    """Incremental fetch of every query from both sources, re-tag, re-check, re-render.

    ``runner`` carries the configured rules (built from ``settings`` if not given)."""
    outcomes: list[QueryOutcome] = []
    with RunLock(settings.db, purpose="refresh"):
        runner = runner or TagRunner(settings)
        # Read (and so checked) before anything is fetched: a malformed user rules file stops
        # the run here rather than failing every query's report after its fetch.
        _ = runner.claim_rules
        # A source that failed after all retries is not asked again for the remaining queries of
        # this run: it is down, and every further query would only wait out the same retries.
        down: dict[str, str] = {}
        for query in queries:
            outcome = QueryOutcome(query.name, None)
            if not offline:
                _fetch_sources(store, settings, query, outcome, progress, down)
            runner.tag_pending(store)
            try:
                outcome.path = render_query(store, settings, query, out_dir, stale=outcome.stale, runner=runner)
            except KetlitError as exc:
                outcome.error = str(exc)
            outcomes.append(outcome)
    return RefreshResult(outcomes)


def _fetch_sources(store: Store, settings: Settings, query: QueryFile, outcome: QueryOutcome,
                   progress: Any, down: dict[str, str]) -> None:
    fetchers: list[tuple[str, str, Callable[[], tuple[str, int, int, int]]]] = []
    if query.pubmed is not None:
        pm = query.pubmed

        def pubmed() -> tuple[str, int, int, int]:
            with make_client(settings, "ncbi") as http:
                r = fetch_pubmed(store, http, settings, pm.term, mindate=pm.mindate, maxdate=pm.maxdate,
                                 progress=progress)
            return r.status, r.run_id, r.new, r.updated

        fetchers.append(("pubmed", "PubMed", pubmed))
    if query.ctgov is not None:
        c = query.ctgov

        def ctgov() -> tuple[str, int, int, int]:
            with make_client(settings, "ctgov") as http:
                r = fetch_ctgov(store, http, settings, c.term, cond=c.cond, intr=c.intr, statuses=list(c.status),
                                progress=progress)
            return r.status, r.run_id, r.new, r.updated

        fetchers.append(("ctgov", "ClinicalTrials.gov", ctgov))
    for source, label, fetch in fetchers:
        if source in down:
            outcome.stale.append(_not_tried(store, source, query, down))
            continue
        try:
            status, run_id, new, updated = fetch()
        except ServiceError as exc:
            down[source] = str(exc)
            outcome.stale.append(_stale(store, source, query, str(exc)))
            continue
        except KetlitError as exc:
            outcome.stale.append(_stale(store, source, query, str(exc)))
            continue
        outcome.fetched.append(f"{label}: {status}, {new} new, {updated} updated")
        if status != "complete":
            outcome.stale.append(_stale(store, source, query, f"run {run_id} was {status}"))


def _not_tried(store: Store, source: str, query: QueryFile, down: dict[str, str]) -> StaleSource:
    return _stale(store, source, query, f"not tried: failed earlier in this run ({down[source]})")


def _stale(store: Store, source: str, query: QueryFile, message: str) -> StaleSource:
    key = query_keys(query)[source]
    return StaleSource(source=source, failed_at=utcnow()[:10], data_as_of=store.watermark(source, key),
                       message=message)


def state_json(state: dict[str, Any]) -> str:
    return json.dumps(state, sort_keys=True)
