"""An abstract as numbered sentences, each with the section it came from.

Why a splitter of its own rather than :func:`ketlit.claims.text.split_sentences`: that one is
built for clinic pages (headings, bullets, list numbers), where a short unpunctuated line is a
heading. Abstracts are prose in labelled sections, full of decimals ("0.5 mg/kg"), CIs
("95% CI, 1.2-3.4"), abbreviations ("vs.", "et al.", "i.v.") and p values ("P = .02") that a
page splitter would cut. Labelled findings are keyed by PMID and the sentence index this module
gives, so the split must stay stable: change it only together with the labels' quotes check
(``bench/evidence_reading.py`` verifies every label's quote against the sentence it names).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Final

from ketlit.evidence.matcher import TextPattern
from ketlit.sources.models import AbstractSection


@dataclass(frozen=True, slots=True)
class AbstractSentence:
    """One sentence of an abstract; ``label``/``category`` are its section's, if structured."""

    index: int
    section: int
    label: str | None
    category: str | None
    text: str


# Words that end in a dot without ending the sentence. Lower-cased, without the dot.
_ABBREVIATIONS: Final = frozenset(
    [
        "vs",
        "v",
        "al",
        "e.g",
        "i.e",
        "etc",
        "approx",
        "ca",
        "fig",
        "figs",
        "no",
        "nos",
        "ref",
        "refs",
        "dr",
        "prof",
        "mr",
        "mrs",
        "ms",
        "st",
        "i.v",
        "i.m",
        "i.n",
        "s.c",
        "p.o",
        "b.i.d",
        "t.i.d",
        "q.d",
        "inc",
        "ltd",
        "co",
        "jr",
        "sr",
        "u.s",
        "u.k",
        "e.u",
        "min",
        "max",
        "resp",
        "vol",
        "suppl",
        "eds",
        "ed",
        "cf",
        "viz",
    ]
)
# A candidate end: terminal punctuation, optional closing quote/bracket, then whitespace.
_END: Final = re.compile(r"[.!?]['\"”’)\]]*(?=\s+)")
_WORD_CHARS_STR: Final = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz."
_WORD_CHARS: Final = frozenset(_WORD_CHARS_STR)
_WINDOW: Final = 40


def _word_before(text: str, dot: int) -> str:
    """The word (letters and dots, from a letter) that ends right before ``text[dot]``, or "".

    What ``re.search(r"([A-Za-z][A-Za-z.]*)$", text, 0, dot)`` finds, read backwards from the dot:
    that search starts at every position of the text before it, so a long section costs time
    quadratic in its length; this costs the length of the word. ``$`` also matches before a
    final newline, hence the newline step.
    """
    end = dot - 1 if dot > 0 and text[dot - 1] == "\n" else dot
    # The run of word characters before ``end``, found by ``rstrip`` (in C) on a window; a run
    # that fills the window is walked back character by character (a 40-letter word is rare).
    window = text[max(0, end - _WINDOW) : end]
    start = end - (len(window) - len(window.rstrip(_WORD_CHARS_STR)))
    if start == end - _WINDOW:
        while start > 0 and text[start - 1] in _WORD_CHARS:
            start -= 1
    while start < end and text[start] == ".":
        start += 1
    return text[start:end]


def _ends_sentence(text: str, end: int, dot: int) -> bool:
    """Whether the punctuation at ``dot`` (followed by whitespace at ``end``) closes a sentence."""
    # The first character after the whitespace (not ``text[end:].lstrip()``: a copy of the rest
    # of the section at every candidate end).
    at, size = end, len(text)
    while at < size and text[at].isspace():
        at += 1
    if at == size:
        return True
    first = text[at]
    # A sentence starts with a capital, a digit, a quote or bracket; "p < .05 and ..." does not.
    if not (first.isupper() or first.isdigit() or first in "\"“'‘(["):
        return False
    if text[dot] != ".":
        return True
    word = _word_before(text, dot)
    if word:
        if word.lower().rstrip(".") in _ABBREVIATIONS:
            return False
        # A single capital ("J. Smith", "Fig. S" ) is an initial, not a sentence.
        if len(word) == 1 and word.isupper():
            return False
    return True


def split_prose(text: str) -> list[str]:
    """Sentences of one abstract section, whitespace normalised."""
    # A section whose only whitespace is single spaces (``isprintable``: no tab, newline or other
    # space) is normalised by stripping each piece: ``" ".join(piece.split())`` would make a
    # string of every word of the section only to join them again as they were.
    normal = text.isprintable() and "  " not in text
    out: list[str] = []
    start = 0
    for m in _END.finditer(text):
        if _ends_sentence(text, m.end(), m.start()):
            piece = text[start : m.end()].strip(" ") if normal else " ".join(text[start : m.end()].split())
            if piece:
                out.append(piece)
            start = m.end()
    tail = text[start:].strip(" ") if normal else " ".join(text[start:].split())
    if tail:
        out.append(tail)
    return out


def abstract_sentences(sections: list[AbstractSection]) -> list[AbstractSentence]:
    """All sentences of an abstract in order, numbered from 0 across sections."""
    out: list[AbstractSentence] = []
    for s_index, section in enumerate(sections):
        for text in split_prose(section.text):
            out.append(AbstractSentence(len(out), s_index, section.label, section.category, text))
    return out


_BRACKET: Final = re.compile(r"[()\[\]]")
# The change verbs the clause boundaries cut before (the rules' clause_split): only a clause opening with one of these
# has its subject left behind; "scores", "doses", "during" and "following" end alike but are no such verb.
_VERB_FIRST: Final = re.compile(
    r"(?:(?:significantly|also|and) )*(?:increased|decreased|reduced|improved|delayed|lowered|raised|diminished|"
    r"enhanced|prolonged|shortened|promoted|increases|decreases|reduces|improves|enhances|shortens|prolongs|lowers|"
    r"raises|alleviates|relieves|attenuates)\b"
)


def verb_first(text: str, at: int) -> bool:
    """Whether the clause starting at ``at`` begins with its verb, its subject left in the clause before (a clause
    boundary cuts lists of results before each change verb: "increased abstinence, delayed relapse")."""
    return _VERB_FIRST.match(text, at) is not None


def split_clauses(text: str, boundary: TextPattern) -> list[str]:
    """``text`` cut at ``boundary`` matches that are outside brackets.

    "(MD 12.7 [95% CI, 2.5-22.8]; P = .02)" stays whole: a semicolon inside brackets separates
    the numbers of one result, not two results.
    """
    return [text[a:b] for a, b in clause_spans(text, boundary)]


def _named_start(m: re.Match[str], prefix: str, default: int) -> int:
    """Where the first group of ``m`` whose name starts with ``prefix`` matched, else ``default``."""
    return next((m.start(g) for g in m.re.groupindex if g.startswith(prefix) and m.start(g) >= 0), default)


def clause_spans(text: str, boundary: TextPattern) -> list[tuple[int, int]]:
    """Where each clause of :func:`split_clauses` starts and ends in ``text`` (clauses of only blanks left out)."""
    # The bracket depth at a boundary is read from the brackets before it only (not per character).
    brackets = _BRACKET.finditer(text) if "(" in text or "[" in text else iter(())
    depth = 0
    bracket = next(brackets, None)
    out: list[tuple[int, int]] = []
    start = 0
    for m in boundary.finditer(text):
        # A boundary may also read words before it that it does not cut ("did not <verb> X (?P<cut1>and )reduced Y":
        # the negation that makes "and" a boundary stays in its clause); a group named "cut..." is where it cuts.
        at = _named_start(m, "cut", m.start())
        while bracket is not None and bracket.start() < at:
            if bracket.group() in "([":
                depth += 1
            elif depth:
                depth -= 1
            bracket = next(brackets, None)
        if depth == 0:
            out.append((start, at))
            # A boundary may name where the next clause starts ("(?P<keep1>without increasing ...)"): its words are
            # the next clause's, and, being literals, what lets the matcher find the boundary without trying every
            # space or comma of a sentence.
            start = _named_start(m, "keep", m.end())
    out.append((start, len(text)))
    return [(a, b) for a, b in out if text[a:b].strip()]
