"""ClinicalTrials.gov overall statuses: the one vocabulary ``ketlit fetch ctgov --status`` and query files share.

Which spellings are accepted, and why:

- **The API's enum** (OpenAPI 2.0.5, ``components.schemas.Status``): ``ACTIVE_NOT_RECRUITING``.
  It is what the API takes in ``filter.overallStatus`` and what :func:`parse_statuses` returns.
- **The website's display names**: ``Active, not recruiting``, ``Not yet recruiting``,
  ``Unknown status`` — what a user copies from a study page.
- **Any case, and spaces, ``-`` and ``_`` interchangeably** between words, so
  ``not-yet-recruiting`` and ``Not yet recruiting`` are one status.
- **Several values** as repeated options (CLI) or list items (query file), and within each
  one separated by ``|`` or ``,``. A display name contains a comma, so a ``,``-separated part
  that is no status on its own is joined with the next part when the two together are one:
  ``completed,Active, not recruiting`` is two statuses, ``Active|not recruiting`` is an error.
- Empty parts (``completed,``) are skipped; duplicates keep their first position, since the
  order reaches the API request and the run log exactly as given.

Pure and free of httpx, so loading a query file does not import the HTTP stack.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

from ketlit.errors import InputError

# The spec's Status enum, in the spec's order.
STATUSES: Final = (
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING", "RECRUITING",
    "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE", "TEMPORARILY_NOT_AVAILABLE",
    "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
)

# The website shows every status as its enum in sentence case (ACTIVE_NOT_RECRUITING is
# "Active, not recruiting", which the word splitting already covers) except this one.
_ALIASES: Final = {"UNKNOWN_STATUS": "UNKNOWN"}

_WORD_SEPARATORS: Final = re.compile(r"[\s,_-]+")  # "," only ever inside a joined display name
_VALUE_SEPARATORS: Final = re.compile(r"([|,])")


def _key(words: str) -> str:
    """``" Active  not-recruiting "`` → ``ACTIVE_NOT_RECRUITING`` (not yet checked)."""
    return "_".join(w for w in _WORD_SEPARATORS.split(words.upper()) if w)


def _status(words: str) -> str | None:
    key = _key(words)
    key = _ALIASES.get(key, key)
    return key if key in STATUSES else None


def _unknown(raw: str) -> InputError:
    accepted = ", ".join(sorted(STATUSES))
    return InputError(
        f"unknown trial status {raw!r}; expected one of: {accepted} "
        '(any case, or as the website shows it, e.g. "Active, not recruiting"; separate several with | or ,)'
    )


def parse_statuses(values: str | Iterable[str]) -> tuple[str, ...]:
    """``["recruiting|Active, not recruiting"]`` → ``("RECRUITING", "ACTIVE_NOT_RECRUITING")``; unknown → InputError."""
    out: list[str] = []
    for value in [values] if isinstance(values, str) else values:
        # Alternating part, separator, part, …: the separators decide which parts may join.
        tokens = _VALUE_SEPARATORS.split(value)
        i = 0
        while i < len(tokens):
            part = tokens[i]
            status = _status(part)
            if status is None and i + 2 < len(tokens) and tokens[i + 1] == "," and _key(part):
                joined = part + "," + tokens[i + 2]
                status = _status(joined)
                if status is not None:
                    i += 2
            i += 2
            if status is None:
                if not _key(part):
                    continue
                raise _unknown(part.strip())
            if status not in out:
                out.append(status)
    return tuple(out)


__all__ = ["STATUSES", "parse_statuses"]
