"""check_page end to end: the JSON shape, the Markdown report, escaping, determinism, rules files."""

from __future__ import annotations

import hashlib
import json
import re
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ketlit.claims.check import check_page, md_escape, report_to_json
from ketlit.claims.evidence import InMemoryIndex, records_from_dicts
from ketlit.claims.rules import NUMBERS_READER_VERSION, Rules, load_rules
from ketlit.claims.text import page_from_bytes
from ketlit.errors import ConfigError
from ketlit.tagging.vocab import tag_vocabularies
from tests.claims_pages import check_markdown

FIXTURES = Path(__file__).resolve().parent / "fixtures"
CLAIM_KEYS = {
    "id",
    "text",
    "kind",
    "indication",
    "route",
    "molecule",
    "threshold",
    "verdict",
    "certainty",
    "reasons",
    "evidence",
    "pooled",
}


@pytest.fixture(scope="module")
def index(rules: Rules) -> InMemoryIndex:
    data = json.loads((FIXTURES / "claims_records.json").read_text())["records"]
    return InMemoryIndex(records_from_dicts(data), rules)


@pytest.fixture(scope="module")
def html_report(rules: Rules, index: InMemoryIndex) -> tuple[dict[str, Any], str]:
    page = page_from_bytes((FIXTURES / "claims_page_iv_clinic.html").read_bytes(), "claims_page_iv_clinic.html")
    report = check_page(page.text, "claims_page_iv_clinic.html", index, rules)
    return report_to_json(report), check_markdown(report, rules)


def test_json_shape(html_report: tuple[dict[str, Any], str]) -> None:
    data, _ = html_report
    assert data["source"] == "claims_page_iv_clinic.html"
    claims = data["claims"]
    assert isinstance(claims, list) and claims
    for c in claims:
        assert set(c) >= CLAIM_KEYS
        assert c["verdict"] in (
            "supported",
            "partly_supported",
            "insufficient_evidence",
            "contradicted",
            "not_checkable",
        )
        assert c["certainty"] in ("high", "moderate", "low", "very_low", None)
        for e in c["evidence"]:
            assert {"source", "id", "design", "finding"} <= set(e)
        if c["threshold"] is not None:
            assert set(c["threshold"]) == {"op", "value", "unit"}
        if c["pooled"] is not None:
            assert {"k", "n", "estimate", "ci_low", "ci_high", "pi_low", "pi_high", "i2"} <= set(c["pooled"])
        if c["verdict"] not in ("insufficient_evidence", "not_checkable"):
            assert c["evidence"], c
    json.dumps(data)  # serialisable as is


def test_verdicts_on_the_fixture_page(html_report: tuple[dict[str, Any], str]) -> None:
    data, _ = html_report
    by_text = {(c["text"], c["kind"]): c for c in data["claims"]}
    assert (
        by_text[("Over 50% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate")]["verdict"]
        == "supported"
    )
    over90 = by_text[("Over 90% of patients respond to ketamine infusions within 24 hours.", "efficacy_rate")]
    assert over90["verdict"] == "contradicted"
    assert over90["threshold"] == {"op": ">", "value": 90.0, "unit": "%"}
    assert over90["pooled"]["estimate"] == 60.0
    assert (
        by_text[("Ketamine infusions are effective for obsessive-compulsive disorder.", "efficacy")]["verdict"]
        == "insufficient_evidence"
    )
    # Read from the sentence alone (issue 13, K): the generic name, and esketamine — a form of the
    # drug — is approved for depression while racemic ketamine is not, so the sentence is only
    # partly right whichever page it is on (an infusion clinic's page no longer changes it).
    fda = by_text[("Ketamine is FDA-approved for depression.", "regulatory")]
    assert fda["verdict"] == "partly_supported"
    assert any("another form of the drug" in r for r in fda["reasons"])
    assert by_text[("Ketamine is not addictive.", "safety")]["verdict"] == "contradicted"
    anecdotes = [c for c in data["claims"] if c["anecdote"]]
    assert anecdotes and all(c["verdict"] == "not_checkable" for c in anecdotes)


def test_script_never_reaches_the_output(html_report: tuple[dict[str, Any], str]) -> None:
    data, markdown = html_report
    for out in (json.dumps(data), markdown):
        assert "<script" not in out.lower()
        assert "alert" not in out and "tracker" not in out and "99%" not in out


def test_markdown_structure_and_links(html_report: tuple[dict[str, Any], str]) -> None:
    _, md = html_report
    assert md.startswith("# ketlit check — claims_page_iv_clinic.html\n")
    assert "[PMID 90000001](https://pubmed.ncbi.nlm.nih.gov/90000001/)" in md
    assert "[NCT90000003](https://clinicaltrials.gov/study/NCT90000003)" in md
    assert "Pooled: 60.0% (95% CI" in md
    assert "## Needs attention" in md and "## All claims" in md and "## Not checkable (" in md


def test_report_is_deterministic(rules: Rules, index: InMemoryIndex) -> None:
    page = page_from_bytes((FIXTURES / "claims_page_iv_clinic.html").read_bytes(), "p.html")
    a = check_page(page.text, "p.html", index, rules)
    b = check_page(page.text, "p.html", index, rules)
    assert check_markdown(a, rules) == check_markdown(b, rules)
    assert json.dumps(report_to_json(a), sort_keys=True) == json.dumps(report_to_json(b), sort_keys=True)


@pytest.mark.parametrize(
    "hostile",
    [
        "| a | b |",
        "`code` and ```fence```",
        "[click](javascript:alert(1)) ![img](https://x.example/a.png)",
        "<img src=x onerror=alert(1)> <script>alert(1)</script>",
        "# heading\n## another\n- item\n1. first",
        "visit www.evil.example or https://evil.example or mail me@evil.example",
        "**bold** _em_ ~~strike~~ \\ backslash",
    ],
)
def test_md_escape_makes_text_inert(hostile: str) -> None:
    out = md_escape(hostile)
    assert "\n" not in out
    assert "<" not in out and ">" not in out
    for token in ("|", "`", "[", "]", "(", ")", "*", "_", "~", "#", "!"):
        # every Markdown-significant character is preceded by a backslash
        assert all(out[i - 1] == "\\" for i, ch in enumerate(out) if ch == token), (token, out)
    assert "://" not in out and "www." not in out and re.search(r"(?<!\\)@", out) is None


def test_hostile_page_text_cannot_inject(rules: Rules, index: InMemoryIndex) -> None:
    text = (
        "Ketamine clinic. Ketamine care.\n\n"
        "Over 90% of patients respond to ketamine | [win](https://evil.example) `x` <b>bold</b> within 24 hours."
    )
    md = check_markdown(check_page(text, "<script>alert(1)</script>.txt", index, rules), rules)
    # Tags stay text: their "<" is escaped (so CommonMark shows "<b>bold</b>", not bold).
    assert re.search(r"(?<!\\)<(b|script)>", md) is None and "\\<b>" in md
    assert "[win](https://evil.example)" not in md
    table_rows = [line for line in md.splitlines() if line.startswith("| ")]
    # Rows keep exactly their column count (six columns): no page text adds a cell.
    assert table_rows and all(len(re.findall(r"(?<!\\)\|", row)) == 7 for row in table_rows), table_rows


def test_bad_rules_file_is_a_config_error(tmp_path: Path) -> None:
    bad = tmp_path / "rules.toml"
    bad.write_text("[drug]\nnames = ['(unclosed']\n")
    with pytest.raises(ConfigError, match=r"drug\.names.*bad regex"):
        load_rules(bad)
    bad.write_text("[indication.families.nonsense]\ndirect = ['x']\n")
    with pytest.raises(ConfigError, match="unknown slug"):
        load_rules(bad)
    bad.write_text("not = [toml")
    with pytest.raises(ConfigError, match="invalid TOML"):
        load_rules(bad)


def test_user_rules_override(tmp_path: Path, rules: Rules, index: InMemoryIndex) -> None:
    user = tmp_path / "rules.toml"
    # A user can change how vague words are read: here "long-lasting" means at least 3 days.
    user.write_text(
        "[time]\n"
        "vague_duration = [{ pattern = '\\blong[- ]lasting\\b', op = '>=', hours = 72.0, note = 'site rule' }]\n"
    )
    custom = load_rules(user)
    assert custom.vague_duration[0].hours == 72.0 and len(custom.vague_duration) == 1
    assert rules.vague_duration[0].hours != 72.0


# A molecule no packaged rules file knows; a user's tagging rules file adds it.
NEW_MOLECULE = "example_molecule"
NEW_FACT = f"""
[[fact]]
id = "example_approval"
kind = "approval"
molecule = ["{NEW_MOLECULE}"]
route = ["oral"]
indication = ["depression"]
statement = "An example approval."
[[fact.source]]
url = "https://example.org/approval"
title = "Example approval"
"""


def test_claim_rules_name_the_slugs_of_the_tagging_rules(tmp_path: Path, rules: Rules) -> None:
    assert NEW_MOLECULE not in tag_vocabularies()["molecule"]
    user = tmp_path / "claims.toml"
    user.write_text(f"[molecule.patterns]\n{NEW_MOLECULE} = ['\\bexamplol\\b']\n")
    regulatory = tmp_path / "regulatory.toml"
    regulatory.write_text(NEW_FACT)
    for args, where in (((user, None), f"{user}: molecule.patterns.{NEW_MOLECULE}"),
                        ((None, regulatory), f"{regulatory}: fact[{len(rules.facts)}]")):
        with pytest.raises(ConfigError) as info:
            load_rules(*args)
        assert str(info.value) == f"{where}: unknown slug {NEW_MOLECULE!r}"
    tagging = tmp_path / "tagging.toml"
    tagging.write_text(f'[axes.molecule]\nvalues = ["{NEW_MOLECULE}"]\n')
    custom = load_rules(user, regulatory, vocabularies=tag_vocabularies(tagging))
    assert custom.molecules[NEW_MOLECULE].any("Examplol works.")
    fact = custom.fact("example_approval")
    assert fact is not None and fact.molecule == (NEW_MOLECULE,)


def test_claim_rules_are_checked_against_the_given_vocabularies() -> None:
    vocab = tag_vocabularies()
    load_rules(vocabularies=vocab)
    # Without "esketamine" in the tagging rules, the packaged claim rules that name it must not load.
    shrunk = {**vocab, "molecule": tuple(m for m in vocab["molecule"] if m != "esketamine")}
    with pytest.raises(ConfigError, match="unknown slug 'esketamine'"):
        load_rules(vocabularies=shrunk)


def test_digest_covers_the_user_rules_but_not_the_regulatory_facts(tmp_path: Path, rules: Rules) -> None:
    packaged = resources.files("ketlit.data").joinpath("claim_rules.toml").read_bytes()
    # The packaged rules and the numbers reader's version: stored findings stay valid until either changes.
    assert rules.digest == hashlib.sha256(f"numbers reader {NUMBERS_READER_VERSION}\n".encode() + packaged).hexdigest()
    user = tmp_path / "claims.toml"
    user.write_text("[drug]\nmin_claim_words = 5\n")
    assert load_rules(user).digest not in ("", rules.digest)
    regulatory = tmp_path / "regulatory.toml"
    regulatory.write_text(NEW_FACT.replace(NEW_MOLECULE, "esketamine"))
    assert load_rules(None, regulatory).digest == rules.digest


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("fact = 3\n", "fact must be a list of tables"),
        ("[[facts]]\nid = 'x'\n", "unknown key(s): facts"),
        ("[[fact]]\nid = 'x'\n", "a fact needs at least one [[fact.source]]"),
        (
            "[[fact]]\nid = 'x'\nkind = 'label_onset'\nstatement = 's'\n"
            "[[fact.source]]\nurl = 'https://example.org/label'\ntitle = 't'\n",
            "a label_onset fact needs hours = [low, high]",
        ),
        (
            "[[fact]]\nid = 'x'\nkind = 'label_onset'\nstatement = 's'\nhours = [2, 1]\n"
            "[[fact.source]]\nurl = 'https://example.org/label'\ntitle = 't'\n",
            "must be [low, high] with low <= high",
        ),
        (
            "[[fact]]\nid = 'x'\nkind = 'label_onset'\nstatement = 's'\nhours = [1, 2]\n"
            "[[fact.source]]\nurl = 'https://example.org/label'\ntitle = 't'\n",
            "a label_onset fact needs the uses its hours are for",
        ),
        ("[[fact\n", "invalid TOML"),
        (None, "cannot read rules file"),
    ],
)
def test_bad_regulatory_file_is_a_one_line_config_error(tmp_path: Path, text: str | None, fragment: str) -> None:
    path = tmp_path / "regulatory.toml"
    if text is not None:
        path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_rules(None, path)
    message = str(info.value)
    assert message.startswith(f"{path}: ") and "\n" not in message and fragment in message, message


def test_regulatory_facts_all_have_https_sources(rules: Rules) -> None:
    assert rules.facts
    for f in rules.facts:
        assert f.sources and all(s.url.startswith("https://") and s.title for s in f.sources)
    ids = {f.id for f in rules.facts}
    assert {"spravato_trd_2019", "ketalar_approval", "dea_schedule_iii", "fda_compounded_ketamine_2023"} <= ids
