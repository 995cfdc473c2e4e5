"""The tagging engine: run compiled :class:`~ketlit.tagging.specs.TaggingRules` over a
:class:`~ketlit.tagging.model.TagDoc` and decide tags on five axes (indication, route, molecule,
design, population), with evidence.

Design decisions:

* **Generic engine, domain knowledge in data.** Everything about ketamine lives in the packaged
  ``data/tagging_rules.toml`` (read by :mod:`ketlit.tagging.rules`); this module only knows how to
  run rules over a source-neutral document, so a user can change behaviour without touching code.
* **Signals are weighted, not voted.** Each match becomes evidence whose weight is
  ``rule strength × field weight × sentence factor × context factors``. Sentence factors
  come from abstract section labels (BACKGROUND low, METHODS high, EXCLUSION CRITERIA
  zero) or, for unlabelled prose, from cue phrases: sentences before the first one that
  speaks about *this* study, and sentences citing prior work ("has been shown",
  "previous studies"), count little (:mod:`ketlit.tagging.text`). Context factors come from
  cue phrases just before or after the match within its clause: negation/exclusion (factor 0:
  the evidence is rejected), comparators ("compared with intravenous ketamine": heavily
  discounted), populations ("patients with …": boosted). Route rules also look at the nearest
  drug anchor: "oral antidepressant" next to another drug barely counts.
* **Per-axis decisions.** Scores are summed per value (children roll up into parents,
  e.g. ``treatment_resistant_depression`` → ``depression``; overlapping spans of one value
  count once). A value is tagged when its score reaches the axis ``min_score`` and
  ``relative`` × the axis' best score, so a passing mention cannot sit next to what the
  study is about; ``rule_cap`` lets repeated mentions saturate. With ``exclusive_tiers``
  (used for design) only the strongest tier that yields a tag counts: publication types
  beat text when a record is indexed, text decides when it is not. Evidence of a rule with
  ``unless`` is dropped when one of the listed values is tagged on the full evidence, and
  the axis is decided again (plain "ketamine" means racemic unless es-/arketamine is
  tagged); ``requires``/``excluded_by`` make a rule depend on another one having fired.
* **Explainable.** Every :class:`~ketlit.tagging.model.Tag` carries evidence (rule id, field,
  span, offsets in that field's text, weight, and a note on the factors applied);
  :meth:`Tagger.analyse` also returns every candidate with its status (tagged, negation,
  below threshold, unless …) for ``ketlit explain`` and error analysis.
* **Fast** (≥ 2,000 records/s, see ``bench/tagging_accuracy.py``). Patterns run on a
  lower-cased copy of each field (length-preserving, so offsets stay valid) without
  ``re.IGNORECASE``. Each pattern is analysed once for the few "grams" a match can start
  with (:mod:`ketlit.tagging.patterns`); one trie regex per record finds where those grams
  start words, and each rule is tried only there. Sentence cues are evaluated only for
  sentences that hold a match; evidence objects are built only for reported evidence.
  Matches must start and end on word boundaries (a rule with ``boundary = false`` opts out
  and is scanned in full).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from operator import attrgetter
from typing import Final

from ketlit.tagging.model import AXES, TEXT_FIELDS, Candidate, Tag, TagAnalysis, TagDoc, TagEvidence
from ketlit.tagging.patterns import DIGITS_TO_0, GramScanner, Matcher, gram_trie_re, make_matcher, sep_trie_re
from ketlit.tagging.specs import AxisSpec, MaskSpec, RuleSpec, TaggingRules, decide_order, format_factor
from ketlit.tagging.text import FieldPart, RecordText, Sentence, Sentences, TextPlan, in_context


class _Raw:
    """A candidate match (internal, mutable status); TagEvidence is built only when reported."""

    __slots__ = ("end", "field", "notes", "rule", "span", "start", "status", "weight")

    def __init__(
        self, rule: RuleSpec, field: str, span: str, start: int, end: int, weight: float, notes: tuple[str, ...],
        status: str,
    ) -> None:
        self.rule = rule
        self.field = field
        self.span = span
        self.start = start
        self.end = end
        self.weight = weight
        self.notes = notes
        self.status = status

    def evidence(self) -> TagEvidence:
        return TagEvidence(
            self.rule.id, self.field, self.span, self.start, self.end, round(self.weight, 4), "; ".join(self.notes)
        )


class Tagger:
    """Runs compiled :class:`TaggingRules` over :class:`TagDoc` records. Pure and thread-safe."""

    def __init__(self, rules: TaggingRules) -> None:
        self.rules = rules
        self._struct_terms: dict[str, dict[str, list[RuleSpec]]] = {}
        self._struct_regex: dict[str, list[RuleSpec]] = {}
        # Text rules: gram → indexes of rules that can start with it; rules without grams always run.
        self._text_kinds: set[str] = set()
        self._rule_list = rules.rules
        self._gram_index: dict[str, list[int]] = {}  # gram → indexes of rules that can start with it
        self._plain_rules: list[int] = []  # text rules without grams: scanned in full
        for i, r in enumerate(rules.rules):
            for f in sorted(r.fields - TEXT_FIELDS):
                if r.terms:
                    table = self._struct_terms.setdefault(f, {})
                    for t in r.terms:
                        table.setdefault(t, []).append(r)
                elif r.regex is not None:
                    self._struct_regex.setdefault(f, []).append(r)
            if r.regex is None or not r.fields & TEXT_FIELDS:
                continue
            self._text_kinds.update(r.fields & TEXT_FIELDS)
            if r.grams is not None:
                for g in r.grams:
                    self._gram_index.setdefault(g, []).append(i)
            else:
                self._plain_rules.append(i)
        spec = rules.sentences
        # study, background, outlook (indexes used by Sentences)
        cues: tuple[Matcher | None, ...] = tuple(
            make_matcher(p) if p is not None else None for p in (spec.study, spec.background, spec.outlook)
        )
        # Cue grams are common words ("we", "the", numbers): cues are looked for sentence by
        # sentence with their own trie, not indexed for the whole field. None: plain search.
        wanted: set[str] = set(self._gram_index)
        # Context cues ("no", "for", "patients") and drug anchors are only needed around some
        # matches: they are searched in their small window with their own trie, not indexed.
        helpers = [mask.matcher for mask in rules.masks]
        helpers.extend(m for m in cues if m is not None)
        if rules.substance_regex is not None:
            helpers.append(rules.substance_regex)
        for m in helpers:
            if m.grams is not None:
                wanted.update(m.grams)
        before = [c.before for c in rules.contexts.values() if c.before is not None and not c.before.anchored]
        self._ctx_owners: dict[str, tuple[str, ...]] = {}
        if before and all(m.grams is not None for m in before):
            owners: dict[str, list[str]] = {}
            for c in rules.contexts.values():
                if c.before is not None and not c.before.anchored:
                    for g in c.before.grams or ():
                        owners.setdefault(g, []).append(c.name)
            self._ctx_owners = {g: tuple(names) for g, names in owners.items()}
            self._ctx_trie: re.Pattern[str] | None = gram_trie_re(self._ctx_owners)
            self._ctx_sep_trie = sep_trie_re(self._ctx_owners)
        else:
            self._ctx_trie = self._ctx_sep_trie = None
        self._ctx_window = max((c.window for c in rules.contexts.values()), default=0)
        self.text_plan = TextPlan(rules, GramScanner(frozenset(wanted)), _joined_masks(rules.masks), cues)
        self._combos = self._build_combos()
        self._axis_order = sorted(rules.axes, key=_axis_rank)
        self._decide_order = decide_order(rules.axes, self._axis_order)
        self._lineage = {
            name: {v: _lineage(axis, v) for v in axis.values} for name, axis in rules.axes.items()
        }

    def _build_combos(self) -> dict[str, list[tuple[int, re.Pattern[str], tuple[int, ...]]]]:
        """Per first gram: one regex per text variant (0 masked, 1 folded, 2 case-preserving)
        that tries every rule starting with that gram at once, each in a capturing lookahead
        ``(?:(?=(rule)))?``: one ``match`` call at a position reports every rule that matches
        there, with exactly the span its own ``match`` would give. Rules whose patterns have
        capturing groups of their own keep their own regex (group numbers would shift)."""
        combos: dict[str, list[tuple[int, re.Pattern[str], tuple[int, ...]]]] = {}
        for g, ids in self._gram_index.items():
            by_hay: dict[int, list[int]] = {}
            for i in ids:
                r = self._rule_list[i]
                if r.regex is None:
                    continue
                hay = 2 if r.case else (1 if r.unmasked else 0)
                if r.regex.groups == 0:
                    by_hay.setdefault(hay, []).append(i)
                else:
                    combos.setdefault(g, []).append((hay, r.regex, (i,)))
            for hay, members in sorted(by_hay.items()):
                members = sorted(set(members))
                if len(members) == 1:
                    regex = self._rule_list[members[0]].regex
                    assert regex is not None
                    combos.setdefault(g, []).append((hay, re.compile(f"({regex.pattern})"), tuple(members)))
                    continue
                joined = "".join(f"(?:(?=({self._rule_list[i].regex.pattern})))?" for i in members)  # type: ignore[union-attr]
                combos.setdefault(g, []).append((hay, re.compile(joined), tuple(members)))
        return combos

    # -- public API ---------------------------------------------------------------

    def tag(self, doc: TagDoc) -> list[Tag]:
        """The tags of ``doc``, sorted by axis order then value."""
        return list(self._decide(self._match(doc), with_candidates=False).tags)

    def analyse(self, doc: TagDoc) -> TagAnalysis:
        """Tags plus every candidate match with its status (for ``explain`` and error analysis)."""
        return self._decide(self._match(doc), with_candidates=True)

    # -- matching -----------------------------------------------------------------

    @staticmethod
    def _applies(r: RuleSpec, doc: TagDoc) -> bool:
        return r.when == "any" or (r.when == "indexed") == doc.indexed

    def _match(self, doc: TagDoc) -> list[_Raw]:
        raws: list[_Raw] = []
        for name, value in doc.structured():
            low = value.lower()
            terms = self._struct_terms.get(name)
            if terms is not None:
                for r in terms.get(low, ()):
                    if self._applies(r, doc):
                        raws.append(_Raw(r, name, value, 0, len(value), r.strength, (), "tagged"))
            for r in self._struct_regex.get(name, ()):
                if self._applies(r, doc) and r.regex is not None:
                    m = r.regex.search(value if r.case else low)
                    if m:
                        raws.append(
                            _Raw(r, name, value[m.start() : m.end()], m.start(), m.end(), r.strength, (), "tagged")
                        )
        fields = [(n, x) for n, x in doc.fields if x and n.partition(":")[0] in self._text_kinds]
        if fields:
            self._match_text(RecordText(fields, self.text_plan), doc, raws)
        return raws

    def _match_text(self, t: RecordText, doc: TagDoc, raws: list[_Raw]) -> None:
        folded = t.folded
        hays = (t.masked, folded, t.cased)
        hits: list[tuple[int, int, int]] = []  # (rule index, start, end)
        for g, positions in t.positions.items():
            combos = self._combos.get(g)
            if combos is None:
                continue
            for hay_kind, regex, members in combos:
                hay = hays[hay_kind]
                match = regex.match
                if len(members) == 1:
                    i = members[0]
                    for p in positions:
                        m = match(hay, p)
                        if m is not None and m.end() > p:
                            hits.append((i, p, m.end()))
                    continue
                for p in positions:
                    m = match(hay, p)
                    if m is None:
                        continue
                    for k, i in enumerate(members, 1):
                        e = m.end(k)
                        if e > p:
                            hits.append((i, p, e))
        n = len(folded)
        for i in self._plain_rules:  # rules without first grams: scanned in full, boundaries checked here
            r = self._rule_list[i]
            if r.matcher is None:
                continue
            hay = t.cased if r.case else (folded if r.unmasked else t.masked)
            for m in t.find(r.matcher, hay):
                a, b = m.start(), m.end()
                if r.boundary and (
                    (a > 0 and folded[a - 1].isalnum() and folded[a].isalnum())
                    or (b < n and folded[b].isalnum() and folded[b - 1].isalnum())
                ):
                    continue
                hits.append((i, a, b))
        if not hits:
            return
        # Per rule, leftmost non-overlapping matches (what a plain finditer of the rule gives).
        # Gram candidates start words and compiled patterns end on word ends: no boundary check.
        hits.sort()
        single = len(t.parts) == 1
        sentences: Sentences | None = None
        rules = self._rule_list
        rule_index = -1
        last = 0
        r = rules[hits[0][0]]
        for i, a, b in hits:
            if i != rule_index:
                rule_index, last, r = i, 0, rules[i]
            if a < last:
                continue
            last = b
            if r.when != "any" and not self._applies(r, doc):
                continue
            part = t.parts[0] if single else t.part_at(a)
            if b > part.end or part.kind not in r.fields:
                continue
            if sentences is None:
                sentences = t.sentences()
            raws.append(self._weigh(r, t, part, sentences.at(a), a, b))

    def _weigh(self, r: RuleSpec, t: RecordText, part: FieldPart, sent: Sentence, a: int, b: int) -> _Raw:
        weight = r.strength * part.weight * sent.factor
        notes: tuple[str, ...] = (sent.note,) if sent.note else ()
        status = "tagged"
        contexts = self.rules.contexts
        before: dict[str, list[int]] | None = None
        if r.contexts and self._ctx_trie is not None:
            # One scan of the widest "before" window finds the cue grams of every context.
            lo = a - self._ctx_window
            if lo < sent.start:
                lo = sent.start
            before = self._cues_before(t.folded, lo, a)
        for cname in r.contexts:
            ctx = contexts[cname]
            if in_context(ctx, t, sent, a, b, before):
                weight *= ctx.factor
                notes += (ctx.note,)
                if ctx.factor == 0:
                    status = cname
                    break
        if status == "tagged" and r.near is not None and weight > 0:
            lo = max(sent.start, a - r.near_window)
            hi = min(sent.end, b + r.near_window)
            d_near = self._nearest(t, r.near, lo, hi, a, b, sent.end)
            d_other: int | None = None
            if r.other is not None:
                # Only another drug closer than the study drug matters: search that close only.
                olo, ohi = (lo, hi) if d_near is None else (max(lo, a - d_near), min(hi, b + d_near))
                if olo < ohi:
                    d_other = self._nearest(t, r.other, olo, ohi, a, b, sent.end)
            if d_other is not None and d_other <= r.near_window and (d_near is None or d_other < d_near):
                weight *= r.other_factor
                notes += (f"other-drug×{format_factor(r.other_factor)}",)
            elif d_near is None or d_near > r.near_window:
                weight *= r.far_factor
                notes += (f"no-anchor×{format_factor(r.far_factor)}",)
        if weight <= 0 and status == "tagged":
            status = "zero weight"
        return _Raw(r, part.name, t.text[a:b], a - part.start, b - part.start, weight, notes, status)

    def _cues_before(self, folded: str, lo: int, a: int) -> dict[str, list[int]]:
        """Per context, where its cue grams start in [lo, a): one scan for every context of a rule."""
        before: dict[str, list[int]] = {}
        owners = self._ctx_owners
        if self._ctx_sep_trie is not None and lo > 0:  # the faster scan, same grams (see sep_trie_re)
            found, group = self._ctx_sep_trie.finditer(folded, lo - 1, a), 1
        else:
            assert self._ctx_trie is not None
            found, group = self._ctx_trie.finditer(folded, lo, a), 0
        for x in found:
            g = x[group]
            for cname in owners.get(g if g.isalpha() else g.translate(DIGITS_TO_0), ()):
                at = before.get(cname)
                if at is None:
                    before[cname] = [x.start(group)]
                else:
                    at.append(x.start(group))
        return before

    def _nearest(self, t: RecordText, anchor: str, lo: int, hi: int, a: int, b: int, end: int) -> int | None:
        """Distance from (a, b) to the nearest match of ``anchor``: its pattern, plus the
        record's focal or other substances when the anchor says so."""
        rules = self.rules
        d = t.nearest(rules.anchors[anchor], lo, hi, a, b, end)
        adds = rules.anchor_substances.get(anchor)
        if adds is not None:
            d2 = t.nearest_substance(rules, adds == "focal", lo, hi, a, b, end)
            if d2 is not None and (d is None or d2 < d):
                d = d2
        return d

    # -- deciding -----------------------------------------------------------------

    def _decide(self, raws: list[_Raw], with_candidates: bool) -> TagAnalysis:
        if not raws:
            return TagAnalysis((), ())
        # A rule "fired" when it matched and was not rejected by context; zero-strength helper
        # rules (e.g. the Humans check tag) exist only to be named in requires/excluded_by.
        fired = {x.rule.id for x in raws if x.status == "tagged" or x.status == "zero weight"}
        by_axis: dict[str, list[_Raw]] = {}
        for x in raws:
            r = x.rule
            if x.status == "tagged":
                if r.requires and not any(q in fired for q in r.requires):
                    x.status = "requires unmet"
                elif r.excluded_by and any(q in fired for q in r.excluded_by):
                    x.status = "excluded by rule"
            by_axis.setdefault(r.axis, []).append(x)
        decided: dict[str, list[Tag]] = {}
        for axis in self._decide_order:
            spec = self.rules.axes[axis]
            items = by_axis.get(axis)
            if items and spec.damp:
                self._damp(spec, items, decided)
            decided[axis] = self._decide_axis(spec, items) if items else []
        tags = [t for axis in self._axis_order for t in decided[axis]]
        if not with_candidates:
            return TagAnalysis(tuple(tags), ())
        candidates = tuple(
            Candidate(x.rule.axis, x.rule.value, x.evidence(), x.status)
            for x in sorted(raws, key=lambda x: (_axis_rank(x.rule.axis), x.rule.value, x.field, x.start, x.rule.id))
        )
        return TagAnalysis(tuple(tags), candidates)

    def _damp(self, spec: AxisSpec, items: list[_Raw], decided: dict[str, list[Tag]]) -> None:
        """Apply ``spec.damp`` to ``items``: their weights shrink where the record has the
        named tag (``_decide_order`` decides that axis first)."""
        for d in spec.damp:
            if not any(t.value == d.when_value for t in decided[d.when_axis]):
                continue
            note = f"{d.when_axis} {d.when_value}×{format_factor(d.factor)}"
            for x in items:
                if x.status == "tagged" and x.field.partition(":")[0] in d.fields:
                    x.weight *= d.factor
                    x.notes += (note,)

    def _pick(self, axis: AxisSpec, items: list[_Raw]) -> dict[str, float]:
        """Scores per value (overlapping spans of one value count once) over the thresholds."""
        lineage = self._lineage[axis.name]
        spans: dict[str, list[_Raw]] = {}
        for x in items:
            for v in lineage[x.rule.value]:
                found = spans.get(v)
                if found is None:
                    spans[v] = [x]
                else:
                    found.append(x)
        if not spans:
            return {}
        cap = axis.rule_cap
        totals = {v: _span_score(xs, cap) for v, xs in spans.items()}
        floor = max(axis.min_score, axis.relative * max(totals.values()))
        return {v: t for v, t in totals.items() if t >= floor}

    def _decide_axis(self, axis: AxisSpec, items: list[_Raw]) -> list[Tag]:
        live = [x for x in items if x.status == "tagged"]
        if not live:
            return []
        tiers: list[int | None] = [*sorted({x.rule.tier for x in live})] if axis.exclusive_tiers else [None]
        chosen: dict[str, float] = {}
        used: list[_Raw] = []
        for tier in tiers:
            pool = live if tier is None else [x for x in live if x.rule.tier == tier]
            first = self._pick(axis, pool)
            dropped = False
            kept: list[_Raw] = []
            for x in pool:
                hit = [u for u in x.rule.unless if u in first] if x.rule.unless else ()
                if hit:
                    x.status = "unless " + ",".join(hit)
                    dropped = True
                else:
                    kept.append(x)
            if dropped:
                pool = kept
                first = self._pick(axis, pool)
            if first:
                chosen, used = first, pool
                break
        used_ids = {id(x) for x in used}
        lineage = self._lineage[axis.name]
        per: dict[str, list[_Raw]] = {}
        for x in live:
            if x.status != "tagged":
                continue
            if id(x) not in used_ids:
                x.status = "weaker tier" if axis.exclusive_tiers and chosen else "below threshold"
                continue
            counted = False
            for v in lineage[x.rule.value]:
                if v in chosen:
                    counted = True
                    found = per.get(v)
                    if found is None:
                        per[v] = [x]
                    else:
                        found.append(x)
            if not counted:
                x.status = "below threshold"
        out: list[Tag] = []
        limit = self.rules.max_evidence
        for value in sorted(chosen, key=axis.values.index):
            # Strongest first; the same span found by two rules is reported once per rule.
            top = sorted(per.get(value, ()), key=lambda x: (-x.weight, x.field, x.start, x.rule.id))
            seen: set[tuple[str, int, int, str]] = set()
            evidence: list[TagEvidence] = []
            for x in top:
                key = (x.field, x.start, x.end, x.rule.id)
                if key not in seen:
                    seen.add(key)
                    evidence.append(x.evidence())
                    if len(evidence) == limit:
                        break
            out.append(Tag(axis.name, value, tuple(evidence), round(chosen[value], 4)))
        return out


def _joined_masks(masks: Sequence[MaskSpec]) -> tuple[tuple[Matcher, frozenset[str], bool], ...]:
    """(matcher, field kinds, case) per group of masks: masks with the same fields and case run as
    one alternation (one pass instead of several)."""
    groups: dict[tuple[frozenset[str], bool], list[MaskSpec]] = {}
    for mask in masks:
        groups.setdefault((mask.fields, mask.case), []).append(mask)
    out: list[tuple[Matcher, frozenset[str], bool]] = []
    for (kinds, case), members in groups.items():
        if len(members) == 1:
            out.append((members[0].matcher, kinds, case))
        else:
            joined = re.compile("|".join(f"(?:{m.matcher.regex.pattern})" for m in members))
            out.append((make_matcher(joined), kinds, case))
    return tuple(out)


def _span_score(xs: list[_Raw], cap: float = 0.0) -> float:
    """Sum of weights, where overlapping spans in one field (two rules, or a child and its
    parent matching the same words) count once, with their highest weight; with ``cap`` > 0
    the weights credited to one rule are summed up to ``cap`` at most."""
    if len(xs) == 1:
        return min(xs[0].weight, cap) if cap > 0 else xs[0].weight
    kept: list[_Raw] = []
    field = ""
    end = -1
    for x in sorted(xs, key=_FIELD_START):
        if kept and x.field == field and x.start < end:
            if x.weight > kept[-1].weight:
                kept[-1] = x
            if x.end > end:
                end = x.end
            continue
        kept.append(x)
        field, end = x.field, x.end
    if cap <= 0:
        return sum(x.weight for x in kept)
    per_rule: dict[str, float] = {}
    for x in kept:
        per_rule[x.rule.id] = per_rule.get(x.rule.id, 0.0) + x.weight
    return sum(min(w, cap) for w in per_rule.values())


_FIELD_START: Final = attrgetter("field", "start")  # a sort key read in C


def _axis_rank(axis: str) -> tuple[int, str]:
    return (AXES.index(axis), "") if axis in AXES else (len(AXES), axis)


def _lineage(axis: AxisSpec, value: str) -> tuple[str, ...]:
    out = [value]
    while out[-1] in axis.parents:
        out.append(axis.parents[out[-1]])
    return tuple(out)
