"""HTML for a page check: one self-contained file rendered from the one view (:mod:`ketlit.claims.view`).

Design decisions:

* **A template engine with auto-escaping, not string building.** ``data/templates/check.html.j2`` is
  rendered by Jinja2 with ``autoescape=True``, so every string from the view (page sentences, record
  numbers, labels) is escaped by the engine; the template marks nothing ``safe``. The only addresses
  in ``href`` are those :func:`ketlit.claims.view.safe_url` accepted (PubMed / ClinicalTrials.gov record
  pages, a regulatory fact's https source) and in-page anchors.
* **Self-contained and printable.** Inline CSS, no JavaScript, no external resource; details fold with
  ``<details>`` and print unfolded (``@media print``); verdicts carry a symbol as well as a colour, so
  black-and-white prints keep them.
* **Same text as the Markdown.** The layout mirrors :mod:`ketlit.claims.render_md` element by element
  (tests compare the text content of both), so an editor reading either sees the same words.
* Stable hooks for tests: ``table#summary-table``, ``table#needs-attention``, ``section.card`` with
  ``id="card-<n>"``.
"""

from __future__ import annotations

import functools

import jinja2

from ketlit.claims.render_md import printed_cards
from ketlit.claims.view import ABOVE, CheckView


@functools.cache
def _environment() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("ketlit", "data/templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )


def render_html(view: CheckView, *, brief: bool = False, cards: str = "attention") -> str:
    """The check as one HTML page; ``brief`` keeps the header and the two tables only, ``cards`` picks
    the cards (as :func:`ketlit.claims.render_md.render_markdown` does)."""
    template = _environment().get_template("check.html.j2")
    shown, note = printed_cards(view, "none" if brief else cards)
    return template.render(
        view=view,
        h=view.header,
        cards=shown,
        carded={c.row.number for c in shown},
        cards_note=note,
        brief=brief,
        above=ABOVE,
        unchecked_total=sum(len(g.sentences) for g in view.unchecked),
    )
