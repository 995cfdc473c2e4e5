"""Markdown from untrusted text: the one escaper, code spans and blocks, record links, heading shifts.

Reports (``ketlit.report``) and claim checks (``ketlit.claims.check``) both write Markdown that
carries text ketlit did not write: titles, sponsor names and findings from PubMed and
ClinicalTrials.gov, sentences from clinic web pages. This module is the single choke point for
that text; it sits beside ``errors.py`` rather than inside ``report/`` so that ``claims`` can use
it without importing the report package downstream of it.

Design decisions:
- **One escaper: only what would change the rendering** (:func:`md_text`). Bidi
  embedding/override characters are dropped and control characters and line breaks collapse to
  single spaces (one line: a table cell cannot end its row); ``<`` is backslash-escaped where it
  could open raw HTML, a comment or an autolink (before a letter, ``/``, ``!`` or ``?``) and ``&``
  where it would start a character reference (``&amp;``, ``&#60;``), so ``p < .001`` and ``R&D``
  stay as typed; ``\\ ` * [ ] | ~ $`` are backslash-escaped (no emphasis, code, link, table cell,
  strikethrough or math); ``_`` only where it could open or close emphasis (not between two
  letters or digits: ``racemic_ketamine`` stays as typed); ``://``, ``www.`` and ``@`` are broken
  (GFM would autolink them); a line-start marker (``# ``, ``>``, ``-``, ``+``, ``=``, ``1. ``,
  ``1) ``) is escaped so text never opens a block. Tests render the output with a CommonMark
  parser and compare its text with the input.
- **``strict`` is the claim checker's older, heavier policy**, kept byte-identical for its
  outputs: ``& < >`` always as entities, ``_`` always escaped, and also ``( ) { } # + ! ^``
  everywhere, ``"`` as ``&quot;`` and a leading number followed by ``.`` even without a space.
- **Links only from validated identifiers** (digits for PMIDs, ``NCT`` + 8 digits), never from a
  source's URL; an invalid identifier is shown as escaped text, not linked.
"""

from __future__ import annotations

import re
from typing import Final

from ketlit.ids import NCT_ID, PMID

PUBMED_URL: Final = "https://pubmed.ncbi.nlm.nih.gov/{}/"
CTGOV_URL: Final = "https://clinicaltrials.gov/study/{}"

# Bidi embeddings/overrides/isolates can make text display in a different order than it
# reads (a "Trojan source" trick); they have no place in a title.
_BIDI: Final = dict.fromkeys([*range(0x202A, 0x202F), *range(0x2066, 0x206A)])
# Unicode categories Cc (C0, DEL, C1), Zl and Zp: line breaks and control characters.
_CONTROL: Final = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")
_SPECIAL: Final = re.compile(r"([\\`*\[\]|~$])")
# "_" opens or closes emphasis unless it sits between two letters or digits (CommonMark's flanking rules).
_UNDERSCORE: Final = re.compile(r"(?<![^\W_])_|_(?![^\W_])")
# "<" that could open raw HTML, a comment, a processing instruction or an autolink.
_OPENS_HTML: Final = re.compile(r"<(?=[A-Za-z/!?])")
# "&" that would start a character reference.
_REFERENCE: Final = re.compile(r"&(?=#[0-9]{1,7};|#[xX][0-9a-fA-F]{1,6};|[A-Za-z][A-Za-z0-9]{0,31};)")
_SPECIAL_STRICT: Final = re.compile(r"([\\`*_{}\[\]()#+!|~^$])")
# Line-start markers that would open a block: a heading ("# " / "#" alone), a list item
# ("- ", "+ ", "1. ", "1) "), a thematic break ("---") or a setext underline ("==="). "#hashtag"
# and "0.1.0" stay as they are.
_LEADING_BLOCK: Final = re.compile(r"^(#{1,6}(?=\s|$)|[-+=]|\d{1,9}[.)](?=\s|$))")
_LEADING_QUOTE: Final = re.compile(r"^>")
_LEADING_NUMBER: Final = re.compile(r"^(\d+)\.")
_SAFE_PATH: Final = re.compile(r"^[A-Za-z0-9._/-]+$")


def one_line(text: object) -> str:
    """``text`` on one line: bidi controls dropped, control characters and runs of white space → one space."""
    return " ".join(_CONTROL.sub(" ", str(text).translate(_BIDI)).split())


def md_text(text: object, limit: int | None = None, *, strict: bool = False) -> str:
    """Untrusted text → one line of inert Markdown (safe in paragraphs, lists and table cells).

    ``limit`` truncates (with an ellipsis) before escaping; ``strict`` is the claim-check policy
    (see the module docstring)."""
    s = one_line(text)
    if limit is not None and len(s) > limit:
        s = s[: limit - 1].rstrip() + "…"
    if strict:
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace('"', "&quot;")
        s = _SPECIAL_STRICT.sub(r"\\\1", s)
    else:
        s = _SPECIAL.sub(r"\\\1", s)
        s = _UNDERSCORE.sub(r"\\_", s)
        s = _OPENS_HTML.sub(r"\\<", s)
        s = _REFERENCE.sub(r"\\&", s)
        s = _LEADING_QUOTE.sub(r"\\>", s)
    s = s.replace("://", ":\\/\\/").replace("www.", "www\\.").replace("@", "\\@")
    if strict:
        s = _LEADING_NUMBER.sub(r"\1\\.", s)
    # A line-start marker stays literal even when the text is the first thing on a line or in a list item.
    return _LEADING_BLOCK.sub(lambda m: m.group(0)[:-1] + "\\" + m.group(0)[-1], s)


def code_span(text: str) -> str:
    """Inline code: contents are literal (no escapes needed); the backtick run is longer than any inside ``text``."""
    line = one_line(text) or " "
    longest = max((len(m) for m in re.findall(r"`+", line)), default=0)
    ticks = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{ticks}{pad}{line}{pad}{ticks}"


def code_block(text: str, info: str = "") -> str:
    """A fenced code block that ``text`` cannot close (the fence is longer than any backtick run)."""
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{info}\n{text}\n{fence}"


def pmid_link(pmid: str) -> str:
    """``[PMID n](https://pubmed.ncbi.nlm.nih.gov/n/)``; an invalid ID is shown, not linked."""
    pmid = str(pmid).strip()
    if PMID.match(pmid):
        return f"[PMID {pmid}]({PUBMED_URL.format(pmid)})"
    return md_text(f"PMID {pmid}")


def nct_link(nct_id: str) -> str:
    """``[NCT…](https://clinicaltrials.gov/study/NCT…)``; an invalid ID is shown, not linked."""
    nct = str(nct_id).strip().upper()
    if NCT_ID.match(nct):
        return f"[{nct}]({CTGOV_URL.format(nct)})"
    return md_text(nct_id)


def record_link(source: str, record_id: str) -> str:
    """A link to a PubMed or ClinicalTrials.gov record."""
    if source == "ctgov" or str(record_id).upper().startswith("NCT"):
        return nct_link(record_id)
    return pmid_link(record_id)


def image_link(alt: str, path: str) -> str:
    """``![alt](path)`` for a relative figure path; anything unexpected goes in ``<…>`` with the
    characters that could end the link early percent-encoded."""
    if _SAFE_PATH.match(path) and ".." not in path.split("/"):
        return f"![{alt}]({path})"
    safe = path.replace(" ", "%20").replace("<", "%3C").replace(">", "%3E").replace("\n", "")
    return f"![{alt}](<{safe}>)"


def shift_headings(markdown: str, by: int) -> str:
    """Demote ATX headings by ``by`` levels (capped at 6), leaving fenced code untouched."""
    out = []
    fence: str | None = None
    for line in markdown.splitlines():
        stripped = line.lstrip()
        match = re.match(r"^(`{3,}|~{3,})", stripped)
        if match:
            marker = match.group(1)
            if fence is None:
                fence = marker
            elif marker[0] == fence[0] and len(marker) >= len(fence):
                fence = None
        elif fence is None and re.match(r"^#{1,6}(\s|$)", line):
            level = len(line) - len(line.lstrip("#"))
            line = "#" * min(6, level + by) + line[level:]
        out.append(line)
    return "\n".join(out)
