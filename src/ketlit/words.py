"""Counts as a reader reads them: "1 sentence", "7 sentences", never "1 sentences" or "stud(ies)".

Design decision: the engine's reasons keep their "(s)" forms ("18 stud(ies) for"), because they are the
audit trail the check JSON prints verbatim and the benches and golden files compare; the text a reader is
shown (the check's tables and cards, the report's claim checks) passes :func:`settle_plurals` on the way
out. Text the renderers write themselves counts with :func:`plural`.
"""

from __future__ import annotations

import re
from typing import Final

# A count and up to two words before its noun ("1 counted record(s)", "1 head-to-head stud(ies)").
_ONE: Final = r"(?<![\d.,])\b1 ((?:[a-z-]+ ){0,2}?)"
# "1 stud(ies) report adverse events" → "1 study reports …": the verb agrees with one study.
_ONE_STUDY_VERB: Final = re.compile(_ONE + r"stud\(ies\) (report|describe|find|show|favour|compare)\b")
_ONE_STUDY: Final = re.compile(_ONE + r"stud\(ies\)")
_ONE_NOUN: Final = re.compile(_ONE + r"(\w+)\(s\)")
_STUDIES: Final = re.compile(r"\b(stud)\(ies\)")
_NOUNS: Final = re.compile(r"\b(\w+)\(s\)")


def plural(n: int, singular: str, plural_form: str | None = None) -> str:
    """``n`` with the noun that agrees with it: "1 sentence", "1,204 sentences" (``plural_form`` when the
    plural is not the singular plus "s": "2 studies")."""
    return f"{n:,} {singular if n == 1 else plural_form or singular + 's'}"


def settle_plurals(text: str) -> str:
    """The engine's "stud(ies)" and "arm(s)" as the count they follow needs: "1 study", "18 studies",
    "1 comparable arm", "3 comparable arms" (up to two words may stand between a count and its noun)."""
    text = _ONE_STUDY_VERB.sub(r"1 \1study \2s", text)
    text = _ONE_STUDY.sub(r"1 \1study", text)
    text = _ONE_NOUN.sub(r"1 \1\2", text)
    text = _STUDIES.sub(r"\1ies", text)
    return _NOUNS.sub(r"\1s", text)
