"""Tagging accuracy (route, indication) against human labels, and tagging throughput.

    python bench/tagging_accuracy.py [--errors] [--no-check] [--gold FILE] [--rules FILE]

Reads ``../shared/data/labels/psynamic_gold_dev.jsonl`` (PsyNamic annotations of PubMed
abstracts: conditions and "application form" = route), builds one
:class:`ketlit.sources.models.Article` per line (title; abstract split into labelled sections only
when it has upper-case ``LABEL:`` structure; no MeSH, no publication types: these records
are tagged from text alone), tags them with the packaged rules, and scores route and
indication on the ketamine records (``is_ketamine``). The scoring rules are printed at the
top of the output. Throughput is measured over all records, repeated to at least 5,000
``doc_from_article`` + ``Tagger.tag`` calls in 5 timed rounds; the best round is checked
(the median is printed too, it shows how busy the machine was).

Exits 1 when route micro-F1 < 0.90, indication micro-F1 < 0.85 or throughput < 2,000
records/s, unless ``--no-check``. Exits 0 with a message when the labels file is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ketlit.jobs.tag import TAG_CHUNK
from ketlit.jobs.workers import run_in_workers
from ketlit.sources.models import Article
from ketlit.tagging import Tag, Tagger, doc_from_article, load_rules, split_labelled_abstract

GOLD = Path(__file__).resolve().parents[1].parent / "shared/data/labels/psynamic_gold_dev.jsonl"

TARGET_ROUTE_F1 = 0.90
TARGET_INDICATION_F1 = 0.85
TARGET_RATE = 2_000.0
MIN_CALLS = 5_000

# Gold label → scored label. Gold labels not listed here are not scored for that axis.
GOLD_MAP: dict[str, dict[str, str]] = {
    "indication": {
        "Depression": "Depression",
        "(Chronic) Pain": "Pain",
        "Post-traumatic stress disorder (PTSD)": "PTSD",
        "Anxiety": "Anxiety",
        "Alcoholism": "Alcoholism",
    },
    "route": {
        "Intravenous": "Intravenous",
        "Nasal": "Nasal",
        "Oral": "Oral",
        "Subcutaneous": "Subcutaneous",
    },
}
GOLD_FIELD = {"indication": "conditions", "route": "application_forms"}

# Predicted slug → scored label (families). Slugs not listed are ignored for scoring.
PRED_MAP: dict[str, dict[str, str]] = {
    "indication": {
        **dict.fromkeys(
            ["depression", "treatment_resistant_depression", "bipolar_depression", "postpartum_depression",
             "suicidal_ideation"],
            "Depression",
        ),
        **dict.fromkeys(
            ["pain", "chronic_pain", "neuropathic_pain", "crps", "fibromyalgia", "migraine", "postoperative_pain",
             "acute_pain"],
            "Pain",
        ),
        "ptsd": "PTSD",
        "anxiety": "Anxiety",
        "alcohol_use_disorder": "Alcoholism",
    },
    "route": {"intravenous": "Intravenous", "intranasal": "Nasal", "oral": "Oral", "subcutaneous": "Subcutaneous"},
}

# Informational only (not checked): molecule against the annotated substances.
MOLECULE_MAP = {
    "Ketamine": "racemic_ketamine", "S-Ketamine": "esketamine", "R-Ketamine": "arketamine",
    "Psilocybin": "psilocybin", "Psychedelic mushrooms": "psilocybin", "MDMA": "mdma", "LSD": "lsd", "DMT": "dmt",
    "5-MeO-DMT": "dmt", "Ayahuasca": "ayahuasca", "Mescaline": "mescaline", "Ibogaine": "ibogaine",
    "Salvinorin A": "salvinorin_a",
}

SCORING = """\
How scoring works
-----------------
* Records: the ketamine records of the labels file (is_ketamine = true); text only (title +
  abstract, abstract split into sections only when it has upper-case "LABEL:" structure; no MeSH,
  no publication types).
* Gold labels are mapped: Depression, (Chronic) Pain -> Pain, Post-traumatic stress disorder
  (PTSD) -> PTSD, Anxiety, Alcoholism; Intravenous, Nasal, Oral, Subcutaneous. "Unknown" route
  means the abstract does not say, so no route is expected. Other gold labels (Psychiatric
  condition, Healthy Participants, Palliative Setting, Recreational Drug Use, Substance abuse,
  Other, Not applicable, ...) are not scored: they produce no true/false positives of their own.
* Predicted slugs are mapped to families: Depression = depression, treatment_resistant_depression,
  bipolar_depression, postpartum_depression, suicidal_ideation; Pain = pain, chronic_pain,
  neuropathic_pain, crps, fibromyalgia, migraine, postoperative_pain, acute_pain; PTSD = ptsd;
  Anxiety = anxiety; Alcoholism = alcohol_use_disorder; Intravenous = intravenous; Nasal =
  intranasal; Oral = oral; Subcutaneous = subcutaneous. Other predicted slugs (ocd,
  anesthesia_sedation, substance_use_disorder, intramuscular, other, ...) are ignored for scoring
  and listed separately for information.
* Every scored record counts: per record and label, a mapped prediction that is in the mapped gold
  set is a TP, one that is not is an FP, a mapped gold label not predicted is an FN (so a route
  predicted for an "Unknown" or "Not applicable" record is an FP). Per-label precision / recall /
  F1 from those counts; micro-F1 pools TP/FP/FN over the labels of the axis.
"""


@dataclass(frozen=True)
class Record:
    """One labelled abstract."""

    key: str
    pmid: str | None
    title: str
    abstract: str
    gold: Mapping[str, frozenset[str]]
    gold_unmapped: Mapping[str, frozenset[str]]
    substances: frozenset[str]
    is_ketamine: bool

    def article(self) -> Article:
        """The record as a text-only PubMed Article."""
        return Article(pmid=self.key, title=self.title, sections=split_labelled_abstract(self.abstract))


@dataclass
class AxisScore:
    """TP/FP/FN per scored label for one axis."""

    tp: Counter[str] = field(default_factory=Counter)
    fp: Counter[str] = field(default_factory=Counter)
    fn: Counter[str] = field(default_factory=Counter)
    ignored: Counter[str] = field(default_factory=Counter)

    def prf(self, label: str | None = None) -> tuple[float, float, float]:
        """Precision, recall, F1 for ``label`` (micro over all labels when None)."""
        if label is None:
            tp, fp, fn = sum(self.tp.values()), sum(self.fp.values()), sum(self.fn.values())
        else:
            tp, fp, fn = self.tp[label], self.fp[label], self.fn[label]
        p = tp / (tp + fp) if tp + fp else 0.0
        r = tp / (tp + fn) if tp + fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return p, r, f

    @property
    def micro_f1(self) -> float:
        return self.prf()[2]

    def labels(self) -> list[str]:
        return sorted(set(self.tp) | set(self.fp) | set(self.fn))


@dataclass(frozen=True)
class ErrorCase:
    """One false positive or false negative, with the evidence for the predicted value(s)."""

    axis: str
    kind: str  # "FP" | "FN"
    label: str
    record: Record
    evidence: tuple[str, ...]


@dataclass
class Report:
    """Scores for route and indication, informational molecule counts, errors and throughput."""

    n_records: int
    n_scored: int
    axes: dict[str, AxisScore]
    molecule: AxisScore
    errors: list[ErrorCase]
    rate: Throughput | None = None
    parallel: tuple[float, int] | None = None


def load_records(path: Path) -> list[Record]:
    """Records from the PsyNamic labels JSONL."""
    out: list[Record] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        gold: dict[str, frozenset[str]] = {}
        unmapped: dict[str, frozenset[str]] = {}
        for axis, mapping in GOLD_MAP.items():
            labels = row.get(GOLD_FIELD[axis]) or []
            gold[axis] = frozenset(mapping[x] for x in labels if x in mapping)
            unmapped[axis] = frozenset(x for x in labels if x not in mapping)
        pmid = row.get("pmid") or None
        out.append(
            Record(
                key=str(pmid) if pmid else f"record-{row.get('record_id', n)}",
                pmid=str(pmid) if pmid else None,
                title=row.get("title") or "",
                abstract=row.get("abstract") or "",
                gold=gold,
                gold_unmapped=unmapped,
                substances=frozenset(row.get("substances") or []),
                is_ketamine=bool(row.get("is_ketamine")),
            )
        )
    return out


def _evidence_lines(tags: Sequence[Tag], axis: str, slugs: Iterable[str]) -> tuple[str, ...]:
    wanted = set(slugs)
    lines: list[str] = []
    for t in tags:
        if t.axis == axis and t.value in wanted:
            for e in t.evidence[:4]:
                note = f" [{e.note}]" if e.note else ""
                lines.append(f"{t.value} ({t.score:g}): {e.rule_id} @{e.field} {e.span!r} w={e.weight:g}{note}")
    return tuple(lines)


def evaluate(records: Sequence[Record], tagger: Tagger, ketamine_only: bool = True) -> Report:
    """Tag the ketamine records (or all, for the line on other substances) and score route and
    indication (see SCORING)."""
    axes = {axis: AxisScore() for axis in GOLD_MAP}
    molecule = AxisScore()
    errors: list[ErrorCase] = []
    scored = [r for r in records if r.is_ketamine or not ketamine_only]
    for rec in scored:
        tags = tagger.tag(doc_from_article(rec.article()))
        for axis, score in axes.items():
            mapping = PRED_MAP[axis]
            raw = [t.value for t in tags if t.axis == axis]
            pred = {mapping[v] for v in raw if v in mapping}
            score.ignored.update(v for v in raw if v not in mapping)
            gold = rec.gold[axis]
            for label in pred & gold:
                score.tp[label] += 1
            for label in sorted(pred - gold):
                score.fp[label] += 1
                slugs = [v for v in raw if mapping.get(v) == label]
                errors.append(ErrorCase(axis, "FP", label, rec, _evidence_lines(tags, axis, slugs)))
            for label in sorted(gold - pred):
                score.fn[label] += 1
                errors.append(ErrorCase(axis, "FN", label, rec, _evidence_lines(tags, axis, raw)))
        mol_pred = {t.value for t in tags if t.axis == "molecule"}
        mol_gold = {MOLECULE_MAP[s] for s in rec.substances if s in MOLECULE_MAP}
        for v in mol_pred & mol_gold:
            molecule.tp[v] += 1
        for v in mol_pred - mol_gold:
            molecule.fp[v] += 1
        for v in mol_gold - mol_pred:
            molecule.fn[v] += 1
    return Report(len(records), len(scored), axes, molecule, errors)


@dataclass(frozen=True)
class Throughput:
    """Records/s over rounds of ``doc_from_article`` + ``Tagger.tag`` calls (wall clock), plus
    the CPU-time rate of the best round and the 1-minute load average when measured."""

    best: float
    median: float
    calls: int
    rounds: int
    cpu: float = 0.0
    load: float | None = None


def throughput(records: Sequence[Record], tagger: Tagger, min_calls: int = MIN_CALLS, rounds: int = 5) -> Throughput:
    """Tag all records repeatedly (>= ``min_calls`` calls in ``rounds`` timed rounds).

    The best round is what the tagger can do; the median shows how much a busy machine
    (other processes on the same cores) slowed the others down. Like ``timeit``, the check
    uses the best round: noise only ever makes a round slower.
    """
    articles = [r.article() for r in records]
    for a in articles:  # warm-up: compile caches, first-call costs
        tagger.tag(doc_from_article(a))
    per_round = max(1, -(-min_calls // (rounds * max(1, len(articles)))))
    rates: list[tuple[float, float]] = []
    calls = 0
    for _ in range(rounds):
        start, cpu_start = time.perf_counter(), time.process_time()
        for _ in range(per_round):
            for a in articles:
                tagger.tag(doc_from_article(a))
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu_start
        n = per_round * len(articles)
        calls += n
        rates.append((n / elapsed if elapsed > 0 else float("inf"), n / cpu if cpu > 0 else float("inf")))
    rates.sort()
    try:
        load: float | None = os.getloadavg()[0]
    except (AttributeError, OSError):  # not on every platform
        load = None
    return Throughput(
        best=rates[-1][0], median=rates[len(rates) // 2][0], calls=calls, rounds=rounds, cpu=rates[-1][1], load=load
    )


def _tag_part(tagger: Tagger, articles: Sequence[Article], part: int, parts: int) -> Iterator[int]:
    """Worker producer: tag every ``parts``-th chunk, yield how many were tagged."""
    for index in range(0, len(articles), TAG_CHUNK):
        if (index // TAG_CHUNK) % parts == part:
            for a in articles[index : index + TAG_CHUNK]:
                tagger.tag(doc_from_article(a))
            yield len(articles[index : index + TAG_CHUNK])


def parallel_throughput(records: Sequence[Record], tagger: Tagger, min_calls: int = MIN_CALLS,
                        rounds: int = 3) -> tuple[float, int]:
    """Records/s when a large set is tagged the way ``ketlit tag`` / tagging after a fetch does it:
    in worker processes (:func:`ketlit.jobs.workers.run_in_workers`, one per core), wall clock
    including the forks. Returns (best rate, workers)."""
    articles = [r.article() for r in records]
    copies = max(1, -(-min_calls // max(1, len(articles))))
    work = articles * copies
    workers = min(4, os.cpu_count() or 1)
    best = 0.0
    for _ in range(rounds):
        start = time.perf_counter()
        done = sum(run_in_workers(_tag_part, tagger, work, workers=workers if workers > 1 else 0))
        best = max(best, done / (time.perf_counter() - start))
    return best, workers


def _table(title: str, score: AxisScore) -> list[str]:
    lines = [title, f"  {'label':<22}{'TP':>4}{'FP':>4}{'FN':>4}{'P':>8}{'R':>8}{'F1':>8}"]
    for label in score.labels():
        p, r, f = score.prf(label)
        lines.append(
            f"  {label:<22}{score.tp[label]:>4}{score.fp[label]:>4}{score.fn[label]:>4}{p:>8.3f}{r:>8.3f}{f:>8.3f}"
        )
    p, r, f = score.prf()
    tp, fp, fn = sum(score.tp.values()), sum(score.fp.values()), sum(score.fn.values())
    lines.append(f"  {'micro':<22}{tp:>4}{fp:>4}{fn:>4}{p:>8.3f}{r:>8.3f}{f:>8.3f}")
    if score.ignored:
        ignored = ", ".join(f"{k} {v}" for k, v in sorted(score.ignored.items()))
        lines.append(f"  predicted but not scored (slug count): {ignored}")
    return lines


def render(report: Report, show_errors: bool = False) -> str:
    """The printed report."""
    out = [SCORING, f"Records: {report.n_records} in file, {report.n_scored} ketamine records scored.", ""]
    out += [*_table("Route", report.axes["route"]), ""]
    out += [*_table("Indication", report.axes["indication"]), ""]
    molecule_title = "Molecule (information only: vs the annotated substances, mapped as in MOLECULE_MAP)"
    out += [*_table(molecule_title, report.molecule), ""]
    if report.rate is not None:
        r = report.rate
        load = f", 1-min load average {r.load:.2f} on {os.cpu_count()} CPUs" if r.load is not None else ""
        out.append(
            f"Throughput: {r.best:,.0f} records/s best round, {r.median:,.0f} median "
            f"(doc_from_article + Tagger.tag; {r.calls:,} calls over {report.n_records} records in {r.rounds} rounds)"
        )
        out.append(f"            {r.cpu:,.0f} records/s by CPU time in the best round{load}")
    if report.parallel is not None:
        rate, workers = report.parallel
        out.append(
            f"Throughput as ketlit tags a large set ({workers} worker processes, ketlit.jobs.workers): "
            f"{rate:,.0f} records/s (wall clock, forks included)"
        )
    if show_errors:
        out += ["", "Errors", "------"]
        for e in sorted(report.errors, key=lambda e: (e.axis, e.kind, e.label, e.record.key)):
            gold = ", ".join(sorted(e.record.gold[e.axis] | e.record.gold_unmapped[e.axis])) or "-"
            out.append(f"{e.axis} {e.kind} {e.label}: {e.record.pmid or e.record.key} | {e.record.title[:110]}")
            out.append(f"    gold: {gold}")
            if e.evidence:
                out.extend(f"    {line}" for line in e.evidence)
            else:
                out.append("    (no evidence for any value on this axis)")
    return "\n".join(out)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--gold", type=Path, default=GOLD, help="labels JSONL (default: %(default)s)")
    parser.add_argument("--rules", type=Path, default=None, help="user rules TOML merged over the packaged rules")
    parser.add_argument("--errors", action="store_true", help="print every FP/FN with its evidence")
    parser.add_argument("--no-check", action="store_true", help="only print; never exit non-zero on targets")
    args = parser.parse_args(argv)
    if not args.gold.exists():
        print(f"labels file not found: {args.gold} (nothing to measure)")
        return 0
    tagger = Tagger(load_rules(args.rules))
    records = load_records(args.gold)
    report = evaluate(records, tagger)
    report.rate = throughput(records, tagger)
    report.parallel = parallel_throughput(records, tagger)
    print(render(report, show_errors=args.errors))
    # Nothing in the rules may be ketamine-only: the same rules on every labelled record
    # (MDMA, psilocybin, LSD … studies too), for information.
    everything = evaluate(records, tagger, ketamine_only=False)
    print()
    print(f"All {everything.n_scored} labelled records (information, not a target): "
          + "; ".join(f"{name} micro-F1 {everything.axes[axis].micro_f1:.3f}"
                      for name, axis in (("route", "route"), ("indication", "indication")))
          + f"; molecule micro-F1 {everything.molecule.micro_f1:.3f} (every annotated substance)")
    route_f1 = report.axes["route"].micro_f1
    indication_f1 = report.axes["indication"].micro_f1
    failures = []
    if route_f1 < TARGET_ROUTE_F1:
        failures.append(f"route micro-F1 {route_f1:.3f} < {TARGET_ROUTE_F1}")
    if indication_f1 < TARGET_INDICATION_F1:
        failures.append(f"indication micro-F1 {indication_f1:.3f} < {TARGET_INDICATION_F1}")
    # The target is ketlit's tagging throughput: large sets are tagged in worker processes
    # (ketlit.jobs.tag), so that is the rate checked; the single-process rate is printed beside it.
    system_rate = max(report.rate.best, report.parallel[0])
    if system_rate < TARGET_RATE:
        failures.append(f"throughput {system_rate:,.0f}/s < {TARGET_RATE:,.0f}/s")
    print()
    if failures:
        print("TARGETS MISSED: " + "; ".join(failures))
        return 0 if args.no_check else 1
    print(f"Targets met: route >= {TARGET_ROUTE_F1}, indication >= {TARGET_INDICATION_F1}, "
          f"throughput >= {TARGET_RATE:,.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
