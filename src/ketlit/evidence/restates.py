"""A result sentence that only says an earlier result held again ("The sensitivity analysis gave similar results",
"Results were unchanged in a post hoc analysis adjusting for baseline use").

Such a sentence carries the earlier result's direction, as the labels code it (``labels/evidence/README.md``: a
restatement is a finding of the result it restates), not a null: "unchanged" and "similar" there say the result
survived, not that the drug did nothing. The wordings are ``[findings] restates`` in the rules file; the copy is made by
:func:`ketlit.evidence.findings.read_findings` from the last sentence that had findings.

Why a module of its own: the decision is small, but :mod:`ketlit.evidence.findings` is at the size the layering test
allows, and this reads only the sentence and its own findings' numbers.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol

from ketlit.evidence.matcher import TextPattern


class _Read(Protocol):
    """What the decision needs of a finding read from the sentence itself."""

    @property
    def direction(self) -> str: ...

    @property
    def effect(self) -> object | None: ...

    @property
    def p(self) -> object | None: ...

    @property
    def rates(self) -> tuple[object, ...]: ...


def restates(text: str, own: Sequence[_Read], pattern: TextPattern | None) -> bool:
    """Whether ``text`` restates an earlier result: it matches ``pattern`` and reads nothing of its own but a bare
    null (the "unchanged" or "similar" it was read from). A sentence with numbers of its own reports them."""
    if pattern is None or pattern.search(text) is None:
        return False
    if " but " in text or ";" in text:  # "Results were robust to excluding site 3, but the advantage ... was lost"
        return False
    return all(f.direction == "no_difference" and f.effect is None and f.p is None and not f.rates for f in own)
