"""Parse the real CT.gov API v2 study records in ../shared/data/ctgov (read in place).

Counts are computed from the raw JSON in the test, never typed in, so the test checks
the parser against the data rather than against a second hand-made copy of it.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from ketlit.errors import ParseError
from ketlit.ids import nct_ids_in_text
from ketlit.sources.ctgov_parse import parse_date, parse_study
from ketlit.sources.models import RegistryDate, Study
from tests.conftest import SHARED_DATA

CTGOV = SHARED_DATA / "ctgov"
FILES = sorted(CTGOV.glob("*.json")) if CTGOV.is_dir() else []
MISSING = f"shared CT.gov data not found at {CTGOV} (tests read ../shared/data in place)"
FILE_PARAMS = [pytest.param(f, id=f.stem) for f in FILES] or [
    pytest.param(None, marks=pytest.mark.skip(reason=MISSING))
]


def load(name_part: str) -> dict[str, Any]:
    """The one shared study file whose name contains ``name_part``."""
    if not FILES:
        pytest.skip(MISSING)
    matches = [f for f in FILES if name_part in f.name]
    assert len(matches) == 1, f"expected one file matching {name_part}, got {matches}"
    data: dict[str, Any] = json.loads(matches[0].read_text(encoding="utf-8"))
    return data


def dig(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def n(obj: Any, *keys: str) -> int:
    value = dig(obj, *keys)
    return len(value) if isinstance(value, list) else 0


def all_dates(study: Study) -> list[RegistryDate]:
    fields = ("start", "primary_completion", "completion", "first_posted", "results_first_posted",
              "last_update_posted", "status_verified")  # fmt: skip
    return [d for d in (getattr(study, f) for f in fields) if d is not None]


# ------------------------------------------------------------------ every real file


@pytest.mark.parametrize("path", FILE_PARAMS)
def test_counts_match_the_raw_json(path: Path) -> None:
    raw = json.loads(path.read_text(encoding="utf-8"))
    study = parse_study(raw)
    ps = raw["protocolSection"]

    assert study.nct_id == ps["identificationModule"]["nctId"]
    assert study.has_results is raw.get("hasResults", False)
    assert len(study.arm_groups) == n(ps, "armsInterventionsModule", "armGroups")
    assert len(study.interventions) == n(ps, "armsInterventionsModule", "interventions")
    assert len(study.references) == n(ps, "referencesModule", "references")
    assert len(study.conditions) == n(ps, "conditionsModule", "conditions")
    assert len(study.keywords) == n(ps, "conditionsModule", "keywords")
    assert len(study.primary_outcomes) == n(ps, "outcomesModule", "primaryOutcomes")
    assert len(study.secondary_outcomes) == n(ps, "outcomesModule", "secondaryOutcomes")
    assert len(study.other_outcomes) == n(ps, "outcomesModule", "otherOutcomes")
    assert len(study.collaborators) == n(ps, "sponsorCollaboratorsModule", "collaborators")
    assert len(study.phases) == n(ps, "designModule", "phases")
    assert len(study.condition_meshes) == n(raw, "derivedSection", "conditionBrowseModule", "meshes")
    assert len(study.intervention_meshes) == n(raw, "derivedSection", "interventionBrowseModule", "meshes")
    locations = dig(ps, "contactsLocationsModule", "locations") or []
    assert list(study.countries) == sorted({loc["country"] for loc in locations})

    results = raw.get("resultsSection")
    if results is None:
        assert study.results is None
    else:
        assert study.results is not None
        oms = dig(results, "outcomeMeasuresModule", "outcomeMeasures") or []
        assert len(study.results.outcome_measures) == len(oms)
        for parsed, om in zip(study.results.outcome_measures, oms, strict=True):
            assert parsed.title == om.get("title")
            assert len(parsed.groups) == len(om.get("groups", []))
            assert len(parsed.denoms) == len(om.get("denoms", []))
            assert len(parsed.analyses) == len(om.get("analyses", []))
            cells = [m for c in om.get("classes", []) for cat in c.get("categories", []) for m in cat["measurements"]]
            assert len(parsed.measurements) == len(cells)
            assert [m.value for m in parsed.measurements] == [c.get("value") for c in cells]
            assert [a.p_value for a in parsed.analyses] == [a.get("pValue") for a in om.get("analyses", [])]
        ae = results.get("adverseEventsModule")
        assert study.results.adverse_events is not None and ae is not None
        assert len(study.results.adverse_events.groups) == n(ae, "eventGroups")
        assert len(study.results.adverse_events.serious) == n(ae, "seriousEvents")
        assert len(study.results.adverse_events.other) == n(ae, "otherEvents")
        assert sum(len(e.stats) for e in study.results.adverse_events.other) == sum(
            len(e["stats"]) for e in ae.get("otherEvents", [])
        )
        assert study.results.flow_group_count == n(results, "participantFlowModule", "groups")

    last_update = dig(raw, "protocolSection", "statusModule", "lastUpdatePostDateStruct", "date")
    assert (study.last_update_posted.date if study.last_update_posted else None) == last_update
    for date in all_dates(study):
        assert {"day": 10, "month": 7, "year": 4}[date.precision] == len(date.date)
        assert date.type in (None, "ACTUAL", "ESTIMATED")


def test_the_corpus_is_what_provenance_says() -> None:
    if not FILES:
        pytest.skip(MISSING)
    studies = [parse_study(json.loads(f.read_text(encoding="utf-8"))) for f in FILES]
    assert len(studies) == 12
    assert {s.nct_id for s in studies if s.results is not None} == {
        "NCT00763412", "NCT02210780", "NCT02552212", "NCT05594173", "NCT02513394",
    }  # fmt: skip
    assert all(s.has_results == (s.results is not None) for s in studies)


# ------------------------------------------------------------------- real spot checks


def test_month_precision_start_without_type_and_estimated_first_post() -> None:
    study = parse_study(load("NCT00763412"))
    assert study.start == RegistryDate("2006-11", "month", None)  # old records omit the type
    assert study.first_posted == RegistryDate("2008-10-01", "day", "ESTIMATED")
    assert study.status_verified == RegistryDate("2017-05", "month", None)
    assert (study.enrollment_count, study.enrollment_type) == (31, "ACTUAL")
    assert study.phases == ("NA",)
    assert (study.allocation, study.masking, study.intervention_model) == ("RANDOMIZED", "QUADRUPLE", "PARALLEL")
    assert study.lead_sponsor is not None and study.lead_sponsor.agency_class == "INDIV"
    assert study.interventions[1].other_names == ("Prandin",)
    assert study.arm_groups[0].intervention_names == ("Drug: placebo",)
    assert study.eligibility is not None
    assert (study.eligibility.minimum_age, study.eligibility.maximum_age) == ("12 Years", "24 Years")
    assert study.eligibility.std_ages == ("CHILD", "ADULT")
    assert study.eligibility.healthy_volunteers is False
    assert study.countries == ("United States",)
    assert study.condition_meshes[0].id == "D000003550"


def test_outcome_values_stay_posted_strings_with_class_titles() -> None:
    study = parse_study(load("NCT00763412"))
    assert study.results is not None
    bmi = study.results.outcome_measures[0]
    assert (bmi.title, bmi.param_type, bmi.dispersion_type, bmi.unit) == ("BMI", "MEAN", "Full Range", "Kg/m^2")
    first = bmi.measurements[0]
    assert (first.group_id, first.value, first.lower, first.upper) == ("OG000", "19.63", "15.56", "22.64")
    assert bmi.denoms[0].counts[0].value == "4"
    body = next(om for om in study.results.outcome_measures if om.title == "Body Composition")
    assert [m.class_title for m in body.measurements] == ["Fat", "Fat", "Lean", "Lean"]
    assert study.results.adverse_events is not None
    assert study.results.adverse_events.groups[0].deaths_num_at_risk == 8


def test_p_values_and_estimates_are_kept_as_given() -> None:
    study = parse_study(load("NCT02210780"))
    assert study.results is not None
    analysis = next(a for om in study.results.outcome_measures for a in om.analyses)
    assert analysis.p_value == "<0.0001"
    assert analysis.param_value == "34.0"  # not the float 34.0: the trailing zero is what was posted
    assert (analysis.ci_pct, analysis.ci_num_sides, analysis.non_inferiority_type) == ("90", "TWO_SIDED", "SUPERIORITY")
    giss = next(om for om in study.results.outcome_measures if om.class_denoms)
    assert {d.class_title for d in giss.class_denoms} == {m.class_title for m in giss.measurements}
    assert all(d.class_title is None for d in giss.denoms)


def test_equals_sign_p_value_and_an_outcome_without_data() -> None:
    study = parse_study(load("NCT02552212"))
    assert study.results is not None
    assert study.acronym == "C-AXSPAND"
    p_values = [a.p_value for om in study.results.outcome_measures for a in om.analyses]
    assert "=0.247" in p_values
    empty = study.results.outcome_measures[2]
    assert empty.param_type is None and empty.measurements == () and empty.denoms[0].counts[0].value == "0"
    comments = [m.comment for om in study.results.outcome_measures for m in om.measurements if m.comment]
    assert comments == ["Values were below the level of quantification."]
    assert [r.type for r in study.references].count("RESULT") == 2
    assert len(study.results.adverse_events.groups if study.results.adverse_events else ()) == 5


def test_pallas_with_results_and_partial_dates() -> None:
    raw = load("NCT02513394")
    study = parse_study(raw)
    assert study.acronym == "PALLAS"
    assert study.start == RegistryDate("2015-08", "month", None)
    assert study.completion == RegistryDate("2025-09", "month", "ESTIMATED")
    assert study.overall_status == "ACTIVE_NOT_RECRUITING"
    assert study.results is not None
    analyses = [a for om in study.results.outcome_measures for a in om.analyses]
    assert analyses[0].p_value == "0.65"
    assert [a.p_value for a in analyses[1:]] == [None] * (len(analyses) - 1)
    ae = study.results.adverse_events
    assert ae is not None and ae.groups[0].deaths_num_affected == 99
    assert "Korea, Republic of" in study.countries
    assert len(study.countries) == len(set(study.countries))
    assert "locations_nested" in raw["protocolSection"]["contactsLocationsModule"]  # a non-API key, ignored


def test_observational_estimated_enrollment_and_citation_without_pmid() -> None:
    study = parse_study(load("NCT03475563"))
    assert (study.study_type, study.enrollment_count, study.enrollment_type) == ("OBSERVATIONAL", 100, "ESTIMATED")
    assert study.phases == () and study.allocation is None and study.overall_status == "UNKNOWN"
    pride = parse_study(load("NCT03630471"))
    no_pmid = [r for r in pride.references if r.pmid is None]
    assert len(no_pmid) == 2 and all(r.citation for r in no_pmid)
    assert "NCT03633916" in nct_ids_in_text(pride.detailed_description)


def test_stub_record_parses_to_empties() -> None:
    raw = load("NCT03453554")
    study = parse_study(raw)
    assert study.nct_id == "NCT03453554"
    assert study.brief_title == "Evaluating a Digital..."
    assert study.overall_status is None and study.start is None and study.last_update_posted is None
    assert study.eligibility is None and study.results is None and study.lead_sponsor is None
    assert study.conditions == () and study.countries == () and study.references == ()
    assert study.has_results is False
    assert dig(raw, "protocolSection", "statusModule", "lastUpdatePostDateStruct", "date") is None


# ---------------------------------------------------------------- defensive behaviour


def test_records_are_frozen_hashable_and_use_tuples() -> None:
    study = parse_study(load("NCT02513394"))
    with pytest.raises(dataclasses.FrozenInstanceError):
        study.nct_id = "NCT00000000"  # type: ignore[misc]
    hash(study)  # every nested part is immutable
    assert isinstance(study.countries, tuple) and isinstance(study.interventions, tuple)


@pytest.mark.parametrize("bad", [{}, {"protocolSection": {}}, {"protocolSection": {"identificationModule": {}}}])
def test_a_study_without_nct_id_is_a_parse_error(bad: dict[str, Any]) -> None:
    with pytest.raises(ParseError):
        parse_study(bad)


def test_non_object_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_study([])  # type: ignore[arg-type]


def test_wrong_json_types_are_treated_as_missing() -> None:
    raw = {
        "protocolSection": {
            "identificationModule": {"nctId": "nct01234567", "briefTitle": 5},
            "statusModule": {"startDateStruct": "2020-01", "completionDateStruct": {"date": "2020-13"}},
            "designModule": {"phases": "PHASE2", "enrollmentInfo": {"count": "12"}},
            "conditionsModule": {"conditions": ["Depression", None, 3]},
            "armsInterventionsModule": {"interventions": ["Drug: ketamine", {"name": "Ketamine"}]},
            "contactsLocationsModule": {"locations": [{"country": " Canada "}, {"country": None}, {}]},
        },
        "resultsSection": {"outcomeMeasuresModule": {"outcomeMeasures": None}, "adverseEventsModule": []},
        "hasResults": "yes",
    }
    study = parse_study(raw)
    assert study.nct_id == "NCT01234567"
    assert study.brief_title == "5"
    assert study.start is None and study.completion is None  # not a struct / not a real month
    assert study.phases == () and study.enrollment_count == 12
    assert study.conditions == ("Depression", "3")
    assert [i.name for i in study.interventions] == ["Ketamine"]
    assert study.countries == ("Canada",)
    assert study.has_results is False  # only a JSON true counts
    assert study.results is not None and study.results.outcome_measures == ()
    assert study.results.adverse_events is None


def test_parser_does_not_mutate_its_input() -> None:
    raw = load("NCT02210780")
    before = copy.deepcopy(raw)
    parse_study(raw)
    assert raw == before


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2014-08-05", RegistryDate("2014-08-05", "day")),
        ("2017-05", RegistryDate("2017-05", "month")),
        ("2019", RegistryDate("2019", "year")),
        ("2019-00", None),
        ("2019-1-5", None),
        ("May 2019", None),
        ("", None),
    ],
)
def test_parse_date_precision(text: str, expected: RegistryDate | None) -> None:
    assert parse_date(text) == expected
