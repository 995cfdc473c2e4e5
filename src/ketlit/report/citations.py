"""Citation exports for reference managers: RIS and BibTeX from cached articles.

Input records are dicts in the shape of ``Store.iter_articles()``: ``pmid``, ``title``,
``abstract``, ``journal``, ``pub_date`` (``YYYY[-MM[-DD]]``), ``pub_year``, ``doi``,
``pmcid``, ``authors``, ``keywords``, ``mesh``, ``publication_types``, ``languages``.
Optional keys used when present: ``journal_abbrev``, ``volume``, ``issue``, ``pages``,
``issn``, and ``author_details`` — a list of ``{"last_name", "fore_name", "initials",
"collective"}`` dicts, which gives exact "Last, First" names; without it each entry of
``authors`` (``"Fore Last"`` or a collective name) is split at its last space.

Design decisions:
- **RIS** follows the RIS specification as Zotero and EndNote read it: ``TY  - JOUR`` first,
  ``ER  - `` last, one ``TAG  - value`` per line, CRLF line ends, one ``AU`` per author as
  "Last, First", ``PY`` year, ``DA`` as ``YYYY/MM/DD/``, ``T2`` full journal title and
  ``JO`` its abbreviation, the PMID in ``AN`` (accession number), the PMCID in ``C2`` (as
  NCBI's own RIS export does), ``UR`` the PubMed page, keywords and MeSH descriptors as
  ``KW``. Publication types are left out: ``M3`` is read as a DOI by some importers. Values are single lines: a newline
  in a source title would otherwise start a bogus tag (even ``ER``) in the importer.
- **BibTeX** entries are ``@article`` with LaTeX specials escaped (``\\ { } $ & % # _ ^ ~``)
  so no source text can unbalance braces or run a command; acronyms (two or more capitals)
  are braced so bibliography styles do not lower-case "PTSD" to "ptsd". Non-ASCII text is
  kept as UTF-8 (biber, Zotero and modern BibTeX read it).
- **Stable keys**: ``<first author's surname><year><first title word>`` in ASCII, e.g.
  ``zarate2006randomized``. Colliding keys are told apart by suffixes ``a, b, …`` given in
  PMID order: PMIDs grow over time, so a newly published article gets the suffix and the
  key of an article already cited in someone's manuscript does not change.
- Output is sorted by PMID whatever order the records arrive in.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ketlit.markdown import PUBMED_URL

RIS_NEWLINE = "\r\n"
_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
# Words that make a poor citation key ("the2020a").
_STOPWORDS = frozenset((
    "a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "does", "for", "from", "in", "into", "is",
    "its", "of", "on", "or", "than", "the", "their", "to", "versus", "vs", "with",
))


# Unicode categories Cc (C0, DEL, C1), Zl and Zp: line breaks and control characters.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _line(value: Any) -> str:
    """One line of text: control characters and line breaks collapsed to single spaces."""
    return " ".join(_CONTROL.sub(" ", str(value)).split())


def _pmid_order(record: Mapping[str, Any]) -> tuple[int, str]:
    pmid = str(record.get("pmid") or "")
    return (int(pmid) if pmid.isdigit() else 0, pmid)


def _date_parts(record: Mapping[str, Any]) -> tuple[str | None, str | None, str | None]:
    date = str(record.get("pub_date") or "")
    match = re.match(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?", date)
    if match:
        return match.group(1), match.group(2), match.group(3)
    year = record.get("pub_year")
    return (str(year) if year else None), None, None


def author_names(record: Mapping[str, Any]) -> list[tuple[str, str | None]]:
    """Authors as ``(last or collective name, first names or None)``, in byline order."""
    details = record.get("author_details")
    out: list[tuple[str, str | None]] = []
    if details:
        for a in details:
            if a.get("collective"):
                out.append((_line(a["collective"]), None))
            elif a.get("last_name"):
                first = a.get("fore_name") or a.get("initials")
                out.append((_line(a["last_name"]), _line(first) if first else None))
        return out
    for name in record.get("authors") or []:
        text = _line(name)
        if not text:
            continue
        if "," in text:
            last, _, first = text.partition(",")
            out.append((last.strip(), first.strip() or None))
        elif " " in text:
            # "Carlos A Zarate" → ("Zarate", "Carlos A"); a collective name is mis-split,
            # which is why callers should pass author_details.
            first, _, last = text.rpartition(" ")
            out.append((last, first))
        else:
            out.append((text, None))
    return out


def _end_page(pages: str) -> tuple[str, str | None]:
    """``"123-9"`` → ``("123", "129")`` (MEDLINE abbreviates the last page)."""
    start, sep, end = pages.partition("-")
    start, end = start.strip(), end.strip()
    if not sep or not end:
        return start, None
    if start.isdigit() and end.isdigit() and len(end) < len(start):
        end = start[: len(start) - len(end)] + end
    return start, end


# -- RIS ----------------------------------------------------------------------------------------


def ris_record(record: Mapping[str, Any], newline: str = RIS_NEWLINE) -> str:
    """One article as a RIS record (``TY`` … ``ER``), each line ended with ``newline``."""
    lines: list[tuple[str, str]] = [("TY", "JOUR")]

    def add(tag: str, value: Any) -> None:
        if value is None:
            return
        text = _line(value)
        if text:
            lines.append((tag, text))

    add("TI", record.get("title"))
    for last, first in author_names(record):
        add("AU", f"{last}, {first}" if first else last)
    year, month, day = _date_parts(record)
    add("PY", year)
    if year and month:
        add("DA", f"{year}/{month}/{day or ''}/")
    journal = record.get("journal")
    add("T2", journal)
    add("JO", record.get("journal_abbrev") or journal)
    add("VL", record.get("volume"))
    add("IS", record.get("issue"))
    if record.get("pages"):
        start, end = _end_page(_line(record["pages"]))
        add("SP", start)
        add("EP", end)
    add("SN", record.get("issn"))
    add("AB", record.get("abstract"))
    add("DO", record.get("doi"))
    pmid = record.get("pmid")
    add("AN", pmid)
    add("C2", record.get("pmcid"))
    if pmid and str(pmid).isdigit():
        add("UR", PUBMED_URL.format(pmid))
    add("DB", "PubMed")
    for language in record.get("languages") or []:
        add("LA", language)
    keywords = [*(record.get("keywords") or []), *(m["descriptor"] for m in record.get("mesh") or [])]
    for keyword in dict.fromkeys(_line(k) for k in keywords if k):
        add("KW", keyword)
    body = newline.join(f"{tag}  - {value}" for tag, value in lines)
    return f"{body}{newline}ER  - {newline}"


def to_ris(records: Iterable[Mapping[str, Any]], newline: str = RIS_NEWLINE) -> str:
    """Articles as a RIS file (records sorted by PMID, separated by a blank line)."""
    return newline.join(ris_record(r, newline) for r in sorted(records, key=_pmid_order))


# -- BibTeX -------------------------------------------------------------------------------------

_LATEX_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
}
_LATEX_RE = re.compile(r"[\\{}$&%#_^~]")
_ACRONYM = re.compile(r"(?<![\\\w])([A-Za-z]*[A-Z][A-Za-z0-9]*[A-Z][A-Za-z0-9]*)(?!\w)")


def latex_escape(text: Any) -> str:
    """Source text → a BibTeX field value that cannot unbalance braces or run a command."""
    return _LATEX_RE.sub(lambda m: _LATEX_SPECIALS[m.group(0)], _line(text))


def _verbatim(text: Any) -> str:
    """A value for a verbatim field (doi, url): biblatex does not un-escape these, so specials
    stay as they are and only what could unbalance the entry (braces, backslashes) is dropped."""
    return re.sub(r"[{}\\\s]", "", str(text))


def _protect_acronyms(escaped: str) -> str:
    return _ACRONYM.sub(r"{\1}", escaped)


def _ascii_word(text: str) -> str:
    folded = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]", "", folded.lower())


def bibtex_key_base(record: Mapping[str, Any]) -> str:
    """``<surname><year><first significant title word>``, lower-case ASCII."""
    names = author_names(record)
    surname = ""
    if names:
        last, first = names[0]
        # A person's whole surname ("van der Berg" → "vanderberg"); a collective's first word.
        surname = _ascii_word(last if first is not None else last.split()[0])
    year = _date_parts(record)[0] or "nd"
    words = [_ascii_word(w) for w in re.split(r"[\s\-/]+", str(record.get("title") or ""))]
    word = next((w for w in words if w and w not in _STOPWORDS and not w.isdigit()), "")
    return f"{surname or 'anon'}{year}{word[:20]}"


def _suffix(n: int) -> str:
    # 0 → "", 1 → "a", 26 → "z", 27 → "aa": keys stay unique however many collide.
    out = ""
    while n > 0:
        n, rem = divmod(n - 1, 26)
        out = chr(ord("a") + rem) + out
    return out


def bibtex_keys(records: Sequence[Mapping[str, Any]]) -> dict[str, str]:
    """PMID → citation key, unique within ``records``; suffixes go to the later PMIDs."""
    keys: dict[str, str] = {}
    used: set[str] = set()
    # Next suffix to try per base, so many records with one base stay linear; the loop
    # still checks `used` because "smith2020a" + "" can equal "smith2020" + "a".
    next_n: dict[str, int] = {}
    for record in sorted(records, key=_pmid_order):
        base = bibtex_key_base(record)
        n = next_n.get(base, 0)
        while (key := base + _suffix(n)) in used:
            n += 1
        next_n[base] = n + 1
        used.add(key)
        keys[str(record.get("pmid"))] = key
    return keys


def bibtex_entry(record: Mapping[str, Any], key: str) -> str:
    """One article as a BibTeX ``@article`` entry."""
    fields: list[tuple[str, str]] = []

    def add(name: str, value: Any, raw: bool = False) -> None:
        if value is None:
            return
        text = str(value) if raw else latex_escape(value)
        if text:
            fields.append((name, text))

    names = []
    for last, first in author_names(record):
        if first is None:
            # Braced: a collective author is one name, not "Group, Study Ketamine".
            names.append("{" + latex_escape(last) + "}")
        else:
            names.append(f"{latex_escape(last)}, {latex_escape(first)}")
    if names:
        add("author", " and ".join(names), raw=True)
    if record.get("title"):
        add("title", _protect_acronyms(latex_escape(record["title"])), raw=True)
    add("journal", record.get("journal"))
    year, month, _ = _date_parts(record)
    add("year", year)
    if month and 1 <= int(month) <= 12:
        fields.append(("month", _MONTHS[int(month) - 1]))  # a bare BibTeX month macro
    add("volume", record.get("volume"))
    add("number", record.get("issue"))
    if record.get("pages"):
        start, end = _end_page(_line(record["pages"]))
        add("pages", f"{latex_escape(start)}--{latex_escape(end)}" if end else start, raw=end is not None)
    add("issn", record.get("issn"))
    if record.get("doi"):
        add("doi", _verbatim(record["doi"]), raw=True)
    pmid = record.get("pmid")
    add("pmid", pmid)
    add("pmcid", record.get("pmcid"))
    if pmid and str(pmid).isdigit():
        add("url", PUBMED_URL.format(pmid), raw=True)
    languages = record.get("languages") or []
    if languages:
        add("language", ", ".join(str(x) for x in languages))
    keywords = list(dict.fromkeys(_line(k) for k in record.get("keywords") or [] if k))
    if keywords:
        add("keywords", ", ".join(keywords))
    add("abstract", record.get("abstract"))
    body = ",\n".join(f"  {name} = {value}" if name == "month" else f"  {name} = {{{value}}}"
                      for name, value in fields)
    return f"@article{{{key},\n{body}\n}}\n"


def to_bibtex(records: Iterable[Mapping[str, Any]]) -> str:
    """Articles as a BibTeX file (entries sorted by PMID, unique stable keys)."""
    ordered = sorted(records, key=_pmid_order)
    keys = bibtex_keys(ordered)
    return "\n".join(bibtex_entry(r, keys[str(r.get("pmid"))]) for r in ordered)


__all__ = [
    "author_names", "bibtex_entry", "bibtex_key_base", "bibtex_keys", "latex_escape", "ris_record", "to_bibtex",
    "to_ris",
]
