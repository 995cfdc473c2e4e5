"""Trial grouping by team: a secondary report joins its trial's main report when the two share their team, a
sample (the secondary's the same or a part of the main's), a molecule, a condition and a trial design; main
reports never join each other by their authors, and a secondary report that could belong to two of a lab's
trials joins neither. All records are made up."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.evidence.groups import _same_team, group_records
from ketlit.store.core import open_store
from ketlit.store.profiles import GroupingInput
from tests.conftest import FIXTURES

TEAM = ("lee a", "kim b", "park c", "choi d", "wu e")


def _r(pmid: str, title: str, n: int | None, relation: str = "main", *, year: int = 2020,
       authors: tuple[str, ...] = TEAM, question: str = "efficacy_vs_control",
       molecules: tuple[str, ...] = ("racemic_ketamine",), conditions: tuple[str, ...] = ("depression",),
       designs: tuple[str, ...] = ("rct",)) -> GroupingInput:
    if relation == "secondary":
        question = "predictor_or_secondary"
    return GroupingInput(pmid, title, year, n, relation, question, (), (), authors, molecules, conditions, designs)


MAIN = _r("100", "Low-dose ketamine infusion in treatment-resistant depression: a randomized trial", 71, year=2017)


def _groups(records: list[GroupingInput]) -> dict[str, str]:
    groups = group_records(records)
    assert groups == group_records(list(reversed(records)))  # order does not matter
    return {pmid: gid for pmid, gid, _ in groups}


@pytest.mark.parametrize(
    "secondary",
    [
        # A sub-sample (48 of 71) with a reworded title and the same first and last author.
        _r("200", "Frontostriatal connectivity predicts response: a post hoc analysis", 48, "secondary", year=2020),
        # The whole sample, led by a fellow: first author new, the main report's last author among the shared.
        _r("300", "Anxious vs nonanxious depression: a secondary analysis", 71, "secondary", year=2019,
           authors=("tan f", "lee a", "kim b", "wu e")),
    ],
)
def test_a_secondary_report_joins_its_teams_main_report(secondary: GroupingInput) -> None:
    by = _groups([MAIN, secondary])
    assert by[secondary.pmid] == by["100"] == "100"
    # ... and the main report still speaks for the group.
    assert {p: main for p, _, main in group_records([MAIN, secondary])} == {"100": True, secondary.pmid: False}


@pytest.mark.parametrize(
    ("secondary", "why"),
    [
        (_r("200", "Biomarkers of response", 90, "secondary"), "more patients than the main report"),
        (_r("200", "Biomarkers of response", 48, "secondary", year=2015), "published before the main report"),
        (_r("200", "Biomarkers of response", 48, "secondary", molecules=("esketamine",)), "another molecule"),
        (_r("200", "Biomarkers of response", 48, "secondary", conditions=("ptsd",)), "another condition"),
        (_r("200", "Suicidal ideation in our ketamine clinic", 48, "secondary", designs=("observational",)),
         "a cohort of the team's clinic patients, not a trial"),
        (_r("200", "Biomarkers of response", None, "secondary"), "no stated sample"),
        (_r("200", "Biomarkers of response", 48, "secondary", authors=("lee a", "kim b", "other g", "other h",
                                                                      "other i", "other j", "other k")),
         "two shared authors are not the team"),
        (_r("200", "Biomarkers of response", 48, "secondary", authors=("park c", "choi d", "new x", "new y")),
         "shared authors, but not the main report's first or last"),
    ],
)
def test_a_secondary_report_does_not_join_without_every_cue(secondary: GroupingInput, why: str) -> None:
    by = _groups([MAIN, secondary])
    assert by["200"] != by["100"], why


def test_two_trials_of_one_lab_stay_apart_and_their_secondary_joins_neither() -> None:
    # One lab, the same byline, two different trials of small and similar samples: authors alone must not join
    # main reports (each trial keeps its vote), and a secondary report either trial may have produced is left alone
    # rather than guessed (a wrong join would chain the two trials into one group).
    first = _r("100", "Ketamine for anhedonia: a randomized crossover trial", 36, year=2012)
    second = _r("110", "Ketamine for suicidal ideation in bipolar depression: a crossover trial", 33, year=2014)
    secondary = _r("200", "Lithium levels and ketamine response", 23, "secondary", year=2016)
    by = _groups([first, second, secondary])
    assert len({by["100"], by["110"], by["200"]}) == 3


def test_a_secondary_joins_when_its_candidate_main_reports_are_already_one_trial() -> None:
    # A reprint of the main report (same title, same n) is the same trial: not an ambiguity.
    reprint = _r("105", MAIN.title, 71, year=2018)
    secondary = _r("200", "Inflammatory markers and ketamine response", 48, "secondary", year=2020)
    by = _groups([MAIN, reprint, secondary])
    assert by["100"] == by["105"] == by["200"] == "100"


def test_a_secondary_report_does_not_join_its_teams_protocol() -> None:
    # A protocol is its trial's main report (relation "main") but has no patients yet: the team's sub-study of
    # another trial (same drug, condition and design, fewer patients than the protocol plans) is not about it.
    protocol = _r("100", "Intramuscular ketamine for suicidal patients: clinical trial design and rationale", 90,
                  year=2024, question="protocol")
    secondary = _r("200", "Acute dissociation and ketamine's effects in a midazolam-controlled trial", 40,
                   "secondary", year=2024)
    by = _groups([protocol, secondary])
    assert by["200"] != by["100"]


def test_a_protocol_does_not_speak_for_its_trial() -> None:
    # Both are main reports of one registered trial; the protocol plans more patients than the results report
    # randomized, but the group's vote is the results report's.
    nct = ("NCT01234567",)
    protocol = GroupingInput("100", "Ketamine for depression: protocol of a randomized trial", 2018, 120, "main",
                             "protocol", nct, (), TEAM, ("racemic_ketamine",), ("depression",), ("rct", "protocol"))
    results = GroupingInput("150", "Ketamine for depression: a randomized trial", 2021, 110, "main",
                            "efficacy_vs_control", nct, (), TEAM, ("racemic_ketamine",), ("depression",), ("rct",))
    assert _groups([protocol, results])["150"] == "100"
    assert {p: is_main for p, _, is_main in group_records([protocol, results])} == {"100": False, "150": True}
    # Even a results report read as secondary speaks before the protocol.
    misread = GroupingInput("150", results.title, 2021, 110, "secondary", "predictor_or_secondary", nct, (), TEAM,
                            ("racemic_ketamine",), ("depression",), ("rct",))
    assert {p: is_main for p, _, is_main in group_records([protocol, misread])} == {"100": False, "150": True}


def test_secondary_reports_do_not_join_each_other_by_team() -> None:
    a = _r("200", "Sleep and ketamine response", 40, "secondary")
    b = _r("210", "Sleep and ketamine response in older adults", 30, "secondary")
    assert _groups([a, b]) == {"200": "200", "210": "210"}


def test_same_team() -> None:
    assert _same_team(TEAM, ("lee a", "x y", "wu e"))  # first and last author
    assert _same_team(("new a", "lee a", "kim b", "wu e"), TEAM)  # three shared, the main report's lead among them
    assert not _same_team(("new a", "park c", "choi d", "kim b"), TEAM)  # shared, but neither lead
    assert not _same_team(("lee a", "kim b"), TEAM)  # two shared


def test_grouping_inputs_carry_the_byline_from_the_stored_authors(tmp_path: Path) -> None:
    db = tmp_path / "k.db"
    result = CliRunner().invoke(
        app, ["--db", str(db), "--quiet", "import", str(FIXTURES / "offline" / "efetch_offline_ketamine_set.xml")]
    )
    assert result.exit_code == 0, result.output
    store = open_store(db)
    try:
        inputs = {r.pmid: r for r in store.profiles.grouping_inputs()}
    finally:
        store.close()
    assert inputs["90300001"].authors == ("fixture a", "example b")
    assert inputs["90300001"].molecules and inputs["90300001"].designs


def test_a_secondary_report_already_in_another_trial_s_group_does_not_chain_the_two() -> None:
    """A registry ID puts the secondary report in trial B's group; its team is trial A's. Joining it to A by
    its authors as well would make A and B one group, and silence one trial's vote."""
    a = _r("100", "Low-dose ketamine infusion in treatment-resistant depression: a randomized trial", 71, year=2017)
    b = GroupingInput("110", "Esketamine for suicidal ideation: a randomized trial", 2018, 80, "main",
                      "efficacy_vs_control", ("NCT02000002",), (), ("ng x", "ho y", "ma z"),
                      ("racemic_ketamine",), ("depression",), ("rct",))
    child = GroupingInput("200", "Inflammatory markers and response to ketamine", 2019, 60, "secondary",
                          "predictor_or_secondary", ("NCT02000002",), (), TEAM,
                          ("racemic_ketamine",), ("depression",), ("rct",))
    groups = _groups([a, b, child])
    assert groups["200"] == groups["110"] != groups["100"], groups
