"""A study's sample size when its abstract prints one "n =" per arm (stop 50). The first "n =" was taken as the
sample, so a trial of 99 printed as five arms ("0.1 mg/kg (n = 18), … midazolam (n = 19)") was read as 18, and every
two-arm trial as half its size: with 50 participants the bar for an adequately sized RCT, that decided verdicts. Arms
listed in a sentence that allocates people add up; a first value that is already their total, timepoints of one
sample, and a subgroup after its total are read as before. An abstract that prints no "n =" and no "a total of" is
read for any count of people it states, and a case report that prints none is of one patient. Made-up text."""

from __future__ import annotations

import pytest

from ketlit.evidence.profile import read_profile
from ketlit.evidence.rules import packaged_rules
from ketlit.sources.models import AbstractSection, Article


def _n(methods: str) -> int | None:
    article = Article(
        pmid="1",
        title="Ketamine for depression: a randomized trial",
        sections=[
            AbstractSection("METHODS", "METHODS", methods),
            AbstractSection("RESULTS", "RESULTS", "Ketamine reduced MADRS scores more than placebo (p < 0.01)."),
        ],
    )
    return read_profile(article, {"molecule": ["racemic_ketamine"], "design": ["rct"]}, packaged_rules()).n


@pytest.mark.parametrize(
    ("methods", "n"),
    [
        # Arms, one "n =" each, in a sentence that allocates people: their sum.
        ("Patients were randomly assigned to ketamine 0.1 mg/kg (n = 18), 0.5 mg/kg (n = 22), 1.0 mg/kg (n = 20) "
         "or midazolam (n = 19).", 79),
        ("Children were randomised to dexmedetomidine (Group D, n = 32) or ketamine (Group K, n = 32).", 64),
        ("We compared monotherapy (n = 39) and adjunctive (n = 181) ketamine treatment.", 220),
        # A count of people the sentence states, at least the arms' sum: that count.
        ("Ninety patients were randomly assigned to ketamine (n=30), ketamine plus propofol (n=30) or propofol "
         "(n=30).", 90),
        # The first value is already the total of the arms after it.
        ("Participants (N = 99) were randomized to ketamine (n = 50) or placebo (n = 49).", 99),
        # One sample counted at each timepoint: no allocation, the first.
        ("Patients were analysed at 230 minutes (n = 108), at day 1 (n = 82), and at day 7 (n = 71).", 108),
        # A total and a subgroup, or two overlapping samples: the first alone.
        ("Participants (n = 84) received ketamine, of whom women (n = 34) were analysed apart.", 84),
        # One "n =": as before.
        ("Adults with depression (n = 40) received ketamine or placebo.", 40),
        # "26 of 28 subjects": the people counted are 28, not 26.
        ("Ketamine was detected with other drugs in 26 of 28 subjects (MDMA, n = 9; cocaine, n = 1).", 28),
        # No "n =", "a total of" or "randomized N": any count of people the methods state.
        ("In this double-blind crossover study, 24 healthy controls were given ketamine or placebo.", 24),
        ("We enrolled 65 patients with TRD, comprising 33 who received ketamine and 32 who received placebo.", 65),
        ("A questionnaire was completed by 210 respondents who had used ketamine.", 210),
        # Not those screened, not a number after a sign, not a day before "in patients".
        ("During 2019, 502 subjects were screened and 330 eligible adults were randomly allocated.", 330),
        ("Participants aged ≥ 60 years received ketamine; 41 adults completed the study.", 41),
        ("Response was assessed at day 28 in patients who received ketamine.", None),
        # A share of the people is no count of them (Diazgranados 2010's 15 were read as 79).
        ("Seventy-nine percent of subjects responded to ketamine and none to placebo.", None),
    ],
)
def test_sample_size_from_arms(methods: str, n: int | None) -> None:
    assert _n(methods) == n


def test_a_case_report_that_prints_no_count_is_of_one_patient() -> None:
    article = Article(
        pmid="2",
        title="Ketamine for treatment-resistant depression: a case report",
        sections=[AbstractSection(None, None, "We describe a woman with depression who improved after ketamine.")],
    )
    profile = read_profile(article, {"molecule": ["racemic_ketamine"], "design": ["case_report"]}, packaged_rules())
    assert profile.question.value == "case_report" and profile.n == 1
