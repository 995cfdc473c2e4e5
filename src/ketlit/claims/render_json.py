"""JSON for a page check: the full audit trail of :func:`ketlit.claims.check.report_to_json` plus the
one view (:mod:`ketlit.claims.view`) the Markdown and HTML show, documented by the JSON Schema shipped as
``data/check.schema.json``.

Design decisions:

* **Additive.** Every field earlier consumers read (``claims[].verdict``, ``sentences``, ``summary`` …) is
  kept as it was; the view adds ``header``, ``needs_attention``, ``all_claims``, ``cards`` and
  ``not_checkable``, each exactly the strings the other formats print.
* **Text verbatim.** JSON is data: a consumer displaying it escapes it for its own medium.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ketlit.claims.check import report_to_json
from ketlit.claims.view import CheckView


def view_to_json(view: CheckView) -> dict[str, Any]:
    """The check as a JSON-ready dict: the audit trail and the view."""
    out = report_to_json(view.report)
    out["header"] = dataclasses.asdict(view.header)
    out["key"] = list(view.key)
    out["legend"] = [*out["legend"], *view.attention_rules]  # the key names the rules; here they are in full
    out["needs_attention"] = [dataclasses.asdict(r) for r in view.attention]
    out["all_claims"] = [dataclasses.asdict(r) for r in view.rows]
    # The JSON lists each card whole: "row" is in all_claims, "not_used_as" only shortens the printed card.
    out["cards"] = [{k: v for k, v in dataclasses.asdict(c).items() if k not in ("row", "not_used_as")}
                    | {"number": c.row.number} for c in view.cards]
    out["not_checkable"] = [{k: v for k, v in dataclasses.asdict(g).items() if k != "inline"} for g in view.unchecked]
    return out
