"""Markdown for a page check, laid out from the one view (:mod:`ketlit.claims.view`).

Design decisions:

* **Escape only what would change the rendering** (:func:`md_inline`, which is the project's one
  escaper :func:`ketlit.markdown.md_text`). The text of a page or a
  record is shown as typed: ``(n = 12)``, ``racemic ketamine``, ``50%`` and ``"quotes"`` need no
  escape. What is escaped is what CommonMark or GitHub would act on: ``\\ ` * [ ] | ~ $``, ``_``
  at a word edge (emphasis), ``<`` that could open a tag or autolink, ``&`` that could spell an
  entity, a line-start block marker, and the autolink triggers ``://``, ``www.`` and ``@`` (GFM
  links them in plain text). Line breaks collapse, so a cell cannot end its row. The result: no
  page or record text can become a live link, an autolink, an image or raw HTML; the test renders
  the Markdown with a CommonMark parser and compares its text with the HTML output's.
* **Links only from validated addresses** (:func:`ketlit.claims.view.safe_url`).
* ``brief`` prints the header and the two tables only; ``cards`` picks the cards printed (by default
  those of the sentences that need attention, within a size budget: see :func:`printed_cards`).
"""

from __future__ import annotations

from typing import Final

from ketlit.claims.view import ABOVE, Card, CheckView, KeyEvidence, Ref, Row, UncheckedGroup
from ketlit.claims.vocab import vocab
from ketlit.markdown import md_text


def md_inline(text: object) -> str:
    """Untrusted text → one line of Markdown that renders as exactly that text, and nothing live:
    the project's one escaper (:func:`ketlit.markdown.md_text`, the policy the report uses too)."""
    return md_text(text)


_RECORD_PAGES: Final = ("https://pubmed.ncbi.nlm.nih.gov/", "https://clinicaltrials.gov/")


class _Links:
    """Each record is linked at its first mention only: the address is in the file once, and the
    label alone afterwards (the HTML links every mention; the text is the same)."""

    def __init__(self) -> None:
        self.seen: set[str] = set()

    def ref(self, ref: Ref) -> str:
        label = md_inline(ref.label)
        # A regulator's address runs to 150 characters: the Markdown names the fact, the HTML links it and
        # the JSON gives its sources (a third of a dense page's check went on these addresses).
        if not ref.url or ref.url in self.seen or not ref.url.startswith(_RECORD_PAGES):
            return label
        self.seen.add(ref.url)
        return f"[{label}]({ref.url})"

    def key(self, key: tuple[KeyEvidence, ...]) -> str:
        return "; ".join(self.ref(k.ref) + (f" ({md_inline(k.number)})" if k.number else "") for k in key) or "—"


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(cells) + " |" for cells in rows]
    return [*lines, ""]


def _row(row: Row, attention: bool, links: _Links) -> list[str]:
    if row.attention and not attention:  # listed under Needs attention: the why and evidence are there
        why, key = ABOVE[0], md_inline(ABOVE[1])
    else:
        why = f"{row.attention} — {row.why}" if attention and row.attention else row.why
        key = links.key(row.key)
    return [
        str(row.number),
        md_inline(f"“{row.claim}”"),
        md_inline(row.verdict_text),
        md_inline(row.certainty),
        md_inline(why),
        key,
    ]


def _header(view: CheckView) -> list[str]:
    h = view.header
    return [
        f"# ketlit check — {md_inline(h.page)}",
        "",
        f"Checked {md_inline(h.checked_at)} against {md_inline(h.sources)}.",
        "",
        md_inline(h.counts),
        "",
        md_inline(" ".join(view.key)),
        "",
    ]


def _tables(view: CheckView, links: _Links, note: str) -> list[str]:
    head = ["#", "Claim (page words)", "Verdict", "Certainty", "Why", "Decisive evidence"]
    lines = ["## Needs attention"]
    if view.attention:
        lines += _table(head, [_row(r, True, links) for r in view.attention])
    else:
        lines += ["Nothing needs attention.", ""]
    lines += ["## All claims"]
    if view.rows:
        lines += _table(head, [_row(r, False, links) for r in view.rows])
    else:
        lines += ["No checkable claim on this page.", ""]
    if note:
        lines += [md_inline(note), ""]
    return lines


def _card(card: Card, same: list[Card], links: _Links) -> list[str]:
    """One card; ``same`` are the later sentences read, judged and evidenced the same way (quoted here)."""
    numbers = ", ".join(str(c.row.number) for c in (card, *same))
    lines = [f"## {numbers} · {md_inline(card.verdict_text)} · {md_inline(card.certainty.lower())} certainty"]
    for c in (card, *same):
        lines += [f"> {md_inline(c.sentence)}", ""]
    # A shared card names each sentence's strength where it differs from the first's ("hedged · 6: stated as fact").
    others = [f"{c.row.number}: {c.strength}" for c in same if c.strength != card.strength]
    strength = " · ".join([card.strength, *others])
    lines += [f"Read as ({md_inline(strength)}): {md_inline(card.read_as)}".rstrip()]
    if card.parts:
        # "*" and "-": two lists, not one (CommonMark joins lists with the same marker).
        lines += [f"* {md_inline(f'{p.verdict_text} — {p.line}')}" for p in card.parts if p.line]
    if card.why:
        lines += ["", f"Why: {md_inline(card.why)}"]
    if card.evidence and (card.why or not card.parts):
        lines.append("")
    lines += [f"- {md_inline(e.stance)} · {links.ref(e.ref)}" + (f" · {md_inline(e.detail)}" if e.detail else "")
              for e in card.evidence]
    lines.append("")
    if card.pooled:
        lines += [md_inline(card.pooled), ""]
    if len(card.downgrades) == 1:  # one downgrade: said on the certainty line
        said = " — ".join(x for x in (card.certainty_source, card.downgrades[0]) if x)
        lines += [f"Certainty: {md_inline(said)}", ""]
    else:
        if card.certainty_source:
            lines += [f"Certainty: {md_inline(card.certainty_source)}"]
        lines += [f"{i}. {md_inline(d)}" for i, d in enumerate(card.downgrades, start=1)]
        lines.append("")
    if card.not_used_as is not None:
        lines += [f"Not used: as for {card.not_used_as}.", ""]
    elif card.not_used:
        lines += [f"Not used: {md_inline(' · '.join(card.not_used))}", ""]
    return lines


def _unchecked(groups: tuple[UncheckedGroup, ...]) -> list[str]:
    total = sum(len(g.sentences) for g in groups)
    lines = [f"## Not checkable ({total})"]
    for g in groups:
        if g.inline:  # headings are short and many: one line for the group
            lines += [md_inline(f"{g.title}: {' · '.join(g.sentences)}"), ""]
        else:
            lines += [md_inline(g.title)]
            lines += [f"- {md_inline(s)}" for s in g.sentences]
            lines.append("")
    return lines


def printed_cards(view: CheckView, cards: str) -> tuple[tuple[Card, ...], str]:
    """The cards a Markdown or HTML check prints, and the line that names the others.

    ``"all"``: every card. ``"none"``: none (``--brief``). ``"attention"`` (the default): the cards of the
    sentences that need attention, since a sentence that needs none is told whole by its row (verdict,
    certainty, why, decisive record with its number). The Markdown is kept under
    ``check_view.toml [size] page_multiple`` times the page's text: when every such card does not fit,
    the most urgent are printed (:meth:`~ketlit.claims.view.CheckView.needing_attention`; at least one)
    and the line says the check was kept short. Why a budget at all: a card per sentence made checks
    1.7-5.2x their page on the sample pages (a 1.2 KB page with six claims has 2 KB of tables alone), and
    an editor reads the urgent cards first; ``--cards all`` and the JSON have every card.
    HTML prints the same cards (both formats say the same words)."""
    if cards == "none":
        return (), ""
    if cards == "all":
        return view.cards, ""
    if cards != "attention":
        raise ValueError(f"cards must be all, attention or none, not {cards!r}")
    urgent = view.needing_attention()
    if not urgent:
        return (), view.cards_note((), cut=False)
    budget = vocab().page_multiple * view.page_bytes

    def fits(k: int) -> tuple[tuple[Card, ...], str, bool]:
        shown = view.select(urgent[:k])
        note = view.cards_note(shown, cut=k < len(urgent))
        return shown, note, not view.page_bytes or k == 1 or len(_render(view, shown, note).encode()) < budget

    shown, note, ok = fits(len(urgent))
    if ok:
        return shown, note
    # The most urgent cards that fit: the rendering grows with every card added, so the largest k that fits is
    # found by bisection. Trying k = n, n-1, ... rendered the whole check once per card: 1,000 flagged claims
    # took minutes (a fuzzing pass); bisection renders it about log2(n) times.
    lo, hi = 1, len(urgent) - 1  # fits(1) always holds; fits(len(urgent)) does not
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(mid)[2]:
            lo = mid
        else:
            hi = mid - 1
    shown, note, _ = fits(lo)
    return shown, note


def _render(view: CheckView, shown: tuple[Card, ...], note: str, *, brief: bool = False) -> str:
    links = _Links()
    lines = _header(view) + _tables(view, links, note)
    if not brief:
        for card in shown:
            if card.same_as is None:
                lines += _card(card, [c for c in shown if c.same_as == card.row.number], links)
        if view.unchecked:
            lines += _unchecked(view.unchecked)
    return "\n".join(lines).rstrip() + "\n"


def render_markdown(view: CheckView, *, brief: bool = False, cards: str = "attention") -> str:
    """The check as Markdown: header, Needs attention, All claims; then (unless ``brief``) the cards
    :func:`printed_cards` picks and the sentences not checked, grouped by reason."""
    shown, note = printed_cards(view, "none" if brief else cards)
    return _render(view, shown, note, brief=brief)
