"""What a fuzzing pass over `ketlit check` found (stop 48), each pinned both ways.

Pages as real clinics write them: an emoji bullet between sentences, a form feed, a self-closed SVG icon, a comment
never closed, a PDF saved as ``.html``; and inputs on which a step grew with the square of the page (a run of
``[`` in Markdown, a long menu, a thousand flagged claims). The speed of those is measured in
``bench/check_page_size.py`` (its pathological pages); here, what each must read and how many times the Markdown
check is rendered.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

import ketlit.claims.render_md as render_md
from ketlit.claims.check import check_page
from ketlit.claims.evidence import InMemoryIndex
from ketlit.claims.policy import packaged_policy
from ketlit.claims.rules import Rules
from ketlit.claims.text import _holds_prose, page_from_bytes, sentence_texts
from ketlit.claims.view import build_view
from ketlit.errors import InputError

CLAIM = "Ketamine is not addictive."


def _text(markup: str, name: str = "page.html") -> str:
    return page_from_bytes(markup.encode("utf-8"), name).text


# ------------------------------------------------------------------ sentences


@pytest.mark.parametrize("between", ["\u2705 ", "\u2b50 ", "• ", "¿", "氯胺酮。 "])
def test_a_sentence_after_an_emoji_bullet_or_a_caseless_script_is_its_own(between: str) -> None:
    sentences = sentence_texts(f"Ketamine is FDA-approved for depression. {between}{CLAIM}")
    assert sentences[0] == "Ketamine is FDA-approved for depression."
    assert sentences[-1].endswith(CLAIM)
    assert len(sentences) >= 2


@pytest.mark.parametrize("text", ["Doses are approx. two per week.", "Ketamine vs. placebo was tested."])
def test_a_lower_case_word_after_a_dot_continues_the_sentence(text: str) -> None:
    assert sentence_texts(text) == [text]


@pytest.mark.parametrize("control", ["\f", "\v"])
def test_a_form_feed_separates_what_it_stands_between(control: str) -> None:
    text = page_from_bytes(f"Ketamine is FDA-approved for depression.{control}{CLAIM}".encode(), "p.txt").text
    assert "depression.Ketamine" not in text
    assert sentence_texts(text)[-1] == CLAIM


# ------------------------------------------------------------------ HTML


@pytest.mark.parametrize(
    "icon", ['<svg class="icon"/>', "<math/>", '<svg viewBox="0 0 8 8"><path d="M0 0"/><circle r="1"/></svg>']
)
def test_a_self_closed_svg_or_mathml_element_hides_nothing(icon: str) -> None:
    assert CLAIM in _text(f"<html><body>{icon}<p>{CLAIM}</p></body></html>")


def test_a_self_closed_html_element_still_opens_as_browsers_read_it() -> None:
    # "<div/>" is an open <div> in HTML: its text is read (and the page after it).
    assert CLAIM in _text(f"<div/><p>{CLAIM}</p>")


def test_a_comment_never_closed_is_hidden_as_a_browser_hides_it() -> None:
    text = _text(f"<p>{CLAIM}</p><!-- Ketamine cures depression in 95% of patients.")
    assert CLAIM in text
    assert "cures" not in text and "<!--" not in text
    # A closed comment is hidden too, and the text after it read.
    assert _text(f"<!-- hidden --><p>{CLAIM}</p>") == CLAIM


def test_a_long_menu_without_prose_is_dropped_and_prose_in_a_menu_is_kept() -> None:
    menu = '<li><a href="/l">Ketamine for Depression</a></li>' * 300
    assert _text(f"<nav><ul>{menu}</ul></nav><p>{CLAIM}</p>") == CLAIM
    prose = "Our ketamine clinic has helped over two thousand local patients since 2015."
    assert prose in _text(f"<nav><ul>{menu}<li>{prose}</li></ul></nav><p>{CLAIM}</p>")


_OLD_PROSE = re.compile(r"(?:[^\s.!?]+\s+){7,}[^\s.!?]+[.!?]")


def test_the_one_pass_prose_test_agrees_with_the_regex_it_replaced() -> None:
    rng = random.Random(48)
    alphabet = ["a", "bb", " ", "  ", "\n", ".", "!", "?", "x.y", "7"]
    for _ in range(3000):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 60)))
        assert _holds_prose(text) == (_OLD_PROSE.search(text) is not None), repr(text)


# ------------------------------------------------------------------ Markdown


def test_a_long_run_of_brackets_reads_on_to_the_claim() -> None:
    assert _text("[" * 30_000 + f"\n\n{CLAIM}\n", "page.md").endswith(CLAIM)


@pytest.mark.parametrize(
    ("markdown", "want"),
    [
        ("[Ketamine](https://example.org/wiki/Ketamine_(drug)) relieves pain.", "Ketamine relieves pain."),
        ("![a clinic](/img.png) Ketamine relieves pain.", "a clinic Ketamine relieves pain."),
        ("[Ketamine][1] relieves pain.\n\n[1]: https://example.org", "Ketamine relieves pain."),
    ],
)
def test_links_still_read_as_their_text(markdown: str, want: str) -> None:
    assert _text(markdown, "page.md") == want


# ------------------------------------------------------------------ binary files


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.4\n1 0 obj\nBT /F1 12 Tf (Ketamine is not addictive.) ET\n",
        b"PK\x03\x04\x14\x00\x06\x00" + b"word/document.xml" * 10,
        bytes(random.Random(1).choices([*range(1, 9), *range(32, 127)], k=4000)),
    ],
)
def test_a_binary_file_is_refused(data: bytes) -> None:
    with pytest.raises(InputError, match="binary"):
        page_from_bytes(data, "page.html")


def test_a_text_page_with_a_stray_control_character_is_read() -> None:
    assert CLAIM in page_from_bytes(f"Intro.\x01 Text.\x02\n\n{CLAIM}\n".encode(), "page.txt").text


# ------------------------------------------------------------------ output


def test_the_markdown_check_is_rendered_log_n_times_and_keeps_the_most_urgent_that_fit(
    monkeypatch: pytest.MonkeyPatch, rules: Rules
) -> None:
    # Sixty flagged claims and enough other text that some, not all, of their cards fit the page's budget.
    page = " ".join(f"Over {i}% of our ketamine patients feel better within {i % 48 + 1} hours." for i in range(60))
    page += "\n\n" + "\n\n".join(f"Our offices on street number {i} are open on weekdays from nine to five."
                                  for i in range(100))
    report = check_page(page, "page.txt", InMemoryIndex([], rules), rules)
    view = build_view(report, rules, packaged_policy(), now=datetime(2026, 1, 2, tzinfo=UTC),
                      page_bytes=len(page.encode()))
    urgent = view.needing_attention()
    assert len(urgent) >= 40
    budget = render_md.vocab().page_multiple * view.page_bytes

    def linear() -> int:  # the largest k that fits, found by trying every k from the top, as before
        for k in range(len(urgent), 0, -1):
            shown = view.select(urgent[:k])
            note = view.cards_note(shown, cut=k < len(urgent))
            if k == 1 or len(render_md._render(view, shown, note).encode()) < budget:
                return k
        return 0

    k = linear()
    assert 1 < k < len(urgent)  # the budget cuts: the search is exercised
    want = view.select(urgent[:k])
    calls = [0]
    real = render_md._render

    def counting(*args: object, **kwargs: object) -> str:
        calls[0] += 1
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(render_md, "_render", counting)
    shown, _ = render_md.printed_cards(view, "attention")
    assert shown == want
    assert calls[0] <= 2 + len(urgent).bit_length()


# ------------------------------------------------------------------ closed standard streams


@pytest.mark.parametrize(
    ("closed", "args", "said"),
    [(0, ["-"], "cannot read standard input: it is closed"), (1, [], "cannot write to standard output: it is closed")],
)
def test_a_closed_standard_stream_is_one_error_line(closed: int, args: list[str], said: str, tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text(CLAIM + "\n", encoding="utf-8")
    cmd = [sys.executable, "-m", "ketlit", "--db", str(tmp_path / "cache.db"), "check", *(args or [str(page)])]
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    done = subprocess.run(cmd, env=env, stderr=subprocess.PIPE, text=True, check=False, timeout=120,
                          preexec_fn=lambda: os.close(closed))
    assert done.returncode == 1
    assert done.stderr.strip().splitlines()[-1] == f"Error: {said}"
    assert "Traceback" not in done.stderr
