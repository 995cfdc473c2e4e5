"""The one view of a page check that Markdown, HTML and JSON are all rendered from.

Design decisions:

* **Built once, rendered three times.** :func:`build_view` turns a :class:`~ketlit.claims.check.CheckReport`
  plus the header facts (when, what the cache held, which reference standards) into plain
  strings an editor reads; :mod:`ketlit.claims.render_md` and :mod:`ketlit.claims.render_html` only
  lay those strings out, and the JSON adds them beside the full audit trail. So the three formats
  cannot disagree about a verdict, a label or a number.
* **One row per sentence.** A sentence read as several parts is one row with its reconciled verdict;
  its card lists the parts with their own verdicts ("which part fails").
* **Plain words, computed numbers.** Tag slugs become labels from ``data/check_view.toml``; time
  values are rounded for a reader ("1.8 h", never "1.83333 h"; "no timepoint given", never
  "0 min"); every count ("6 studies of other conditions") is counted from the audit trail of the
  candidate records, never typed.
* **What needs attention is data.** The ``[[attention]]`` rules of ``check_view.toml`` (contradicted,
  or overstated on weak evidence) are applied here and printed in the key of every check.
* **No clock read here.** ``now`` is a parameter: the CLI passes the real UTC time, tests a fixed one,
  so golden files stay byte-stable.
* Strings here are raw text: each renderer escapes for its own medium.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import PurePath
from typing import Final

from ketlit.claims.check import CheckedClaim, CheckReport
from ketlit.claims.judging import Decisive
from ketlit.claims.numbers import NO_TIMEPOINT, format_dose, human_duration
from ketlit.claims.policy import VerdictPolicy, least_certain, level
from ketlit.claims.rules import Rules
from ketlit.claims.vocab import Vocab, vocab
from ketlit.ids import NCT_ID_TEXT, PMID_TEXT
from ketlit.words import plural, settle_plurals

MAX_EVIDENCE: Final = 3  # decisive rows per card (the judges name up to 5; the JSON keeps them all)
MAX_EVIDENCE_COMPOUND: Final = 5  # … and per card of a sentence read as several claims
# Lengths that keep a check within about three times its page (measured on the sample pages).
CLAIM_CHARS: Final = 36  # the page's words in the summary tables (the card has the whole sentence)
WHY_CHARS: Final = 60  # the "Why" cell of the tables
PART_CHARS: Final = 70  # why one part of a compound sentence holds or fails
REGULATOR_CHARS: Final = 70  # a regulator's statement on a card
CARD_WHY_CHARS: Final = 300  # the verdict's reason on a card, when the table's cell had to cut it
UNCHECKED_CHARS: Final = 50
# In the All claims table, a sentence listed under Needs attention gives its verdict and certainty and
# points up for the why and the evidence (the same cells one table above: a third of a dense page's check).
ABOVE: Final = ("↑ see Needs attention", "↑")  # (why, decisive evidence): a bare "↑" read as "as the row above"


_SLUG: Final = re.compile(r"\b[a-z][a-z0-9]*(?:_[a-z0-9]+)+\b")
_UPPER_SLUGS: Final = re.compile(r"\b(ptsd|ocd|crps|rct|ect|tms)\b")
# A time as the engine writes it (claims.numbers.format_hours: "45 min", "1.83333 h", "3 days", "4 weeks").
_ENGINE_TIME: Final = re.compile(r"\b(\d+(?:\.\d+)?) (min|h|days|weeks)\b")
_HOURS_PER: Final = {"min": 1 / 60, "h": 1.0, "days": 24.0, "weeks": 168.0}
_NO_TIME: Final = re.compile(rf",?\s*\b(?:at )?{NO_TIMEPOINT}")


def _human_time(m: re.Match[str]) -> str:
    return human_duration(float(m.group(1)) * _HOURS_PER[m.group(2)])


def humanise(text: str) -> str:
    """Engine text for a reader: slugs as labels, "stud(ies)" as "studies", times as :func:`human_duration`."""
    v = vocab()
    text = _SLUG.sub(lambda m: v.label(m.group()), text)
    text = _UPPER_SLUGS.sub(lambda m: v.label(m.group()), text)
    text = settle_plurals(text)
    text = _ENGINE_TIME.sub(_human_time, text)  # "1.8 h", "no timepoint given": claims.numbers.human_duration
    return _NO_TIME.sub(f", {NO_TIMEPOINT}", text).lstrip(", ")


def trim(text: str, limit: int) -> str:
    """``text`` on one line, cut at a word boundary with an ellipsis when longer than ``limit``."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    return (cut[:space] if space > limit // 2 else cut).rstrip(" ,;:") + "…"


# ------------------------------------------------------------------ the view


@dataclass(frozen=True, slots=True)
class Ref:
    """A record or regulatory fact as shown: a label and, for validated identifiers, its address."""

    label: str
    url: str | None


@dataclass(frozen=True, slots=True)
class KeyEvidence:
    """A decisive record in a summary row: reference and key number."""

    ref: Ref
    number: str


@dataclass(frozen=True, slots=True)
class EvidenceRow:
    """One decisive study (or regulator fact) on a card."""

    ref: Ref
    part: str
    design: str
    n: str
    result: str
    timepoint: str
    stance: str  # "for" | "against"
    detail: str  # design, n, part, result and timepoint in one phrase (what the cards print after the ref)


@dataclass(frozen=True, slots=True)
class PartRow:
    """One part of a compound sentence with its own verdict."""

    reading: str
    short: str  # the part in a few words, for the summary row
    verdict: str
    verdict_text: str
    why: str
    line: str  # what a card prints after the verdict: the part (its reading when the card does not give it) and why


@dataclass(frozen=True, slots=True)
class Row:
    """One sentence in the summary tables."""

    number: int
    claim: str
    verdict: str
    verdict_text: str
    certainty: str
    why: str
    key: tuple[KeyEvidence, ...]
    attention: str | None  # the attention rule's why, or None


@dataclass(frozen=True, slots=True)
class Card:
    """Everything about one checked sentence."""

    row: Row
    verdict_text: str  # the full label ("◐ Partly supported"; the row has the short one)
    sentence: str
    strength: str
    readings: tuple[str, ...]
    read_as: str  # the reading in one line; "" when the parts list gives each part's reading
    parts: tuple[PartRow, ...]
    evidence: tuple[EvidenceRow, ...]
    certainty: str
    certainty_source: str
    downgrades: tuple[str, ...]
    pooled: str
    not_used: tuple[str, ...]
    same_as: int | None  # an earlier card with the same reading, verdict and evidence: printed as one card
    # The verdict's reason whole, when the table's Why cell cut it: a card whose decisive records are all
    # "for" under ✗ Contradicted ("cures": the wording, not the studies, decided) must say why.
    why: str = ""
    # The printed card before this one whose records not used are the same ("Not used: as for 6"); not in
    # the JSON, which lists every card's own.
    not_used_as: int | None = None


@dataclass(frozen=True, slots=True)
class UncheckedGroup:
    """Sentences not checked for one reason."""

    reason: str
    title: str  # "Headings (8)"
    sentences: tuple[str, ...]
    inline: bool  # printed on one line ("Headings (3): A · B · C"): headings are short and many


@dataclass(frozen=True, slots=True)
class CacheCounts:
    """What the cache held when the page was checked."""

    articles: int
    trials: int


STDIN_NAME: Final = "standard input"  # how a page read from ``-`` is named in the heading and the summary line


@dataclass(frozen=True, slots=True)
class Tally:
    """What a check counts, in sentences: the header's counts line and the CLI's summary line are both
    said from this one tally of the view's rows, so they cannot disagree with the tables (a sentence read
    as several claims is one row, one verdict, one count)."""

    checked: int  # sentences checked: the rows of All claims
    verdicts: tuple[tuple[str, int], ...]  # (verdict slug, sentences) in the order of the verdict key, none zero
    attention: int  # the rows of Needs attention
    unchecked: int  # sentences not checkable, every group

    def _attention(self) -> str:
        return f"{self.attention:,} {'needs' if self.attention == 1 else 'need'} attention"

    def counts(self) -> str:
        """The header's line: "7 sentences checked · 3 need attention · 5 not checkable"."""
        return f"{plural(self.checked, 'sentence')} checked · {self._attention()} · {self.unchecked:,} not checkable"

    def summary(self, page: str) -> str:
        """One line for the terminal: "7 sentences checked on p.txt: 4 supported, 3 partly supported;
        3 need attention; 5 not checkable" (the verdicts labelled as the key labels them)."""
        verdicts = ", ".join(f"{n:,} {vocab().verdict_label(v).lower()}" for v, n in self.verdicts)
        return (f"{plural(self.checked, 'sentence')} checked on {page}: {verdicts or 'none'}; "
                f"{self._attention()}; {self.unchecked:,} not checkable")


def tally(rows: Sequence[Row], attention: Sequence[Row], unchecked: Sequence[UncheckedGroup]) -> Tally:
    """The :class:`Tally` of a check's rows, attention rows and groups of sentences not checked."""
    counts = Counter(r.verdict for r in rows)
    order = [*vocab().verdicts, *sorted(set(counts) - set(vocab().verdicts))]
    return Tally(len(rows), tuple((v, counts[v]) for v in order if counts[v]), len(attention),
                 sum(len(g.sentences) for g in unchecked))


@dataclass(frozen=True, slots=True)
class Header:
    """The facts above the tables."""

    page: str
    checked_at: str
    sources: str  # the cache, regulatory facts and reference standards the verdicts were judged against
    counts: str


@dataclass(frozen=True, slots=True)
class CheckView:
    """The whole check as an editor reads it (see the module docstring)."""

    header: Header
    attention: tuple[Row, ...]
    rows: tuple[Row, ...]
    cards: tuple[Card, ...]  # every sentence's card (the JSON; ``--cards all``)
    unchecked: tuple[UncheckedGroup, ...]
    key: tuple[str, ...]
    attention_rules: tuple[str, ...]  # each attention rule in full (the JSON legend; the key names them)
    report: CheckReport
    tally: Tally  # the header's counts and the CLI's summary line, both from the rows above
    # Every card before :func:`_described_once` (``same_as`` set), so a selection of them can be described
    # afresh: a record's design, n and result go on the first card printed that cites it.
    raw_cards: tuple[Card, ...] = ()
    page_bytes: int = 0  # the page's text in UTF-8 bytes (what the size budget of the Markdown is a multiple of)

    def needing_attention(self) -> tuple[int, ...]:
        """The cards (by number) of the sentences that need attention, most urgent first: by the order of
        the ``[[attention]]`` rules (contradicted first), then certainty (highest first for a contradiction,
        lowest first otherwise), then page order. A shared
        card counts when any of its sentences needs attention (their strengths may differ)."""
        rules = [r.why for r in vocab().attention]
        slug = {label: key for key, label in vocab().certainty.items()}
        best: dict[int, tuple[int, int, int]] = {}
        for c in self.raw_cards:
            if c.row.attention:
                number = c.row.number if c.same_as is None else c.same_as
                # A contradiction is the more urgent the surer it is; an overstatement the weaker its evidence.
                sure = level(slug.get(c.certainty))
                rank = (rules.index(c.row.attention), -sure if c.row.verdict == "contradicted" else sure, number)
                best[number] = min(best.get(number, rank), rank)
        return tuple(sorted(best, key=lambda n: best[n]))

    def select(self, numbers: Iterable[int]) -> tuple[Card, ...]:
        """The cards numbered ``numbers`` (with the sentences that share them), in page order, each record
        described at its first mention among them."""
        keep = set(numbers)
        return tuple(_described_once([c for c in self.raw_cards
                                      if (c.row.number if c.same_as is None else c.same_as) in keep]))

    def cards_note(self, shown: Sequence[Card], *, cut: bool) -> str:
        """One line under the tables: whose cards are left out and how to get them ("" if none is);
        ``cut`` says some that need attention were left out to keep the check within its size."""
        numbers = {c.row.number for c in shown}
        left = [str(r.number) for r in self.rows if r.number not in numbers]
        if not left:
            return ""
        named = left[0] if len(left) == 1 else f"{', '.join(left[:-1])} and {left[-1]}"
        whose = "its row" if len(left) == 1 else "their rows"
        which = "the most urgent that need attention (the check is kept short)" if cut else "those that need attention"
        return f"Cards below: {which}; for {named} see {whose} (or --cards all)."


_RECORD_URL: Final = re.compile(
    rf"^https://(pubmed\.ncbi\.nlm\.nih\.gov/{PMID_TEXT}/|clinicaltrials\.gov/study/{NCT_ID_TEXT})$"
)
_REGULATOR_URL: Final = re.compile(r"^https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~%/?=&;:-]*)?$")


def safe_url(source: str, url: str | None) -> str | None:
    """``url`` when it is a PubMed / ClinicalTrials.gov record page, or (for a regulatory fact from the
    facts file) a plain https address; None otherwise, so nothing else ever becomes a link."""
    if not url:
        return None
    pattern = _REGULATOR_URL if source == "regulatory" else _RECORD_URL
    return url if pattern.match(url) else None


def fact_labels(rules: Rules) -> dict[str, str]:
    """A short name per regulatory fact ("DEA schedule 1999"), unique within the facts in force."""
    base = {f.id: f"{f.agency} {f.kind.replace('_', ' ')}{f' {f.year}' if f.year else ''}" for f in rules.facts}
    seen = Counter(base.values())
    return {fid: label if seen[label] == 1 else f"{label} ({fid.replace('_', ' ')})" for fid, label in base.items()}


def _ref(source: str, rid: str, url: str | None, facts: Mapping[str, str]) -> Ref:
    link = safe_url(source, url)
    if source == "pubmed":
        return Ref(f"PMID {rid}", link)
    if source == "ctgov":
        return Ref(rid, link)
    return Ref(facts.get(rid) or rid.replace("_", " "), link)


_HAS_TIME: Final = re.compile(r"\d\s*(?:min|h|hours?|days?|weeks?|months?)\b")
# "over 40 minutes" and "for 2 weeks" are more often how long an infusion or a course lasted than when
# the outcome was measured: only at / within / after / by / up to name a timepoint.
_TIME_IN: Final = re.compile(
    r"\b(?:at|within|after|by|up to)\s+(?:day|week|month)?\s*\d+(?:\.\d+)?"
    r"(?:\s*(?:-|–|to)\s*\d+)?\s*(?:min(?:utes?)?|h(?:ours?)?|days?|weeks?|months?)\b",
    re.IGNORECASE,
)
_TIME_NUMBER: Final = re.compile(r"^(onset|duration)\s+(.*)$")


def _result_and_time(d: Decisive) -> tuple[str, str]:
    """The decisive record's key number and the timepoint it applies to ("no timepoint given")."""
    number = humanise(d.number) if d.number else ""
    m = _TIME_NUMBER.match(number)
    if m:  # an onset or duration finding: the number is the time
        return f"{m.group(1)} {m.group(2)}", m.group(2) if re.search(r"\d", m.group(2)) else "no timepoint given"
    if _HAS_TIME.search(number):  # the number carries its timepoint ("response 60% at 24 h")
        stated = _TIME_IN.search(number)
        return number, stated.group(0) if stated else "as in the result"
    time = _TIME_IN.search(d.sentence)
    return number or "no number stated", time.group(0) if time else "no timepoint given"


def _threshold_words(cc: CheckedClaim) -> str:
    t = cc.claim.threshold
    if t is None:
        return ""
    ops = {"<=": "within", "<": "in under", ">=": "at least", ">": "more than", "=": "about"}
    if cc.claim.kind == "duration":
        # A benefit "lasts up to three months", never "lasts within".
        ops = {**ops, "<=": "up to", "<": "less than"}
    hours = {"hours": 1.0, "days": 24.0, "weeks": 168.0}.get(t.unit)
    if hours is not None:
        # The page's "three months" or "40 minutes", not the engine's "91.25 days" or "0.667 h".
        # human_duration says "no timepoint given" under half a minute (a misread word in a study), but a
        # page's "starts working in 10 seconds" is a claim; the engine keeps hours to 3 decimals (10.8 s).
        said = human_duration(t.value * hours) if t.value * hours >= 1 / 120 else "seconds"
        return f"{ops.get(t.op, t.op)} {said}"
    units = {"%": "%"}
    return f"{ops.get(t.op, t.op)} {t.value:g}{units.get(t.unit, ' ' + t.unit)}"


def _drug(cc: CheckedClaim, v: Vocab) -> str:
    c = cc.claim
    molecule = " and ".join(v.label(m) for m in c.molecule) or "the drug"
    route = " or ".join(v.label(r) for r in c.route)
    return f"{route} {molecule}" if route else f"{molecule} (any route)"


def reading(cc: CheckedClaim, conditions: str | None = None) -> str:
    """How one claim was read, in plain words ("IV racemic ketamine works for treatment-resistant depression");
    ``conditions`` stands in for the claim's conditions (a card whose parts name them)."""
    v = vocab()
    c = cc.claim
    conditions = conditions or " / ".join(v.label(i) for i in c.indication) or "any condition"
    limit = _threshold_words(cc)
    drug = _drug(cc, v)
    if c.kind == "efficacy":
        comparator = f" (vs {v.label(c.comparator)})" if c.comparator and "implied" not in c.comparator else ""
        text = f"{drug} works for {conditions}{comparator}"
    elif c.kind == "efficacy_rate":
        text = f"{drug}: {c.outcome or 'response'} rate {limit} in {conditions}"
    elif c.kind == "onset":
        text = f"{drug} takes effect {limit or 'quickly'} in {conditions}"
    elif c.kind == "duration":
        text = f"{drug}: benefit lasts {limit or 'a while'} in {conditions}"
    elif c.kind == "safety":
        topics = ", ".join(v.label(t) for t in c.safety_topics) or "harms"
        text = f"{drug}: {v.label(c.safety_stance or 'assertion')} about {topics}"
    elif c.kind == "regulatory" and c.regulatory is not None:
        reg = c.regulatory
        what = ", ".join(v.label(t) for t in reg.topics)
        negated = "not " if reg.negated else ""
        text = f"{drug}: regulatory status — {negated}{what}" + (
            f" for {', '.join(v.label(i) for i in reg.approval_indications)}" if reg.approval_indications else ""
        )
    elif c.kind == "dosing" and c.dose is not None:
        text = f"{drug}: dose {format_dose(c.dose.low, c.dose.high, c.dose.unit)}"
    else:
        text = f"{drug}: {v.label(c.kind)}"
    scope = ", ".join(v.label(s) for s in c.scope)
    return text + (f" ({scope})" if scope else "")


_NOISE: Final = re.compile(
    r"^(not counted|jurisdiction|asserted strength|capped at|certainty as stated|regulatory sources|"
    r"\d+ counted record|the claim's wording is vague|the page describes use|sentence verdict reconciled|"
    r"\d+ cached stud|starts low|risk of bias|imprecision|inconsistency|indirectness|publication bias|"
    r"reference standard \()",
    re.IGNORECASE,
)
_PART_REASON: Final = re.compile(
    r"^([a-z_]+): (supported|partly supported|insufficient evidence|contradicted) — (.*)$"
)
_PREFIX: Final = re.compile(r"^[a-z_]+: ")
_DOWNGRADE: Final = re.compile(
    r"^(?:[a-z_]+: )?((?:starts low|risk of bias|inconsistency|indirectness|imprecision|publication bias|"
    r"capped at \w+)\b.*)$"
)


def _main_reason(reasons: Sequence[str]) -> str:
    for r in reasons:
        m = _PART_REASON.match(r)
        body = m.group(3) if m else _PREFIX.sub("", r) if _PREFIX.match(r) and not r.startswith("http") else r
        if not _NOISE.match(body):
            return body
    return ""


def _parts(sentence: Sequence[CheckedClaim]) -> tuple[PartRow, ...]:
    """The parts of a compound sentence: its claims when they are several, else the conditions of one
    claim when the engine judged them one by one (its "<condition>: <verdict> — why" reasons)."""
    v = vocab()
    if len(sentence) > 1:
        return tuple(
            PartRow(
                reading(cc),
                _short(cc, v),
                own := cc.part_verdict or cc.verdict.verdict,
                v.verdict_text(own),
                trim(humanise(_main_reason(cc.verdict.reasons)), PART_CHARS),
                "",
            )
            for cc in sentence
        )
    cc = sentence[0]
    per_condition = [m for r in cc.verdict.reasons if (m := _PART_REASON.match(r))]
    # Only when the engine gave every condition its own verdict: a partial list would hide a part.
    if len(per_condition) < 2 or {m.group(1) for m in per_condition} != set(cc.claim.indication):
        return ()
    drug = _drug(cc, v)
    return tuple(
        PartRow(
            f"{drug} for {v.label(m.group(1))}",
            v.label(m.group(1)),
            slug := m.group(2).replace(" ", "_"),
            v.verdict_text(slug),
            trim(humanise(m.group(3)), PART_CHARS),
            "",
        )
        for m in per_condition
    )


def _grouped(parts: Sequence[PartRow], name: str) -> tuple[PartRow, ...]:
    """``line`` per part, where parts with the same verdict and the same why share the first one's line
    ("◐ Partly supported — PTSD, anxiety: some controlled evidence…"); the others' ``line`` is empty (each
    part keeps its own row in the JSON). ``name`` is the attribute that names a part: "short" or "reading"."""
    first: dict[tuple[str, str], int] = {}
    names: dict[int, list[str]] = {}
    for i, p in enumerate(parts):
        at = first.setdefault((p.verdict, p.why), i)
        names.setdefault(at, []).append(getattr(p, name))
    joiner = "; " if name == "reading" else ", "
    return tuple(
        replace(p, line=joiner.join(dict.fromkeys(names[i])) + (f": {p.why}" if p.why else "") if i in names else "")
        for i, p in enumerate(parts)
    )


def _short(cc: CheckedClaim, v: Vocab) -> str:
    conditions = "/".join(v.label(i) for i in cc.claim.indication)
    return v.label(cc.claim.kind) + (f" in {conditions}" if conditions else "")


def _why(sentence: Sequence[CheckedClaim], parts: Sequence[PartRow], limit: int = WHY_CHARS) -> str:
    first = sentence[0]
    if parts and len({p.verdict for p in parts}) > 1:
        holds = [p for p in parts if p.verdict in ("supported", "partly_supported")]
        fails = [p for p in parts if p not in holds]
        phrase = "; ".join(f"{p.verdict_text.split(' ')[0]} {p.short}" for p in holds + fails)
        return trim(phrase, limit)
    if first.verdict.decisive and first.verdict.decisive[0].role == "regulator":
        return trim(humanise(first.verdict.decisive[0].sentence), limit)
    return trim(humanise(_main_reason(first.verdict.reasons)) or "—", limit)


def _key(decisive: Sequence[Decisive], facts: Mapping[str, str]) -> tuple[KeyEvidence, ...]:
    """The first decisive record with its key number (the card lists the rest)."""
    return tuple(KeyEvidence(_ref(d.source, d.id, d.url, facts), humanise(d.number)) for d in decisive[:1])


def _decisive(sentence: Sequence[CheckedClaim]) -> list[Decisive]:
    """The decisive records a card lists: each claim's in turn (its first, then each one's second, …), so a
    sentence read as several claims ("works within hours" + "reduces suicidal thoughts") shows the records
    behind every part, not only the first claim's; a record once. Up to :data:`MAX_EVIDENCE`, one more per
    further claim, at most :data:`MAX_EVIDENCE_COMPOUND`."""
    limit = min(MAX_EVIDENCE_COMPOUND, MAX_EVIDENCE + len(sentence) - 1)
    out: list[Decisive] = []
    seen: set[tuple[str, str]] = set()
    for depth in range(max((len(cc.verdict.decisive) for cc in sentence), default=0)):
        for cc in sentence:
            if depth < len(cc.verdict.decisive) and len(out) < limit:
                d = cc.verdict.decisive[depth]
                if (d.source, d.id) not in seen:
                    seen.add((d.source, d.id))
                    out.append(d)
    return out


def _evidence(sentence: Sequence[CheckedClaim], facts: Mapping[str, str], with_part: bool) -> tuple[EvidenceRow, ...]:
    """The decisive rows of a card; ``detail`` names the part only when the card has parts (else it is the
    card's one reading, said above)."""
    v = vocab()
    sizes = {(c.source, c.id): c.n for cc in sentence for c in cc.candidates}
    rows = []
    for d in _decisive(sentence):
        result, time = _result_and_time(d)
        n = sizes.get((d.source, d.id))
        regulator = d.source == "regulatory"
        row = EvidenceRow(
            ref=_ref(d.source, d.id, d.url, facts),
            part=v.label(d.part) if d.part else "",
            design=v.label(d.design or d.role),
            n="—" if regulator else f"{n:,}" if n else "not stated",
            result=trim(humanise(d.sentence), REGULATOR_CHARS) if regulator else result,
            timepoint="—" if regulator else time,
            stance=d.stance,
            detail="",
        )
        size = f", n = {row.n}" if n and not regulator else ""
        # "n = 41" as the key number says no more than the size: no result, so no timepoint either.
        bare = result.startswith("n = ") or result == "no number stated"
        what = "" if bare and not regulator else row.result
        when = "" if regulator or bare else _when(result, time)
        part = f" · {row.part}" if row.part and with_part else ""
        rows.append(replace(row, detail=f"{row.design}{size}{part}" + (f": {what}{when}" if what else "")))
    return tuple(rows)


def _when(result: str, time: str) -> str:
    """What an evidence line adds after the result for its timepoint: nothing when the result says it."""
    # "onset rapid, no time given" says it already (a card printed "· no timepoint given" after it).
    if time in result or time == "as in the result" or (
            time == "no timepoint given" and result.endswith("no time given")):
        return ""
    joined = time.startswith(("at", "within", "after", "by", "over", "for", "up"))  # "… at 24 h"
    return f" {time}" if joined else f" · {time}"


def _not_used(sentence: Sequence[CheckedClaim]) -> tuple[str, ...]:
    """Counted from the audit trail: each record once per sentence, in its most-used state."""
    v = vocab()
    rank = {"decisive": 0, "cited": 1, "read": 2, "set_aside": 3}
    best: dict[tuple[str, str], tuple[str, str]] = {}
    for cc in sentence:
        for c in cc.candidates:
            ref = (c.source, c.id)
            if ref not in best or rank[c.use] < rank[best[ref][0]]:
                best[ref] = (c.use, c.reason)
    groups: Counter[str] = Counter()
    for use, reason in best.values():
        if use == "read":
            groups["no usable result"] += 1
        elif use == "set_aside":
            label = next((lab for pat, lab in v.set_aside if pat.search(reason)), "set aside (other reasons)")
            groups[label] += 1
    return tuple(f"{n:,} {label}" for label, n in sorted(groups.items(), key=lambda kv: (-kv[1], kv[0])))


def _downgrades(reasons: Sequence[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(humanise(m.group(1)) for r in reasons if (m := _DOWNGRADE.match(r))))


def _pooled(cc: CheckedClaim) -> str:
    p = cc.verdict.pooled
    if p is None:
        return ""
    return (
        f"Pooled: {p.estimate * 100:.1f}% (95% CI {p.ci_low * 100:.1f}–{p.ci_high * 100:.1f}%), "
        f"{p.k} studies, {p.n:,} participants"
    )


def _certainty_source(text: str, facts: Mapping[str, str], downgraded: bool) -> str:
    """Where the certainty comes from, for a reader ("review PMID 35431578"). The level is in the card's
    heading and the downgrades are listed after it, so neither is said twice ("… states low",
    "GRADE from …: inconsistency"); the engine's wording stays in the JSON's ``certainty_source``."""
    text = re.sub(r"\bpubmed:(\d+)", r"PMID \1", text)
    text = re.sub(r"^reference standard .*?\((PMID \d+)\).*$", r"reference standard \1", text)
    text = re.sub(r" states (very low|low|moderate|high)$", "", text)
    if downgraded:
        text = re.sub(r"^(GRADE from [^:(]*?)\s*(?::.*|\(see reasons\))$", r"\1", text)
    text = re.sub(r"^regulatory:(\S+)", lambda m: "regulator: " + facts.get(m.group(1), m.group(1)), text)
    return humanise(re.sub(r"^none: ", "", text))


def _attention(sentence: Sequence[CheckedClaim], verdict: str, certainty: str | None) -> str | None:
    strength = sentence[0].claim.strength
    return next((r.why for r in vocab().attention if r.matches(verdict, strength, certainty)), None)


def _card(number: int, sentence: Sequence[CheckedClaim], text: str, facts: Mapping[str, str]) -> Card:
    v = vocab()
    first = sentence[0]
    # The sentence holds only if every part holds, so it is no surer than its least certain part: a
    # sentence with a moderate onset part and a very-low efficacy part is very low (the first part's
    # certainty alone overstated it). Parts keep their own certainty on the card.
    sure = least_certain(sentence, lambda cc: cc.verdict.certainty)
    verdict, certainty = first.verdict.verdict, sure.verdict.certainty
    parts = _parts(sentence)
    row = Row(
        number=number,
        claim=trim(text, CLAIM_CHARS),
        verdict=verdict,
        verdict_text=v.verdict_text(verdict, short=True),
        certainty=v.certainty.get(certainty or "", "—"),
        why=_why(sentence, parts),
        key=_key(first.verdict.decisive, facts),
        attention=_attention(sentence, verdict, certainty),
    )
    # One cue is enough to show why a strength was read ("emphatic: “exceptionally effective”").
    cue = f": “{first.claim.strength_cues[0]}”" if first.claim.strength_cues else ""
    strength = v.strengths.get(first.claim.strength, first.claim.strength) + cue
    # What lowered the certainty shown is the least certain part's: another part's notes ("capped at
    # moderate" under a very-low certainty) would contradict the level they stand beneath.
    downgrades = _downgrades(sure.verdict.reasons)
    readings = tuple(dict.fromkeys(reading(cc) for cc in sentence))
    # The parts replace the reading rather than repeat it: several claims, each part's line is its
    # reading; one claim judged condition by condition, the reading names the drug and the parts the
    # conditions.
    drugs = {_drug(cc, v) for cc in sentence}
    if len(readings) > 1 and len(drugs) == 1:
        # Several claims about one drug: the drug once, then each part's reading without it.
        drug = drugs.pop()
        read_as = f"{drug}:"
        parts = _grouped(tuple(replace(p, reading=p.reading.removeprefix(drug).lstrip(": ")) for p in parts),
                         "reading")
    elif len(readings) > 1:
        read_as = ""
        parts = _grouped(parts, "reading")
    elif parts:
        read_as = reading(first, conditions="the conditions below") + "."
        parts = _grouped(parts, "short")
    else:
        read_as = readings[0] + "."
    # Parts that differ say their own why, and a regulator's statement is the card's first evidence line;
    # otherwise the card gives the reason the row's cell cut.
    by_regulator = bool(first.verdict.decisive) and first.verdict.decisive[0].role == "regulator"
    split = bool(parts) and len({p.verdict for p in parts}) > 1
    full = "" if split or by_regulator else _why(sentence, parts, CARD_WHY_CHARS)
    return Card(
        row=row,
        why=full if full != row.why else "",
        verdict_text=v.verdict_text(verdict),
        sentence=" ".join(text.split()),
        strength=strength,
        readings=readings,
        read_as=read_as,
        parts=parts,
        evidence=_evidence(sentence, facts, with_part=bool(parts) or len(first.claim.indication) > 1),
        certainty=row.certainty,
        certainty_source=_certainty_source(sure.verdict.certainty_source or "", facts, bool(downgrades)),
        downgrades=downgrades,
        pooled=next((p for cc in sentence if (p := _pooled(cc))), ""),
        not_used=_not_used(sentence),
        same_as=None,
    )


def _described_once(cards: Sequence[Card]) -> list[Card]:
    """A record's design, n and result are printed at its first mention on a card; a later card cites it
    by its label (and its part) and gives the result only when it differs for that claim. Cards folded into
    an earlier one (``same_as``) are not printed on their own and keep their rows whole."""
    first: dict[str, str] = {}
    out = []
    previous: Card | None = None
    for card in cards:
        if card.same_as is not None:
            out.append(card)
            continue
        if previous is not None and card.not_used and card.not_used == previous.not_used:
            card = replace(card, not_used_as=previous.not_used_as or previous.row.number)
        previous = card
        rows = []
        for e in card.evidence:
            size = f", n = {e.n}" if e.detail.startswith(f"{e.design}, n = {e.n}") else ""
            rest = e.detail[len(e.design + size):]  # " · part: result at time", ": result", ""
            part, _, result = rest.partition(": ")
            if e.ref.label in first:
                shown = result if result != first[e.ref.label] else ""
                detail = part.removeprefix(" · ") + (f": {shown}" if shown and part else shown)
                rows.append(replace(e, detail=detail))
            else:
                first[e.ref.label] = result
                rows.append(e)
        out.append(replace(card, evidence=tuple(rows)))
    return out


def _unchecked(report: CheckReport) -> tuple[UncheckedGroup, ...]:
    v = vocab()
    groups: dict[str, list[str]] = {}
    for s in report.sentences:
        if not s.checkable:
            groups.setdefault(s.reason, []).append(trim(s.text, UNCHECKED_CHARS))
    ordered = sorted(groups.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    out = []
    for reason, sentences in ordered:
        label = v.reasons.get(reason, reason.replace("_", " "))
        title = f"{label[:1].upper()}{label[1:]} ({len(sentences)})"
        out.append(UncheckedGroup(reason, title, tuple(sentences), inline=reason == "heading"))
    return tuple(out)


def _sources(rules: Rules, policy: VerdictPolicy, cache: CacheCounts | None) -> str:
    """What the verdicts were judged against: the cache, the regulatory facts, the reference standards."""
    facts = rules.facts
    places = sorted({f.jurisdiction for f in facts})
    years = sorted(int(s.published[:4]) for f in facts for s in f.sources if s.published[:4].isdigit())
    dated = f", {years[0]}–{years[-1]}" if years else ""
    held = f"{cache.articles:,} PubMed articles, {cache.trials:,} registered trials, " if cache else ""
    refs = dict.fromkeys(f"PMID {e.pmid} (searched to {e.search_date})" for e in policy.entries())
    standard = f"reference standard {', '.join(refs)}" if refs else "no reference standard"
    return f"{held}{len(facts)} regulatory facts ({', '.join(places) or 'none'}{dated}), {standard}"


def build_view(
    report: CheckReport,
    rules: Rules,
    policy: VerdictPolicy,
    *,
    now: datetime,
    cache: CacheCounts | None = None,
    page_bytes: int = 0,
) -> CheckView:
    """The view of ``report``: header, needs-attention and all-claims rows, cards, unchecked sentences."""
    by_start: dict[int, list[CheckedClaim]] = {}
    for cc in report.claims:
        if cc.claim.checkable:
            by_start.setdefault(cc.claim.location.start, []).append(cc)
    texts = {s.start: s.text for s in report.sentences}
    facts = fact_labels(rules)
    cards: list[Card] = []
    seen: dict[tuple[object, ...], int] = {}
    for i, (start, sentence) in enumerate(sorted(by_start.items()), start=1):
        card = _card(i, sentence, texts.get(start, sentence[0].claim.text), facts)
        # A page repeats itself ("works for depression" three times): sentences read the same way, with
        # the same verdict, evidence and certainty share the first one's card, which quotes each of them.
        # How strongly each sentence asserts may differ: the shared card says it per sentence.
        same = (card.readings, card.verdict_text, tuple(p.line for p in card.parts), card.evidence, card.certainty,
                card.certainty_source, card.downgrades, card.pooled, card.not_used)
        if same in seen:
            card = replace(card, same_as=seen[same])
        seen.setdefault(same, i)
        cards.append(card)
    raw = tuple(cards)
    cards = _described_once(cards)
    rows = tuple(c.row for c in cards)
    attention = tuple(r for r in rows if r.attention)
    unchecked = _unchecked(report)
    counted = tally(rows, attention, unchecked)
    v = vocab()
    # The key in one line: the verdicts shown in the tables and the attention rules by name; the rules
    # in full are in the JSON's legend (and the README).
    # Each verdict's symbol is printed beside its word, so the key names only the attention rules.
    whys = [r.why for r in v.attention]
    listed = ", ".join(whys[:-1]) + (f", or {whys[-1]}" if len(whys) > 1 else whys[-1])
    key = (f"A claim needs attention when {listed} (rules: --format json).",)
    rules_text = tuple(f"Needs attention ({r.why}): {r.describe(v)}." for r in v.attention)
    # "-" is how the CLI names stdin; a heading "— -" names nothing (and Markdown has to escape it).
    page = STDIN_NAME if report.source == "-" else PurePath(report.source).name or report.source
    header = Header(page, f"{now:%Y-%m-%d %H:%M} UTC", _sources(rules, policy, cache), counted.counts())
    return CheckView(header, attention, rows, tuple(cards), unchecked, key, rules_text, report, counted, raw,
                     page_bytes)
