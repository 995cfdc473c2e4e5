"""Parse one ClinicalTrials.gov API v2 study object into typed, immutable records.

Design decisions:

* **Pure.** No I/O, no httpx, no sqlite: the input is the already-decoded JSON object
  of one study (an element of ``PagedStudies.studies`` or the body of
  ``/studies/{nctId}``), the output a :class:`Study`. Fetching lives in
  ``sources/ctgov.py``, storing in ``store/``; this split lets tests feed recorded
  real studies straight in.
* **Defensive about shape, strict about identity.** Every section, module and key may be
  missing (the API omits empty fields, ``fields=`` selections cut whole modules away,
  and stub records such as NCT03453554 carry only an identification module). Missing
  scalars become ``None``, missing lists empty tuples, and a value of the wrong JSON
  type is treated as missing rather than crashing ingest. The one thing a study cannot
  lack is its NCT ID, the natural key: without it :class:`~ketlit.errors.ParseError`
  is raised.
* **Values as given.** Enumerations stay the API's upper-case strings (``"ACTUAL"``,
  ``"PHASE2"``, ``"DRUG"``) and are not validated, so a new enum value on the server
  does not break ingest. Results numbers stay strings exactly as posted (``"<0.0001"``,
  ``"=0.020"``, ``"NA"``, ``"19.63"``): the registry stores them as text, often with
  comparators or placeholders, and turning them into floats here would lose what was
  actually reported. Counts that the API itself types as integers (enrollment,
  adverse-event numbers) are integers.
* **Dates keep their precision.** Registry dates are partial (``"2006-11"``), so each is
  a :class:`RegistryDate` with ``precision`` ``day``/``month``/``year`` and the
  ACTUAL/ESTIMATED ``type`` where the registry gives one (old records often omit the
  type of ``startDateStruct``). A date string that is not ``YYYY[-MM[-DD]]`` is dropped
  (``None``) rather than guessed at.
* **Immutable.** All records are ``frozen``/``slots`` dataclasses and every multi-valued
  field is a tuple, so a parsed study can be hashed, cached and shared between threads.
* **Only what ketlit uses.** Contacts, baseline characteristics, documents and the MeSH
  ancestors/browse leaves are left in the raw JSON, which the store keeps whole.
  Non-API keys some dumps add (e.g. ``locations_nested`` in the mCODE fixture) are
  ignored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from ketlit.errors import ParseError
from ketlit.ids import NCT_ID
from ketlit.sources.models import (
    AdverseEvent,
    AdverseEvents,
    ArmGroup,
    Denom,
    DenomCount,
    Eligibility,
    EventGroup,
    EventStat,
    Intervention,
    Measurement,
    Mesh,
    OutcomeMeasure,
    Precision,
    Reference,
    RegisteredOutcome,
    RegistryDate,
    ResultAnalysis,
    ResultGroup,
    Results,
    Sponsor,
    Study,
)

__all__ = [
    "parse_date",
    "parse_study",
]

# ------------------------------------------------------------------ defensive access


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _dicts(value: Any) -> list[dict[str, Any]]:
    """The dict elements of a JSON array; anything else in it is skipped."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _str(value: Any) -> str | None:
    # Numbers are accepted as text because some dumps type e.g. a PMID as a number.
    if isinstance(value, str):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return None


def _strs(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list):
        return ()
    return tuple(s for s in (_str(v) for v in value) if s is not None)


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _bool(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def _path(obj: Mapping[str, Any], *keys: str) -> Any:
    cur: Any = obj
    for key in keys:
        if not isinstance(cur, dict):
            return None
        cur = cur.get(key)
    return cur


# ------------------------------------------------------------------------- helpers

_DATE_RE = re.compile(r"^(\d{4})(?:-(0[1-9]|1[0-2])(?:-(0[1-9]|[12]\d|3[01]))?)?$")


def parse_date(date: Any, type_: Any = None) -> RegistryDate | None:
    """A :class:`RegistryDate` from ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; else ``None``."""
    text = _str(date)
    if text is None:
        return None
    text = text.strip()
    m = _DATE_RE.match(text)
    if m is None:
        return None
    precision: Precision = "day" if m.group(3) else "month" if m.group(2) else "year"
    return RegistryDate(date=text, precision=precision, type=_str(type_))


def _date_struct(value: Any) -> RegistryDate | None:
    struct = _dict(value)
    return parse_date(struct.get("date"), struct.get("type"))


def _outcomes(value: Any) -> tuple[RegisteredOutcome, ...]:
    return tuple(
        RegisteredOutcome(
            measure=_str(o.get("measure")),
            description=_str(o.get("description")),
            time_frame=_str(o.get("timeFrame")),
        )
        for o in _dicts(value)
    )


def _sponsor(value: Any) -> Sponsor | None:
    d = _dict(value)
    name = _str(d.get("name"))
    return Sponsor(name=name, agency_class=_str(d.get("class"))) if name is not None else None


def _meshes(value: Any) -> tuple[Mesh, ...]:
    return tuple(Mesh(id=_str(m.get("id")), term=_str(m.get("term"))) for m in _dicts(value))


def _countries(locations: Iterable[dict[str, Any]]) -> tuple[str, ...]:
    found = {c.strip() for c in (_str(loc.get("country")) for loc in locations) if c and c.strip()}
    return tuple(sorted(found))


def _groups(value: Any) -> tuple[ResultGroup, ...]:
    return tuple(
        ResultGroup(id=_str(g.get("id")), title=_str(g.get("title")), description=_str(g.get("description")))
        for g in _dicts(value)
    )


def _denoms(value: Any, class_title: str | None = None) -> tuple[Denom, ...]:
    return tuple(
        Denom(
            units=_str(d.get("units")),
            counts=tuple(
                DenomCount(group_id=_str(c.get("groupId")), value=_str(c.get("value"))) for c in _dicts(d.get("counts"))
            ),
            class_title=class_title,
        )
        for d in _dicts(value)
    )


def _analysis(a: dict[str, Any]) -> ResultAnalysis:
    return ResultAnalysis(
        group_ids=_strs(a.get("groupIds")),
        group_description=_str(a.get("groupDescription")),
        p_value=_str(a.get("pValue")),
        statistical_method=_str(a.get("statisticalMethod")),
        param_type=_str(a.get("paramType")),
        param_value=_str(a.get("paramValue")),
        ci_pct=_str(a.get("ciPctValue")),
        ci_num_sides=_str(a.get("ciNumSides")),
        ci_lower=_str(a.get("ciLowerLimit")),
        ci_upper=_str(a.get("ciUpperLimit")),
        non_inferiority_type=_str(a.get("nonInferiorityType")),
        dispersion_type=_str(a.get("dispersionType")),
        dispersion_value=_str(a.get("dispersionValue")),
        estimate_comment=_str(a.get("estimateComment")),
    )


def _outcome_measure(om: dict[str, Any]) -> OutcomeMeasure:
    measurements: list[Measurement] = []
    class_denoms: list[Denom] = []
    for cls in _dicts(om.get("classes")):
        class_title = _str(cls.get("title"))
        class_denoms.extend(_denoms(cls.get("denoms"), class_title))
        for cat in _dicts(cls.get("categories")):
            category_title = _str(cat.get("title"))
            measurements.extend(
                Measurement(
                    class_title=class_title,
                    category_title=category_title,
                    group_id=_str(m.get("groupId")),
                    value=_str(m.get("value")),
                    spread=_str(m.get("spread")),
                    lower=_str(m.get("lowerLimit")),
                    upper=_str(m.get("upperLimit")),
                    comment=_str(m.get("comment")),
                )
                for m in _dicts(cat.get("measurements"))
            )
    return OutcomeMeasure(
        type=_str(om.get("type")),
        title=_str(om.get("title")),
        description=_str(om.get("description")),
        population_description=_str(om.get("populationDescription")),
        time_frame=_str(om.get("timeFrame")),
        unit=_str(om.get("unitOfMeasure")),
        param_type=_str(om.get("paramType")),
        dispersion_type=_str(om.get("dispersionType")),
        reporting_status=_str(om.get("reportingStatus")),
        groups=_groups(om.get("groups")),
        denoms=_denoms(om.get("denoms")),
        class_denoms=tuple(class_denoms),
        measurements=tuple(measurements),
        analyses=tuple(_analysis(a) for a in _dicts(om.get("analyses"))),
    )


def _adverse_events(value: Any) -> tuple[AdverseEvent, ...]:
    return tuple(
        AdverseEvent(
            term=_str(e.get("term")),
            organ_system=_str(e.get("organSystem")),
            source_vocabulary=_str(e.get("sourceVocabulary")),
            assessment_type=_str(e.get("assessmentType")),
            notes=_str(e.get("notes")),
            stats=tuple(
                EventStat(
                    group_id=_str(s.get("groupId")),
                    num_events=_int(s.get("numEvents")),
                    num_affected=_int(s.get("numAffected")),
                    num_at_risk=_int(s.get("numAtRisk")),
                )
                for s in _dicts(e.get("stats"))
            ),
        )
        for e in _dicts(value)
    )


def _adverse_events_module(ae: dict[str, Any]) -> AdverseEvents:
    return AdverseEvents(
        frequency_threshold=_str(ae.get("frequencyThreshold")),
        time_frame=_str(ae.get("timeFrame")),
        description=_str(ae.get("description")),
        groups=tuple(
            EventGroup(
                id=_str(g.get("id")),
                title=_str(g.get("title")),
                description=_str(g.get("description")),
                serious_num_affected=_int(g.get("seriousNumAffected")),
                serious_num_at_risk=_int(g.get("seriousNumAtRisk")),
                other_num_affected=_int(g.get("otherNumAffected")),
                other_num_at_risk=_int(g.get("otherNumAtRisk")),
                deaths_num_affected=_int(g.get("deathsNumAffected")),
                deaths_num_at_risk=_int(g.get("deathsNumAtRisk")),
            )
            for g in _dicts(ae.get("eventGroups"))
        ),
        serious=_adverse_events(ae.get("seriousEvents")),
        other=_adverse_events(ae.get("otherEvents")),
    )


def _results(section: dict[str, Any]) -> Results:
    ae = section.get("adverseEventsModule")
    flow = section.get("participantFlowModule")
    return Results(
        outcome_measures=tuple(
            _outcome_measure(om) for om in _dicts(_path(section, "outcomeMeasuresModule", "outcomeMeasures"))
        ),
        adverse_events=_adverse_events_module(ae) if isinstance(ae, dict) else None,
        flow_group_count=len(_dicts(flow.get("groups"))) if isinstance(flow, dict) else None,
    )


# ---------------------------------------------------------------------------- main


def parse_study(obj: dict[str, Any]) -> Study:
    """Parse one API v2 study object; raises ParseError only if it has no NCT ID."""
    # Over 80 lines on purpose: one flat mapping from the API's modules to Study's fields,
    # read top to bottom against the schema; the nested parts already have their own helpers.
    if not isinstance(obj, dict):
        raise ParseError(f"CT.gov study is a JSON {type(obj).__name__}, not an object")
    protocol = _dict(obj.get("protocolSection"))
    ident = _dict(protocol.get("identificationModule"))
    nct_id = (_str(ident.get("nctId")) or "").strip().upper()
    if not nct_id:
        raise ParseError("CT.gov study has no protocolSection.identificationModule.nctId")
    if not NCT_ID.match(nct_id):
        raise ParseError(f"CT.gov study has a malformed NCT ID {nct_id[:40]!r}")

    status = _dict(protocol.get("statusModule"))
    design = _dict(protocol.get("designModule"))
    design_info = _dict(design.get("designInfo"))
    enrollment = _dict(design.get("enrollmentInfo"))
    conditions = _dict(protocol.get("conditionsModule"))
    arms = _dict(protocol.get("armsInterventionsModule"))
    outcomes = _dict(protocol.get("outcomesModule"))
    sponsors = _dict(protocol.get("sponsorCollaboratorsModule"))
    description = _dict(protocol.get("descriptionModule"))
    elig = protocol.get("eligibilityModule")
    derived = _dict(obj.get("derivedSection"))
    results = obj.get("resultsSection")

    eligibility = None
    if isinstance(elig, dict):
        eligibility = Eligibility(
            minimum_age=_str(elig.get("minimumAge")),
            maximum_age=_str(elig.get("maximumAge")),
            sex=_str(elig.get("sex")),
            healthy_volunteers=_bool(elig.get("healthyVolunteers")),
            std_ages=_strs(elig.get("stdAges")),
            criteria=_str(elig.get("eligibilityCriteria")),
        )

    return Study(
        nct_id=nct_id,
        brief_title=_str(ident.get("briefTitle")),
        official_title=_str(ident.get("officialTitle")),
        acronym=_str(ident.get("acronym")),
        overall_status=_str(status.get("overallStatus")),
        why_stopped=_str(status.get("whyStopped")),
        phases=_strs(design.get("phases")),
        study_type=_str(design.get("studyType")),
        allocation=_str(design_info.get("allocation")),
        masking=_str(_path(design_info, "maskingInfo", "masking")),
        intervention_model=_str(design_info.get("interventionModel")),
        primary_purpose=_str(design_info.get("primaryPurpose")),
        enrollment_count=_int(enrollment.get("count")),
        enrollment_type=_str(enrollment.get("type")),
        start=_date_struct(status.get("startDateStruct")),
        primary_completion=_date_struct(status.get("primaryCompletionDateStruct")),
        completion=_date_struct(status.get("completionDateStruct")),
        first_posted=_date_struct(status.get("studyFirstPostDateStruct")),
        results_first_posted=_date_struct(status.get("resultsFirstPostDateStruct")),
        last_update_posted=_date_struct(status.get("lastUpdatePostDateStruct")),
        status_verified=parse_date(status.get("statusVerifiedDate")),
        conditions=_strs(conditions.get("conditions")),
        keywords=_strs(conditions.get("keywords")),
        interventions=tuple(
            Intervention(
                type=_str(i.get("type")),
                name=_str(i.get("name")),
                description=_str(i.get("description")),
                other_names=_strs(i.get("otherNames")),
                arm_group_labels=_strs(i.get("armGroupLabels")),
            )
            for i in _dicts(arms.get("interventions"))
        ),
        arm_groups=tuple(
            ArmGroup(
                label=_str(a.get("label")),
                type=_str(a.get("type")),
                description=_str(a.get("description")),
                intervention_names=_strs(a.get("interventionNames")),
            )
            for a in _dicts(arms.get("armGroups"))
        ),
        primary_outcomes=_outcomes(outcomes.get("primaryOutcomes")),
        secondary_outcomes=_outcomes(outcomes.get("secondaryOutcomes")),
        other_outcomes=_outcomes(outcomes.get("otherOutcomes")),
        lead_sponsor=_sponsor(sponsors.get("leadSponsor")),
        collaborators=tuple(s for s in (_sponsor(c) for c in _dicts(sponsors.get("collaborators"))) if s is not None),
        countries=_countries(_dicts(_path(protocol, "contactsLocationsModule", "locations"))),
        has_results=obj.get("hasResults") is True,
        brief_summary=_str(description.get("briefSummary")),
        detailed_description=_str(description.get("detailedDescription")),
        eligibility=eligibility,
        results=_results(results) if isinstance(results, dict) else None,
        references=tuple(
            Reference(pmid=_str(r.get("pmid")), type=_str(r.get("type")), citation=_str(r.get("citation")))
            for r in _dicts(_path(protocol, "referencesModule", "references"))
        ),
        condition_meshes=_meshes(_path(derived, "conditionBrowseModule", "meshes")),
        intervention_meshes=_meshes(_path(derived, "interventionBrowseModule", "meshes")),
    )
