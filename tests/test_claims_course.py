"""A course stated by its count of administrations (stop 50): "Most patients start with a series of six infusions
over two to three weeks" was no claim at all ("start with" was not a verb of receiving), and every schedule claim that
names no mg figure was "insufficient: no dose could be read". It is judged against the courses the counted studies
gave: enough studies whose course is the page's support it, fewer partly, none leave it insufficient. Made-up
records."""

from __future__ import annotations

import pytest

from ketlit.claims.check import check_page
from ketlit.claims.evidence import EvidenceRecord, InMemoryIndex
from ketlit.claims.rules import Rules
from ketlit.claims.series import course_counts
from tests.test_claims_synthesis import record

PAGE = "Ketamine for Treatment-Resistant Depression\n\nKetamine infusions relieve treatment-resistant depression.\n\n"


def _course(rid: str, count: str) -> EvidenceRecord:
    text = f"Patients received {count} ketamine infusions over 12 days. Ketamine reduced depressive symptoms."
    return record(rid, n=60, abstract=text)


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("a series of six infusions over two to three weeks", [(6, 6)]),
        ("four to six infusions, followed by boosters", [(4, 6)]),
        ("Participants received 6 ketamine infusions", [(6, 6)]),
        # A frequency is no course; nor is a count of people.
        ("two infusions a week for three weeks", []),
        ("twenty patients received infusions", []),
    ],
)
def test_course_counts(text: str, want: list[tuple[int, int]]) -> None:
    assert [(lo, hi) for lo, hi, _ in course_counts(text)] == want


@pytest.mark.parametrize(
    "sentence",
    [
        "Most patients start with a series of six infusions over two to three weeks.",
        "Most patients need a course of six ketamine infusions.",
        "Patients usually receive six infusions over two to three weeks.",
    ],
)
def test_a_course_the_studies_gave_is_supported(rules: Rules, sentence: str) -> None:
    studies = [_course(str(i), "six") for i in range(1, 4)]
    report = check_page(PAGE + sentence + "\n", "p.txt", InMemoryIndex(studies, rules), rules)
    (claim,) = [c for c in report.claims if c.claim.kind == "dosing"]
    assert claim.verdict.verdict == "supported", claim.verdict.reasons
    assert {d.id for d in claim.verdict.decisive} <= {"1", "2", "3"} and claim.verdict.decisive


def test_a_course_few_or_no_studies_gave_is_partly_supported_or_insufficient(rules: Rules) -> None:
    sentence = "Most patients start with a series of six infusions over two to three weeks.\n"
    one = [_course("1", "six"), _course("2", "four"), _course("3", "four")]
    report = check_page(PAGE + sentence, "p.txt", InMemoryIndex(one, rules), rules)
    (claim,) = [c for c in report.claims if c.claim.kind == "dosing"]
    assert claim.verdict.verdict == "partly_supported", claim.verdict.reasons
    other = [_course("1", "four"), _course("2", "four"), _course("3", "four")]
    report = check_page(PAGE + sentence, "p.txt", InMemoryIndex(other, rules), rules)
    (claim,) = [c for c in report.claims if c.claim.kind == "dosing"]
    assert claim.verdict.verdict == "insufficient_evidence", claim.verdict.reasons
    # Studies that state no course say nothing of one.
    report = check_page(PAGE + sentence, "p.txt", InMemoryIndex([record("1"), record("2")], rules), rules)
    (claim,) = [c for c in report.claims if c.claim.kind == "dosing"]
    assert claim.verdict.verdict == "insufficient_evidence", claim.verdict.reasons
