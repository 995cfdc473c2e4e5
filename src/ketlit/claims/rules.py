"""Claim-checking rules and regulatory facts, loaded from the packaged TOML files.

Design decisions:

* **Knowledge in data, engine in code.** Drug names, route/indication phrases, claim cues, the
  operationalisation of vague words ("within hours", "long-lasting") and every evidence-reading
  pattern live in ``data/claim_rules.toml``; regulatory decisions with their public sources live
  in ``data/regulatory.toml``. Nothing in ``ketlit.claims`` names the drug, so the same engine
  can check pages about another drug with other files.
* **Validated once.** :func:`load_rules` reads, merges and compiles everything up front and
  turns any malformed value (bad regex, wrong type, unknown slug) into a one-line
  :class:`~ketlit.errors.ConfigError` naming the file and the key, so a typo in a user file
  never surfaces as a traceback halfway through a page.
* **Merge semantics.** A user rules file is merged over the packaged one table by table; a user
  list replaces the packaged list of the same key (appending would make it impossible to
  remove a cue). User regulatory facts replace packaged ones with the same ``id`` and are
  appended otherwise.
* **Slugs are the tagger's.** Every indication / route / molecule / design slug a rules or
  regulatory file names is checked against the vocabularies of the effective tagging rules
  (:mod:`ketlit.tagging.vocab`), not against a list of our own: a slug a user's tagging rules file
  adds can be used here, and claims are matched against the same tags the records carry.
* **Digest.** :attr:`Rules.digest` covers the packaged and the user rules document (not the
  regulatory facts, which number extraction never reads): it keys the findings stored at
  tagging time, so a user rules file never reuses numbers read with other patterns.
* Patterns are matched case-insensitively: clinic pages capitalise at random.
"""

from __future__ import annotations

import hashlib
import re
import tomllib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field, replace
from importlib import resources
from pathlib import Path
from typing import Any, Final

from ketlit.config import Settings
from ketlit.errors import ConfigError
from ketlit.tagging.vocab import Vocabularies, tag_vocabularies

CLAIM_RULES_RESOURCE: Final = "claim_rules.toml"
REGULATORY_RESOURCE: Final = "regulatory.toml"

OPS: Final = (">", ">=", "<", "<=", "~")


class _Problem(Exception):
    """A problem in a rules document; becomes a ConfigError naming the file."""


_COMBINED: dict[tuple[re.Pattern[str], ...], re.Pattern[str]] = {}


@dataclass(frozen=True, slots=True)
class Patterns:
    """A compiled, ordered list of case-insensitive regexes."""

    regexes: tuple[re.Pattern[str], ...] = ()

    def search(self, text: str) -> re.Match[str] | None:
        """The earliest match of any pattern (ties: the longest)."""
        best: re.Match[str] | None = None
        for rx in self.regexes:
            m = rx.search(text)
            if m and (best is None or m.start() < best.start() or (m.start() == best.start() and m.end() > best.end())):
                best = m
        return best

    def finditer(self, text: str) -> list[re.Match[str]]:
        """All matches of all patterns, ordered by position."""
        found = [m for rx in self.regexes for m in rx.finditer(text)]
        return sorted(found, key=lambda m: (m.start(), -m.end()))

    def any(self, text: str) -> bool:
        """Whether any pattern occurs in ``text``."""
        # One combined alternation: a single scan instead of one per pattern (hot in extraction).
        combined = _COMBINED.get(self.regexes)
        if combined is None:
            combined = _COMBINED[self.regexes] = re.compile(
                "|".join(f"(?:{rx.pattern})" for rx in self.regexes), re.IGNORECASE
            ) if self.regexes else re.compile(r"(?!x)x")
        return combined.search(text) is not None

    def __bool__(self) -> bool:
        return bool(self.regexes)


@dataclass(frozen=True, slots=True)
class NotCheckableRule:
    """A category of sentences that are reported but not checked."""

    name: str
    reason: str
    overrides: bool
    anecdote: bool
    patterns: Patterns
    keep_if: Patterns
    hide: bool = False  # website chrome (cookie banners, copyright lines): not listed at all


@dataclass(frozen=True, slots=True)
class VagueTime:
    """A vague time phrase and the threshold it is read as."""

    pattern: re.Pattern[str]
    op: str
    hours: float
    note: str


@dataclass(frozen=True, slots=True)
class Outcome:
    """An outcome construct (response, remission, improvement)."""

    name: str
    patterns: Patterns
    definition: str


@dataclass(frozen=True, slots=True)
class Family:
    """Which record indications count as direct or indirect evidence for a claimed indication."""

    direct: tuple[str, ...]
    indirect: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Source:
    """A public source for a regulatory fact."""

    url: str
    title: str
    publisher: str
    published: str
    verified: str  # "" when not re-checked, else the date it was


@dataclass(frozen=True, slots=True)
class RegulatoryFact:
    """One regulatory decision (approval, schedule, warning …) with its sources."""

    id: str
    kind: str
    jurisdiction: str
    agency: str
    molecule: tuple[str, ...]
    product: str
    route: tuple[str, ...]
    indication: tuple[str, ...]
    exhaustive: bool
    year: int
    schedule: str
    risks: tuple[str, ...]
    statement: str
    sources: tuple[Source, ...]

    def covers_molecule(self, molecule: str) -> bool:
        """Whether the fact applies to ``molecule`` ("*" applies to every form)."""
        return "*" in self.molecule or molecule in self.molecule


@dataclass(frozen=True, slots=True)
class Rules:
    """Everything the claim checker knows, compiled."""

    source: str
    drug_names: Patterns
    min_page_mentions: int
    other_treatments: Patterns
    anaphora: Patterns
    min_claim_words: int
    carry_over: Patterns
    molecule_generic: Patterns
    molecule_default: str
    molecules: dict[str, Patterns]
    routes: dict[str, Patterns]
    route_page_min_mentions: int
    route_page_min_share: float
    indications: dict[str, Patterns]
    indication_fallback: dict[str, Patterns]
    resistant_cues: Patterns
    families: dict[str, Family]
    indication_page_max: int
    indication_page_min_mentions: int
    cues: dict[str, Patterns]
    not_checkable: tuple[NotCheckableRule, ...]
    outcomes: tuple[Outcome, ...]
    outcome_undefined: Patterns
    outcome_default: str
    threshold_ops: tuple[tuple[str, Patterns], ...]
    bare_op: str
    approx_tolerance_pct: float
    vague_onset: tuple[VagueTime, ...]
    vague_duration: tuple[VagueTime, ...]
    safety_topics: dict[str, Patterns]
    safety_stances: dict[str, Patterns]
    # Special groups ("during pregnancy", "in adolescents"): a safety claim about one needs
    # evidence that mentions it.
    safety_populations: dict[str, Patterns]
    regulated_risks: tuple[str, ...]
    # [evidence.comparative]: claim cues, sentence cues and the comparators (name → patterns).
    comparative: dict[str, Patterns]
    comparators: dict[str, Patterns]
    comparator_combined: dict[str, Patterns]
    regulatory: dict[str, Patterns]
    schedule_rx: re.Pattern[str]
    year_rx: re.Pattern[str]
    design_rank: dict[str, int]
    preclinical: tuple[str, ...]
    not_evidence: tuple[str, ...]
    optimal_information_size: int
    i2_inconsistency: float
    max_cited: int
    arms: dict[str, Patterns]
    unblinding_indications: tuple[str, ...]
    direction: dict[str, Patterns]
    numbers: dict[str, Patterns]
    construct_cues: dict[str, Patterns]
    adverse: dict[str, Patterns]
    other_treatments_evidence: Patterns
    drug_bound_adverse: tuple[str, ...]
    rollup_parents: dict[str, tuple[str, ...]]
    ctgov_rate_titles: dict[str, Patterns]
    ctgov_count_param_types: tuple[str, ...]
    ctgov_percent_units: Patterns
    ctgov_yes: Patterns
    ctgov_no: Patterns
    facts: tuple[RegulatoryFact, ...] = field(default=())
    # sha256 of the packaged rules document plus the user's (see the module docstring).
    digest: str = ""

    def family(self, indication: str) -> Family:
        """Direct/indirect evidence indications for a claimed indication (itself only if unlisted)."""
        return self.families.get(indication, Family(direct=(indication,), indirect=()))

    def fact(self, fact_id: str) -> RegulatoryFact | None:
        """The regulatory fact with this id, if any."""
        return next((f for f in self.facts if f.id == fact_id), None)


# ------------------------------------------------------------------ reading documents


class _Doc:
    """Typed, path-aware access to a parsed TOML document."""

    def __init__(self, data: Mapping[str, Any], path: str = "") -> None:
        self.data = data
        self.path = path

    def _where(self, key: str) -> str:
        return f"{self.path}.{key}" if self.path else key

    def sub(self, key: str) -> _Doc:
        value = self.data.get(key, {})
        if not isinstance(value, Mapping):
            raise _Problem(f"{self._where(key)} must be a table")
        return _Doc(value, self._where(key))

    def names(self) -> list[str]:
        return list(self.data)

    def text(self, key: str, default: str | None = None) -> str:
        value = self.data.get(key, default)
        if not isinstance(value, str):
            raise _Problem(f"{self._where(key)} must be a string")
        return value

    def number(self, key: str, default: float | None = None) -> float:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Problem(f"{self._where(key)} must be a number")
        return float(value)

    def integer(self, key: str, default: int | None = None) -> int:
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int):
            raise _Problem(f"{self._where(key)} must be an integer")
        return value

    def flag(self, key: str, default: bool | None = None) -> bool:
        value = self.data.get(key, default)
        if not isinstance(value, bool):
            raise _Problem(f"{self._where(key)} must be true or false")
        return value

    def strs(self, key: str) -> tuple[str, ...]:
        value = self.data.get(key, [])
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise _Problem(f"{self._where(key)} must be a list of strings")
        return tuple(value)

    def tables(self, key: str) -> list[_Doc]:
        value = self.data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
            raise _Problem(f"{self._where(key)} must be a list of tables")
        return [_Doc(v, f"{self._where(key)}[{i}]") for i, v in enumerate(value)]

    def patterns(self, key: str) -> Patterns:
        return Patterns(tuple(_compile(p, self._where(key)) for p in self.strs(key)))

    def pattern_map(self, key: str, allowed: Collection[str] | None = None) -> dict[str, Patterns]:
        doc = self.sub(key)
        out: dict[str, Patterns] = {}
        for name in doc.names():
            if allowed is not None and name not in allowed:
                raise _Problem(f"{doc._where(name)}: unknown slug {name!r}")
            out[name] = doc.patterns(name)
        return out


def _compile(pattern: str, where: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern, re.IGNORECASE)
    except re.error as exc:
        raise _Problem(f"{where}: bad regex {pattern!r}: {exc}") from None


def _slug(value: str, allowed: Collection[str], where: str) -> str:
    if value not in allowed:
        raise _Problem(f"{where}: unknown slug {value!r}")
    return value


def _vague(doc: _Doc, key: str) -> tuple[VagueTime, ...]:
    out: list[VagueTime] = []
    for t in doc.tables(key):
        op = t.text("op")
        if op not in OPS:
            raise _Problem(f"{t.path}.op: must be one of {', '.join(OPS)}")
        out.append(VagueTime(_compile(t.text("pattern"), t.path), op, t.number("hours"), t.text("note", "")))
    return tuple(out)


def _rules_from_doc(root: _Doc, source: str, vocab: Vocabularies) -> Rules:
    drug, mol, route, ind = root.sub("drug"), root.sub("molecule"), root.sub("route"), root.sub("indication")
    families: dict[str, Family] = {}
    fam_doc = ind.sub("families")
    for name in fam_doc.names():
        f = fam_doc.sub(name)
        _slug(name, vocab["indication"], f.path)
        families[name] = Family(
            direct=tuple(_slug(s, vocab["indication"], f.path) for s in f.strs("direct")),
            indirect=tuple(_slug(s, vocab["indication"], f.path) for s in f.strs("indirect")),
        )
    nc_doc = root.sub("not_checkable")
    not_checkable = tuple(
        NotCheckableRule(
            name=name,
            reason=nc_doc.sub(name).text("reason"),
            overrides=nc_doc.sub(name).flag("overrides", False),
            anecdote=nc_doc.sub(name).flag("anecdote", False),
            patterns=nc_doc.sub(name).patterns("patterns"),
            keep_if=nc_doc.sub(name).patterns("keep_if"),
            hide=nc_doc.sub(name).flag("hide", False),
        )
        for name in nc_doc.names()
    )
    out_doc = root.sub("outcomes")
    outcomes = tuple(
        Outcome(name, out_doc.sub(name).patterns("patterns"), out_doc.sub(name).text("definition"))
        for name in out_doc.strs("order")
    )
    thr = root.sub("thresholds")
    ops: list[tuple[str, Patterns]] = []
    for t in thr.tables("ops"):
        op = t.text("op")
        if op not in OPS:
            raise _Problem(f"{t.path}.op: must be one of {', '.join(OPS)}")
        # Symbols like ">" need no word boundaries; patterns are taken literally as regexes.
        ops.append((op, t.patterns("patterns")))
    reg = root.sub("regulatory")
    ev = root.sub("evidence")
    rank_doc = ev.sub("design_rank")
    design_rank = {_slug(k, vocab["design"], rank_doc.path): rank_doc.integer(k) for k in rank_doc.names()}
    ctg = ev.sub("ctgov")
    default_molecule = _slug(mol.text("default"), vocab["molecule"], "molecule.default")
    outcome_default = out_doc.text("undefined_default")
    if outcome_default not in {o.name for o in outcomes}:
        raise _Problem(f"outcomes.undefined_default: unknown outcome {outcome_default!r}")
    bare = thr.text("bare_op")
    if bare not in OPS:
        raise _Problem(f"thresholds.bare_op: must be one of {', '.join(OPS)}")
    return Rules(
        source=source,
        drug_names=drug.patterns("names"),
        min_page_mentions=drug.integer("min_page_mentions", 2),
        other_treatments=drug.patterns("other_treatments"),
        anaphora=drug.patterns("anaphora"),
        min_claim_words=drug.integer("min_claim_words", 4),
        carry_over=drug.patterns("carry_over"),
        molecule_generic=mol.patterns("generic"),
        molecule_default=default_molecule,
        molecules=mol.pattern_map("patterns", vocab["molecule"]),
        routes=route.pattern_map("patterns", vocab["route"]),
        route_page_min_mentions=route.sub("page").integer("min_mentions", 2),
        route_page_min_share=route.sub("page").number("min_share", 0.6),
        indications=ind.pattern_map("patterns", vocab["indication"]),
        indication_fallback=ind.pattern_map("generic_fallback", vocab["indication"]),
        resistant_cues=ind.patterns("resistant_cues"),
        families=families,
        indication_page_max=ind.sub("page").integer("max_inferred", 3),
        indication_page_min_mentions=ind.sub("page").integer("min_mentions", 2),
        cues=root.pattern_map("cues"),
        not_checkable=not_checkable,
        outcomes=outcomes,
        outcome_undefined=out_doc.sub("undefined").patterns("patterns"),
        outcome_default=outcome_default,
        threshold_ops=tuple(ops),
        bare_op=bare,
        approx_tolerance_pct=thr.number("approx_tolerance_pct", 5.0),
        vague_onset=_vague(root.sub("time"), "vague_onset"),
        vague_duration=_vague(root.sub("time"), "vague_duration"),
        safety_topics=root.sub("safety").pattern_map("topics"),
        safety_stances=root.sub("safety").pattern_map("stance"),
        safety_populations=root.sub("safety").pattern_map("populations"),
        comparative={
            k: ev.sub("comparative").patterns(k)
            for k in (
                "claim_better", "claim_equal", "no_difference", "ahead", "behind", "object_link", "negated",
                "hypothetical",
            )
        },
        comparators=ev.sub("comparative").pattern_map("comparators"),
        comparator_combined=ev.sub("comparative").pattern_map("combined"),
        regulated_risks=root.sub("safety").strs("regulated_risks"),
        regulatory={k: reg.patterns(k) for k in reg.names() if k not in ("schedule", "year")},
        schedule_rx=_compile(reg.text("schedule"), "regulatory.schedule"),
        year_rx=_compile(reg.text("year"), "regulatory.year"),
        design_rank=design_rank,
        preclinical=tuple(_slug(s, vocab["design"], "evidence.preclinical") for s in ev.strs("preclinical")),
        not_evidence=tuple(_slug(s, vocab["design"], "evidence.not_evidence") for s in ev.strs("not_evidence")),
        optimal_information_size=ev.integer("optimal_information_size", 400),
        i2_inconsistency=ev.number("i2_inconsistency", 50.0),
        max_cited=ev.integer("max_cited", 12),
        arms={k: ev.sub("arms").patterns(k) for k in ev.sub("arms").names() if k != "unblinding_indications"},
        unblinding_indications=tuple(
            _slug(s, vocab["indication"], "evidence.arms.unblinding_indications")
            for s in ev.sub("arms").strs("unblinding_indications")
        ),
        direction=ev.pattern_map("direction"),
        numbers={k: ev.sub("numbers").patterns(k) for k in ev.sub("numbers").names() if k != "construct_cues"},
        construct_cues=ev.sub("numbers").pattern_map("construct_cues"),
        other_treatments_evidence=ev.patterns("other_treatments"),
        adverse={k: ev.sub("adverse").patterns(k) for k in ev.sub("adverse").names() if k != "drug_bound"},
        drug_bound_adverse=ev.sub("adverse").strs("drug_bound"),
        rollup_parents={
            _slug(k, vocab["indication"], "indication.rollup_parents"): tuple(
                _slug(c, vocab["indication"], "indication.rollup_parents") for c in ind.sub("rollup_parents").strs(k)
            )
            for k in ind.sub("rollup_parents").names()
        },
        ctgov_rate_titles=ctg.pattern_map("rate_titles"),
        ctgov_count_param_types=tuple(s.upper() for s in ctg.strs("count_param_types")),
        ctgov_percent_units=ctg.patterns("percent_units"),
        ctgov_yes=ctg.patterns("yes_categories"),
        ctgov_no=ctg.patterns("no_categories"),
    )


def _facts_from_doc(root: _Doc, vocab: Vocabularies) -> tuple[RegulatoryFact, ...]:
    facts: list[RegulatoryFact] = []
    seen: set[str] = set()
    for f in root.tables("fact"):
        fid = f.text("id")
        if fid in seen:
            raise _Problem(f"{f.path}: duplicate fact id {fid!r}")
        seen.add(fid)
        sources = tuple(
            Source(
                url=s.text("url"),
                title=s.text("title"),
                publisher=s.text("publisher", ""),
                published=s.text("published", ""),
                verified="" if s.data.get("verified", False) is False else str(s.data.get("verified")),
            )
            for s in f.tables("source")
        )
        if not sources:
            raise _Problem(f"{f.path}: a fact needs at least one [[fact.source]]")
        for s in sources:
            if not s.url.startswith("https://"):
                raise _Problem(f"{f.path}: source url must be https: {s.url!r}")
        facts.append(
            RegulatoryFact(
                id=fid,
                kind=f.text("kind"),
                jurisdiction=f.text("jurisdiction", "US"),
                agency=f.text("agency", ""),
                molecule=tuple(m if m == "*" else _slug(m, vocab["molecule"], f.path) for m in f.strs("molecule")),
                product=f.text("product", ""),
                route=tuple(_slug(r, vocab["route"], f.path) for r in f.strs("route")),
                indication=tuple(_slug(i, vocab["indication"], f.path) for i in f.strs("indication")),
                exhaustive=f.flag("exhaustive", False),
                year=f.integer("year", 0),
                schedule=f.text("schedule", ""),
                risks=f.strs("risks"),
                statement=f.text("statement"),
                sources=sources,
            )
        )
    return tuple(facts)


# ------------------------------------------------------------------ loading


def _read_toml(text: str, where: str) -> dict[str, Any]:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{where}: invalid TOML: {exc}") from None


def _packaged(name: str) -> tuple[dict[str, Any], bytes]:
    raw = resources.files("ketlit").joinpath("data", name).read_bytes()
    return _read_toml(raw.decode("utf-8"), f"packaged {name}"), raw


def _user(path: Path) -> tuple[dict[str, Any], bytes]:
    try:
        raw = Path(path).read_bytes()
        text = raw.decode("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read rules file: {exc}") from None
    return _read_toml(text, str(path)), raw


def merge_documents(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """``user`` over ``base``: tables merge recursively, every other value (lists too) replaces."""
    merged: dict[str, Any] = dict(base)
    for key, value in user.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), Mapping):
            merged[key] = merge_documents(merged[key], value)
        else:
            merged[key] = value
    return merged


def _merge_facts(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(user) - {"fact"})
    if unknown:
        # A misspelt [[facts]] would otherwise be ignored without a word.
        raise _Problem(f"unknown key(s): {', '.join(unknown)} (expected [[fact]] tables)")
    given = user.get("fact", [])
    if not isinstance(given, list):
        raise _Problem("fact must be a list of tables ([[fact]])")
    facts = [dict(f) for f in base.get("fact", []) if isinstance(f, Mapping)]
    index = {f.get("id"): i for i, f in enumerate(facts)}
    for f in given:
        if isinstance(f, Mapping) and f.get("id") in index:
            facts[index[f.get("id")]] = dict(f)
        else:
            facts.append(f)
    return {"fact": facts}


def load_rules(
    user_rules: Path | None = None,
    user_regulatory: Path | None = None,
    *,
    vocabularies: Vocabularies | None = None,
) -> Rules:
    """The packaged claim rules and regulatory facts, each merged with a user file if given.

    Slugs are checked against ``vocabularies`` ({axis: slugs}, those of the effective tagging
    rules; by default the packaged tagging rules')."""
    given = tag_vocabularies() if vocabularies is None else vocabularies
    vocab = {axis: tuple(given.get(axis, ())) for axis in ("indication", "route", "molecule", "design")}
    doc, raw = _packaged(CLAIM_RULES_RESOURCE)
    digest = hashlib.sha256(raw)
    where = f"packaged {CLAIM_RULES_RESOURCE}"
    if user_rules is not None:
        user, user_raw = _user(user_rules)
        doc = merge_documents(doc, user)
        digest.update(user_raw)
        where = str(user_rules)
    try:
        rules = _rules_from_doc(_Doc(doc), where, vocab)
    except _Problem as exc:
        raise ConfigError(f"{where}: {exc}") from None
    reg, _ = _packaged(REGULATORY_RESOURCE)
    reg_where = f"packaged {REGULATORY_RESOURCE}"
    try:
        if user_regulatory is not None:
            reg_where = str(user_regulatory)
            reg = _merge_facts(reg, _user(user_regulatory)[0])
        facts = _facts_from_doc(_Doc(reg), vocab)
    except _Problem as exc:
        raise ConfigError(f"{reg_where}: {exc}") from None
    return replace(rules, facts=facts, digest=digest.hexdigest())


def load_rules_for(settings: Settings, *, vocabularies: Vocabularies | None = None) -> Rules:
    """The claim rules and regulatory facts ``settings`` configure (see :func:`load_rules`)."""
    return load_rules(settings.claim_rules, settings.regulatory, vocabularies=vocabularies)
