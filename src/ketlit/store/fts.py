"""What a user types into ``ketlit search`` → an FTS5 query that is always valid.

Researchers type PubMed habits: ``ketamine OR esketamine``, ``"nasal spray"``, ``ketamine NOT
anesthesia``, ``(ketamine OR esketamine) depression``. Those are kept, in FTS5's own meaning (NOT
binds tightest, then AND (implied between terms, as in PubMed), then OR; parentheses group). Anything else is
words: every word is quoted, so punctuation, a stray ``:`` or a column-looking ``title:x`` can
never be read as FTS5 syntax, and a trailing ``*`` keeps prefix search.

Design decision: a forgiving recursive-descent parser rather than passing the text through and
catching FTS5's syntax errors. A query fails on syntax in one case only: a NOT with no term before it
in its group (``NOT ketamine depression``, ``asthma OR NOT children``, ``(NOT children)``, ``a NOT NOT
b``), refused with an InputError. FTS5 has no NOT on its own, and every quiet reading of one turned
the word meant to be excluded into a required one. Anything else that cannot stand is dropped: an AND
or OR with nothing on one side, a NOT with nothing after it, an unmatched parenthesis, an empty group
(``OR ketamine`` → ``"ketamine"``). The output is built only from quoted terms, the three operators
and balanced parentheses.
"""

from __future__ import annotations

import re
from typing import Final

from ketlit.errors import InputError

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
                self.take_not(has_left=bool(parts))
                if other := self.negated():
                    parts[-1] = f"{parts[-1]} NOT {other}"
                continue
            if part := self.negated():
                parts.append(part)
        # Written out: FTS5 reads an implied AND next to a parenthesised group as a syntax error.
        return " AND ".join(parts)

    def negated(self) -> str:
        """``term NOT term NOT …``."""
        out = self.term()
        while self.peek() == "NOT":
            # An empty group before it ("() NOT b") is no left side either.
            self.take_not(has_left=bool(out))
            if other := self.term():
                out = f"{out} NOT {other}"
        return out

    def take_not(self, *, has_left: bool) -> None:
        """Take a NOT, refusing one with no term before it in its group (or right after another NOT)."""
        self.take()
        if has_left and self.peek() != "NOT":
            return
        raise InputError(f"search: NOT needs a term before it (e.g. {_not_example(self.tokens, self.at)})")

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


def _not_example(tokens: list[str], at: int) -> str:
    """What the user may have meant by the lone NOT before ``tokens[at]``: another of their terms, then
    NOT and the negated term ("NOT ketamine depression" → "depression NOT ketamine")."""
    while at < len(tokens) and tokens[at] == "NOT":
        at += 1
    negated = tokens[at] if at < len(tokens) else ""
    end, depth = at, int(negated == "(")  # the negated term's last token: a group ends at its ")"
    while depth and end + 1 < len(tokens):
        end += 1
        depth += {"(": 1, ")": -1}.get(tokens[end], 0)
    if negated == "(":
        negated = "(…)"
    elif negated in ("OR", "AND", ")"):
        negated = ""
    others = [t for i, t in enumerate(tokens) if t.startswith('"') and t != negated and not at <= i <= end]
    example = f"{_bare(others[0]) if others else 'TERM'} NOT {_bare(negated) or 'TERM'}"
    return _quoted(example)


def _bare(token: str) -> str:
    """A quoted word as typed (``"esket"*`` → ``esket*``); a phrase keeps its quotes."""
    return token if " " in token else token.replace('"', "")


def _quoted(example: str) -> str:
    """In double quotes, unless it holds a quoted phrase."""
    return example if '"' in example else f'"{example}"'


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
