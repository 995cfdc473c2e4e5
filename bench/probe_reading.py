"""The evidence reader on probe sets written from the label schema, not from records.

    PYTHONPATH=src .venv/bin/python bench/probe_reading.py [--misses] [--round 1-13]

``bench/evidence_reading.py`` scores the reader against hand labels of cached records; rules tuned on those
records' wordings carried poorly to the held-back third (stop 35). These probe sets were written by helpers from
``labels/evidence/README.md``'s definitions alone, before any rule was changed for them: the kinds of sentences and
abstracts that trials, cohorts and meta-analyses print, each with the label the schema gives it (one pass, no
adjudication: a probe's label is a careful reading, not a gold standard). They measure how the reader meets
wordings it was not written from. Every set is made-up text; none is a record's.

- ``probes/directions.txt``: result sentences, ``sentence || increased|decreased|no_difference|abstain``; a line
  ``@name`` switches to the study setting ``probes/directions_settings.json`` names (title, methods, tags). Right
  when the expected direction is among the findings read from the sentence (abstain: none read).
- ``probes/adverse.txt``: ``sentence || presence[,presence...]|none || setting`` (``probes/adverse_settings.json``).
  Right, as the benchmark scores harms, when each expected presence is given to some harm of the sentence (none: no
  row).
- ``probes/questions*.jsonl``: abstracts (title, sections or an unstructured text) with the expected study question
  and the alternatives the schema also allows; tagged as ``ketlit tag`` would tag them. Right when the question read
  is the expected one.
- ``probes/round5/abstracts*.jsonl``: whole abstracts with their question and every result sentence's findings
  labelled by quote (``findings``: quote, direction), and the result sentences that carry none (``no_finding``).
  Scored as ``bench/evidence_reading.py`` scores the labelled records: precision / recall / F1 per direction, macro-F1
  and the abstain rate over labelled sentences; the question right when it is the expected one or an alternative.

Rounds, each written by other helpers, blind to the reader and to the other rounds: ``probes/`` (stop 36),
``probes/round2/`` (stop 37: 240 direction sentences in 16 settings, 260 harm sentences in 15, 160 abstracts, 35%
unstructured), ``probes/round3/`` (130 abstracts of secondary reports of trials and main reports with tempting words,
their report relation labelled too), ``probes/round4/`` (150 direction and 100 harm sentences of trials that name
their arms by letters, defined in 25 ways), ``probes/round5/`` (stop 38: 120 whole abstracts, psychiatry and
addiction by one helper, pain, anaesthesia and acute care by another, 42% unstructured), ``probes/round6/`` (stop
38: 80 whole abstracts), ``probes/round7/`` (stop 39: 100 abstracts on the study question's hard boundaries, by two
helpers: psychiatry and neuroscience research, and clinical trials), ``probes/round8/`` (stop 39: 100 whole
abstracts of mechanism, biomarker and challenge studies, and of predictor, moderator and secondary analyses),
``probes/round9/`` (stop 39: 100 whole abstracts of uncontrolled and observational studies, and of reviews) and
``probes/round10/`` (stop 39: 100 whole abstracts, mechanism studies in many words of change, and randomised trials
written densely), ``probes/round11/`` (stop 40: 100 whole abstracts, secondary reports against main reports that
look like them, and every question in rarely met formats; the relation labelled too; a fifth about other drugs, read
with the rules configured for them), ``probes/round12/`` (stop 40: 60 whole abstracts in the mix a literature search
returns) and ``probes/round13/`` (stop 40, written last and not yet read: 40 whole abstracts, anaesthesia, emergency
and pain records and psychiatric ones in second-language English), ``probes/round14/`` and ``round15/`` (stop 41: 60
whole abstracts in a literature search's mix, and 50 imitating real records' untidiness) and ``probes/round16/``
(stop 42: **real records**, not made up: the 71 ketamine conference abstracts and journal articles of
``../shared/data/pubmed/psynamic_psychedelic_abstracts_1986.jsonl`` that neither the replay corpus nor the CSV corpus
holds, labelled in two blind passes and adjudicated; the labels name each record by ``source`` and ``record_id`` and
its text is read from ``../shared``, never copied here, so the round is skipped with a reason where that is absent),
and ``probes/round17/`` (stop 42: 50 real psilocybin, MDMA and LSD records of the same file, read with the rules
configured for their drug, labelled and kept the same way) and ``probes/round18/`` (the next 50 of that pool, labelled
after rounds 16 and 17's rules were written, to measure them) and ``probes/round19/`` (the next 50, labelled after
every rule of stop 42) and ``probes/round20/`` (stop 43: the next 50 of that order, labelled before any of stop 43's
changes), ``probes/round21/`` to ``round24/`` (the next 200, labelled blind: 21 and 22 after the
stop's first changes, 23 and 24 after all of them), ``probes/round25/`` to ``round28/`` (stop 44: the next 200,
labelled blind while its question families were written; 26 was then used to widen one, 25, 27 and 28 never) and
``probes/round29/`` (the next 50, labelled after every change of stop 44). A
round's first reading, before any rule is changed for it, is how the reader generalises; the rules fixed for round 1
were measured on round 2 that way
(bench/README.md, stop 37).

Prints right/total per set and per label; informational, no target (exit 0). See bench/README.md (stops 36-39).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Final

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

from ketlit.config import Settings  # noqa: E402
from ketlit.evidence.profile import read_profile  # noqa: E402
from ketlit.evidence.rules import load_rules, packaged_rules  # noqa: E402
from ketlit.evidence.sentences import abstract_sentences  # noqa: E402
from ketlit.jobs.tag import TagRunner  # noqa: E402
from ketlit.sources.models import AbstractSection, Article  # noqa: E402
from ketlit.tagging import doc_from_article  # noqa: E402

PROBES = Path(__file__).resolve().parent / "probes"
RULES = packaged_rules()


def _with_results(title: str, methods: str, sentence: str) -> tuple[Article, int]:
    """A made-up record: the setting's methods, then the probe sentence as its results; and where the results start."""
    sections = [AbstractSection("METHODS", "METHODS", methods), AbstractSection("RESULTS", "RESULTS", sentence)]
    return Article("1", title=title, sections=sections), len(abstract_sentences(sections[:1]))


def directions(misses: bool, probes: Path = PROBES) -> Counter[str]:
    settings = json.loads((probes / "directions_settings.json").read_text())
    score: Counter[str] = Counter()
    setting = "dep"
    for line in (probes / "directions.txt").read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("@"):
            setting = line[1:].strip()
            continue
        sentence, want = (part.strip() for part in line.split("||"))
        s = settings[setting]
        article, first = _with_results(s["title"], s["methods"], sentence)
        got = [f.direction for f in read_profile(article, s["tags"], RULES).findings if f.sentence >= first]
        ok = got == [] if want == "abstain" else want in got
        score[f"{want} {'right' if ok else 'wrong'}"] += 1
        if misses and not ok:
            print(f"  direction ({setting}) want {want}, read {got or 'none'}: {sentence}")
    return score


def adverse(misses: bool, probes: Path = PROBES) -> Counter[str]:
    settings = json.loads((probes / "adverse_settings.json").read_text())
    score: Counter[str] = Counter()
    for line in (probes / "adverse.txt").read_text().splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        sentence, presences, setting = (part.strip() for part in line.split("||"))
        s = settings[setting]
        article, first = _with_results(s["title"], s["methods"], sentence)
        profile = read_profile(article, {"design": list(s["designs"])}, RULES)
        got = {(a.event, a.presence) for a in profile.adverse_events if a.sentence >= first}
        given = {presence for _, presence in got}
        wanted = set() if presences == "none" else {p.strip() for p in presences.split(",")}
        for presence in wanted or {"none"}:
            ok = presence in given if wanted else not got
            score[f"{presence} {'right' if ok else 'wrong'}"] += 1
        right = wanted <= given if wanted else not got
        if misses and not right:
            print(f"  harm ({setting}) want {sorted(wanted) or 'none'}, read {sorted(got) or 'none'}: {sentence}")
        score["sentences right" if right else "sentences wrong"] += 1
    return score


# Round 16 labels real records that are not in the replay corpus; their texts stay in ``../shared`` (never copied into
# the repository), read by record id from the file a case's ``source`` names.
SHARED: Final = REPO.parent / "shared"
SOURCES: Final = {"psynamic_1986": SHARED / "data/pubmed/psynamic_psychedelic_abstracts_1986.jsonl"}
_SOURCE_RECORDS: dict[str, dict[str, dict[str, Any]]] = {}


def _source_record(case: dict[str, Any]) -> dict[str, Any] | None:
    """The title and text of a case labelled on a record of ``../shared`` (None when ``../shared`` is absent)."""
    source = case["source"]
    if source not in _SOURCE_RECORDS:
        path = SOURCES[source]
        if not path.exists():
            return None
        records = (json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip())
        _SOURCE_RECORDS[source] = {str(r["record_id"]): r for r in records}
    record = _SOURCE_RECORDS[source][str(case["record_id"])]
    return {**case, "id": f"{source}:{case['record_id']}", "title": record["title"], "text": record["abstract"]}


def _abstract_of(case: dict[str, Any]) -> Article:
    if "text" in case:
        sections = [AbstractSection(None, None, case["text"])]
    else:
        sections = [AbstractSection(label, category, text) for label, category, text in case["sections"]]
    return Article(str(case["id"]), title=case["title"], sections=sections)


def _tags(tagger: Any, article: Article) -> dict[str, list[str]]:
    """The record's tags as ``ketlit tag`` gives them."""
    tags: dict[str, list[str]] = {}
    for tag in tagger.tag(doc_from_article(article)):
        tags.setdefault(tag.axis, []).append(tag.value)
    return tags


def questions(misses: bool, probes: Path = PROBES) -> Counter[str]:
    tagger = TagRunner(Settings()).tagger
    score: Counter[str] = Counter()
    lines = [line for path in sorted(probes.glob("questions*.jsonl")) for line in path.read_text().splitlines()]
    for line in lines:
        case: dict[str, Any] = json.loads(line)
        article = _abstract_of(case)
        profile = read_profile(article, _tags(tagger, article), RULES)
        got = profile.question.value
        ok = got == case["expected"]
        score[f"{case['expected']} {'right' if ok else 'wrong'}"] += 1
        if misses and not ok:
            print(f"  question want {case['expected']}, read {got}: {case['title']}")
        if case.get("relation") is not None:  # round 3: main report or secondary (a trial's re-analysis, sub-study)
            related = profile.relation == case["relation"]
            score[f"relation {'right' if related else 'wrong'}"] += 1
            if misses and not related:
                print(f"  relation want {case['relation']}, read {profile.relation}: {case['title']}")
    return score


def _sentence_of(sentences: list[str], quote: str) -> int | None:
    """The index of the one sentence that holds ``quote`` (whitespace runs compared as one space)."""
    want = " ".join(quote.split())
    hits = [i for i, text in enumerate(sentences) if want in " ".join(text.split())]
    return hits[0] if len(hits) == 1 else None


_OTHER_DRUG_RULES: dict[tuple[str, ...], Any] = {}


def _rules_for(tags: dict[str, list[str]]) -> Any:
    """The rules a user reading this probe's drug would run: the shipped ones when the probe names a configured drug;
    else the shipped ones configured (``[reading] molecules``) for the molecules the probe is tagged with, as a user's
    rules file would (round 11 writes some abstracts about another drug, so that no rule leans on a drug's name);
    None when the tagging vocabulary knows none of its drugs (a user would add one to the tagging rules first)."""
    molecules = tuple(sorted(set(tags.get("molecule", []))))
    if set(molecules) & set(RULES.molecules):
        return RULES
    if not molecules:
        return None
    if molecules not in _OTHER_DRUG_RULES:
        import re
        import tempfile

        text = (REPO / "src/ketlit/data/evidence_rules.toml").read_text()
        text = re.sub(r"(?m)^molecules = \[.*\]$", "molecules = " + json.dumps(list(molecules)), text, count=1)
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "evidence_rules.toml"
            path.write_text(text)
            _OTHER_DRUG_RULES[molecules] = load_rules(path)
    return _OTHER_DRUG_RULES[molecules]


def abstracts(misses: bool, probes: Path = PROBES) -> Counter[str]:
    """Round 5: whole abstracts with their question and every result sentence's findings labelled (by quote).

    Scored as ``bench/evidence_reading.py`` scores the labelled records: per labelled sentence, the label
    read if it is among the sentence's labels, else the first read, else abstain; and findings read from
    sentences labelled as carrying none ("no_finding")."""
    tagger = TagRunner(Settings()).tagger
    score: Counter[str] = Counter()
    for path in sorted(probes.glob("abstracts*.jsonl")):
        for line in path.read_text().splitlines():
            case: dict[str, Any] = json.loads(line)
            if "source" in case:
                found = _source_record(case)
                if found is None:
                    score[f"skipped: {SOURCES[case['source']]} is absent (../shared)"] += 1
                    continue
                case = found
            article = _abstract_of(case)
            tags = _tags(tagger, article)
            rules = _rules_for(tags)
            profile = read_profile(article, tags, rules or RULES)
            got_q = profile.question.value
            ok = got_q == case["expected"] or got_q in case.get("alt", [])
            if rules is None:  # a drug no rules file can name yet: its findings are read, its question is not scored
                score["question drug not in the vocabulary"] += 1
                ok = True
            else:
                score[f"question {'right' if ok else 'wrong'}"] += 1
            if misses and not ok:
                print(f"  {case['id']} question want {case['expected']}, read {got_q}: {case['title']}")
            if rules is not None and case.get("relation") in ("main", "secondary"):  # round 11 on: labelled too
                related = profile.relation == case["relation"]
                score[f"relation {'right' if related else 'wrong'}"] += 1
                if misses and not related:
                    print(f"  {case['id']} relation want {case['relation']}, read {profile.relation}: {case['title']}")
            texts = [s.text for s in abstract_sentences(article.sections)]
            read: dict[int, list[str]] = {}
            for f in profile.findings:
                read.setdefault(f.sentence, []).append(f.direction)
            wanted: dict[int, set[str]] = {}
            for f in case.get("findings", []):
                s = _sentence_of(texts, f["quote"])
                if s is None:
                    score["quote not found"] += 1
                    continue
                wanted.setdefault(s, set()).add(f["direction"])
            for s, want in sorted(wanted.items()):
                got = read.get(s, [])
                hit = next((d for d in got if d in want), got[0] if got else "abstain")
                label = hit if hit in want else sorted(want)[0]
                score[f"conf {label} {hit}"] += 1
                if misses and hit != label:
                    print(f"  {case['id']} s{s} want {sorted(want)}, read {got or 'none'}: {texts[s][:150]}")
            for quote in case.get("no_finding", []):
                s = _sentence_of(texts, quote)
                if s is None:
                    score["quote not found"] += 1
                    continue
                score[f"no_finding {'wrong' if read.get(s) else 'right'}"] += 1
                if misses and read.get(s):
                    print(f"  {case['id']} s{s} want none, read {read[s]}: {texts[s][:150]}")
    return score


def _report_abstracts(score: Counter[str]) -> None:
    # The labelled records' own metrics (bench/evidence_reading.py), so the two benches cannot drift apart.
    from evidence_reading import DIRECTIONS, prf

    for key, count in score.items():
        if key.startswith("skipped: "):
            print(f"abstracts: {count} {key}")
    q_right, q_all = score["question right"], score["question right"] + score["question wrong"]
    if not q_all and not score["question drug not in the vocabulary"]:
        return  # every case skipped
    unscored = score["question drug not in the vocabulary"]
    print(
        f"abstracts: study question {q_right}/{q_all} right"
        + (f" ({unscored} about a drug the tagging vocabulary does not know: not scored)" if unscored else "")
    )
    r_right, r_all = score["relation right"], score["relation right"] + score["relation wrong"]
    if r_all:
        print(f"  report relation (main / secondary): {r_right}/{r_all} right")
    conf: Counter[tuple[str, str]] = Counter()
    for key, count in score.items():
        if key.startswith("conf "):
            gold, read = key.split()[1:]
            conf[(gold, read)] = count
    per_label = prf(conf)
    for d in DIRECTIONS:
        prec, rec, f1 = per_label[d]
        labelled = sum(v for (g, _), v in conf.items() if g == d)
        print(f"  {d:14s} precision {prec:.3f} recall {rec:.3f} F1 {f1:.3f} ({labelled} labelled)")
    n = sum(conf.values())
    abstain = sum(v for (_, r), v in conf.items() if r == "abstain")
    macro = sum(f1 for _, _, f1 in per_label.values()) / len(DIRECTIONS)
    print(f"  macro-F1 {macro:.3f}; abstain rate {abstain / max(1, n):.3f} of {n} labelled sentences")
    nf = score["no_finding right"] + score["no_finding wrong"]
    print(f"  sentences without a finding read as none: {score['no_finding right']}/{nf}")
    if score["quote not found"]:
        print(f"  quotes not found in one sentence: {score['quote not found']}")


def _report(name: str, score: Counter[str]) -> None:
    if "relation right" in score or "relation wrong" in score:
        print(
            f"report relation (main / secondary): {score['relation right']}/"
            f"{score['relation right'] + score['relation wrong']} right"
        )
    labels = sorted({key.rsplit(" ", 1)[0] for key in score if not key.startswith(("sentences", "relation"))})
    right = sum(score[f"{label} right"] for label in labels)
    total = right + sum(score[f"{label} wrong"] for label in labels)
    print(
        f"{name}: {right}/{total} right"
        + (
            f" (sentences {score['sentences right']}/{score['sentences right'] + score['sentences wrong']})"
            if "sentences right" in score or "sentences wrong" in score
            else ""
        )
    )
    for label in labels:
        print(f"  {label:24s} {score[f'{label} right']:4d} / {score[f'{label} right'] + score[f'{label} wrong']}")


# The rounds are the folders probes/round2, probes/round3, ...: a new round is read once its folder is there.
_LAST: Final = max((int(p.name[5:]) for p in PROBES.glob("round*") if p.name[5:].isdigit()), default=1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--misses", action="store_true", help="list each probe the reader gets wrong")
    ap.add_argument(
        "--round",
        type=int,
        default=0,
        choices=tuple(range(_LAST + 1)),
        help=f"one round of probes only (1: probes/, 2: probes/round2/ ... {_LAST}: probes/round{_LAST}/); default all",
    )
    args = ap.parse_args()
    rounds = [(1, PROBES), *((n, PROBES / f"round{n}") for n in range(2, _LAST + 1))]
    for number, probes in rounds:
        if args.round not in (0, number):
            continue
        print(f"round {number} ({probes.relative_to(REPO)}):")
        sets = (
            ("directions", directions, "directions.txt"),
            ("adverse events", adverse, "adverse.txt"),
            ("study questions", questions, "questions*.jsonl"),
        )
        for name, score, file in sets:
            if any(probes.glob(file)):
                _report(name, score(args.misses, probes))
        if any(probes.glob("abstracts*.jsonl")):
            _report_abstracts(abstracts(args.misses, probes))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
