"""Gathering a report: everything a query's report shows, read from the cache through the store.

Design decisions:
- **Gather, then render.** :func:`gather` reads everything a report shows into
  :class:`ketlit.report.render.ReportData`; :func:`ketlit.report.render.render_report` is pure.
  Ordering is fixed by the renderer, and the only wall-clock value is the single
  ``Generated:`` stamp line, so two renders of unchanged data are byte-identical apart from it.
- **Content, not history.** Nothing gathered depends on which run stored a record or in what
  order: records are read by natural key, the fetch runs contribute only the latest search's
  status and the latest full search's count and warnings per source (per query, so the order
  of the query files does not matter), and their times go to the stamp line.
- Reads go through named :class:`ketlit.store.Store` methods only; no SQL here.
- **Changes since last run** compare the report's state (records, trial status/results/
  enrollment, retractions, verdicts) with the state before the latest change. The state rolls
  over only when it differs, so a rerun that changes nothing shows the same section again.
  The state is saved as JSON and compared with states saved by earlier versions, so its shape
  (and the order of :data:`ketlit.store.REPORTED_TRIAL_FIELDS` in it) must not change.
- The rules come in as arguments (the caller's tagging runner has them): this module does not
  load configuration.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

from ketlit import __version__
from ketlit.claims.check import CheckedClaim, check_page
from ketlit.claims.numbers import abstract_findings, findings_from_json, human_duration
from ketlit.claims.rules import Rules
from ketlit.claims.stats import StudyProportion, pool_proportions
from ketlit.claims.text import read_page
from ketlit.errors import KetlitError
from ketlit.markdown import md_text
from ketlit.queries import QueryFile
from ketlit.report.derive import evidence_map
from ketlit.report.labels import counted_designs, design_order, key_designs
from ketlit.report.model import (
    ArticleRef,
    Changes,
    Citation,
    ClaimCheck,
    ClaimGroup,
    ClaimMarkdown,
    EvidenceItem,
    FieldChange,
    ForestData,
    ForestStudy,
    PooledEstimate,
    ReportData,
    ReportOutcome,
    SourceCoverage,
    StaleSource,
    Stamp,
    Totals,
    TrialRef,
    TrialRow,
    VerdictChange,
)
from ketlit.store import AXES, REPORTED_TRIAL_FIELDS, Store, utcnow
from ketlit.store.evidence import shared_index
from ketlit.store.reports import same_state
from ketlit.store.runs import query_keys

# -- which records belong to a query ---------------------------------------------------------


def query_record_ids(store: Store, query: QueryFile) -> dict[str, list[str]]:
    """``{"pubmed": [...], "ctgov": [...]}``: the records the query's runs retrieved."""
    out: dict[str, list[str]] = {"pubmed": [], "ctgov": []}
    for source, key in query_keys(query).items():
        out[source] = store.runs.query_record_ids(source, key)
    return out


# -- gathering ---------------------------------------------------------------------------------


def _matches_focus(tags: dict[str, list[str]], query: QueryFile) -> bool:
    return all(set(values) & set(tags.get(axis, [])) for axis, values in query.focus.filters().items())


def _design(tags: dict[str, list[str]]) -> str:
    """A record tagged with several designs counts as the first of them in the report's design order,
    unless one of them overrides the rest (:func:`ketlit.report.labels.counted_designs`)."""
    designs = counted_designs(tags.get("design", []))
    for d in design_order():
        if d in designs:
            return d
    return "other"


def _evidence(query: QueryFile, pmids: Sequence[str], tags: dict[str, dict[str, list[str]]],
              articles: dict[str, dict[str, Any]], links: dict[str, set[str]], retracted: set[str],
              rules: Rules, findings: dict[str, str]) -> tuple[list[EvidenceItem], ForestData | None]:
    items: list[EvidenceItem] = []
    forest: list[ForestStudy] = []
    for pmid in pmids:
        t = tags.get(pmid, {})
        design = _design(t)
        if design not in key_designs() or not _matches_focus(t, query) or pmid not in articles:
            continue
        a = articles[pmid]
        stored = findings.get(f"pubmed:{pmid}")
        found = findings_from_json(stored) if stored else abstract_findings(
            a["title"] or "", a["abstract"] or "", rules, summary=design in ("meta_analysis", "systematic_review"))
        outcomes = []
        for r in found.rates:
            if r.arm == "comparator":
                continue
            outcomes.append(ReportOutcome(
                measure=r.construct, proportion=round(r.pct / 100.0, 4), events=r.events, total=r.n,
                timepoint=human_duration(r.timepoint_hours),
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


def _distinct_outcomes(outcomes: Sequence[ReportOutcome]) -> tuple[ReportOutcome, ...]:
    """One entry per (measure, rate, timepoint): an abstract often states the same rate twice,
    once with its counts ("91 of 336 (27%)") and once without; keep the one with counts."""
    best: dict[tuple[str, int | None, str | None], ReportOutcome] = {}
    for o in outcomes:
        # Compared as whole percents: "27%" and "91/336" (27.08%) are the same figure.
        key = (o.measure, None if o.proportion is None else round(o.proportion * 100), o.timepoint)
        if key not in best or (best[key].total is None and o.total is not None):
            best[key] = o
    return tuple(best.values())


def _trials(store: Store, ncts: Sequence[str], links: dict[str, set[str]]) -> list[TrialRow]:
    rows = []
    for t in store.iter_trials(ncts):
        extra = store.reads.trial_report_fields(t["nct_id"])
        assert extra is not None  # iter_trials just listed it
        rows.append(TrialRow(
            nct_id=t["nct_id"], title=t["brief_title"] or "", status=t["overall_status"], phases=tuple(t["phases"]),
            enrollment=t["enrollment_count"], enrollment_type=extra.enrollment_type, has_results=t["has_results"],
            results_first_posted=extra.results_first_posted, linked_pmids=tuple(sorted(links.get(t["nct_id"], set()))),
            completion_date=t["completion_date"], primary_completion_date=extra.primary_completion_date,
            sponsor=t["lead_sponsor"],
        ))
    return rows


def _claims(store: Store, query: QueryFile, rules: Rules) -> tuple[list[ClaimGroup], dict[str, list[Any]]]:
    groups: list[ClaimGroup] = []
    verdicts: dict[str, list[Any]] = {}
    index = shared_index(store, rules)
    cache = index.findings_cache()
    sources: list[tuple[str, str]] = []
    for page_path in query.check.pages:
        try:
            page = read_page(page_path)
        except KetlitError as exc:
            # One unreadable page costs only its own claims (a scheduled refresh still writes the
            # report and warns); the report says why, naming the page by file name only.
            reason = str(exc).replace(str(page_path), page_path.name)
            note = f"Not checked: the page could not be read ({md_text(reason, 300)})."
            groups.append(ClaimGroup(source=page_path.name, items=(ClaimMarkdown(note),)))
            continue
        sources.append((page_path.name, page.text))
    if query.check.claims:
        sources.append(("the query file's own claims", "\n\n".join(query.check.claims)))
    for name, text in sources:
        items = []
        for checked in check_page(text, name, index, rules, cache).claims:
            item = _claim_check(checked)
            items.append(item)
            verdicts[f"{name}#{item.id}"] = [item.verdict, item.certainty, item.text]
        groups.append(ClaimGroup(source=name, items=tuple(items)))
    return groups, verdicts


def _claim_check(checked: CheckedClaim) -> ClaimCheck:
    """The report's view of a checked claim, straight from the checker's objects (proportions stay 0–1)."""
    claim, verdict, p = checked.claim, checked.verdict, checked.verdict.pooled
    pooled = None if p is None else PooledEstimate(
        estimate=p.estimate, ci_low=p.ci_low, ci_high=p.ci_high, k=p.k, n=p.n, pi_low=p.pi_low, pi_high=p.pi_high,
        i2=p.i2, method=p.method)
    return ClaimCheck(
        id=claim.id, text=claim.text, verdict=verdict.verdict, certainty=verdict.certainty, kind=claim.kind,
        reasons=tuple(verdict.reasons),
        citations=tuple(Citation(c.source, c.id, c.design, c.finding) for c in verdict.evidence),
        pooled=pooled, sentence=claim.location.start if claim.checkable else None, part_verdict=checked.part_verdict)


def _coverage(store: Store, query: QueryFile, records: dict[str, int], unindexed: int
              ) -> tuple[list[SourceCoverage], dict[str, str]]:
    """Per source searched: records in the cache, the source's count, the latest search's status;
    and when each source was last checked (for the stamp line, the only place run times go)."""
    coverage: list[SourceCoverage] = []
    last_checked: dict[str, str] = {}
    for source, key in sorted(query_keys(query).items()):
        runs = store.runs.query_runs(source, key)  # oldest first
        checked = [r.finished_at for r in runs if r.finished_at]
        if checked:
            last_checked[source] = checked[-1]
        latest = runs[-1] if runs else None
        # The count and the warnings of the latest complete full search: an incremental search
        # counts only what changed, and says so ("No items found") on every quiet night.
        full = next((r for r in reversed(runs) if r.status == "complete" and r.mode == "full"), None)
        shortfall = latest is not None and latest.status != "complete"
        coverage.append(SourceCoverage(
            source=source, records=records[source], expected=full.expected if full else None,
            unindexed=unindexed if source == "pubmed" else None,
            search_status=latest.status if latest else None,
            search_retrieved=latest.retrieved if shortfall and latest else None,
            search_expected=latest.expected if shortfall and latest else None,
            notes=full.message if full else None,
        ))
    return coverage, last_checked


def _text_digest(article: dict[str, Any]) -> str:
    """What a reader of the report sees of an article (title and abstract), as a short digest: a revision of
    either is a change worth listing; MeSH indexing or a new publication-type tag is not."""
    text = f"{article.get('title') or ''}\n{article.get('abstract') or ''}"
    return hashlib.blake2b(text.encode("utf-8"), digest_size=6).hexdigest()


def _state(pmids: Sequence[str], trials: Sequence[TrialRow], retracted: set[str],
           verdicts: dict[str, list[Any]], articles: dict[str, dict[str, Any]]) -> dict[str, Any]:
    def tracked(t: TrialRow) -> list[Any]:
        values = {"overall_status": t.status, "has_results": t.has_results, "enrollment_count": t.enrollment}
        return [values[name] for name in REPORTED_TRIAL_FIELDS]

    return {
        "articles": sorted(pmids),
        # Added after the first versions: states saved without it compare equal on the rest (same_state).
        "article_text": {p: _text_digest(articles[p]) for p in sorted(pmids) if p in articles},
        "trials": {t.nct_id: [*tracked(t), t.title] for t in trials},
        "retracted": sorted(retracted),
        "verdicts": verdicts,
    }


def _revised(previous: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Articles in both states whose title or abstract changed (none against a state saved before texts
    were tracked: nothing to compare with)."""
    before, after = previous.get("article_text") or {}, current.get("article_text") or {}
    return sorted(p for p, digest in after.items() if p in before and before[p] != digest)


def _claim_number(key: str) -> tuple[str, int, str]:
    """``("page.md", 12, key)`` for ``"page.md#c12"``: claims in page order (``c2`` before ``c10``)."""
    page, _, claim = key.rpartition("#")
    digits = claim.lstrip("c")
    return page, int(digits) if digits.isdigit() else 0, key


def _by_sentence(verdicts: dict[str, list[Any]]) -> dict[tuple[str, str, int], tuple[str, list[Any]]]:
    """A state's verdicts keyed by page, sentence and which claim of that sentence (in page order), each with
    its claim key (``page#cN``). Claim IDs are positions on the page: a sentence added above renumbers every
    claim below it, so verdicts compared by ID would "move" between unrelated sentences."""
    out: dict[tuple[str, str, int], tuple[str, list[Any]]] = {}
    seen: Counter[tuple[str, str]] = Counter()
    for key in sorted(verdicts, key=_claim_number):
        page, text = key.rpartition("#")[0], str(verdicts[key][2])
        out[(page, text, seen[(page, text)])] = (key, verdicts[key])
        seen[(page, text)] += 1
    return out


def _changes(previous: dict[str, Any] | None, current: dict[str, Any], articles: dict[str, dict[str, Any]]) -> Changes:
    if previous is None:
        return Changes(first_run=True)
    new_pmids = sorted(set(current["articles"]) - set(previous["articles"]))
    new_trials = sorted(set(current["trials"]) - set(previous["trials"]))
    # What left the results (a changed term or date range, a record PubMed withdrew): said, not silently gone.
    gone_pmids = sorted(set(previous["articles"]) - set(current["articles"]))
    gone_trials = sorted(set(previous["trials"]) - set(current["trials"]))
    field_changes = []
    for nct in sorted(set(current["trials"]) & set(previous["trials"])):
        before, after = previous["trials"][nct], current["trials"][nct]
        for i, name in enumerate(REPORTED_TRIAL_FIELDS):
            if before[i] != after[i]:
                field_changes.append(FieldChange(nct_id=nct, field=name, before=before[i], after=after[i]))
    retractions = sorted(set(current["retracted"]) - set(previous["retracted"]))
    revised = _revised(previous, current)
    verdict_changes = []
    before_by, after_by = _by_sentence(previous["verdicts"]), _by_sentence(current["verdicts"])
    for sentence in sorted(set(before_by) | set(after_by)):
        was, now = before_by.get(sentence), after_by.get(sentence)
        b, a = was[1] if was else None, now[1] if now else None
        if b is None or a is None or b[:2] != a[:2]:
            verdict_changes.append(VerdictChange(
                claim_id=now[0] if now else was[0] if was else "", text=sentence[1], before=b[0] if b else None,
                after=a[0] if a else None, certainty_before=b[1] if b else None, certainty_after=a[1] if a else None,
            ))

    def ref(pmid: str) -> ArticleRef:
        a = articles.get(pmid, {})
        return ArticleRef(pmid=pmid, title=a.get("title") or "", year=a.get("year"), journal=a.get("journal"))

    def trial(state: dict[str, Any], nct: str) -> TrialRef:
        status, *_, title = state["trials"][nct]
        return TrialRef(nct_id=nct, title=title or "", status=status)

    return Changes(
        first_run=False,
        new_articles=tuple(ref(p) for p in new_pmids),
        new_trials=tuple(trial(current, n) for n in new_trials),
        trial_changes=tuple(field_changes),
        retractions=tuple(ref(p) for p in retractions),
        verdicts=tuple(verdict_changes),
        revised_articles=tuple(ref(p) for p in revised),
        removed_articles=tuple(ref(p) for p in gone_pmids),
        removed_trials=tuple(trial(previous, n) for n in gone_trials),
    )


def gather(store: Store, query: QueryFile, rules: Rules, rules_sha: str, *, stale: Sequence[StaleSource] = (),
           today: date | None = None) -> tuple[ReportData, dict[str, Any]]:
    """Everything the report for ``query`` shows, and the state to remember for next time.

    ``rules`` are the claim rules; ``rules_sha`` names the tagging rules in the provenance."""
    ids = query_record_ids(store, query)
    pmids, ncts = ids["pubmed"], ids["ctgov"]
    tags_pm = store.tags.tags_of("pubmed", pmids)
    tags_ct = store.tags.tags_of("ctgov", ncts)
    articles = store.reads.article_summaries(pmids)
    links = store.reads.publication_links([*pmids, *ncts])
    retracted = store.reads.retracted(pmids)
    summaries = [{"source": "pubmed", "id": p, **{a: tags_pm[p].get(a, []) for a in AXES}} for p in pmids]
    summaries += [{"source": "ctgov", "id": n, **{a: tags_ct[n].get(a, []) for a in AXES}} for n in ncts]
    by_design = Counter(_design(tags_pm[p]) for p in pmids) + Counter(_design(tags_ct[n]) for n in ncts)
    per_year = Counter(a["year"] for a in articles.values() if a["year"])
    key_evidence, forest = _evidence(query, pmids, tags_pm, articles, links, retracted, rules,
                                     store.load_findings(rules.digest, [("pubmed", p) for p in pmids]))
    trials = _trials(store, ncts, links)
    claims, verdicts = _claims(store, query, rules)
    state = _state(pmids, trials, retracted, verdicts, articles)
    previous, current = store.report_state(query.name)
    baseline = previous if same_state(current, state) else current
    if current is None:
        baseline = None
    # Titles of the articles that left the results, those still cached (a withdrawn one is not).
    gone = sorted(set(baseline["articles"]) - set(pmids)) if baseline else []
    changes = _changes(baseline, state, {**store.reads.article_summaries(gone), **articles} if gone else articles)
    unindexed = sum(1 for a in articles.values() if not a["indexed"])
    coverage, last_checked = _coverage(store, query, {"pubmed": len(pmids), "ctgov": len(ncts)}, unindexed)
    data = ReportData(
        query=query,
        stamp=Stamp(generated_at=utcnow(), last_checked=last_checked),
        reference_date=today or datetime.now(UTC).date(),
        tool_version=__version__,
        totals=Totals(articles=len(pmids), trials=len(ncts), by_design=dict(by_design), unindexed=unindexed,
                      retracted=len(retracted)),
        evidence_map=evidence_map(summaries),
        publications_per_year=dict(per_year),
        key_evidence=key_evidence,
        forest=forest,
        trials=trials,
        claims=claims,
        changes=changes,
        coverage=coverage,
        stale=list(stale),
        provenance={"tagging rules": rules_sha[:12]},
    )
    return data, state
