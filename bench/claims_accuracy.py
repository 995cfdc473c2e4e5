"""Claim-checking accuracy on the development pages against the expert key (issue 13).

    python bench/claims_accuracy.py [--no-check] [--pages DIR] [--keep DB] [--db DB] [--no-reference]

What it does:
1. Builds a cache the way a user does: the E-utilities stand-in (``tests/standins/eutils.py``,
   real HTTP on 127.0.0.1) serves the replay corpus ``../shared/data/replay/pubmed/*.xml`` and
   ``ketlit fetch pubmed`` fetches every record naming the drug into a temporary database (fetch
   tags as it stores). ``--db`` reuses a cache built earlier (``--keep`` keeps the one built).
2. Runs ``ketlit check PAGE --format json`` (the CLI, in a subprocess) on every page in
   ``../shared/samples/clinic_pages/``.
3. Maps every claim the tool reports to the page's keyed sentences (``claims_map_dev.json``:
   an exact substring of the page) and not-checkable sentences (``not_checkable_dev.json``;
   "ambiguous" ones are ignored) by **character spans**: the claim's source-sentence span in the
   JSON (``sentence.start``/``sentence.end``, offsets into the cleaned page text) overlaps the
   span of the key's text in the same cleaned text.
4. Prints, overall and per page:

   * **extraction recall**: keyed sentences that yield at least one checkable claim;
   * **false claims**: not-checkable sentences that yield a checkable claim, as a share of them;
   * **strict agreement**: keyed sentences for which *every* checkable claim derived from the
     sentence carries an acceptable verdict (the key's verdict or an acceptable alternative); a
     sentence with no checkable claim earns nothing;
   * the **best constant answer**'s strict agreement on the same keyed sentences ("always
     partly supported" …), so the margin over guessing is visible;
   * the certainty distribution, and every "high" whose ``certainty_source`` is neither a
     regulator's fact nor a review (or pinned reference entry) that states the certainty;
   * every supported / partly / contradicted verdict with its decisive records (the JSON's
     ``decisive`` list: role, for/against, key number, sentence) for a spot check.

``--no-reference`` runs the check without the pinned reference standard (the engine must give
sound verdicts either way).

Targets (exit 1 when missed, unless ``--no-check``): extraction recall ≥ 0.90, false claims
≤ 10%, strict agreement ≥ 0.85 and ≥ 15 points above the best constant answer, no unfounded
"high". Exits 0 with a message when ``../shared`` is absent.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SHARED = ROOT.parent / "shared"
SAMPLES = SHARED / "samples"
REPLAY = SHARED / "data" / "replay" / "pubmed"
TERM = "ketamine OR esketamine OR arketamine"

# Key verdict names → the tool's verdict slugs.
KEY_VERDICTS = {
    "SUPPORTED": "supported",
    "PARTLY SUPPORTED": "partly_supported",
    "INSUFFICIENT EVIDENCE": "insufficient_evidence",
    "CONTRADICTED / MISLEADING": "contradicted",
}
CONSTANTS = tuple(KEY_VERDICTS.values())
TARGET_RECALL = 0.90
TARGET_FALSE = 0.10
TARGET_STRICT = 0.85
TARGET_MARGIN = 0.15


# ------------------------------------------------------------------ scoring (pure; tested)


@dataclass(frozen=True, slots=True)
class KeyedSentence:
    """One keyed claim: where its anchor sits in the cleaned page, and the verdicts accepted."""

    cid: str
    page: str
    start: int
    end: int
    acceptable: frozenset[str]


@dataclass(frozen=True, slots=True)
class NotClaim:
    """A sentence the key says is not a claim, with the key's reason."""

    page: str
    start: int
    end: int
    reason: str
    text: str


@dataclass(slots=True)
class Score:
    """Counts behind the printed figures."""

    keyed: int = 0
    extracted: int = 0
    strict: int = 0
    not_claims: int = 0
    false_claims: int = 0
    constant: dict[str, int] = field(default_factory=dict)
    misses: list[str] = field(default_factory=list)
    wrong: list[str] = field(default_factory=list)
    false: list[str] = field(default_factory=list)

    def add(self, other: Score) -> None:
        """Fold another page's counts into this one."""
        self.keyed += other.keyed
        self.extracted += other.extracted
        self.strict += other.strict
        self.not_claims += other.not_claims
        self.false_claims += other.false_claims
        for k, v in other.constant.items():
            self.constant[k] = self.constant.get(k, 0) + v
        self.misses += other.misses
        self.wrong += other.wrong
        self.false += other.false

    @property
    def recall(self) -> float:
        return self.extracted / self.keyed if self.keyed else 1.0

    @property
    def false_share(self) -> float:
        return self.false_claims / self.not_claims if self.not_claims else 0.0

    @property
    def strict_share(self) -> float:
        return self.strict / self.keyed if self.keyed else 1.0

    def best_constant(self) -> tuple[str, float]:
        """The constant verdict with the highest strict agreement, and that agreement."""
        if not self.keyed:
            return CONSTANTS[0], 0.0
        name = max(CONSTANTS, key=lambda v: (self.constant.get(v, 0), v))
        return name, self.constant.get(name, 0) / self.keyed


def _span(claim: Mapping[str, Any]) -> tuple[int, int]:
    s = claim.get("sentence") or claim["location"]
    return int(s["start"]), int(s["end"])


def _overlaps(a: tuple[int, int], b: tuple[int, int]) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def checkable(claim: Mapping[str, Any]) -> bool:
    """Whether the tool tested the claim (it gave it a verdict other than not checkable)."""
    return claim.get("verdict") != "not_checkable"


def score_page(
    claims: Sequence[Mapping[str, Any]], keyed: Sequence[KeyedSentence], not_claims: Sequence[NotClaim]
) -> Score:
    """Score one page's JSON claims against its keyed and not-checkable sentences."""
    sc = Score(keyed=len(keyed), not_claims=len(not_claims), constant=dict.fromkeys(CONSTANTS, 0))
    tested = [c for c in claims if checkable(c)]
    for k in keyed:
        mine = [c for c in tested if _overlaps(_span(c), (k.start, k.end))]
        for v in CONSTANTS:
            sc.constant[v] += v in k.acceptable
        if not mine:
            sc.misses.append(f"{k.page} {k.cid}")
            continue
        sc.extracted += 1
        got = sorted({str(c["verdict"]) for c in mine})
        if all(c["verdict"] in k.acceptable for c in mine):
            sc.strict += 1
        else:
            sc.wrong.append(f"{k.page} {k.cid}: {'+'.join(got)} (key: {'/'.join(sorted(k.acceptable))})")
    for n in not_claims:
        mine = [c for c in tested if _overlaps(_span(c), (n.start, n.end))]
        if mine:
            sc.false_claims += 1
            kinds = "+".join(sorted({str(c.get("kind")) for c in mine}))
            sc.false.append(f"{n.page} [{n.reason}] {kinds}: {n.text[:90]}")
    return sc


def locate(text: str, needle: str) -> tuple[int, int] | None:
    """The span of ``needle`` in the cleaned page text (any whitespace run matches any other: the
    reader turns non-breaking spaces into spaces and drops trailing blanks)."""
    i = text.find(needle)
    if i >= 0:
        return i, i + len(needle)
    words = needle.split()
    if not words:
        return None
    m = re.search(r"\s+".join(re.escape(w) for w in words), text)
    return (m.start(), m.end()) if m else None


# The key's three files: the development key's names (../shared/samples), or the names our own keys carry
# (tests/fixtures/claims/verdict_keys: other names, so no repo file looks like a copy of a shared one).
KEY_FILES = {
    "key": ("claims_key_dev.json", "verdict_key.json"),
    "map": ("claims_map_dev.json", "verdict_map.json"),
    "not_checkable": ("not_checkable_dev.json", "verdict_not_checkable.json"),
}


def key_file(folder: Path, part: str) -> Path:
    """The file of the key ``part`` in ``folder`` (the first name that exists; the first name if none does)."""
    names = KEY_FILES[part]
    return next((folder / n for n in names if (folder / n).is_file()), folder / names[0])


def load_key(samples: Path, texts: Mapping[str, str]) -> tuple[list[KeyedSentence], list[NotClaim], list[str]]:
    """Keyed and not-checkable sentences located in the cleaned page texts; problems as lines."""
    key = {k["id"]: k for k in json.loads(key_file(samples, "key").read_text(encoding="utf-8"))}
    problems: list[str] = []
    keyed: list[KeyedSentence] = []
    for m in json.loads(key_file(samples, "map").read_text(encoding="utf-8")):
        page, k = m["page"], key[m["cid"]]
        span = locate(texts[page], m["anchor"]) if page in texts else None
        if span is None:
            problems.append(f"{page} {m['cid']}: anchor not found in the cleaned page")
            continue
        ok = {KEY_VERDICTS[k["verdict"]], *(KEY_VERDICTS[v] for v in k.get("acceptable_alternative_verdicts", []))}
        keyed.append(KeyedSentence(m["cid"], page, span[0], span[1], frozenset(ok)))
    nots: list[NotClaim] = []
    doc = json.loads(key_file(samples, "not_checkable").read_text(encoding="utf-8"))
    for page, entry in doc["pages"].items():
        for item in entry.get("not_checkable", []):
            span = locate(texts[page], item["text"]) if page in texts else None
            if span is None:
                problems.append(f"{page}: not-checkable text not found: {item['text'][:60]}")
                continue
            nots.append(NotClaim(page, span[0], span[1], item.get("reason", ""), item["text"]))
    return keyed, nots, problems


# Certainty sources that may carry "high": a regulator's fact, or a review (or the pinned reference
# standard) that states the certainty itself. A certainty the engine computed or assumed may not.
_STATED = re.compile(r"^(regulatory:\S|review pubmed:\S+ states |reference standard \S+ \(pubmed:\S+\) states )")


def founded(source: object) -> bool:
    """Whether a claim's ``certainty_source`` is a regulator or a review that states the certainty."""
    return isinstance(source, str) and _STATED.match(source) is not None


def unfounded_high(claims: Iterable[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """A "high" certainty whose ``certainty_source`` is neither a regulator nor a review stating it
    (an output without the field — an older engine — counts as unfounded)."""
    return [c for c in claims if c.get("certainty") == "high" and not founded(c.get("certainty_source"))]


def decisive(claim: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    """The records a verdict rests on: the engine's ``decisive`` list, else the first cited."""
    d = claim.get("decisive")
    if isinstance(d, list):
        return [x for x in d if isinstance(x, Mapping)]
    ev = claim.get("evidence") or []
    return [ev[0]] if ev else []


def decisive_line(d: Mapping[str, Any]) -> str:
    """One decisive record for the spot check: id, role, for/against, number, sentence."""
    role = d.get("role") or d.get("design")
    number = f" {d['number']}" if d.get("number") else ""
    text = str(d.get("sentence") or d.get("finding") or "")[:90]
    return f"{d.get('source')}:{d.get('id')} ({role}, {d.get('stance', '?')}{number}) “{text}”"


# ------------------------------------------------------------------ running the tool


def _env(extra: Mapping[str, str]) -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT / "src"), **extra}


def build_cache(db: Path) -> tuple[float, int]:
    """Fetch every replay record naming the drug through the E-utilities stand-in; (seconds, records)."""
    sys.path.insert(0, str(ROOT))
    from tests.standins.eutils import EutilsStandin

    corpus = sorted(REPLAY.glob("*.xml"))
    clock = time.perf_counter()
    with EutilsStandin(corpus, rate_limit=None, keyed_rate_limit=1000.0) as eu:
        expected = len(eu.matching_pmids(TERM))
        env = _env({"KETLIT_EUTILS_URL": eu.base_url, "NCBI_EMAIL": "bench@example.org"})
        env.pop("NCBI_API_KEY", None)
        done = subprocess.run(
            [sys.executable, "-m", "ketlit", "--db", str(db), "--quiet", "fetch", "pubmed", TERM],
            env=env,
            capture_output=True,
            text=True,
        )
    if done.returncode != 0:
        raise SystemExit(f"ketlit fetch failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    return time.perf_counter() - clock, expected


def run_check(db: Path, page: Path, *, reference: bool = True) -> dict[str, Any]:
    """``ketlit check PAGE --format json`` as a user runs it (``--no-reference`` unless ``reference``)."""
    extra = [] if reference else ["--no-reference"]
    done = subprocess.run(
        [sys.executable, "-m", "ketlit", "--db", str(db), "--quiet", "check", str(page), "--format", "json", *extra],
        env=_env({}),
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise SystemExit(f"ketlit check {page.name} failed ({done.returncode}): {done.stderr.strip()[-500:]}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def cleaned_text(page: Path) -> str:
    """The page as ketlit reads it (the offsets in the JSON refer to this text)."""
    sys.path.insert(0, str(ROOT / "src"))
    from ketlit.claims.text import read_page

    return read_page(page).text


# ------------------------------------------------------------------ report


def _pct(x: float) -> str:
    return f"{100 * x:5.1f}%"


def report(
    outputs: Mapping[str, Mapping[str, Any]], keyed: Sequence[KeyedSentence], nots: Sequence[NotClaim]
) -> tuple[Score, list[Mapping[str, Any]]]:
    """Print per-page and overall figures; returns the overall score and every checkable claim."""
    total = Score(constant=dict.fromkeys(CONSTANTS, 0))
    all_claims: list[Mapping[str, Any]] = []
    print(f"{'page':40} {'keyed':>5} {'recall':>7} {'strict':>7} {'not-cl':>6} {'false':>7}")
    for page in sorted(outputs):
        claims = outputs[page]["claims"]
        all_claims += [dict(c, page=page) for c in claims if checkable(c)]
        sc = score_page(claims, [k for k in keyed if k.page == page], [n for n in nots if n.page == page])
        total.add(sc)
        print(
            f"{page:40} {sc.keyed:5d} {_pct(sc.recall):>7} {_pct(sc.strict_share):>7} "
            f"{sc.not_claims:6d} {_pct(sc.false_share):>7}"
        )
    return total, all_claims


def print_details(total: Score, claims: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Misses, wrong verdicts, false claims, certainty and decisive citations; returns unfounded highs."""
    for title, lines in (
        ("Keyed sentences with no checkable claim", total.misses),
        ("Keyed sentences with an unacceptable verdict", total.wrong),
        ("Not-checkable sentences given a checkable claim", total.false),
    ):
        print(f"\n{title} ({len(lines)}):")
        for line in lines:
            print(f"  {line}")
    certainty = Counter(str(c.get("certainty")) for c in claims)
    print("\nCertainty distribution (checkable claims): " + ", ".join(f"{k} {v}" for k, v in sorted(certainty.items())))
    highs = unfounded_high(claims)
    print(f"'high' without a regulator or a review stating it: {len(highs)}")
    for c in highs:
        print(f"  {c['page']} {c['id']} {c['kind']}: {str(c['text'])[:80]} [{c.get('certainty_source')}]")
    print("\nDecisive records (supported / partly supported / contradicted):")
    for c in claims:
        if c["verdict"] not in ("supported", "partly_supported", "contradicted"):
            continue
        found = decisive(c)
        print(f"  {c['page']} {c['id']} {c['kind']} {c['verdict']}/{c.get('certainty')} ({c.get('certainty_source')})")
        for d in found or [{}]:
            print(f"      {decisive_line(d) if d else 'none'}")
    return highs


def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--no-check", action="store_true", help="print the figures, never exit 1")
    ap.add_argument(
        "--pages",
        type=Path,
        default=SAMPLES / "clinic_pages",
        help="a folder of pages (.txt, .html, .htm); its parent holds the key files when they are there "
        "(claims_key_dev.json … or verdict_key.json …: KEY_FILES), else the development key is used",
    )
    ap.add_argument("--db", type=Path, help="reuse this cache instead of building one")
    ap.add_argument("--keep", type=Path, help="keep the cache built here")
    ap.add_argument("--brief", action="store_true", help="figures only: no lists of misses, citations …")
    ap.add_argument("--no-reference", action="store_true", help="check without the pinned reference standard")
    args = ap.parse_args(argv)
    if not SAMPLES.is_dir() or not REPLAY.is_dir():
        print(f"skipped: development set or replay corpus not found under {SHARED}")
        return 0
    pages = sorted(p for p in args.pages.iterdir() if p.suffix.lower() in (".txt", ".html", ".htm"))
    key_dir = args.pages.parent if key_file(args.pages.parent, "key").is_file() else SAMPLES
    with tempfile.TemporaryDirectory() as tmp:
        db = args.db or args.keep or Path(tmp) / "cache.db"
        if args.db is None:
            seconds, expected = build_cache(db)
            print(f"cache: {expected:,} records matching {TERM!r} fetched through the stand-in in {seconds:.1f} s")
        clock = time.perf_counter()
        outputs = {p.name: run_check(db, p, reference=not args.no_reference) for p in pages}
        state = "without" if args.no_reference else "with"
        print(f"checked {len(pages)} pages ({state} the reference standard) in {time.perf_counter() - clock:.1f} s\n")
    texts = {p.name: cleaned_text(p) for p in pages}
    keyed, nots, problems = load_key(key_dir, texts)
    for line in problems:
        print(f"key problem: {line}")
    total, claims = report(outputs, keyed, nots)
    name, best = total.best_constant()
    print(
        f"\nextraction recall {total.extracted}/{total.keyed} = {total.recall:.3f}   (target >= {TARGET_RECALL})"
        f"\nfalse claims      {total.false_claims}/{total.not_claims} = {_pct(total.false_share).strip()}"
        f"   (target <= {TARGET_FALSE:.0%})"
        f"\nstrict agreement  {total.strict}/{total.keyed} = {total.strict_share:.3f}   (target >= {TARGET_STRICT})"
        f"\nbest constant     '{name}' {best:.3f}   margin {100 * (total.strict_share - best):+.1f} points"
        f" (target >= +{100 * TARGET_MARGIN:.0f})"
    )
    highs = unfounded_high(claims) if args.brief else print_details(total, claims)
    if args.brief:
        print(f"\n'high' without a regulator or a review stating it: {len(highs)}")
    missed = [
        name
        for name, ok in (
            ("extraction recall", total.recall >= TARGET_RECALL),
            ("false claims", total.false_share <= TARGET_FALSE),
            ("strict agreement", total.strict_share >= TARGET_STRICT),
            ("margin over the best constant", total.strict_share - best >= TARGET_MARGIN),
            ("no unfounded 'high'", not highs),
        )
        if not ok
    ]
    print("\ntargets missed: " + (", ".join(missed) if missed else "none"))
    return 1 if missed and not args.no_check else 0


if __name__ == "__main__":
    sys.exit(main())
