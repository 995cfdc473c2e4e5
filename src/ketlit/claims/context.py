"""What a page as a whole says (drug mentions, its own route, molecule and conditions), and the
axis readers the extractor applies to any span of text (conditions, routes, molecules).

Design decisions:

* **Split out of the extractor** so each module stays readable; the extractor imports these under
  its historical private names.
* **Work grows with distinct content.** Page-wide mention tests use sorted spans (:class:`Spans`),
  not pairs: a page that names "ketamine" and "esketamine" thousands of times costs a bisection per
  mention, not a comparison with every other mention.
* **Vocabulary in data.** Every phrase comes from ``claim_rules.toml`` ([drug], [molecule],
  [route], [indication]); nothing here names a drug or a condition.
* **A page's conditions are mentions, not pattern hits** (two patterns matching "chronic pain"
  are one mention), named at least ``min_mentions`` times and at least ``min_share_of_top`` as
  often as the most named one; a page naming each condition once is about all of them, in page
  order (capped at ``max_inferred``).
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Final

from ketlit.claims.rules import Patterns, Rules
from ketlit.claims.text import Sentence

_RELATIVE_OPENING = re.compile(r"\s*,?\s*(which|that|who)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class PageContext:
    """What the page as a whole says about drug, route, molecule and indications."""

    about_drug: bool
    drug_mentions: int
    route: str | None
    route_note: str | None
    molecule: str | None
    molecule_note: str | None
    indications: tuple[str, ...]
    # The country the page speaks from, when it names one far more than any other ("Sydney", "TGA",
    # "Australia" seven times): a regulatory sentence naming none is about that country's facts.
    jurisdiction: str | None = None
    jurisdiction_note: str | None = None


# A page's jurisdiction: named at least this often, and at least twice as often as any other.
_PAGE_JURISDICTION_MIN: Final = 3


def page_jurisdiction(text: str, rules: Rules) -> tuple[str | None, str | None]:
    """(jurisdiction, note) of a page that names one country's regulators, laws or places far more
    than any other; (None, None) otherwise. International bodies (WHO) are no country."""
    counts = sorted(
        (
            (_count(p, text), name)
            for name, p in rules.assertion.get("jurisdiction", {}).items()
            if name != "international"
        ),
        reverse=True,
    )
    if not counts or counts[0][0] < _PAGE_JURISDICTION_MIN:
        return None, None
    (top, name), rest = counts[0], counts[1:]
    if rest and top < 2 * rest[0][0]:
        return None, None
    return name, f"jurisdiction {name} inferred from the page ({top} mentions of its regulators, laws or places)"


def _count(pats: Patterns, text: str) -> int:
    """Mentions, not pattern hits: two patterns matching the same words ("chronic pain" is matched
    by the "chronic pain" and the "chronic, pain" patterns) are one mention, or a page naming a
    condition once would count it twice and rank it above the conditions listed beside it. Hits
    only a space, hyphen or bracket apart are one mention too: "Spravato nasal spray" and "esketamine
    (Spravato)" name one product once, not a nasal route or the molecule twice (a page that names
    it once is not a nasal-spray page)."""
    n, end = 0, -1
    for m in pats.finditer(text):
        if m.start() >= end and not (end >= 0 and _ADJACENT.fullmatch(text, end, m.start())):
            n += 1
        end = max(end, m.end())
    return n


_ADJACENT = re.compile(r"[ \t()-]*")


def without_compared_routes(text: str, rules: Rules) -> str:
    """``text`` with every route mention that follows comparison words blanked (same length)."""
    if not rules.route_page_compared.regexes:
        return text
    chars = list(text)
    for pats in rules.routes.values():
        for m in pats.finditer(text):
            before = text[max(0, m.start() - 40) : m.start()].split("\n")[-1]
            if rules.route_page_compared.any(before):
                chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


def page_context(text: str, rules: Rules, sentences: Sequence[Sentence] | None = None) -> PageContext:
    """Drug mentions, the page's own route and molecule, and its most frequent indications (counted
    on :func:`treated_text` when the page's sentences are given)."""
    mentions = _count(rules.drug_names, text)
    # A route named only as the comparator ("just like IV") is blanked before counting.
    route_text = without_compared_routes(text, rules)
    route_counts = {slug: _count(p, route_text) for slug, p in rules.routes.items()}
    total = sum(route_counts.values())
    route: str | None = None
    route_note: str | None = None
    if total:
        slug, count = max(route_counts.items(), key=lambda kv: (kv[1], kv[0]))
        if count >= rules.route_page_min_mentions and count / total >= rules.route_page_min_share:
            route = slug
            words = Counter(m.group().lower() for m in rules.routes[slug].finditer(route_text))
            shown = ", ".join(f"'{w}' ×{n}" for w, n in sorted(words.items(), key=lambda kv: (-kv[1], kv[0])))
            route_note = f"route {slug} inferred from the page ({shown})"
    mol_counts = {slug: _count(p, text) for slug, p in rules.molecules.items()}
    molecule: str | None = None
    molecule_note: str | None = None
    specific = {k: v for k, v in mol_counts.items() if v}
    # Generic mentions ("ketamine") that are not part of a specific one ("S-ketamine"): a page about
    # ketamine infusions that mentions Spravato once is still about the generic drug.
    specific_spans = Spans([(m.start(), m.end()) for p in rules.molecules.values() for m in p.finditer(text)])
    generic_only = sum(
        1 for m in rules.molecule_generic.finditer(text) if not specific_spans.contain(m.start(), m.end())
    )
    if specific and max(specific.values()) >= generic_only:
        molecule = max(specific.items(), key=lambda kv: (kv[1], kv[0]))[0]
        molecule_note = f"molecule {molecule} inferred from the page ({specific[molecule]} mentions)"
    elif generic_only:
        molecule = rules.molecule_default
        molecule_note = (
            f"the page mostly names the generic drug ({generic_only} mentions); read as {molecule}"
            if specific
            else f"the page names only the generic drug; read as {molecule}"
        )
    treated = treated_text(sentences, rules) if sentences is not None else text
    if not indications_in(treated, rules):
        treated = text
    ind_counts = Counter(slug for slug in indications_in(treated, rules))
    for slug, pats in rules.indications.items():
        ind_counts[slug] = max(ind_counts[slug], _count(pats, treated)) if slug in ind_counts else 0
    top = max((n for slug, n in ind_counts.items() if slug != "anesthesia_sedation"), default=0)
    floor = max(rules.indication_page_min_mentions, rules.indication_page_min_share * top)
    ranked = sorted(
        ((slug, n) for slug, n in ind_counts.items() if n >= floor and slug != "anesthesia_sedation"),
        key=lambda kv: (-kv[1], kv[0]),
    )
    if not ranked:
        # A page that names each of its conditions once (a short page listing "depression, PTSD and
        # chronic pain") is about those conditions: they are read in the order the page names them.
        first: dict[str, int] = {}
        for table in (rules.indications, rules.indication_fallback):
            for slug, pats in table.items():
                if (m := pats.search(treated)) is not None and m.start() < first.get(slug, len(treated)):
                    first[slug] = m.start()
        ranked = sorted(
            ((slug, 1) for slug in first if ind_counts.get(slug) and slug != "anesthesia_sedation"),
            key=lambda kv: first[kv[0]],
        )
    return PageContext(
        # A page that names the drug once and is otherwise about its route ("IV infusions …" on an
        # infusion FAQ) is about the drug too.
        about_drug=mentions >= rules.min_page_mentions or (mentions >= 1 and route is not None),
        drug_mentions=mentions,
        route=route,
        route_note=route_note,
        molecule=molecule,
        molecule_note=molecule_note,
        indications=narrowest([slug for slug, _ in ranked[: rules.indication_page_max]], rules),
        jurisdiction=(place := page_jurisdiction(text, rules))[0],
        jurisdiction_note=place[1],
    )


def narrowest(found: Sequence[str], rules: Rules) -> tuple[str, ...]:
    """Conditions a sentence inherits, a broad one dropped when the page also names a form of it
    ("depression" on a page about treatment-resistant depression is the loose word for it): the
    sentence claims nothing about the broader population, and judging it so (approved only for the
    narrower use) would fault words it never said."""
    return tuple(a for a in found if not any(b != a and b in rules.family(a).direct for b in found))



def treated_text(sentences: Sequence[Sentence], rules: Rules) -> str:
    """The page's sentences as far as they say what the drug treats. The conditions a sentence naming
    none inherits are the ones the page claims the drug treats: not those it names only in a warning
    ("a boxed warning about … suicidal thoughts"), a denial ("has not been shown to prevent
    suicide") or as the people an approval is for ("depressive symptoms in adults who have suicidal
    thoughts"); a relapse sentence on such a page is about the depression it treats."""
    denial, untreated = rules.cues.get("efficacy_denial"), rules.cues.get("untreated_context")
    kept = [
        mask_qualified(s.text, rules)
        for s in sentences
        if not (denial is not None and denial.any(s.text)) and not (untreated is not None and untreated.any(s.text))
    ]
    return "\n\n".join(kept)


def as_page_population(found: Sequence[str], sentence: str, ctx: PageContext, rules: Rules) -> list[str]:
    """A condition the sentence names only as the outcome measured ("a greater improvement in
    depression than placebo") names no population: on a page about a narrower form of it
    (treatment-resistant depression) the result is the trials' in that population, not a claim that
    the drug treats the broad condition."""
    outcome = rules.cues.get("condition_as_outcome")
    out: list[str] = []
    for slug in found:
        narrower = [b for b in ctx.indications if b != slug and b in rules.family(slug).direct]
        hits = rules.indications[slug].finditer(sentence) if slug in rules.indications else []
        as_outcome = bool(hits) and outcome is not None and all(outcome.any(sentence[: m.start()]) for m in hits)
        out.extend(narrower if narrower and as_outcome else [slug])
    return list(dict.fromkeys(out))


def without_condition_outcomes(text: str, rules: Rules) -> str:
    """``text`` with the risk and death words that belong to a condition blanked ("reduces the risk of
    suicide", "fewer suicide deaths"): the condition's outcome, which the drug is said to prevent, is
    no harm of the drug, so it is no safety claim."""
    before, after = rules.cues.get("condition_outcome_before"), rules.cues.get("condition_outcome_after")
    out = text
    for m in (m for p in rules.indications.values() for m in p.finditer(text)):
        for pats, start, end in ((before, 0, m.start()), (after, m.end(), len(text))):
            hit = pats.search(text[start:end]) if pats is not None else None
            if hit is not None:
                a, b = start + hit.start(), start + hit.end()
                out = out[:a] + " " * (b - a) + out[b:]
    return out


def mask_qualified(text: str, rules: Rules) -> str:
    """``text`` with a condition that only qualifies the people an earlier one is treated in ("for
    depression in adults who have suicidal thoughts") blanked: it names who, not what is treated."""
    qualifier = rules.cues.get("condition_qualifier")
    if qualifier is None:
        return text
    hits = sorted((m.start(), m.end()) for p in rules.indications.values() for m in p.finditer(text))
    out = text
    for i, (start, end) in enumerate(hits):
        before = [e for s, e in hits[:i] if e <= start]
        gap = text[max(before) : start] if before else ""
        if gap and qualifier.any(gap) and not _LISTED.search(gap):
            out = out[:start] + " " * (end - start) + out[end:]
    return out


# A conjunction between two conditions lists them ("people with depression and those with PTSD").
_LISTED = re.compile(r"\b(and|or|as well as)\b", re.IGNORECASE)


class Spans:
    """Match spans, sorted, with a running maximum of their ends: containment and overlap tests
    by bisection. A page-wide scan tests every mention against every other (each "ketamine" against
    each "esketamine"); pairwise, that was quadratic in the page's length."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [a for a, _ in ordered]
        self._max_end = list(accumulate((b for _, b in ordered), max))

    def __bool__(self) -> bool:
        return bool(self._starts)

    def contain(self, start: int, end: int) -> bool:
        """Whether some span contains [start, end)."""
        i = bisect_right(self._starts, start)
        return i > 0 and self._max_end[i - 1] >= end

    def overlap(self, start: int, end: int) -> bool:
        """Whether some span overlaps [start, end)."""
        i = bisect_left(self._starts, end)
        return i > 0 and self._max_end[i - 1] > start


def indications_in(text: str, rules: Rules) -> list[str]:
    owners = [m.start() for m in rules.other_treatments.finditer(text)]

    def the_claims(start: int, end: int) -> bool:
        # A condition word naming another treatment's class ("than the sedative midazolam") is that
        # treatment's description, not the condition the sentence is about. Only treatments within
        # _CLASS_OF_OTHER's reach can be: at most one word and spaces after ``end`` (asking every
        # treatment of the text, with a slice up to each, made a 1 MB page's check quadratic: ~90 s).
        reach = _REACH.match(text, end)
        last = reach.end() if reach else end
        return not any(_CLASS_OF_OTHER.match(text[end:o])
                       for o in owners[bisect_left(owners, end) : bisect_right(owners, last)])

    spans = {
        slug: [(m.start(), m.end()) for m in pats.finditer(text) if the_claims(m.start(), m.end())]
        for slug, pats in rules.indications.items()
    }
    found = [slug for slug, hits in spans.items() if hits]
    # A broad word inside a condition's own name ("pain" in "migraine pain", "complex regional pain syndrome") is
    # that condition's word, not a second, broader condition.
    named = Spans([span for hits in spans.values() for span in hits])
    for slug, pats in rules.indication_fallback.items():
        family = rules.family(slug)
        if (
            slug not in found
            and not any(f in found for f in family.direct)
            and any(not named.contain(m.start(), m.end()) for m in pats.finditer(text))
        ):
            found.append(slug)
    # "depression" inside "treatment-resistant depression" or "postpartum depression" is not a second
    # indication: a parent the tagger rolls its children into ([indication.rollup_parents]) named only
    # within a child's phrase is that child's word.
    for parent, children in rules.rollup_parents.items():
        inner = Spans([span for child in children for span in spans.get(child, [])])
        own = spans.get(parent, [])
        if parent in found and own and inner and all(inner.overlap(s, e) for s, e in own):
            found.remove(parent)
    return resistant(found, text, rules)


def resistant(found: list[str], text: str, rules: Rules) -> list[str]:
    """A "resistant" cue ("when other treatments fail") turns depression into TRD; a depression the sentence
    defines as resistant beside TRD's name ("treatment-resistant depression, meaning depression that has not
    improved after two antidepressants") is TRD's definition, not a second indication."""
    if rules.resistant_cues.any(text) and "depression" in found and "treatment_resistant_depression" not in found:
        found = ["treatment_resistant_depression" if f == "depression" else f for f in found]
    elif "depression" in found and "treatment_resistant_depression" in found:
        pats, named = rules.indications.get("depression"), rules.indications.get("treatment_resistant_depression")
        own = pats.finditer(text) if pats else []
        trd = named.finditer(text) if named else []
        free = [m for m in own if not any(t.start() <= m.start() < t.end() for t in trd)]
        if free and all(
            _DEFINING.match(text, m.end()) and rules.resistant_cues.any(text[m.end() : m.end() + 100]) for m in free
        ):
            found = [f for f in found if f != "depression"]
    return list(dict.fromkeys(found))


# A relative clause right after a condition that says what it is ("depression that has not improved …").
_DEFINING: Final = re.compile(r"[\s,]*(?:that|which)\b", re.IGNORECASE)


# Between a condition word and the treatment it describes: a space, or "drug"/"agent" ("the sedative drug midazolam").
_CLASS_OF_OTHER = re.compile(r"\s*(?:(?:drug|agent|medication|medicine)s?\s+)?$", re.IGNORECASE)
# What _CLASS_OF_OTHER can span at most: spaces, one word, spaces (every string it accepts is a prefix of this).
_REACH = re.compile(r"\s*(?:\w+\s*)?")


# A route word followed within two words by another treatment is that treatment's route; a
# conjunction or preposition in between ("lozenges and SSRIs", "infusions than SSRIs") ends it.
_ROUTE_OWNER_GAP = re.compile(
    r"\s*(?:(?!(?:and|or|nor|but|with|without|than|versus|vs|plus|to|of|in|for|like|unlike|instead|is|are)\b)"
    r"[\w-]+\s+){0,2}$",
    re.IGNORECASE,
)


def routes_in(text: str, rules: Rules) -> list[str]:
    """The routes ``text`` gives the drug. A route that modifies another treatment ("along with
    an oral antidepressant", "oral SSRIs") is that treatment's, not the drug's: esketamine taken
    with an oral antidepressant is still a nasal spray."""
    owners = [m.start() for m in rules.other_treatments.finditer(text)]

    def the_drugs(m: re.Match[str]) -> bool:
        return not any(start >= m.end() and _ROUTE_OWNER_GAP.match(text[m.end() : start]) for start in owners)

    return [slug for slug, pats in rules.routes.items() if any(the_drugs(m) for m in pats.finditer(text))]


def molecules_in(text: str, rules: Rules) -> list[str]:
    """The molecules ``text`` names: its specific forms, else the default for the generic name."""
    specific = [slug for slug, pats in rules.molecules.items() if pats.any(text)]
    if specific:
        return specific
    return [rules.molecule_default] if rules.molecule_generic.any(text) else []


_AND = re.compile(r"\b(?:and|&)\b")


def second_subject(subject: str) -> tuple[int, int] | None:
    """Where a symmetric comparison's two subjects split ("IV ketamine and esketamine are equally
    effective"): (end of the first, start of the second), or None for one subject. The extractor
    (the drug's form) and the verdict (the comparator) read the split the same way."""
    m = _AND.search(subject)
    return (m.start(), m.end()) if m else None


def time_of_drug(clause: str, pos: int, rules: Rules) -> bool:
    """Whether a time at ``pos`` is the drug's, not another treatment's: "Unlike SSRIs, which take 4
    to 8 weeks, ketamine acts within hours" gives the weeks to the SSRIs. The other treatment owns
    the time when it is named after the drug's last mention (or a pronoun for it) and the time
    follows it in its own words or relative clause; "Ketamine, unlike SSRIs, works within 2 hours"
    gives the hours back to the drug."""
    before = clause[:pos]
    own = [m.start() for m in rules.drug_names.finditer(before)] + [m.start() for m in rules.anaphora.finditer(before)]
    other = [m for m in rules.other_treatments.finditer(before) if m.start() > max(own, default=-1)]
    if not other:
        return True
    between = clause[other[-1].end() : pos]
    return "," in between and not _RELATIVE_OPENING.match(between)


def implied_by_comparator(sentence: str, rules: Rules) -> list[str]:
    """The conditions implied by the treatments the sentence compares the drug with."""
    found = [
        slug
        for name, slug in rules.indication_by_comparator.items()
        if name in rules.comparators and rules.comparators[name].any(sentence)
    ]
    return list(dict.fromkeys(found))


# ------------------------------------------------------------------ where a sentence stands

_LEAD_REACH = 12
_SECTION_REACH = 40


def section_of(sents: Sequence[Sentence], i: int, rules: Rules) -> str | None:
    """The heading or FAQ question ``sents[i]`` stands under, when it names a condition ("Ketamine for
    PTSD", "Does ketamine help with anxiety?"): the nearest earlier one within reach, in an earlier
    paragraph (a sentence of the same paragraph is read as a preceding sentence); else the page's
    title heading, when it names one."""
    here = sents[i].location.paragraph
    for j in range(i - 1, max(-1, i - 1 - _SECTION_REACH), -1):
        if (sents[j].heading or sents[j].question) and sents[j].location.paragraph != here:
            if indications_in(sents[j].text, rules):
                return sents[j].text
            break
    # Under a heading that names none ("Keeping the benefit"), the page's title says what the page is
    # about ("What the research says about ketamine for depression") before its most frequent conditions.
    title = sents[0] if sents and sents[0].heading and i > 0 and sents[0].location.paragraph != here else None
    return title.text if title is not None and indications_in(title.text, rules) else None


def lead_in(sents: Sequence[Sentence], i: int) -> str | None:
    """The sentence introducing the list item ``sents[i]``: the nearest earlier sentence that is not
    itself a list item, when it ends with a colon ("Possible side effects include:")."""
    for j in range(i - 1, max(-1, i - 1 - _LEAD_REACH), -1):
        if not sents[j].list_item:
            text = sents[j].text
            return text if text.rstrip().endswith(":") else None
    return None
