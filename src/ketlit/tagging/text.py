"""A record's text as the engine matches it: fields joined, folded, masked, split into sentences.

Design decisions:

* **One joined text per record.** Matching one joined text costs one fold, one gram scan and
  one mask pass per record instead of one per field; each match is mapped back to its field
  (:class:`FieldPart`) and offsets, and no match may cross from one field into the next.
* **Offsets never move.** Lower-casing and dash/space folding are length-preserving, so a
  span found in the folded or masked copy is the same span in the original text.
* **Lazy sentence weights.** A sentence's factor (section zone, study/background/outlook cues)
  is computed only for sentences that hold a match (:class:`Sentences`).
* **Given what it needs.** A :class:`TextPlan`, built once per :class:`~ketlit.tagging.engine.Tagger`,
  carries the compiled rules, the gram scanner, the masks and the sentence cues; nothing here
  reads the tagger.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Final

from ketlit.tagging.patterns import GramScanner, Matcher, Occurrences, match_at_grams, scan
from ketlit.tagging.specs import ContextSpec, TaggingRules, ZoneSpec, format_factor

# Fields whose substances are the record's focal ones (see RecordText.substances).
_FOCAL_FIELDS: Final = frozenset({"title", "official_title", "intervention"})


@dataclass(frozen=True, slots=True)
class TextPlan:
    """What matching a record's text needs from the compiled rules (built once per Tagger)."""

    rules: TaggingRules
    grams: GramScanner  # start positions of every gram a rule, mask, cue or substance can start with
    masks: tuple[tuple[Matcher, frozenset[str], bool], ...]  # (matcher, field kinds, case-sensitive)
    cues: tuple[Matcher | None, ...]  # study, background, outlook (indexes used by Sentences)


# Lower-casing must keep offsets: map dash/space variants to ASCII one-for-one, and fall
# back to per-character lowering when str.lower() would change the length (e.g. "İ").
_FOLD = str.maketrans(
    {
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u00ad": "-",
        "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u2007": " ", "\u2002": " ", "\u2003": " ",
        "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"',
    }
)
_FOLD_NEEDED = re.compile("[" + "".join(chr(k) for k in _FOLD) + "]")


_FOLD_CHARS: Final = {chr(k): v if isinstance(v, str) else chr(v) for k, v in _FOLD.items() if v is not None}


def _fold_case(text: str) -> str:
    if _FOLD_NEEDED.search(text) is None:
        return text
    for ch in set(_FOLD_NEEDED.findall(text)):  # a few str.replace beat translate() on long text
        text = text.replace(ch, _FOLD_CHARS[ch])
    return text


def _fold(text: str) -> str:
    low = text.lower()
    if len(low) != len(text):
        low = "".join(c.lower() if len(c.lower()) == 1 else c for c in text)
    return _fold_case(low)


# No top-level alternation: it would cost the regex engine its first-character fast path.
_SENTENCE_END = re.compile(r"[.!?]\s+(?=[A-Z0-9(\[\"'])")
_LABEL_BEFORE_COLON = re.compile(r"(?:^|\s)([A-Z][A-Z0-9 &/,()'-]{1,60}[A-Z)])$")
_TITLE_LABEL = re.compile(r"([A-Z][A-Za-z]+(?:[ -][A-Za-z&]+){0,3}):\s")
# A sentence that ends in a colon is not a section label ("This analysis assessed: 1) …").
_NOT_LABEL_START = frozenset({"the", "this", "these", "those", "our", "we", "a", "an", "in", "to", "for", "it", "they",
                              "here", "there", "two", "three", "all", "each", "both"})


@dataclass(slots=True)
class Sentence:
    """A sentence span with its weight factor and the zone (or cue) that set it."""

    start: int
    end: int
    factor: float
    zone: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.zone:
            self.note = f"{self.zone}×{format_factor(self.factor)}"


class FieldPart:
    """One field of the record inside the joined text: [start, end) of ``RecordText.text``."""

    __slots__ = ("end", "kind", "label", "name", "start", "weight")

    def __init__(self, name: str, kind: str, label: str | None, start: int, end: int, weight: float) -> None:
        self.name = name
        self.kind = kind
        self.label = label
        self.start = start
        self.end = end
        self.weight = weight


class RecordText:
    """All text fields of a record, joined by newlines and matched as one text.

    Matching one joined text costs one fold, one gram scan and one mask pass per record
    instead of one per field (a structured abstract has 5-10 sections, a CT.gov record
    dozens of fields); each match is mapped back to its field and offsets, and no match
    may cross from one field into the next.
    """

    __slots__ = (
        "_cased", "_occ", "_sentences", "_substances", "folded", "masked", "part_starts", "parts", "plan", "positions",
        "text",
    )

    def __init__(self, fields: Sequence[tuple[str, str]], plan: TextPlan) -> None:
        self.plan = plan
        parts: list[FieldPart] = []
        chunks: list[str] = []
        pos = 0
        weights = plan.rules.field_weights
        for name, text in fields:
            kind, _, label = name.partition(":")
            parts.append(FieldPart(name, kind, label or None, pos, pos + len(text), weights.get(kind, 1.0)))
            chunks.append(text)
            pos += len(text) + 1
        self.parts = parts
        self.part_starts = [p.start for p in parts]
        self.text = "\n".join(chunks)
        # Dash/space variants folded once (case kept, for case-sensitive rules), then lower-cased.
        cased = _fold_case(self.text)
        folded = cased.lower()
        if len(folded) != len(cased):
            folded = _fold(self.text)
        self.folded = folded
        self.positions = plan.grams.positions(folded)
        self._cased: str | None = cased
        self._occ: dict[str, Occurrences] = {}
        self._sentences: Sentences | None = None
        self._substances: list[tuple[int, int, bool]] | None = None
        spans: list[tuple[int, int]] = []
        for matcher, kinds, case in plan.masks:
            hay = self.cased if case else self.folded
            for m in self.find(matcher, hay):
                if self.part_at(m.start()).kind in kinds:
                    spans.append((m.start(), m.end()))
        if spans:
            chars = list(self.folded)
            for a, b in spans:
                chars[a:b] = " " * (b - a)
            self.masked = "".join(chars)
        else:
            self.masked = self.folded

    def part_at(self, pos: int) -> FieldPart:
        """The field holding position ``pos`` of the joined text."""
        return self.parts[bisect.bisect_right(self.part_starts, pos) - 1]

    def search(self, m: Matcher, lo: int, hi: int) -> bool:
        """Whether ``m`` matches starting in [lo, hi) and ending by ``hi`` (a cue window)."""
        return m.search(self.folded, lo, hi) is not None

    @property
    def cased(self) -> str:
        """The joined text with dash/space variants folded but case kept (for case-sensitive rules)."""
        if self._cased is None:
            self._cased = _fold_case(self.text)
        return self._cased

    def find(self, m: Matcher, hay: str, starts: list[int] | None = None) -> Iterable[re.Match[str]]:
        """Leftmost non-overlapping matches of ``m`` in ``hay`` (the folded, masked or cased text)."""
        if m.grams is None:
            occ = self._occ.get(hay)
            if occ is None:
                occ = self._occ[hay] = Occurrences(hay)
            return scan(m.regex, m.plan, occ)
        if starts is None:
            positions = self.positions
            starts = sorted({p for g in positions.keys() & m.grams for p in positions[g]})
        return match_at_grams(m.regex, starts, hay) if starts else ()

    def nearest(self, anchor: Matcher, lo: int, hi: int, a: int, b: int, end: int) -> int | None:
        """Distance from span (a, b) to the nearest match of ``anchor`` starting in [lo, hi)
        (the match itself may run on up to ``end``, the end of the sentence)."""
        best: int | None = None
        for m in anchor.finditer(self.folded, lo, hi, end):
            d = _gap((a, b), (m.start(), m.end()))
            if best is None or d < best:
                best = d
        return best

    def substances(self, rules: TaggingRules) -> list[tuple[int, int, bool]]:
        """Every mention of a [substances] entry as (start, end, focal): focal are the
        substances the record is about, not those it merely mentions.

        Focal are the substances the title names (a CT.gov record: also its interventions);
        when those name none, the ones the text names most often, and any named at least half
        as often. So in a psilocybin study "oral" next to psilocybin is the study drug's route
        and "intravenous ketamine" in its background is another drug's; in a ketamine study it
        is the other way round."""
        if self._substances is None:
            found: list[tuple[int, int, int]] = []
            regex = rules.substance_regex
            if regex is not None:
                groups = rules.substance_groups
                # Through the record's one gram scan (the substance grams are wanted by the
                # Tagger), so only word starts that can begin a substance are tried.
                for m in self.find(regex, self.folded):
                    if m.end() > m.start():
                        found.append((m.start(), m.end(), groups[m.lastindex or 0]))
            focal: set[int] = set()
            if found:
                counts: dict[int, int] = {}
                for a, _b, k in found:
                    if self.part_at(a).kind in _FOCAL_FIELDS:
                        focal.add(k)
                    counts[k] = counts.get(k, 0) + 1
                if not focal:
                    most = max(counts.values())
                    focal = {k for k, n in counts.items() if 2 * n >= most}
            self._substances = [(a, b, k in focal) for a, b, k in found]
        return self._substances

    def nearest_substance(
        self, rules: TaggingRules, focal: bool, lo: int, hi: int, a: int, b: int, end: int
    ) -> int | None:
        """:meth:`nearest` for the record's focal (or other) substances."""
        best: int | None = None
        for start, stop, is_focal in self.substances(rules):
            if start >= hi:
                break
            if start >= lo and stop <= end and is_focal == focal:
                d = _gap((a, b), (start, stop))
                if best is None or d < best:
                    best = d
        return best

    def sentences(self) -> Sentences:
        """The record's sentences (split on first use)."""
        if self._sentences is None:
            self._sentences = Sentences(self, self.plan)
        return self._sentences


def _zone_for(label: str, rules: TaggingRules) -> ZoneSpec | None:
    cache = rules.zone_cache
    if label in cache:
        return cache[label]
    low = label.strip().lower()
    zone = next((z for z in rules.zones if z.labels.search(low)), None)
    if len(cache) < 4096:
        cache[label] = zone
    return zone


_END: Final = re.Match.end


def _split_sentences(text: str, lo: int, hi: int) -> list[int]:
    """Sentence starts in text[lo:hi] (absolute positions)."""
    cuts = set(map(_END, _SENTENCE_END.finditer(text, lo, hi)))  # read in C
    nl = text.find("\n", lo, hi)
    while nl >= 0:
        cuts.add(nl + 1)
        nl = text.find("\n", nl + 1, hi)
    return [lo, *sorted(c for c in cuts if lo < c < hi)]


class Sentences:
    """Sentence spans of a record's text; a sentence's weight factor is computed on first use.

    Factors need the sentence cues, which are the costly part, so they are only evaluated
    for sentences that hold a match (and, for the leading-background rule, for the
    sentences up to the first one in the field that speaks about this study).
    """

    __slots__ = ("_cache", "_cue_pos", "_first_study", "_folded", "_hits", "_leading", "_part", "_positions", "_zones",
                 "ends", "plan", "starts")

    def __init__(self, t: RecordText, plan: TextPlan) -> None:
        self.plan = plan
        # What is needed of the record's text, not the text itself: the text caches this object,
        # and a reference back would make every tagged record a reference cycle, left for the
        # cyclic collector (~100 objects a record; a tagging worker that collects after each page
        # spent ~0.2 s a page freeing them).
        self._positions = t.positions
        self._folded = t.folded
        self._cache: dict[int, Sentence] = {}
        self._hits: dict[tuple[int, int], bool] = {}
        self._cue_pos: list[list[int]] | None = None
        self._first_study: dict[int, int | None] = {}
        rules = plan.rules
        spec = rules.sentences
        text = t.text
        self.starts: list[int] = []
        self.ends: list[int] = []
        self._part: list[int] = []  # index of the part each sentence belongs to
        self._zones: list[ZoneSpec | bool | None] = []  # False: not prose (factor 1, no cues)
        self._leading: list[bool] = []  # per part: leading-background rule applies
        for pi, part in enumerate(t.parts):
            if part.kind not in spec.prose_fields:
                self.starts.append(part.start)
                self.ends.append(part.end)
                self._part.append(pi)
                self._zones.append(False)
                self._leading.append(False)
                continue
            starts = _split_sentences(text, part.start, part.end)
            ends = [*starts[1:], part.end]
            # Zones: from the section label, or from inline labels ("METHODS:", "Results:").
            fixed = _zone_for(part.label, rules) if part.label else None
            marks: list[tuple[int, ZoneSpec | None]] = []
            if part.label is None and text.find(":", part.start, part.end) >= 0:
                colon = text.find(":", part.start, part.end)
                while colon > 0:
                    m = _LABEL_BEFORE_COLON.search(text, max(part.start, colon - 64), colon)
                    if m is not None and colon + 1 < part.end and text[colon + 1].isspace():
                        marks.append((m.start(1), _zone_for(m.group(1), rules)))
                    colon = text.find(":", colon + 1, part.end)
                for a in starts:
                    colon = text.find(":", a, min(a + 50, part.end))
                    m = _TITLE_LABEL.match(text, a, part.end) if colon > a else None
                    if m and not m.group(1).isupper() and m.group(1).split()[0].lower() not in _NOT_LABEL_START:
                        z = _zone_for(m.group(1), rules)
                        if z is not None:
                            marks.append((a, z))
                marks.sort(key=lambda x: x[0])
            mark_pos = [p for p, _ in marks]
            for a, b in zip(starts, ends, strict=True):
                self.starts.append(a)
                self.ends.append(b)
                self._part.append(pi)
                if marks:
                    i = bisect.bisect_right(mark_pos, b - 1) - 1
                    self._zones.append(marks[i][1] if i >= 0 else None)
                else:
                    self._zones.append(fixed)
            self._leading.append(len(starts) >= spec.min_sentences_for_leading and not marks and fixed is None)

    def at(self, pos: int) -> Sentence:
        """The sentence holding ``pos``, with its factor."""
        k = bisect.bisect_right(self.starts, pos) - 1
        if k < 0:
            k = 0
        sent = self._cache.get(k)
        if sent is None:
            sent = self._cache[k] = self._make(k)
        return sent

    def _cue_positions(self) -> list[list[int]]:
        """Candidate start positions of each cue (from the text's gram positions)."""
        if self._cue_pos is None:
            positions = self._positions
            self._cue_pos = []
            for m in self.plan.cues:
                pos: list[int] = []
                if m is not None and m.grams is not None:
                    for g in m.grams:
                        found = positions.get(g)
                        if found is not None:
                            pos.extend(found)
                    pos.sort()
                self._cue_pos.append(pos)
        return self._cue_pos

    def _cue(self, k: int, which: int) -> bool:
        key = (k, which)
        hit = self._hits.get(key)
        if hit is None:
            m = self.plan.cues[which]
            hit = False
            if m is not None:
                folded = self._folded
                a, b = self.starts[k], self.ends[k]
                if m.grams is None:
                    hit = m.regex.search(folded, a, b) is not None
                else:
                    pos = self._cue_positions()[which]
                    regex = m.regex
                    i = bisect.bisect_left(pos, a)
                    while i < len(pos) and pos[i] < b:
                        if regex.match(folded, pos[i]) is not None:
                            hit = True
                            break
                        i += 1
            self._hits[key] = hit
        return hit

    def _first_study_sentence(self, pi: int) -> int | None:
        if pi not in self._first_study:
            self._first_study[pi] = next(
                (k for k in range(len(self.starts)) if self._part[k] == pi and self._cue(k, 0) and not self._cue(k, 2)),
                None,
            )
        return self._first_study[pi]

    def _make(self, k: int) -> Sentence:
        a, b = self.starts[k], self.ends[k]
        zone = self._zones[k]
        if zone is False:
            return Sentence(a, b, 1.0, "")
        spec = self.plan.rules.sentences
        factor = zone.factor if isinstance(zone, ZoneSpec) else 1.0
        zname = zone.name if isinstance(zone, ZoneSpec) else ""
        if factor == 0 or (isinstance(zone, ZoneSpec) and not zone.cues):
            return Sentence(a, b, factor, zname)
        # An outlook ("future studies should … to evaluate …") is never a study sentence.
        outlook = self._cue(k, 2)
        if not outlook and self._cue(k, 0):
            if isinstance(zone, ZoneSpec):
                # e.g. a study sentence inside a BACKGROUND section ("We designed a study to …").
                factor = zone.study_factor
            return Sentence(a, b, factor, zname)
        pi = self._part[k]
        if self._leading[pi]:
            first = self._first_study_sentence(pi)
            if (first is None or k < first) and factor > spec.leading_background_factor:
                factor = spec.leading_background_factor
                zname = zname or "leading-background"
        # Cues only matter when they would lower the factor further.
        if outlook:
            if factor > spec.outlook_factor:
                factor = spec.outlook_factor
                zname = zname or "outlook-cue"
        elif factor > spec.background_factor and self._cue(k, 1):
            factor = spec.background_factor
            zname = zname or "background-cue"
        return Sentence(a, b, factor, zname)


def in_context(
    ctx: ContextSpec, t: RecordText, sent: Sentence, start: int, end: int, before: dict[str, list[int]] | None = None
) -> bool:
    """Whether a cue of ``ctx`` is within its window before/after the match, in the same clause.

    ``before``: per context, the positions of its cue grams in the widest before-window, found
    by one scan for all contexts of a rule (see ``Tagger._weigh``)."""
    if ctx.before is not None:
        lo = start - ctx.window
        if lo < sent.start:
            lo = sent.start
        hits = None if before is None else before.get(ctx.name, ())
        # No cue gram found in the window (the common case) is decided here, without a call.
        if lo < start and (hits or hits is None or ctx.before.grams is None or ctx.before.anchored) and _before_hit(
            ctx.before, t, lo, start, hits
        ):
            # A cue is there; it counts only if no clause break separates it from the match.
            for cut in ctx.scope_break.finditer(t.folded, lo, start):
                lo = cut.end()
            if lo < start and _before_hit(ctx.before, t, lo, start, hits):
                return True
    if ctx.after is not None:
        hi = end + ctx.window
        if hi > sent.end:
            hi = sent.end
        if end < hi and ctx.after.search(t.folded, end, hi) is not None:  # what t.search does, one call less
            brk = ctx.scope_break.search(t.folded, end, hi)
            if brk is not None:
                hi = brk.start()
            if end < hi and ctx.after.search(t.folded, end, hi) is not None:
                return True
    return False


def _before_hit(m: Matcher, t: RecordText, lo: int, hi: int, hits: Sequence[int] | None) -> bool:
    if hits is None or m.grams is None or m.anchored:
        return t.search(m, lo, hi)
    if not hits:
        return False
    match = m.regex.match
    folded = t.folded
    return any(p >= lo and match(folded, p, hi) is not None for p in hits)


def _gap(a: tuple[int, int], b: tuple[int, int]) -> int:
    if b[1] <= a[0]:
        return a[0] - b[1]
    if b[0] >= a[1]:
        return b[0] - a[1]
    return 0
