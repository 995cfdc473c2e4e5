"""Claims as assertions: asserted strength, scope, comparator, product, jurisdiction, and the
checkability decision for every sentence of a page (issue 13, items 1 and 2).

Design decisions:

* **Vocabulary in data.** Every cue is a family in ``[assertion.*]`` of ``claim_rules.toml``
  (user-overridable like the rest of the file); this module only decides precedence and scope.
  Nothing here names a drug or a condition.
* **Asserted strength** is one of ``hedged`` / ``plain`` / ``attributed`` / ``intensified`` /
  ``absolute`` (:data:`STRENGTHS`). When several families occur, the strongest commitment wins:
  absolute > intensified > hedged > attributed > plain. "Research suggests it may help" is hedged
  (the hedge qualifies the attribution); "studies have proven it very effective" is intensified.
  ``can`` with the drug as subject is a capability, not a hedge ("ketamine can relieve pain" is
  plain; "can be very effective" is intensified). With people as subject ("patients can find
  relief") it states a possibility about who benefits — the ``possibility`` family, read as hedged
  only when no other strength cue occurs, and never governing an intensifier. A hedge word
  governs an absolute or intensifier only when it comes first in the same clause ("may cure" is
  hedged; "cures, and may …" stays absolute). The cues found are reported with the level so a
  reader can disagree with the reading.
* **Checkability is a decision with a reason** (:data:`REASONS`), made for every sentence, not a
  side effect of finding no cue: ``claim`` or one of heading, booking, procedure, mechanism,
  anecdote, recommendation, question, puffery, lead_in, out_of_scope, research_status, truncated, site,
  no_claim_wording, too_long. The extractor's not-checkable categories map onto these codes
  (:func:`reason_code`); sentences it drops without a claim get their code here
  (:func:`unclaimed_reason`), so an editor sees why every sentence was or was not tested.
* **Parts** (:func:`assertion_parts`) are the axes a verdict needs beyond the extractor's
  condition / route / molecule / outcome / time / magnitude: the product named, the scope or
  setting ("at low doses", "under supervision", "at home"), the comparator (named, or the implied
  "placebo or usual care"), and the jurisdiction a regulatory statement speaks about.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ketlit.claims.rules import Patterns, Rules

STRENGTHS: Final = ("hedged", "plain", "attributed", "intensified", "absolute")
# Precedence when several strength families occur in one sentence (strongest commitment first).
_PRECEDENCE: Final = ("absolute", "intensified", "hedged", "attributed")
REASONS: Final = (
    "claim",
    "heading",
    "booking",
    "procedure",
    "mechanism",
    "anecdote",
    "recommendation",
    "question",
    "puffery",
    "lead_in",
    "out_of_scope",
    "research_status",
    "truncated",
    "site",
    "no_claim_wording",
    "too_long",
)
# Not-checkable categories of claim_rules.toml whose code differs from their name.
_CODES: Final = {
    "testimonial": "anecdote",
    "self_report": "anecdote",
    "practice": "procedure",
    "advice": "recommendation",
    "media": "out_of_scope",
    "disclaimer": "site",
    "citation": "site",
    "limitation": "site",
    "veterinary": "out_of_scope",
    "clinic_status": "procedure",
    "pricing": "booking",
    "staff": "procedure",
    "eligibility": "procedure",
    "interaction": "out_of_scope",
}
IMPLIED_COMPARATOR: Final = "placebo or usual care (implied)"
_DANGLING: Final = re.compile(
    r"\b(the|a|an|and|or|of|to|with|that|is|are|by|for|in|on|from|as|but|which|who|its|their|our|your)\s*$", re.I
)
_RATE: Final = re.compile(
    r"\d\s*(%|percent\b|per cent\b)|\b(half|a third|two[- ]thirds|\d+ (in|out of)) ", re.IGNORECASE
)
_CLAUSE_END: Final = re.compile(r"[,;:—–]|\bbut\b|\band\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Strength:
    """How strongly a sentence asserts what it says, with the words that show it."""

    level: str
    cues: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Parts:
    """The axes of an assertion beyond condition, route, molecule, outcome, time and magnitude."""

    product: tuple[str, ...] = ()
    scope: tuple[str, ...] = ()
    comparator: str | None = None
    jurisdiction: tuple[str, ...] = ()


def _group(rules: Rules, name: str) -> dict[str, Patterns]:
    return rules.assertion.get(name, {})


def reason_code(category: str) -> str:
    """The checkability code of an extractor not-checkable category."""
    code = _CODES.get(category, category)
    return code if code in REASONS else "no_claim_wording"


def _hedge_governs(text: str, hedge_end: int, target_start: int) -> bool:
    """A hedge governs a later cue in the same clause ("may cure"); not one in another clause."""
    if hedge_end > target_start:
        return False
    return _CLAUSE_END.search(text, hedge_end, target_start) is None


def asserted_strength(text: str, rules: Rules) -> Strength:
    """The asserted strength of ``text`` (see the module docstring for precedence)."""
    families = _group(rules, "strength")
    found: dict[str, list[re.Match[str]]] = {
        level: families[level].finditer(text) for level in _PRECEDENCE if level in families
    }
    hedges = found.get("hedged", [])
    if "outcome_qualifier" in families:
        # The qualifier of what a rate counts is its outcome, not an intensifier (see claim_rules.toml).
        found["intensified"] = found.get("intensified", []) + [
            m for m in families["outcome_qualifier"].finditer(text) if not _RATE.search(text, 0, m.start())
        ]
    for level in ("absolute", "intensified"):
        hits = found.get(level, [])
        ungoverned = [m for m in hits if not any(_hedge_governs(text, h.end(), m.start()) for h in hedges)]
        if ungoverned:
            return Strength(level, tuple(dict.fromkeys(m.group().lower() for m in ungoverned)))
    for level in ("hedged", "attributed"):
        hits = found.get(level, [])
        if hits:
            cues = [m.group().lower() for m in hits]
            if level == "hedged":
                cues += [m.group().lower() for lv in ("absolute", "intensified") for m in found.get(lv, [])]
            return Strength(level, tuple(dict.fromkeys(cues)))
    possible = [m.group().lower() for m in families["possibility"].finditer(text)] if "possibility" in families else []
    if possible:
        return Strength("hedged", tuple(dict.fromkeys(possible)))
    return Strength("plain")


def attributed(text: str, rules: Rules) -> bool:
    """Whether ``text`` attributes what it says to studies ("in a pooled analysis of trials", "studies show"), whatever
    stronger wording outranks it in :func:`asserted_strength` ("did not lead to" is absolute)."""
    families = _group(rules, "strength")
    return "attributed" in families and bool(families["attributed"].finditer(text))


def assertion_parts(text: str, rules: Rules, *, kind: str) -> Parts:
    """Product, scope, comparator and jurisdiction stated in ``text`` (a claim's sentence)."""
    product = tuple(name for name, p in _group(rules, "product").items() if p.any(text))
    scope = tuple(name for name, p in _group(rules, "scope").items() if p.any(text))
    # In the order the sentence names them: the first is the one a regulatory statement is about.
    found = sorted((m.start(), name) for name, p in _group(rules, "jurisdiction").items() if (m := p.search(text)))
    jurisdiction = tuple(dict.fromkeys(name for _, name in found))
    comparator: str | None = None
    link = _group(rules, "comparison").get("link")
    if link is not None:
        placebo = rules.comparative["placebo_arm"]
        for m in link.finditer(text):
            after = text[m.end() : m.end() + 60]
            first = min(((x.start(), name) for name, p in rules.comparators.items() if (x := p.search(after))),
                        default=None)
            arm = placebo.search(after)
            if arm is not None and (first is None or arm.start() < first[0]):
                # "… than those who took a placebo with an oral antidepressant": the background
                # treatment both arms had is no comparator.
                comparator = "placebo"
                break
            if first:
                comparator = first[1]
                break
    if comparator is None and kind in ("efficacy", "efficacy_rate", "onset", "duration"):
        comparator = IMPLIED_COMPARATOR
    return Parts(product=product, scope=scope, comparator=comparator, jurisdiction=jurisdiction)


_WORD: Final = re.compile(r"[A-Za-z][\w'’-]*")
_CLAIM_CUES: Final = ("efficacy", "onset", "duration", "safety")


def asserting_heading(text: str, rules: Rules) -> bool:
    """A heading that asserts: the drug's name near its start, then within three words a verb in the
    third person that opens a claim cue ("Ketamine Relieves Treatment-Resistant Depression", "Ketamine
    Works for Depression — Even When Nothing Else Has"). A plural noun there makes a topic heading
    ("Ketamine Benefits for Depression", "Ketamine Infusions Explained")."""
    drug = rules.drug_names.search(text)
    if drug is None or len(text[: drug.start()].split()) > 2:
        return False
    starts = {m.start() for name in _CLAIM_CUES for m in rules.cues[name].finditer(text)}
    topic = _group(rules, "checkability").get("heading_topic_noun", Patterns())
    for n, word in enumerate(_WORD.finditer(text, drug.end())):
        if n > 2 or topic.any(word.group()):
            return False
        if word.group().lower().endswith("s") and word.start() in starts:
            return True
    return False


def is_slogan(text: str, rules: Rules) -> bool:
    """An imperative addressed to the reader that opens with a bare verb of effect ("Break free from
    depression without leaving your couch"): a slogan, not an assertion. A verb in the third person
    ("Breaks the cycle of depression") or a stated time ("Feel better within hours") is a claim. The
    caller asks only of sentences that name no drug and are neither headings nor list items."""
    lead = text.lstrip()
    first = _WORD.match(lead)
    if first is None or re.search(r"(s|ed|ing)$", first.group().lower()) or re.search(r"\d", lead):
        return False
    if not re.search(r"\byou(r|rs|rself)?\b", lead, re.IGNORECASE):
        return False
    if any(rules.cues[name].any(lead) for name in ("onset", "duration")):
        return False
    return any(m.start() == 0 for m in rules.cues["efficacy"].finditer(lead))


def is_puffery(text: str, rules: Rules, *, specific: bool) -> bool:
    """Praise with nothing to test: a puffery cue and no specific condition, number, time or
    regulatory content (``specific`` says whether the caller found any)."""
    return not specific and _group(rules, "checkability").get("puffery", Patterns()).any(text)


def mask_puffery(text: str, rules: Rules) -> str:
    """``text`` with its praise phrases blanked (same length), so the words inside them ("safe space",
    "healing journey") are not read as claim cues."""
    chars = list(text)
    for m in _group(rules, "checkability").get("puffery", Patterns()).finditer(text):
        chars[m.start() : m.end()] = " " * (m.end() - m.start())
    return "".join(chars)


_CLAUSE_STOP: Final = re.compile(r"[,;:.—–]")
_CONCESSION: Final = re.compile(r"^\s*(although|though|even though|while|whereas|despite)\b[^,;]*,\s*", re.I)


def mask_general_subject(text: str, rules: Rules) -> str:
    """``text`` with every clause whose subject is drugs in general or the drug industry blanked
    from that subject to the clause's end (same length). A clause naming the drug is kept ("many
    drugs are prescribed off-label, ketamine among them" keeps its last clause)."""
    pats = _group(rules, "checkability").get("general_subject", Patterns())
    chars = list(text)
    for m in pats.finditer(text):
        stop = _CLAUSE_STOP.search(text, m.end())
        end = stop.start() if stop else len(text)
        after = _CLAUSE_STOP.search(text, end + 1) if stop else None
        following = text[end : after.start() if after else len(text)]
        # "… prescribed off-label, and ketamine is one of them": the next clause puts the drug under
        # the general rule, so the rule's words are the claim about the drug.
        if rules.drug_names.any(text[m.start() : end]) or rules.drug_names.any(following):
            continue
        chars[m.start() : end] = " " * (end - m.start())
    return "".join(chars)


def concedes_to_general_subject(text: str, rules: Rules) -> bool:
    """A concession followed by a main clause about drugs in general or the industry ("Although it
    has shown promise, pharmaceutical companies have been hesitant to invest …"): the sentence is
    about what its main clause says, and what it concedes is background."""
    m = _CONCESSION.match(text)
    if m is None:
        return False
    general = _group(rules, "checkability").get("general_subject", Patterns()).search(text)
    return general is not None and general.start() == m.end()


def checkability_cue(name: str, text: str, rules: Rules) -> bool:
    """Whether the checkability family ``name`` (``[assertion.checkability]``) occurs in ``text``."""
    return _group(rules, "checkability").get(name, Patterns()).any(text)


def is_truncated(text: str, *, heading: bool) -> bool:
    """Whether the page's last sentence stops mid-way: no end mark, and a sentence's length or a
    closing word that cannot end one ("… by most of the"). Only ever asked of the last sentence."""
    if len(text.split()) < 6 or re.search(r"[.!?…:)\"”’]$", text):
        return False
    return not heading or _DANGLING.search(text) is not None


def unclaimed_reason(text: str, *, heading: bool, question: bool, last: bool, named: bool) -> str:
    """The code for a sentence that yielded no claim at all (dropped by the extractor)."""
    if question:
        return "question"
    if last and is_truncated(text, heading=heading):
        return "truncated"
    if heading:
        return "heading"
    return "no_claim_wording" if named else "out_of_scope"


# ------------------------------------------------------------------ one reading per sentence

VERDICT_ORDER: Final = ("supported", "partly_supported", "insufficient_evidence", "contradicted")


@dataclass(frozen=True, slots=True)
class SentenceReading:
    """What the checker decided about one sentence of the page."""

    index: int
    text: str
    start: int
    end: int
    checkable: bool
    reason: str  # "claim" or why not (REASONS)
    strength: Strength
    claim_ids: tuple[str, ...]
    verdict: str | None = None  # the reconciled sentence verdict, for checkable sentences
