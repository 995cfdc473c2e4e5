"""`ketlit check` output (issue 14): one view rendered to Markdown, HTML and JSON.

Golden files: tests/golden/check_<fixture>.{md,json,html}, built from the fixture pages against the fixture
records (tests/fixtures/claims_records.json) at a fixed clock. After an intended change to the output,
regenerate them with

    KETLIT_UPDATE_GOLDENS=1 PYTHONPATH=src python -m pytest tests/test_check_output.py -k golden

and review the diff before committing.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from ketlit.claims.check import check_page
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.policy import packaged_policy
from ketlit.claims.render_html import render_html
from ketlit.claims.render_json import view_to_json
from ketlit.claims.render_md import md_inline, render_markdown
from ketlit.claims.rules import Rules
from ketlit.claims.text import page_from_bytes
from ketlit.claims.view import CacheCounts, CheckView, build_view, humanise
from tests.claims_pages import FIXTURES
from tests.htmltext import HtmlText, commonmark, parse_html

GOLDEN = Path(__file__).resolve().parent / "golden"
NOW = datetime(2026, 1, 2, 3, 4, tzinfo=UTC)
FIXTURE_PAGES = ("claims_page_iv_clinic.html", "claims_page_numbers.txt")
UPDATE = os.environ.get("KETLIT_UPDATE_GOLDENS") == "1"


def _counts(index: InMemoryIndex) -> CacheCounts:
    records = list(index.records)
    return CacheCounts(
        articles=sum(r.source == "pubmed" for r in records), trials=sum(r.source == "ctgov" for r in records)
    )


def view_of(text: str, name: str, rules: Rules, index: InMemoryIndex) -> CheckView:
    report = check_page(text, name, index, rules)
    return build_view(report, rules, packaged_policy(), now=NOW, cache=_counts(index), page_bytes=len(text.encode()))


def fixture_view(name: str, rules: Rules, index: InMemoryIndex) -> CheckView:
    page = page_from_bytes((FIXTURES / name).read_bytes(), name)
    return view_of(page.text, name, rules, index)


# ------------------------------------------------------------------ text content of rendered HTML


def parsed(html: str) -> HtmlText:
    return parse_html(html)


def text_of(html: str) -> str:
    return re.sub(r"\s+", "", "".join(parsed(html).parts))


# ------------------------------------------------------------------ goldens


def _golden(path: Path, text: str) -> None:
    if UPDATE:
        path.write_text(text, encoding="utf-8")
    assert path.exists(), f"{path.name} missing: run with KETLIT_UPDATE_GOLDENS=1 (see the module docstring)"
    assert text == path.read_text(encoding="utf-8"), f"{path.name} differs (intended? regenerate, see docstring)"


@pytest.mark.parametrize("name", FIXTURE_PAGES)
def test_golden_files(name: str, rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view(name, rules, index)
    stem = GOLDEN / f"check_{Path(name).stem}"
    _golden(stem.with_suffix(".md"), render_markdown(view))
    _golden(stem.with_suffix(".html"), render_html(view))
    _golden(stem.with_suffix(".json"), json.dumps(view_to_json(view), ensure_ascii=False, indent=2) + "\n")


# ------------------------------------------------------------------ Markdown and HTML say the same


@pytest.mark.parametrize("brief", [False, True])
@pytest.mark.parametrize("name", FIXTURE_PAGES)
def test_markdown_renders_to_the_same_text_as_the_html(
    name: str, brief: bool, rules: Rules, index: InMemoryIndex
) -> None:
    view = fixture_view(name, rules, index)
    md, html = render_markdown(view, brief=brief), render_html(view, brief=brief)
    assert text_of(commonmark(md)) == text_of(html)
    # Not equal by being empty: the page's sentences are in both.
    assert view.rows and re.sub(r"\s+", "", view.rows[0].claim) in text_of(html)


def test_the_text_comparison_sees_a_difference(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_iv_clinic.html", rules, index)
    md = render_markdown(view)
    assert text_of(commonmark(md.replace("Needs attention", "Needs notice", 1))) != text_of(render_html(view))


def test_layout_of_the_markdown(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_iv_clinic.html", rules, index)
    md = render_markdown(view, cards="all")
    assert md.startswith("# ketlit check — claims_page_iv_clinic.html\n")
    assert "Checked 2026-01-02 03:04 UTC against" in md
    order = [md.index(h) for h in ("## Needs attention", "## All claims", "## 1 ·", "## Not checkable")]
    assert order == sorted(order)
    rows = [line for line in md.split("## All claims")[1].split("\n## ")[0].splitlines() if line.startswith("| ")]
    assert len(rows) - 1 == len(view.rows) == len({c.claim.location.start for c in view.report.claims
                                                    if c.claim.checkable})  # one row per sentence
    contradicted = [r for r in view.rows if r.verdict == "contradicted"]
    assert contradicted and all(r.attention == "contradicted" for r in contradicted)
    assert {r.number for r in view.attention} >= {r.number for r in contradicted}
    assert "✗ Contradicted" in md and "[PMID 90000001](https://pubmed.ncbi.nlm.nih.gov/90000001/)" in md
    # Plain words, never internal slugs or escaped brackets.
    for slug in ("racemic_ketamine", "treatment_resistant_depression", "insufficient_evidence", "\\(", "&quot;"):
        assert slug not in md, slug
    brief = render_markdown(view, brief=True)
    assert "## All claims" in brief and "## 1 ·" not in brief and "Not checkable (" not in brief


def _card_numbers(md: str) -> list[int]:
    return [int(n) for head in re.findall(r"(?m)^## ([\d, ]+) ·", md) for n in head.split(", ")]


def test_default_cards_are_those_that_need_attention_most_urgent_first(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_iv_clinic.html", rules, index)
    flagged = {r.number for r in view.attention}
    assert len(flagged) >= 2 and len(view.rows) > len(flagged)
    # Without a size budget, every sentence that needs attention has its card, and only those.
    roomy = dataclasses.replace(view, page_bytes=10**6)
    md = render_markdown(roomy)
    assert set(_card_numbers(md)) == flagged
    others = sorted({r.number for r in view.rows} - flagged)
    assert f"for {', '.join(map(str, others[:-1]))} and {others[-1]} see their rows (or --cards all)." in md
    assert "kept short" not in md
    # Rows of sentences under Needs attention point up rather than repeat the why and the evidence.
    all_rows = [x for x in md.split("## All claims")[1].split("\n\n")[0].splitlines() if x.startswith("| ")][2:]
    for line in all_rows:
        number = int(line.split(" | ")[0].strip("| "))
        assert line.endswith("| ↑ see Needs attention | ↑ |") == (number in flagged), line
    # With the page's own budget (3x its text), the most urgent cards are printed while they fit: the
    # contradiction at the highest certainty first; the rest are named.
    md = render_markdown(view)
    printed = _card_numbers(md)
    urgent = view.needing_attention()
    assert printed and printed == sorted(urgent[: len(printed)])
    contradicted = sorted((r for r in view.attention if r.verdict == "contradicted"),
                          key=lambda r: -["Very low", "Low", "Moderate", "High"].index(r.certainty))
    assert urgent[0] == contradicted[0].number
    assert len(md.encode()) < 3 * view.page_bytes or len(printed) == 1
    if len(printed) < len(flagged):
        assert "the most urgent that need attention (the check is kept short)" in md
    # --cards all prints every card; the HTML prints the same cards as the Markdown.
    assert set(_card_numbers(render_markdown(view, cards="all"))) == {r.number for r in view.rows}
    html = render_html(view)
    assert sorted(int(n) for n in re.findall(r'<section class="card[^"]*" id="card-(\d+)"', html)) == [
        c.row.number for c in view.select(urgent[: len(printed)]) if c.same_as is None]


def test_a_dense_page_stays_under_three_times_its_size(rules: Rules, index: InMemoryIndex) -> None:
    # Six claims in a few hundred bytes, most of them overstated: the cards do not all fit, so the most
    # urgent are printed and the check stays under 3x the page (as the issue asks of every sample page).
    text = (
        "Welcome to our clinic, where every patient is treated with compassion by a caring team that "
        "has helped people from all walks of life find their way back to a brighter and calmer everyday life.\n\n"
        "Over 90% of patients respond to ketamine infusions within 24 hours, which is why so many of our "
        "patients describe the first treatment as the turning point they had been waiting for.\n\n"
        "Ketamine is not addictive, and our physicians monitor every session from the first minute to the last.\n\n"
        "Ketamine infusions permanently cure PTSD, even in veterans who have tried everything else.\n\n"
        "Ketamine infusions are effective for fibromyalgia and for migraine.\n\n"
        "Our comfortable treatment rooms have reclining chairs, soft lighting and music of your choice, and a "
        "friendly nurse stays with you throughout the infusion so you never feel alone.\n\n"
        "Parking is free, the waiting room has coffee and tea, and we are a short walk from the station; "
        "call or write to us to arrange a first conversation at a time that suits you and your family.\n"
    )
    view = view_of(text, "dense.txt", rules, index)
    md = render_markdown(view)
    assert len(view.attention) >= 3
    assert len(md.encode()) < 3 * view.page_bytes
    assert 1 <= len(_card_numbers(md)) < len(view.attention)
    assert text_of(commonmark(md)) == text_of(render_html(view))


def test_not_used_is_counted_from_the_audit_trail(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_iv_clinic.html", rules, index)
    card = next(c for c in view.cards if c.not_used)
    claims = [c for c in view.report.claims if c.claim.checkable]
    start = next(c.claim.location.start for c in claims if " ".join(c.claim.text.split()) in card.sentence)
    mine = [x for c in claims if c.claim.location.start == start for x in c.candidates]
    used = {(x.source, x.id) for x in mine if x.use in ("decisive", "cited")}
    shown = sum(int(part.split(" ")[0].replace(",", "")) for part in card.not_used)
    # Each record once per sentence, and a record one part used is not "not used".
    assert shown == len({(x.source, x.id) for x in mine} - used) > 0


def test_human_units() -> None:
    assert humanise("onset 1.83333 h") == "onset 1.8 h"
    assert humanise("1 stud(ies) report lasting harm; 11 stud(ies) report it") == (
        "1 study reports lasting harm; 11 studies report it")
    assert humanise("remission 62%, 0 min") == "remission 62%, no timepoint given"
    assert humanise("12 stud(ies) of racemic_ketamine for treatment_resistant_depression") == (
        "12 studies of racemic ketamine for treatment-resistant depression"
    )


# ------------------------------------------------------------------ hostile pages

HOSTILE = (
    "Ketamine clinic. Ketamine care.\n\n"
    "Over 90% of patients respond to ketamine <script>alert(1)</script> | [x](http://e.example) "
    "<http://e.example> www.e.com `code` ![i](http://e.example/i.png) &amp; *em* _u_ within 24 hours.\n\n"
    "Ketamine is not addictive <b>at all</b> | `|` [link][ref] mail@e.example.\n\n"
    "[ref]: http://e.example\n"
)


def _links_and_scripts(html: str) -> list[tuple[str, dict[str, str | None]]]:
    return [(t, a) for t, a in parsed(html).tags if t in ("a", "script", "img", "b", "iframe")]


def _allowed_href(href: str | None, rules: Rules) -> bool:
    """A record page, an in-page anchor, or the source of a packaged regulatory fact — nothing from the page."""
    facts = {s.url for f in rules.facts for s in f.sources}
    return href in facts or re.match(
        r"^(https://pubmed\.ncbi\.nlm\.nih\.gov/\d+/|https://clinicaltrials\.gov/study/NCT\d{8}|#card-\d+)$",
        href or "",
    ) is not None


def test_hostile_page_cannot_inject(rules: Rules, index: InMemoryIndex) -> None:
    view = view_of(HOSTILE, "<script>x</script>[p](http://e.example).txt", rules, index)
    md, html = render_markdown(view), render_html(view)
    for rendered in (commonmark(md), html):
        for tag, attrs in _links_and_scripts(rendered):
            assert tag == "a" and _allowed_href(attrs.get("href"), rules), (tag, attrs)
        assert "e.example" not in "".join(str(a.get("href")) for _, a in parsed(rendered).tags)
    assert text_of(commonmark(md)) == text_of(html)
    # The page's words survive as text, and every table row keeps its columns.
    assert "<script>alert(1)</script>" in "".join(parsed(html).parts)
    rows = [line for line in md.splitlines() if line.startswith("| ")]
    assert rows and all(len(re.findall(r"(?<!\\)\|", r)) == 7 for r in rows), rows
    assert "[x](http://e.example)" not in md and "<http://e.example>" not in md


@pytest.mark.parametrize(
    "text",
    ["<script>a</script>", "[x](http://e)", "<http://e>", "www.e.com", "a | b", "``x``", "![i](u)", "&amp;",
     "# h", "1. one", "> q", "- item", "*a* _b_ __c__", "snake_case stays", "(n = 12) 50% \"q\"", "a\\b", "$x$",
     "mail@e.example", "~~s~~"],
)
def test_md_inline_renders_as_typed(text: str) -> None:
    html = commonmark(f"| a |\n|---|\n| {md_inline(text)} |\n\n{md_inline(text)}\n")
    assert not [t for t, _ in parsed(html).tags if t not in ("table", "thead", "tbody", "tr", "th", "td", "p")]
    cells = [p for p in parsed(html).parts if p.strip()]
    assert cells[-2:] == [text, text], cells


def test_md_inline_escapes_only_what_renders() -> None:
    assert md_inline('racemic ketamine (n = 12), 50% "q" #1 ok!') == 'racemic ketamine (n = 12), 50% "q" #1 ok!'
    assert md_inline("snake_case") == "snake_case"


def test_html_is_self_contained_and_escaped(rules: Rules, index: InMemoryIndex) -> None:
    view = view_of(HOSTILE, "p.txt", rules, index)
    html = render_html(view, cards="all")
    tags = parsed(html).tags
    assert not [t for t, _ in tags if t in ("script", "link", "img", "iframe")]
    assert "<style>" in html and "@media print" in html and "<details" in html
    assert ("table", {"id": "summary-table"}) in [(t, {"id": a.get("id") or ""}) for t, a in tags if t == "table"]
    cards = [a for t, a in tags if t == "section" and "card" in (a.get("class") or "").split()]
    assert [a["id"] for a in cards] == [f"card-{r.number}" for r in view.rows]
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    brief = render_html(view, brief=True)
    assert "summary-table" in brief and 'class="card' not in brief


# ------------------------------------------------------------------ JSON and its schema


def schema() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(resources.files("ketlit.data").joinpath("check.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(data)
    return data


@pytest.mark.parametrize("name", FIXTURE_PAGES)
def test_json_matches_the_shipped_schema(name: str, rules: Rules, index: InMemoryIndex) -> None:
    payload = json.loads(json.dumps(view_to_json(fixture_view(name, rules, index))))
    jsonschema.validate(payload, schema())
    # The audit trail: every candidate of every checked claim is accounted for exactly once.
    for claim in payload["claims"]:
        cand = claim["candidates"]
        listed = len(cand["decisive"]) + len(cand["cited"]) + len(cand["read"])
        assert listed + sum(len(g["records"]) for g in cand["set_aside"]) == cand["total"]
    assert any(c["candidates"]["total"] for c in payload["claims"])
    assert set(payload["records"]) == {r for c in payload["claims"] for k in ("decisive", "cited", "read")
                                       for r in (x["record"] for x in c["candidates"][k])} | {
        r for c in payload["claims"] for g in c["candidates"]["set_aside"] for r in g["records"]}
    # The view's rows are the Markdown's rows.
    md = render_markdown(fixture_view(name, rules, index))
    assert all(md_inline(row["why"]) in md for row in payload["all_claims"])


def test_the_schema_rejects_what_it_documents_away(rules: Rules, index: InMemoryIndex) -> None:
    payload = json.loads(json.dumps(view_to_json(fixture_view(FIXTURE_PAGES[0], rules, index))))
    payload["claims"][0]["verdict"] = "probably"
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(payload, schema())


# ------------------------------------------------------------------ the sample pages (../shared)

SHARED = Path(__file__).resolve().parents[1].parent / "shared"
SAMPLES = SHARED / "samples" / "clinic_pages"
CORPUS = SHARED / "data" / "replay" / "pubmed" / "psynamic_all.xml"
SIZE_LIMIT = 3.0  # Markdown bytes per page byte (issue 14)


@pytest.fixture(scope="module")
def sample_views(tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[tuple[Path, CheckView]]]:
    """Every sample page checked against a cache built as a user would: `ketlit import` of the replay corpus."""
    if not SAMPLES.is_dir() or not CORPUS.is_file():
        pytest.skip(f"../shared absent ({SAMPLES}, {CORPUS})")
    from typer.testing import CliRunner

    from ketlit.cli import app
    from ketlit.config import load_settings
    from ketlit.jobs.check import PageChecker
    from ketlit.store import open_store

    db = tmp_path_factory.mktemp("samples") / "k.db"
    result = CliRunner().invoke(app, ["--db", str(db), "--quiet", "import", str(CORPUS)])
    assert result.exit_code == 0, result.stderr
    store = open_store(db)
    try:
        checker = PageChecker(store, load_settings({"db": db}, env={}))
        from ketlit.claims.text import read_page

        yield [(p, checker.view(read_page(p), now=NOW)) for p in sorted(SAMPLES.glob("*.txt"))]
    finally:
        store.close()


def test_sample_pages_json_schema_and_same_text(sample_views: list[tuple[Path, CheckView]]) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    for path, view in sample_views:
        payload = json.loads(json.dumps(view_to_json(view)))
        errors = [f"{e.json_path}: {e.message[:120]}" for e in validator.iter_errors(payload)]
        assert not errors, (path.name, errors[:5])
        assert text_of(commonmark(render_markdown(view))) == text_of(render_html(view)), path.name


def test_sample_pages_brief_markdown_is_under_three_times_the_page(
    sample_views: list[tuple[Path, CheckView]],
) -> None:
    ratios = {p.name: len(render_markdown(v, brief=True).encode()) / p.stat().st_size for p, v in sample_views}
    assert all(r < SIZE_LIMIT for r in ratios.values()), ratios


def test_sample_pages_markdown_is_under_three_times_the_page(sample_views: list[tuple[Path, CheckView]]) -> None:
    """Issue 14's target on every sample page, as `ketlit check` prints it (the cards of the sentences that
    need attention, most urgent first, while they fit). Measured at the time of writing
    (bench/check_page_size.py --output): 1.41x to 2.75x; with a card per sentence (``--cards all``) 1.59x to
    4.98x, which is why that is not the default. The budget holds back cards on the dense excerpts only, and
    only cards of the least urgent sentences."""
    ratios = {p.name: len(render_markdown(v).encode()) / p.stat().st_size for p, v in sample_views}
    assert all(r < SIZE_LIMIT for r in ratios.values()), ratios
    held_back = 0
    for path, view in sample_views:
        md = render_markdown(view)
        printed = {int(n) for head in re.findall(r"(?m)^## ([\d, ]+) ·", md) for n in head.split(", ")}
        urgent = view.needing_attention()
        # Whatever is printed is a prefix of the urgency order, and at least one card when any is due.
        groups = [n for n in urgent if n in printed]
        assert groups == list(urgent[: len(groups)]), path.name
        assert not urgent or groups, path.name
        held_back += len(urgent) - len(groups)
        every = render_markdown(view, cards="all")
        assert len(re.findall(r"(?m)^## [\d, ]+ ·", every)) == len({c.row.number for c in view.cards
                                                                     if c.same_as is None})
    # 7 at the time of writing: a sentence carries its least certain part's certainty, so more of the dense
    # excerpts' sentences need attention than when it carried its first part's (3 then).
    assert held_back <= 8, held_back


# ------------------------------------------------------------------ one screen per few claims (issue 14)

REPEATING = (
    "Ketamine clinic.\n\nKetamine is not addictive.\n\nOur staff are kind.\n\nKetamine is simply not addictive.\n"
)


def test_sentences_read_the_same_way_share_one_card(rules: Rules, index: InMemoryIndex) -> None:
    view = view_of(REPEATING, "p.txt", rules, index)
    md, html = render_markdown(view), render_html(view)
    assert [c.same_as for c in view.cards] == [None, 1]
    card = md.split("\n## 1, 2 · ✗ Contradicted")[1].split("\n## ")[0]
    assert "> Ketamine is not addictive." in card and "> Ketamine is simply not addictive." in card
    assert "## 2 ·" not in md and md.count("- against · DEA schedule 1999") == 1
    # Both rows stay in the tables, the HTML anchors the second sentence in the shared card ...
    assert len(view.rows) == 2 and 'id="card-2"' in html and html.count('<section class="card') == 1
    # ... and the JSON keeps each sentence's own card whole.
    cards = view_to_json(view)["cards"]
    assert [c["same_as"] for c in cards] == [None, 1] and cards[0]["evidence"] == cards[1]["evidence"] != []
    # Asserted in other words, a sentence shares the card and its strength is said for it ...
    other = view_of(REPEATING.replace("simply not addictive", "not habit-forming"), "p.txt", rules, index)
    assert [c.same_as for c in other.cards] == [None, 1]
    assert "Read as (absolute: “not addictive” · 2: absolute: “not habit-forming”): " in render_markdown(other)
    assert text_of(commonmark(render_markdown(other))) == text_of(render_html(other))
    # ... but read another way (the harm acknowledged, not denied) it keeps its own card. ("not really addictive" was
    # the example until stop 49 read it as the denial it is.)
    apart = view_of(REPEATING.replace("simply not addictive", "addictive when misused"), "p.txt", rules, index)
    assert [c.same_as for c in apart.cards] == [None, None]


def test_a_record_is_described_at_its_first_mention(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_iv_clinic.html", rules, index)
    rows = [(c.row.number, e) for c in view.cards if c.same_as is None for e in c.evidence]
    mentions = [(n, e) for n, e in rows if e.ref.label == "PMID 90000004"]
    assert len(mentions) >= 2
    (_, first), (_, later) = mentions[0], mentions[1]
    assert first.detail.startswith(first.design) and first.result in first.detail
    assert first.design not in later.detail and first.result not in later.detail  # same number: not repeated
    # The JSON row still has the whole description.
    assert (later.design, later.n, later.result) == (first.design, first.n, first.result)
    md = render_markdown(view, cards="all")
    assert md.count(f"PMID 90000004 · {first.detail}") == 1


def test_one_downgrade_is_said_on_the_certainty_line(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_numbers.txt", rules, index)
    md = render_markdown(view, cards="all")
    one = [c for c in view.cards if len(c.downgrades) == 1 and c.same_as is None]
    many = [c for c in view.cards if len(c.downgrades) > 1 and c.same_as is None]
    for card in one:
        assert f"Certainty: {card.certainty_source} — {card.downgrades[0]}\n" in md
    for card in many:
        assert all(f". {d}\n" in md for d in card.downgrades)
    assert one or many


def test_headings_not_checked_are_one_line(rules: Rules, index: InMemoryIndex) -> None:
    view = fixture_view("claims_page_iv_clinic.html", rules, index)
    headings = next(g for g in view.unchecked if g.reason == "heading")
    assert headings.inline and len(headings.sentences) > 1
    line = f"{headings.title}: {' · '.join(headings.sentences)}"
    assert f"\n{line}\n" in render_markdown(view) and line in "".join(parsed(render_html(view)).parts)


def test_times_are_human_durations() -> None:
    # claims.numbers.human_duration, not the engine's format_hours ("14 days", "0 min").
    assert humanise("duration 14 days") == "duration 2 weeks"
    assert humanise("onset 0.5 h, response at 0 min") == "onset 30 min, response, no timepoint given"


def test_report_and_check_name_verdicts_alike() -> None:
    from ketlit.claims.vocab import vocab
    from ketlit.report.labels import VERDICT_LABELS, VERDICT_SYMBOLS, verdict_text

    v = vocab()
    assert dict(VERDICT_SYMBOLS) == {s: sym for s, (_, sym, _) in v.verdicts.items()}
    assert dict(VERDICT_LABELS) == {s: label for s, (label, _, _) in v.verdicts.items()}
    assert all(verdict_text(s) == v.verdict_text(s) for s in v.verdicts)


@pytest.mark.parametrize(
    ("sentence", "read_as"),
    [
        # Was "benefit lasts within 91.25 days" and "takes effect within 0.667 h".
        # "Up to three months" is tested as lasting that long in a study (the card's note says so).
        ("The benefits of a ketamine infusion last up to three months.", "benefit lasts at least 3 months"),
        ("Ketamine infusions relieve depression within 40 minutes.", "takes effect within 40 min"),
        ("Relief from ketamine lasts for weeks.", "benefit lasts at least 2 weeks"),
        # Under half a minute human_duration says "no timepoint given": "takes effect within no timepoint given".
        ("Ketamine starts working in 10 seconds.", "takes effect within seconds"),
    ],
)
def test_a_cards_reading_says_the_time_as_a_reader_would(
    sentence: str, read_as: str, rules: Rules, index: InMemoryIndex
) -> None:
    view = view_of(f"Ketamine infusions for depression.\n\n{sentence}\n", "p.txt", rules, index)
    said = " ".join(r for c in view.cards for r in c.readings)
    assert read_as in said, said
    assert not re.search(r"\d\.\d{2}", said)


def test_a_card_says_the_why_its_row_had_to_cut(rules: Rules, index: InMemoryIndex) -> None:
    # The row's Why cell stops at 60 characters ("the page promises an outcome (cures) that the evidence…"),
    # and the card listed only its decisive records: a ✗ card with every record "for" never said why.
    view = fixture_view("claims_page_numbers.txt", rules, index)
    cut = [c for c in view.cards if c.row.why.endswith("…")]
    assert cut and all(c.why and c.why.startswith(c.row.why.removesuffix("…").rstrip()) for c in cut)
    assert all(not c.why for c in view.cards if not c.row.why.endswith("…"))
    md = render_markdown(view, cards="all")
    html = render_html(view, cards="all")
    for c in cut:
        assert f"Why: {md_inline(c.why)}" in md
        assert re.sub(r"\s+", "", f"Why: {c.why}") in text_of(html)


def test_an_onset_without_a_time_is_not_said_twice_on_the_card() -> None:
    """"onset rapid, no time given · no timepoint given" said the same thing twice on an evidence line; the
    row's timepoint field keeps the one wording every row uses."""
    from ketlit.claims.judging import Decisive
    from ketlit.claims.view import _result_and_time, _when

    rapid = Decisive("pubmed", "1", "trial", "for", "onset rapid, no time given", "Ketamine acted rapidly.")
    assert _result_and_time(rapid) == ("onset rapid, no time given", "no timepoint given")
    timed = Decisive("pubmed", "2", "trial", "for", "onset 4 h", "Ketamine acted within 4 hours.")
    assert _result_and_time(timed) == ("onset 4 h", "4 h")
    assert _when(*_result_and_time(rapid)) == ""
    assert _when(*_result_and_time(timed)) == ""  # "4 h" is in "onset 4 h"
    assert _when("response 60%", "at 24 h") == " at 24 h" and _when("response 60%", "day 7") == " · day 7"
