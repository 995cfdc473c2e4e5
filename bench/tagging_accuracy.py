"""Tagging accuracy (route, indication) against human labels, and tagging throughput.

    python bench/tagging_accuracy.py [--errors] [--no-check] [--gold FILE] [--rules FILE]

Reads ``../shared/data/labels/psynamic_gold_dev.jsonl`` (PsyNamic annotations of PubMed
abstracts: conditions and "application form" = route), builds one
:class:`ketlit.sources.models.Article` per line (title; abstract split into labelled sections only
when it has upper-case ``LABEL:`` structure; no MeSH, no publication types: these records
are tagged from text alone), tags them with the packaged rules, and scores route and
indication on the ketamine records (``is_ketamine``). The scoring rules are printed at the
top of the output.

Throughput is the whole ``ketlit tag`` command (issue 15: timing ``Tagger.tag`` alone measured
a fifth of the work, so it could not see a regression in the rest): the replay corpus
(``../shared/data/replay/pubmed``) replicated to ``--tag-records`` records as ``bench/ingest.py``
does is imported into a temporary cache (not timed), then ``python -m ketlit --db CACHE tag``
runs in a fresh process and is timed from start to exit: rules compiled, every record tagged
in worker processes, numbers read for the records that can be evidence, study profiles read and
grouped, all written. Records/s = records / wall time; peak RSS is the command's process tree.
Skipped with a reason without the corpus.

Exits 1 when route micro-F1 < 0.90, indication micro-F1 < 0.85 or the command's throughput is
below 150 records/s, unless ``--no-check``. Exits 0 with a message when the labels file is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ketlit.sources.models import Article
from ketlit.tagging import Tag, Tagger, doc_from_article, load_rules, split_labelled_abstract

GOLD = Path(__file__).resolve().parents[1].parent / "shared/data/labels/psynamic_gold_dev.jsonl"

TARGET_ROUTE_F1 = 0.90
TARGET_INDICATION_F1 = 0.85
# The whole `ketlit tag` command, records/s (tagging every record, numbers and profiles of the
# drug's records, 46% of this corpus): about 200/s on two free cores (bench/README.md). The
# floor guards against a regression to what tagging cost before issue 15 (156-200/s with
# numbers and profiles read for every record).
TARGET_RATE = 150.0
TAG_RECORDS = 10_000

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
    command: CommandRate | None = None


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


@dataclass
class CommandRate:
    """The whole ``ketlit tag`` command on a cache of ``records``."""

    records: int
    seconds: float
    rss_mb: float
    load: float | None
    output: str

    @property
    def rate(self) -> float:
        return self.records / self.seconds


def command_throughput(records: int) -> CommandRate | None:
    """``ketlit tag`` on a cache of ``records`` replicated replay records (see the module docstring);
    None when the replay corpus is absent."""
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from ingest import REPLAY, load_records, replicate  # type: ignore[import-not-found]

    from ketlit.jobs.ingest import import_file
    from ketlit.store import open_store

    if not REPLAY.is_dir():
        return None
    prolog, corpus = load_records()
    with tempfile.TemporaryDirectory(prefix="ketlit-tag-") as tmp:
        xml, db = Path(tmp) / "records.xml", Path(tmp) / "k.db"
        with open(xml, "wb") as out:
            out.write(prolog + b"<PubmedArticleSet>\n")
            for page in replicate(prolog, corpus, records):
                out.write(b"\n".join(page) + b"\n")
            out.write(b"</PubmedArticleSet>\n")
        store = open_store(db)
        import_file(store, xml)
        store.close()
        env = {k: v for k, v in os.environ.items() if not k.startswith("KETLIT_")}
        env["PYTHONPATH"] = str(Path(__file__).resolve().parents[1] / "src")
        log = Path(tmp) / "tag.log"
        with open(log, "wb") as output:
            start = time.perf_counter()
            child = subprocess.Popen([sys.executable, "-m", "ketlit", "--db", str(db), "tag"], cwd=tmp, env=env,
                                     stdout=output, stderr=subprocess.STDOUT)
            _, status, usage = os.wait4(child.pid, 0)
            seconds = time.perf_counter() - start
        if os.waitstatus_to_exitcode(status) != 0:
            raise SystemExit(f"ketlit tag failed: {log.read_text()[-2000:]}")
        try:
            load: float | None = os.getloadavg()[0]
        except (AttributeError, OSError):  # not on every platform
            load = None
        return CommandRate(records, seconds, usage.ru_maxrss / 1024, load, log.read_text().strip())


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
    if report.command is not None:
        c = report.command
        load = f", 1-min load average {c.load:.2f} on {os.cpu_count()} CPUs" if c.load is not None else ""
        out.append(
            f"Throughput: `ketlit tag` (the whole command) {c.rate:,.0f} records/s: {c.records:,} records in "
            f"{c.seconds:.1f} s, peak RSS {c.rss_mb:.0f} MB{load}"
        )
        out.append(f"            ketlit: {c.output}")
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
    parser.add_argument("--tag-records", type=int, default=TAG_RECORDS,
                        help="records in the cache `ketlit tag` is timed on (default %(default)s; 0: skip)")
    args = parser.parse_args(argv)
    if not args.gold.exists():
        print(f"labels file not found: {args.gold} (nothing to measure)")
        return 0
    tagger = Tagger(load_rules(args.rules))
    records = load_records(args.gold)
    report = evaluate(records, tagger)
    report.command = None if args.tag_records == 0 else command_throughput(args.tag_records)
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
    if report.command is None and args.tag_records:
        print("\n`ketlit tag` not timed: the replay corpus (../shared/data/replay/pubmed) is absent")
    elif report.command is not None and report.command.rate < TARGET_RATE:
        failures.append(f"`ketlit tag` {report.command.rate:,.0f} records/s < {TARGET_RATE:,.0f}/s")
    print()
    if failures:
        print("TARGETS MISSED: " + "; ".join(failures))
        return 0 if args.no_check else 1
    print(f"Targets met: route >= {TARGET_ROUTE_F1}, indication >= {TARGET_INDICATION_F1}, "
          f"throughput >= {TARGET_RATE:,.0f}/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
