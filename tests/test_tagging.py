"""Tagging: indication, route, molecule, design and population, with evidence.

Cases are short realistic texts; most assert what must *not* be tagged as well as what
must. The last tests run the accuracy bench on the shared dev labels (skipped if absent)
and check that the regex planning used for speed never changes what matches.
"""

from __future__ import annotations

import gc
import json
from pathlib import Path
from types import ModuleType

import pytest

from ketlit.errors import ConfigError
from ketlit.sources.ctgov_parse import parse_study
from ketlit.sources.models import AbstractSection, Article, Chemical, MeshHeading
from ketlit.tagging import (
    AXES,
    TEXT_FIELDS,
    Tag,
    TagDoc,
    Tagger,
    age_groups,
    doc_from_article,
    doc_from_study,
    load_rules,
    rules_digest,
    split_labelled_abstract,
)
from tests.conftest import FIXTURES, SHARED_DATA, repo_module, shared

ISSUE_SLUGS = {
    "indication": {
        "depression", "treatment_resistant_depression", "bipolar_depression", "suicidal_ideation",
        "postpartum_depression", "ptsd", "anxiety", "ocd", "alcohol_use_disorder", "substance_use_disorder",
        "chronic_pain", "neuropathic_pain", "crps", "fibromyalgia", "migraine", "postoperative_pain", "acute_pain",
        "anesthesia_sedation", "other",
    },
    "route": {"intravenous", "intranasal", "oral", "sublingual", "intramuscular", "subcutaneous", "nebulized", "other"},
    "molecule": {"racemic_ketamine", "esketamine", "arketamine"},
    "design": {
        "meta_analysis", "systematic_review", "rct", "non_randomized_trial", "observational", "case_report",
        "narrative_review", "protocol", "guideline", "animal", "in_vitro", "other",
    },
    "population": {"adults", "adolescents", "children", "older_adults", "healthy_volunteers", "animals"},
}


@pytest.fixture(scope="module")
def tagger() -> Tagger:
    return Tagger(load_rules())


def article(
    title: str,
    abstract: str = "",
    *,
    pmid: str = "1",
    sections: list[tuple[str, str]] | None = None,
    mesh: list[str] | None = None,
    pts: list[str] | None = None,
    chemicals: list[tuple[str, str, str]] | None = None,
) -> Article:
    """A PubMed record; ``mesh``/``pts`` make it MEDLINE-indexed."""
    secs = [AbstractSection(label, None, text) for label, text in sections] if sections else (
        [AbstractSection(None, None, abstract)] if abstract else []
    )
    return Article(
        pmid=pmid,
        title=title,
        sections=secs,
        mesh=[MeshHeading(None, d, False) for d in mesh or []],
        publication_types=[(None, p) for p in pts or []],
        chemicals=[Chemical(ui, name, None, kind) for ui, name, kind in chemicals or []],
        citation_status="MEDLINE" if mesh or pts else None,
    )


def axes(tagger: Tagger, a: Article | TagDoc) -> dict[str, set[str]]:
    doc = a if isinstance(a, TagDoc) else doc_from_article(a)
    out: dict[str, set[str]] = {axis: set() for axis in AXES}  # every axis, empty ones included
    for t in tagger.tag(doc):
        out.setdefault(t.axis, set()).add(t.value)
    return out


# ------------------------------------------------------------------------ text cases

TEXT_CASES = [
    pytest.param(
        "Serial ketamine infusions in treatment-resistant depression",
        "METHODS: Fourteen subjects were enrolled; twelve subjects completed six infusions of ketamine 0.5 mg/kg. "
        "LIMITATIONS: Small sample and lack of a placebo group limit the interpretation.",
        {"design": {"non_randomized_trial"}},
        {"design": {"rct", "observational"}},
        id="design-fallback-uncontrolled-treatment",
    ),
    pytest.param(
        "Serial ketamine infusions in treatment-resistant depression",
        "METHODS: Forty patients were randomized to six infusions of ketamine or midazolam. A secondary analysis "
        "examined predictors of response.",
        {"design": {"rct"}},
        {"design": {"non_randomized_trial", "observational"}},
        id="design-fallback-never-beats-a-named-design",
    ),
    pytest.param(
        "Baseline insomnia and antidepressant response to ketamine",
        "We examined baseline predictors of response among 120 patients with depression treated with ketamine.",
        {"design": {"observational"}},
        {"design": {"non_randomized_trial"}},
        id="design-fallback-predictors",
    ),
    pytest.param(
        "Rapid anti-suicidal effects of ketamine: a systematic review",
        "We searched PubMed and Embase as per PRISMA (preferred reporting items for systematic reviews and "
        "meta-analyses) criteria and included 12 studies.",
        {"design": {"systematic_review"}},
        {"design": {"meta_analysis"}},
        id="prisma-expansion-is-not-a-meta-analysis",
    ),
    pytest.param(
        "Ketamine for treatment-resistant depression in veterans without PTSD",
        "We randomized 40 veterans with treatment-resistant depression and without posttraumatic stress disorder "
        "to intravenous ketamine or midazolam.",
        {"indication": {"treatment_resistant_depression", "depression"}},
        {"indication": {"ptsd"}},
        id="negation-without-ptsd",
    ),
    pytest.param(
        "Ketamine infusions for major depressive disorder",
        "Adults with major depressive disorder, excluding bipolar depression and psychotic depression, received "
        "six intravenous ketamine infusions (0.5 mg/kg over 40 minutes).",
        {"indication": {"depression"}, "route": {"intravenous"}},
        {"indication": {"bipolar_depression"}},
        id="exclusion-excluding-bipolar",
    ),
    pytest.param(
        "Patients with bipolar disorder were excluded",
        "METHODS: Outpatients with major depressive disorder received ketamine. Patients with bipolar disorder or "
        "PTSD were excluded. RESULTS: Depression improved.",
        {"indication": {"depression"}},
        {"indication": {"bipolar_depression", "ptsd"}},
        id="exclusion-were-excluded",
    ),
    pytest.param(
        "Intranasal esketamine in treatment-resistant depression: a randomized trial",
        "Adults with treatment-resistant depression were randomized to esketamine nasal spray 56 mg or placebo "
        "nasal spray. Response rates were comparable to those reported previously when compared with intravenous "
        "ketamine.",
        {"route": {"intranasal"}, "molecule": {"esketamine"}},
        {"route": {"intravenous"}, "molecule": {"racemic_ketamine"}},
        id="comparator-route-not-given",
    ),
    pytest.param(
        "Esketamine nasal spray plus a newly initiated oral antidepressant",
        "Patients self-administered esketamine nasal spray twice weekly and started a new oral antidepressant.",
        {"route": {"intranasal"}},
        {"route": {"oral"}},
        id="co-medication-route-not-study-route",
    ),
    pytest.param(
        "Oral ketamine for chronic suicidality: an open-label pilot",
        "The majority of studies to date have used intravenous ketamine. We gave 32 adults oral ketamine "
        "(0.5 to 3.0 mg/kg) weekly for six weeks.",
        {"route": {"oral"}, "indication": {"suicidal_ideation"}},
        {"route": {"intravenous"}},
        id="background-route-not-study-route",
    ),
    pytest.param(
        "Ketamine for alcohol use disorder",
        "Ketamine has been shown to reduce symptoms of PTSD and depression in previous studies. Here, we "
        "randomized 40 adults with alcohol use disorder to a single ketamine infusion or midazolam.",
        {"indication": {"alcohol_use_disorder"}, "route": {"intravenous"}},
        {"indication": {"ptsd", "depression"}},
        id="background-indications-ignored",
    ),
    pytest.param(
        "Ketamine versus etomidate for rapid sequence intubation",
        "Ketamine was used for induction of general anaesthesia in 120 trauma patients. Respiratory depression "
        "and hypotension were recorded. Adverse events included nausea and injection pain.",
        {"indication": {"anesthesia_sedation"}},
        {"indication": {"depression", "pain"}},
        id="anaesthesia-not-depression",
    ),
    pytest.param(
        "Effects of S-ketamine on mood in healthy volunteers",
        "Ketamine has rapid antidepressant effects in patients with depression. Its effects on mood in people "
        "without a psychiatric disorder are less well known. Twenty healthy volunteers received (S)-ketamine or "
        "placebo in a crossover design.",
        {"molecule": {"esketamine"}, "population": {"healthy_volunteers"}},
        {"molecule": {"racemic_ketamine"}, "indication": {"depression"}},
        id="esketamine-text-healthy",
    ),
    pytest.param(
        "Arketamine for treatment-resistant depression: an open-label pilot",
        "Seven patients received a single intravenous infusion of arketamine, the (R)-enantiomer of ketamine.",
        {"molecule": {"arketamine"}, "route": {"intravenous"}},
        {"molecule": {"esketamine"}},
        id="arketamine",
    ),
    pytest.param(
        "Ketamine for depression",
        "Patients with major depression received ketamine infusions.",
        {"molecule": {"racemic_ketamine"}},
        {"molecule": {"esketamine", "arketamine"}},
        id="plain-ketamine-is-racemic",
    ),
    pytest.param(
        "Use of ketamine and esketamine for depression: an overview of systematic reviews",
        "We included systematic reviews of ketamine and esketamine in adults with depression.",
        {"molecule": {"racemic_ketamine", "esketamine"}, "design": {"systematic_review"}},
        {"design": {"rct"}},
        id="review-of-both-molecules",
    ),
    pytest.param(
        "Ketamine reverses depression-like behaviour in chronically stressed mice",
        "Male C57BL/6 mice received intraperitoneal ketamine (10 mg/kg) after chronic social defeat stress.",
        {"design": {"animal"}, "population": {"animals"}},
        {"design": {"rct"}, "population": {"adults"}},
        id="animal-study",
    ),
    pytest.param(
        "Ketamine in treatment-resistant depression: a randomized, double-blind, placebo-controlled trial",
        "Patients were randomly assigned to ketamine or saline.",
        {"design": {"rct"}},
        {"design": {"observational", "non_randomized_trial"}},
        id="rct-from-text",
    ),
    pytest.param(
        "Ketamine for depression: a meta-analysis of randomized controlled trials",
        "We searched MEDLINE and Embase for randomized controlled trials of ketamine in depression.",
        {"design": {"meta_analysis"}},
        {"design": {"rct"}},
        id="meta-analysis-not-rct",
    ),
    pytest.param(
        "Repeated ketamine infusions for PTSD: study protocol for a randomized controlled trial",
        "Participants will be randomized to ketamine or midazolam. We will assess PTSD symptoms.",
        {"design": {"protocol", "rct"}, "indication": {"ptsd"}},
        set(),
        id="protocol",
    ),
    pytest.param(
        "Intramuscular ketamine for catatonia: a case report",
        "We present a 34-year-old woman with catatonia treated with intramuscular ketamine.",
        {"design": {"case_report"}, "route": {"intramuscular"}},
        {"route": {"intravenous"}},
        id="case-report",
    ),
    pytest.param(
        "Ketamine and postoperative pain in children",
        "Children aged 2 to 6 years undergoing tonsillectomy received ketamine 0.15 mg/kg before surgery. "
        "Postoperative pain scores and opioid consumption were recorded.",
        {"indication": {"postoperative_pain", "pain"}, "population": {"children"}},
        {"indication": {"depression"}},
        id="postoperative-pain-children",
    ),
]


@pytest.mark.parametrize(("title", "abstract", "must", "must_not"), TEXT_CASES)
def test_text_cases(
    tagger: Tagger, title: str, abstract: str, must: dict[str, set[str]], must_not: dict[str, set[str]] | set[str]
) -> None:
    got = axes(tagger, article(title, abstract))
    for axis, values in must.items():
        assert values <= got[axis], (axis, got[axis])
    if isinstance(must_not, dict):
        for axis, values in must_not.items():
            assert not values & got[axis], (axis, got[axis])


def test_unindexed_record_is_tagged_from_text(tagger: Tagger) -> None:
    a = article(
        "Intravenous ketamine for bipolar depression",
        "Twenty adults with bipolar depression received a single ketamine infusion in this randomized trial.",
    )
    doc = doc_from_article(a)
    assert not doc.indexed and not doc.mesh and not doc.publication_types
    got = axes(tagger, doc)
    assert got["indication"] >= {"bipolar_depression", "depression"}
    assert got["route"] == {"intravenous"}
    assert got["design"] == {"rct"}


def test_labelled_sections_weight_methods_over_background(tagger: Tagger) -> None:
    a = article(
        "Ketamine and cognition",
        sections=[
            ("BACKGROUND", "Ketamine is used for depression, chronic pain and PTSD."),
            ("METHODS", "Thirty healthy volunteers received oral ketamine."),
            ("RESULTS", "Memory was impaired."),
        ],
    )
    got = axes(tagger, a)
    assert got["route"] == {"oral"}
    assert got["population"] >= {"healthy_volunteers"}
    assert not got["indication"] & {"depression", "chronic_pain", "ptsd"}


def test_tagging_a_record_leaves_no_reference_cycles(tagger: Tagger) -> None:
    """A tagged record's text objects are freed by reference counting, not left to the cyclic
    collector: tagging workers run with the collector paused (or collect after each page), and
    a cycle per record once cost ~0.2 s of collection a page of 500 records."""
    a = article(
        "Ketamine and cognition",
        sections=[
            ("BACKGROUND", "Ketamine is used for depression. It is also used for chronic pain."),
            ("METHODS", "Thirty healthy volunteers received oral ketamine in a randomized trial."),
            ("RESULTS", "Memory was impaired. Mood did not change."),
        ],
    )
    gc.collect()
    gc.disable()
    try:
        gc.set_debug(gc.DEBUG_SAVEALL)
        for _ in range(3):
            assert axes(tagger, a)["route"] == {"oral"}
        gc.collect()
        left = {type(o).__module__ for o in gc.garbage}
    finally:
        gc.set_debug(0)
        gc.garbage.clear()
        gc.enable()
    assert not {m for m in left if m.startswith("ketlit")}


def test_structured_abstract_split() -> None:
    text = "OBJECTIVE: To test ketamine. METHODS: We randomized adults. RESULTS: It worked. CONCLUSIONS: Good."
    sections = split_labelled_abstract(text)
    assert [s.label for s in sections] == ["OBJECTIVE", "METHODS", "RESULTS", "CONCLUSIONS"]
    assert sections[1].text == "We randomized adults."
    assert split_labelled_abstract("No labels here, just text.")[0].label is None


# -------------------------------------------------------------- structured signals


def test_esketamine_from_supplementary_concept(tagger: Tagger) -> None:
    """MeSH heading Ketamine + supplementary concept C000629870 Esketamine → esketamine only."""
    a = article(
        "Ketamine in depression",
        "Patients received ketamine nasal spray.",
        mesh=["Ketamine", "Humans", "Administration, Intranasal", "Depressive Disorder, Treatment-Resistant"],
        pts=["Journal Article", "Randomized Controlled Trial"],
        chemicals=[("D007649", "Ketamine", "chemical"), ("C000629870", "Esketamine", "supplementary")],
    )
    got = axes(tagger, a)
    assert got["molecule"] == {"esketamine"}
    assert got["route"] == {"intranasal"}
    assert got["indication"] >= {"treatment_resistant_depression", "depression"}
    assert got["design"] == {"rct"}


def test_design_from_publication_type_beats_text(tagger: Tagger) -> None:
    a = article(
        "Ketamine infusion outcomes in a clinic",
        "This retrospective chart review describes patients. Previous randomized trials were positive.",
        mesh=["Ketamine", "Humans"],
        pts=["Journal Article", "Randomized Controlled Trial"],
    )
    assert axes(tagger, a)["design"] == {"rct"}
    unindexed = article(a.title, a.sections[0].text)
    assert axes(tagger, unindexed)["design"] == {"observational"}


def test_animals_mesh_without_humans(tagger: Tagger) -> None:
    a = article("Ketamine and synaptic plasticity", "Ketamine was given.", mesh=["Animals", "Rats", "Ketamine"])
    got = axes(tagger, a)
    assert got["design"] == {"animal"} and got["population"] == {"animals"}
    mixed = article("Ketamine translational study", "Ketamine was given.", mesh=["Animals", "Humans", "Ketamine"])
    assert "animal" not in axes(tagger, mixed)["design"]


# ----------------------------------------------------------------------- CT.gov


def test_ctgov_fixture_nasal_spray(tagger: Tagger) -> None:
    obj = json.loads((FIXTURES / "tagging_ctgov_esketamine_nasal_spray.json").read_text(encoding="utf-8"))
    doc = doc_from_study(parse_study(obj))
    assert doc.source == "ctgov" and doc.id == "NCT09900001"
    got = axes(tagger, doc)
    assert got["route"] == {"intranasal"}  # not the oral antidepressant, not IV ketamine in exclusions
    assert got["molecule"] == {"esketamine"}
    assert got["indication"] >= {"treatment_resistant_depression", "depression"}
    assert not got["indication"] & {"ptsd", "bipolar_depression", "alcohol_use_disorder"}  # exclusion criteria
    assert got["design"] == {"rct"}
    assert got["population"] == {"adults"}


def test_ctgov_real_alcohol_use_disorder(tagger: Tagger) -> None:
    path = shared("ctgov", "aact_fixture_v2_NCT03418623.json")
    doc = doc_from_study(parse_study(json.loads(path.read_text(encoding="utf-8"))))
    got = axes(tagger, doc)
    assert got["indication"] == {"alcohol_use_disorder"}
    assert got["design"] == {"rct"}  # from allocation RANDOMIZED
    assert got["population"] == {"adults"}  # from 21-40 years


@pytest.mark.parametrize(
    ("lo", "hi", "expected"),
    [
        (18.0, 64.0, ("adults",)),
        (18.0, None, ("adults",)),
        (65.0, None, ("older_adults",)),
        (12.0, 17.0, ("adolescents",)),
        (6.0, 17.0, ("children", "adolescents")),
        (None, None, ()),
    ],
)
def test_age_groups(lo: float | None, hi: float | None, expected: tuple[str, ...]) -> None:
    assert age_groups(lo, hi) == expected


# ------------------------------------------------------------- rules and user files


def test_packaged_rules_have_the_issue_slugs() -> None:
    rules = load_rules()
    for axis, slugs in ISSUE_SLUGS.items():
        assert slugs <= set(rules.axes[axis].values), axis
    assert len({r.id for r in rules.rules}) == len(rules.rules)


def test_rules_digest_changes_with_rules(tmp_path: Path) -> None:
    """The digest stored with every record's tags: a user rules file makes the tags stale."""
    user = tmp_path / "rules.toml"
    user.write_text("[axes.route]\nmin_score = 2.0\n", encoding="utf-8")
    assert rules_digest(None) == rules_digest(None)
    assert rules_digest(user) == rules_digest(user)
    assert rules_digest(user) != rules_digest(None)


def test_user_rules_override_and_add(tmp_path: Path) -> None:
    user = tmp_path / "rules.toml"
    user.write_text(
        """
disable = ["route.text.oral"]

[axes.indication]
values = ["ketamine_cystitis"]

[[rule]]
id = "indication.user.cystitis"
axis = "indication"
value = "ketamine_cystitis"
pattern = '''(?:ketamine[- ](?:induced|associated) )?(?:cystitis|uropathy)'''
strength = 2.0

[[rule]]
id = "route.text.intranasal"
axis = "route"
value = "intranasal"
pattern = '''nasal atomi[sz]er'''
""",
        encoding="utf-8",
    )
    tagger = Tagger(load_rules(user))
    a = article(
        "Ketamine-induced cystitis in recreational users",
        "Oral ketamine and intranasal ketamine users were seen; one used a nasal atomizer.",
    )
    got = axes(tagger, a)
    assert "ketamine_cystitis" in got["indication"]
    assert "oral" not in got["route"]  # disabled
    tag = next(t for t in tagger.tag(doc_from_article(a)) if t.value == "intranasal")
    assert {e.rule_id for e in tag.evidence} == {"route.text.intranasal"}
    assert all(e.span.lower() == "nasal atomizer" for e in tag.evidence)  # replaced, not merged


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("[[rule]\nid = 'x'", "invalid TOML"),
        ("[[rule]]\nid = 'x'\naxis = 'route'\nvalue = 'oral'\npatern = 'oral'\n", "unknown key 'patern'"),
        ("[[rule]]\nid = 'x'\naxis = 'route'\nvalue = 'oral'\npattern = '(oral'\n", "bad regex"),
        ("[[rule]]\nid = 'x'\naxis = 'mood'\nvalue = 'oral'\npattern = 'oral'\n", "unknown axis 'mood'"),
        ("[[rule]]\nid = 'x'\naxis = 'route'\nvalue = 'rectal'\npattern = 'rectal'\n", "value 'rectal'"),
        ("[[rule]]\nid = 'x'\naxis = 'route'\nvalue = 'oral'\npattern = 'oral'\nstrength = 'high'\n", "number"),
        ("disable = ['no.such.rule']\n", "unknown rule"),
        ("colour = 'blue'\n", "unknown top-level key"),
        ("[anchors]\ndrug = { pattern = 'x', substances = 'all' }\n", "substances must be one of"),
        ("[substances]\nlsd = 7\n", "[substances] lsd must be a regex string"),
        ("[substances]\nlsd = '(lsd'\n", "bad regex"),
        ("[[axes.route.damp]]\nwhen = 'population.martians'\nfactor = 0.5\nfields = ['abstract']\n",
         "when must name a tag"),
        ("[[axes.route.damp]]\nwhen = 'route.oral'\nfactor = 0.5\nfields = ['abstract']\n", "another axis"),
        ("[[axes.route.damp]]\nwhen = 'molecule.mdma'\nfactor = 0.5\nfields = ['abstract']\n"
         "[[axes.molecule.damp]]\nwhen = 'route.oral'\nfactor = 0.5\nfields = ['abstract']\n", "cycle"),
    ],
)
def test_malformed_user_file_is_a_config_error(tmp_path: Path, text: str, fragment: str) -> None:
    user = tmp_path / "bad.toml"
    user.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_rules(user)
    message = str(info.value)
    assert fragment in message
    assert str(user) in message
    assert "\n" not in message


# ------------------------------------------------------- focal substances and damping


def route_of(tagger: Tagger, title: str, abstract: str) -> set[str]:
    return axes(tagger, article(title, abstract))["route"]


def test_route_belongs_to_the_substance_the_record_is_about(tagger: Tagger) -> None:
    # The same sentence pair, about two different study drugs: the route word goes with
    # whichever substance the title names, whatever that substance is.
    text = (
        "Participants received orally administered psilocybin (25 mg). Earlier work used intravenous ketamine "
        "(0.5 mg/kg)."
    )
    assert route_of(tagger, "Psilocybin in healthy volunteers", text) == {"oral"}
    text = (
        "Participants received intravenous ketamine (0.5 mg/kg). Earlier work used orally administered "
        "psilocybin (25 mg)."
    )
    assert route_of(tagger, "Ketamine in healthy volunteers", text) == {"intravenous"}


def test_focal_substance_without_one_in_the_title_is_the_most_named(tagger: Tagger) -> None:
    abstract = (
        "In this placebo-controlled study, twenty adults received MDMA orally (125 mg). MDMA raised heart rate "
        "and MDMA effects peaked at 2 hours. One participant had used intravenous ketamine before."
    )
    a = article("Cardiovascular effects in a laboratory study", abstract)
    doc = doc_from_article(a)
    assert {t.value for t in tagger.tag(doc) if t.axis == "route"} == {"oral"}
    assert {"mdma"} <= {t.value for t in tagger.tag(doc) if t.axis == "molecule"}


def test_user_substances_extend_the_anchor(tmp_path: Path) -> None:
    # Xylazine is not a packaged substance: the only one named, ketamine, is taken for the study
    # drug. Once a user file names xylazine, the title makes it the study drug instead.
    title = "Xylazine in adults"
    abstract = (
        "In this trial, 30 adults received xylazine orally (10 mg) once; 12 had earlier used intravenous ketamine."
    )
    assert "intravenous" in route_of(Tagger(load_rules()), title, abstract)
    user = tmp_path / "rules.toml"
    user.write_text("[substances]\nxylazine = 'xylazine'\n", encoding="utf-8")
    assert route_of(Tagger(load_rules(user)), title, abstract) == {"oral"}
    # Merged, not replaced: the packaged substances still count.
    assert route_of(Tagger(load_rules(user)), "Ketamine in adults", abstract) == {"intravenous"}


def test_healthy_volunteer_studies_damp_indications_outside_the_title(tagger: Tagger) -> None:
    abstract = (
        "MDMA is being developed for PTSD. We measured MDMA pharmacokinetics in 16 healthy volunteers after a "
        "standard breakfast."
    )
    got = axes(tagger, article("Food effects on the bioavailability of MDMA", abstract))
    assert "healthy_volunteers" in got["population"]
    assert "ptsd" not in got["indication"]
    explained = tagger.analyse(doc_from_article(article("Food effects on the bioavailability of MDMA", abstract)))
    assert any("population healthy_volunteers×0.4" in c.evidence.note for c in explained.candidates)
    # A title that names the condition still counts in full.
    got = axes(tagger, article("MDMA in patients with PTSD and healthy volunteers", abstract))
    assert "ptsd" in got["indication"]


def test_keywords_naming_cited_meta_analyses_do_not_make_one(tagger: Tagger) -> None:
    a = article(
        "Ketamine with TMS for treatment-resistant depression: a long-term retrospective review of clinical use",
        "This retrospective review examined 28 patients treated in a private clinic.",
    )
    a.keywords = ["Ketamine", "DOUBLE-BLIND", "METAANALYSIS", "EFFICACY"]
    got = axes(tagger, a)
    assert "observational" in got["design"] and "meta_analysis" not in got["design"]


def test_missing_user_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_rules(tmp_path / "absent.toml")


# --------------------------------------------------------- evidence and determinism

EVIDENCE_DOCS = [
    article(
        "Esketamine nasal spray versus placebo in adolescents with major depression and suicidal ideation",
        sections=[
            ("BACKGROUND", "Intravenous ketamine has been studied in adults."),
            ("METHODS", "Adolescents aged 12-17 years were randomized to esketamine 84 mg nasal spray or placebo."),
            ("RESULTS", "Depressive symptoms improved at 4 hours."),
        ],
        mesh=["Humans", "Adolescent", "Depressive Disorder, Major", "Suicidal Ideation", "Administration, Intranasal"],
        pts=["Journal Article", "Randomized Controlled Trial"],
        chemicals=[("C000629870", "Esketamine", "supplementary")],
    ),
    article(
        "Oral ketamine for depression in palliative care",
        "We report a case series of 8 hospice patients given oral ketamine 0.5 mg/kg daily.",
    ),
]


@pytest.mark.parametrize("a", EVIDENCE_DOCS, ids=["indexed", "unindexed"])
def test_every_tag_carries_evidence(tagger: Tagger, a: Article) -> None:
    doc = doc_from_article(a)
    texts = dict(doc.fields)
    tags = tagger.tag(doc)
    assert tags
    for tag in tags:
        assert tag.axis in AXES and tag.evidence and tag.score > 0
        for e in tag.evidence:
            assert e.rule_id and e.field and e.span and e.weight > 0
            if e.field.partition(":")[0] in TEXT_FIELDS:
                assert texts[e.field][e.start : e.end] == e.span
            else:
                assert e.span in {v for name, v in doc.structured() if name == e.field}


def test_tags_are_deterministic_and_sorted(tagger: Tagger) -> None:
    for a in EVIDENCE_DOCS:
        doc = doc_from_article(a)
        first = tagger.tag(doc)
        assert first == tagger.tag(doc) == Tagger(load_rules()).tag(doc)
        order = [(AXES.index(t.axis), tagger.rules.axes[t.axis].values.index(t.value)) for t in first]
        assert order == sorted(order)


def test_analyse_explains_rejections(tagger: Tagger) -> None:
    a = article("Ketamine in depression without PTSD", "Patients without PTSD received oral ketamine.")
    analysis = tagger.analyse(doc_from_article(a))
    assert [t.value for t in analysis.tags if t.axis == "indication"] == ["depression"]
    rejected = [c for c in analysis.candidates if c.value == "ptsd"]
    assert rejected and all(c.status == "negation" for c in rejected)
    assert all(isinstance(t, Tag) for t in analysis.tags)


# ------------------------------------------------------------- pattern planning


def _texts() -> list[str]:
    gold = SHARED_DATA / "labels" / "psynamic_gold_dev.jsonl"
    texts = [a.title for a in EVIDENCE_DOCS] + [str(p.values[1]) for p in TEXT_CASES]
    if gold.exists():
        for line in gold.read_text(encoding="utf-8").splitlines()[:60]:
            row = json.loads(line)
            texts.append(row["title"] + " " + row["abstract"])
    return texts


def _on_word_boundaries(folded: str, a: int, b: int) -> bool:
    n = len(folded)
    return not (
        (a > 0 and folded[a - 1].isalnum() and folded[a].isalnum())
        or (b < n and folded[b].isalnum() and folded[b - 1].isalnum())
    )


def test_gram_planning_finds_exactly_the_full_scan_matches(tagger: Tagger) -> None:
    """The speed-up (matching only where a rule's first grams start a word) must find the
    same matches as trying the rule at every word start."""
    from ketlit.tagging.text import RecordText

    checked = 0
    for text in _texts():
        t = RecordText([("abstract", text)], tagger.text_plan)
        folded = t.folded
        for r in tagger.rules.rules:
            if r.matcher is None or not r.boundary or "abstract" not in r.fields:
                continue
            hay = t.cased if r.case else (folded if r.unmasked else t.masked)
            fast = [(m.start(), m.end()) for m in t.find(r.matcher, hay)]
            fast = [(a, b) for a, b in fast if _on_word_boundaries(folded, a, b)]
            # Reference: every word start, leftmost non-overlapping, boundaries checked.
            slow: list[tuple[int, int]] = []
            end = 0
            for pos in range(len(folded)):
                if pos < end or (pos > 0 and folded[pos - 1].isalnum() and folded[pos].isalnum()):
                    continue
                m = r.matcher.regex.match(hay, pos)
                if m is not None and m.end() > pos and _on_word_boundaries(folded, pos, m.end()):
                    slow.append((pos, m.end()))
                    end = m.end()
            assert fast == slow, (r.id, text[:60])
            checked += 1
    assert checked > 100


# ------------------------------------------------------------------ accuracy bench


def _bench() -> ModuleType:
    return repo_module("bench/tagging_accuracy.py")


def test_accuracy_floors_on_dev_labels(tagger: Tagger) -> None:
    gold = shared("labels", "psynamic_gold_dev.jsonl")
    bench = _bench()
    records = bench.load_records(gold)
    report = bench.evaluate(records, tagger)
    assert report.n_scored == sum(1 for r in records if r.is_ketamine) > 0
    assert report.axes["route"].micro_f1 >= bench.TARGET_ROUTE_F1
    assert report.axes["indication"].micro_f1 >= bench.TARGET_INDICATION_F1


def test_bench_exits_cleanly_without_labels(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bench = _bench()
    assert bench.main(["--gold", str(tmp_path / "absent.jsonl")]) == 0
    assert "not found" in capsys.readouterr().out


def test_the_packaged_rules_slugs_and_name_are_known_without_compiling_them() -> None:
    # `check` and `report` on an up-to-date cache read the slugs from the file and name the
    # packaged rules for the evidence digest without compiling a pattern: both must agree with
    # the compiled rules.
    from ketlit.evidence.rules import LazyRules, packaged_rules
    from ketlit.tagging import load_rules, packaged_vocabularies, vocabularies
    from ketlit.tagging.rules import PACKAGED_SOURCE

    compiled = load_rules(None)
    assert packaged_vocabularies() == vocabularies(compiled)
    assert compiled.source == PACKAGED_SOURCE
    assert LazyRules(None).digest == packaged_rules().digest == LazyRules(None, compiled).digest
