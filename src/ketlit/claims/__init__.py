"""Claim checking: from a clinic page to verdicts an editor can defend (issue 5).

The flow is ``text`` (page → clean text → located sentences) → ``extract`` (claims, classified
and operationalised) → ``evidence`` (candidate records from an :class:`EvidenceIndex`) →
``numbers`` (rates, times, adverse events read from abstracts and posted results) → ``stats``
(random-effects pooling) → ``verdict`` (verdict, certainty, reasons, citations) → ``check``
(report and audit trail) → ``view`` (what an editor reads) → ``render_md`` / ``render_html`` /
``render_json``. Everything here is pure: the CLI reads the page and opens the cache.
"""

from ketlit.claims.check import CheckReport, check_page, report_to_json
from ketlit.claims.evidence import EvidenceIndex, EvidenceRecord, InMemoryIndex
from ketlit.claims.rules import Rules, load_rules
from ketlit.claims.text import Page, page_from_bytes, read_page

__all__ = [
    "CheckReport",
    "EvidenceIndex",
    "EvidenceRecord",
    "InMemoryIndex",
    "Page",
    "Rules",
    "check_page",
    "load_rules",
    "page_from_bytes",
    "read_page",
    "report_to_json",
]
