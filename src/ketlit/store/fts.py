"""What a user types into ``ketlit search`` → an FTS5 query that is always valid.

Researchers type PubMed habits: ``ketamine OR esketamine``, ``"nasal spray"``, ``ketamine NOT
anesthesia``, ``(ketamine OR esketamine) depression``. Those are kept, in FTS5's own meaning (NOT
binds tightest, then AND (implied between terms, as in PubMed), then OR; parentheses group). Anything else is
words: every word is quoted, so punctuation, a stray ``:`` or a column-looking ``title:x`` can
never be read as FTS5 syntax, and a trailing ``*`` keeps prefix search.

Design decision: a forgiving recursive-descent parser rather than passing the text through and
catching FTS5's syntax errors. A user's query never fails on syntax: an operator with nothing on one
side, an unmatched parenthesis or an empty group is dropped (``OR ketamine`` → ``"ketamine"``), and
a NOT with nothing before it (FTS5's NOT needs a left side) is dropped with what it negates kept as
a word. The output is built only from quoted terms, the three operators and balanced parentheses.
"""

from __future__ import annotations

import re
from typing import Final

_OPERATORS: Final = ("AND", "OR", "NOT")
# A quoted phrase, a parenthesis, or a run of anything else (a word, maybe with a trailing "*").
_TOKEN: Final = re.compile(r'"([^"]*)"?|([()])|([^\s"()]+)')


def _tokens(text: str) -> list[str]:
    """Words as ``"word"`` / ``"word"*``, phrases as ``"a b"``, and the operators and parentheses bare.
    Only upper-case AND / OR / NOT are operators (as in PubMed): "and" is a word."""
    # Control characters (a NUL from a script) end an FTS5 string early: they separate words.
    text = "".join(" " if ord(c) < 32 else c for c in text)
    out: list[str] = []
    depth = dropped = 0  # groups deeper than _MAX_DEPTH: their brackets are dropped, their words kept
    for phrase, paren, word in _TOKEN.findall(text):
        if paren == "(":
            if depth >= _MAX_DEPTH:
                dropped += 1
                continue
            depth += 1
            out.append(paren)
        elif paren:
            if dropped:
                dropped -= 1
                continue
            depth = max(0, depth - 1)
            out.append(paren)
        elif word in _OPERATORS:
            out.append(word)
        elif word:
            prefix = word.endswith("*")
            word = word.rstrip("*")
            # A word of punctuation alone ("ketamine - depression") is no term: as a phrase it matches nothing.
            if any(c.isalnum() for c in word):
                out.append(f'"{word}"' + ("*" if prefix else ""))
        elif any(c.isalnum() for c in phrase):
            out.append('"' + " ".join(phrase.split()) + '"')
    return out


# FTS5's parser overflows its stack near 100 nested groups, and this parser recurses per group.
_MAX_DEPTH: Final = 16


class _Parser:
    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.at = 0

    def peek(self) -> str | None:
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self) -> str:
        self.at += 1
        return self.tokens[self.at - 1]

    def any_of(self) -> str:
        """``a OR b OR …``; operands that come out empty are dropped with their OR."""
        parts = [p for p in [self.all_of()] if p]
        while self.peek() == "OR":
            self.take()
            if part := self.all_of():
                parts.append(part)
        return " OR ".join(parts)

    def all_of(self) -> str:
        """Terms side by side (AND implied, or written) until an OR, a ``)`` or the end."""
        parts: list[str] = []
        while (token := self.peek()) is not None and token not in ("OR", ")"):
            if token == "AND":
                self.take()
                continue
            if token == "NOT":  # after "AND" ("a AND NOT b"), or with nothing before it
                self.take()
                if parts and (other := self.negated()):
                    parts[-1] = f"{parts[-1]} NOT {other}"
                # With nothing before it to subtract from, what follows is read as a term.
                continue
            if part := self.negated():
                parts.append(part)
        # Written out: FTS5 reads an implied AND next to a parenthesised group as a syntax error.
        return " AND ".join(parts)

    def negated(self) -> str:
        """``term NOT term NOT …``."""
        out = self.term()
        while self.peek() == "NOT":
            self.take()
            other = self.term()
            out = f"{out} NOT {other}" if out and other else out or other
        return out

    def term(self) -> str:
        """A quoted word or phrase, or a parenthesised group ("" when there is none to read)."""
        token = self.peek()
        if token is None or token in ("OR", ")"):
            return ""
        self.take()
        if token == "(":
            inner = self.any_of()
            if self.peek() == ")":
                self.take()
            return f"({inner})" if inner else ""
        if token in ("AND", "NOT"):
            return ""
        return token


def fts_query(text: str) -> str:
    """User text → a valid FTS5 query ("" when nothing searchable is left); see the module docstring."""
    parser = _Parser(_tokens(text))
    parts = []
    while parser.peek() is not None:
        if part := parser.any_of():
            parts.append(part)
        if parser.peek() == ")":  # an unmatched ")": skip it and go on
            parser.take()
    if len(parts) > 1:  # the pieces around an unmatched ")" are all required
        parts = [f"({p})" if " OR " in p else p for p in parts]
    return " AND ".join(parts)
