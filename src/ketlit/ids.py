"""Record identifiers: the one definition of a well-formed PMID and NCT ID, and of finding NCT IDs in text.

Design decisions:

- **One pattern per identifier.** The report's links, the claim checker's evidence URLs and
  its link guard, and both parsers used to carry their own regexes, which disagreed at the
  edges (``\\d`` also matches non-ASCII digits; ``^…$`` lets a trailing newline through).
  ``NCT_ID`` and ``PMID`` are anchored with ``\\A…\\Z`` so ``match``, ``search`` and
  ``fullmatch`` all test the whole string (``NCT_ID.match(text)`` is the validity check);
  ``NCT_ID_TEXT`` / ``PMID_TEXT`` are the bare patterns for callers that embed them in a
  larger one (a URL).
- **ASCII digits only.** A PMID is a positive integer without leading zeros (at most ten
  digits, room for PubMed's growth); an NCT ID is ``NCT`` and eight ASCII digits.
- **Finding IDs in text is lenient, the result is strict.** Authors write ``NCT 02417064``,
  ``nct02417064`` or ``NCT-02417064``; :func:`nct_ids_in_text` accepts one space, ``_`` or
  ``-`` after ``NCT``, any case, and word boundaries on both sides (so ``XNCT01234567`` and
  nine-digit runs are not IDs), and returns canonical ``NCT########`` strings, de-duplicated in
  first-seen order. This is the PubMed parser's long-standing behaviour, which produced every
  stored article-trial link; the registry parser's copy (no separator, other
  boundaries) was only called by tests.
- Pure and dependency-free, so the parsers, the store, claims and the report can all import it.
"""

from __future__ import annotations

import re
from typing import Final

NCT_ID_TEXT: Final = r"NCT[0-9]{8}"
PMID_TEXT: Final = r"[1-9][0-9]{0,9}"

NCT_ID: Final = re.compile(rf"\A{NCT_ID_TEXT}\Z")
PMID: Final = re.compile(rf"\A{PMID_TEXT}\Z")

# In running text: an optional separator after "NCT", any case, whole words only.
NCT_IN_TEXT: Final = re.compile(r"\bNCT[\s_-]?([0-9]{8})\b", re.IGNORECASE)


def _may_name_trial(text: str) -> bool:
    """A cheap necessary condition for an ``NCT_IN_TEXT`` match: "nct", then a digit either next
    or after one separator. The case-insensitive regex steps through every character (~27 µs
    per abstract) and most abstracts name no trial; "nct" alone is not enough of a filter,
    since "function" and "distinct" contain it."""
    low = text.lower()
    start = low.find("nct")
    while start != -1:
        after = low[start + 3 : start + 5]
        if after[:1].isdigit() or (after[1:2].isdigit() and (after[:1].isspace() or after[:1] in "_-")):
            return True
        start = low.find("nct", start + 3)
    return False


def nct_ids_in_text(text: str | None) -> list[str]:
    """NCT IDs mentioned in free text, normalised to ``NCT########``, de-duplicated, first-seen order."""
    if not text or not _may_name_trial(text):
        return []
    seen: dict[str, None] = {}
    for m in NCT_IN_TEXT.finditer(text):
        seen.setdefault(f"NCT{m.group(1)}", None)
    return list(seen)


# How ketlit's own output names a record, so it can be pasted back: "PMID 29202655" (cards and tables),
# "pubmed:29202655" / "ctgov:NCT…" (JSON keys), a PubMed or ClinicalTrials.gov record address (links).
# A label names its source: "ctgov:29202655" or a ClinicalTrials.gov address ending in a PMID is no record
# (read as the PubMed article, explain showed another record than the one asked for).
_PUBMED_LABEL: Final = r"(?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed)/|pubmed:|pmid[\s:]*"
_CTGOV_LABEL: Final = r"(?:https?://)?(?:www\.)?clinicaltrials\.gov(?:/study|/ct2/show)?/|ctgov:"
_RECORD_LABEL: Final = re.compile(
    rf"\A(?:(?:{_PUBMED_LABEL})?(?P<pmid>[0-9]+)|(?:{_CTGOV_LABEL})?(?P<nct>NCT[\s_-]?[0-9]{{8}}))/?\Z",
    re.IGNORECASE,
)
_RECORD_PAGE: Final = re.compile(
    r"(?:https?://)?(?:www\.)?(?:pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov|clinicaltrials\.gov)/", re.IGNORECASE
)


def record_id(text: str) -> tuple[str, str] | None:
    """("pubmed", PMID) or ("ctgov", NCT ID) for a bare ID or a label ketlit prints; None if neither."""
    text = text.strip()
    if _RECORD_PAGE.match(text):
        # What a browser copies keeps the page's query and fragment (…/NCT01234567?tab=results,
        # …/31166571/?from=…#abstract): they name a view of the record, not another record.
        text = re.split(r"[?#]", text, maxsplit=1)[0]
    m = _RECORD_LABEL.match(text)
    if m is None:
        return None
    if m.group("nct"):
        return "ctgov", "NCT" + m.group("nct")[-8:]
    return ("pubmed", m.group("pmid")) if PMID.match(m.group("pmid")) else None


__all__ = ["NCT_ID", "NCT_ID_TEXT", "NCT_IN_TEXT", "PMID", "PMID_TEXT", "nct_ids_in_text", "record_id"]
