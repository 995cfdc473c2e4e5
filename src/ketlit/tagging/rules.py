"""Tagging rules: read the packaged TOML, merge a user's file over it, validate → :class:`TaggingRules`.

Design decisions:

* **Domain knowledge in data.** Everything about ketamine (and about the medicine of the five
  axes) lives in the packaged ``data/tagging_rules.toml``; this module only reads, merges and
  checks it, and compiles every pattern once (:mod:`ketlit.tagging.patterns`).
* **Files are read by the one TOML loader** (:mod:`ketlit.tomlfile`: size limit, UTF-8, one-line
  errors naming the file). The rules' own merge (value unions, ``[[rule]]`` by id, ``disable``)
  and section checks (``_check_keys``, ``_get``, ``_str_list``) stay here because no other file
  has that shape.
* **One function per section** of the rules file (``_contexts``, ``_anchors``, ``_axes`` …),
  called by ``_build`` in file order: the first problem of a file is the one reported, as a
  one-line :class:`~ketlit.errors.ConfigError` naming the file.

Rules file format and merge semantics (see the packaged file for the full reference):

* Top-level tables ``settings``, ``fields``, ``field_groups``, ``sentences``, ``contexts``,
  ``anchors`` and ``axes`` are merged key by key, recursively; a user value replaces the
  packaged value, except ``axes.<axis>.values``, which is the union (a user file can add
  slugs but never remove the fixed ones).
* ``[[rule]]`` and ``[[mask]]`` entries are keyed by ``id``: a user entry with a packaged id
  replaces that entry as a whole (the axis ``defaults`` still apply), a new id is appended.
  ``disable = ["id", …]`` at top level removes packaged rules or masks; ``enabled = false``
  on an entry does the same. ``[[zones]]`` in a user file replace the packaged list (their
  order matters: the first zone whose label pattern matches wins).
* Unknown keys, unknown axes/values/fields/contexts/anchors, bad regexes and wrong types
  are errors: :func:`load_rules` raises :class:`~ketlit.errors.ConfigError` with a
  one-line message naming the file and the problem.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Final

from ketlit.errors import ConfigError
from ketlit.tagging.model import ALL_FIELDS, TEXT_FIELDS
from ketlit.tagging.patterns import GLOBAL_FLAGS, Matcher, make_matcher, word_end
from ketlit.tagging.specs import (
    AxisSpec,
    ContextSpec,
    DampSpec,
    MaskSpec,
    RuleSpec,
    SentenceSpec,
    TaggingRules,
    ZoneSpec,
    decide_order,
)
from ketlit.tomlfile import read_packaged, read_user

RULES_RESOURCE: Final = "tagging_rules.toml"
# The packaged rules' ``source`` (as ``read_packaged`` names them), known without compiling them.
PACKAGED_SOURCE: Final = f"packaged {RULES_RESOURCE}"

_TOP_KEYS: Final = frozenset(
    {
        "schema", "settings", "fields", "field_groups", "sentences", "contexts", "anchors", "substances", "axes",
        "zones", "mask", "rule", "disable",
    }
)
_RULE_KEYS: Final = frozenset(
    {
        "id", "axis", "value", "fields", "pattern", "terms", "strength", "tier", "contexts", "near", "near_window",
        "far_factor", "other", "other_factor", "case", "boundary", "unless", "requires", "excluded_by", "unmasked",
        "when", "enabled", "description",
    }
)
_RULE_DEFAULT_KEYS: Final = frozenset(
    {"fields", "strength", "tier", "contexts", "near", "near_window", "far_factor", "other", "other_factor", "case",
     "boundary"}
)
_MASK_KEYS: Final = frozenset({"id", "pattern", "fields", "enabled", "description", "case"})
_AXIS_KEYS: Final = frozenset(
    {"values", "min_score", "relative", "exclusive_tiers", "rule_cap", "parents", "defaults", "damp", "description"}
)
_DAMP_KEYS: Final = frozenset({"when", "factor", "fields", "description"})
_CONTEXT_KEYS: Final = frozenset({"before", "after", "factor", "window", "scope_break", "description"})
_ZONE_KEYS: Final = frozenset({"name", "labels", "factor", "study_factor", "cues", "description"})
_SENTENCE_KEYS: Final = frozenset(
    {"prose_fields", "study", "background", "outlook", "leading_background_factor", "background_factor",
     "outlook_factor", "min_sentences_for_leading", "description"}
)
_SETTINGS_KEYS: Final = frozenset({"max_evidence", "near_window", "scope_break", "description"})
_ANCHOR_KEYS: Final = frozenset({"pattern", "substances", "description"})
# What an anchor adds of the record's substances (see [substances] in the packaged rules).
_ANCHOR_SUBSTANCES: Final = ("none", "focal", "other")


class _Problem(Exception):
    """A problem in a rules document; turned into a one-line ConfigError by the loader."""


def _merge_tables(base: dict[str, Any], over: Mapping[str, Any], path: str = "") -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        here = f"{path}.{key}" if path else key
        if isinstance(value, Mapping) and isinstance(out.get(key), Mapping):
            out[key] = _merge_tables(dict(out[key]), value, here)
        elif here.startswith("axes.") and here.endswith(".values") and isinstance(out.get(key), list):
            if not isinstance(value, list):
                raise _Problem(f"{here} must be a list")
            out[key] = list(dict.fromkeys([*out[key], *value]))
        else:
            out[key] = copy.deepcopy(value)
    return out


def _merge_entries(base: list[Any], over: Any, kind: str) -> list[Any]:
    if not isinstance(over, list) or not all(isinstance(e, dict) for e in over):
        raise _Problem(f"[[{kind}]] entries must be tables")
    out: dict[str, Any] = {}
    for entry in base:
        out[str(entry.get("id"))] = entry
    seen: set[str] = set()
    for entry in over:
        rid = entry.get("id")
        if not isinstance(rid, str) or not rid:
            raise _Problem(f"a [[{kind}]] entry has no id")
        if rid in seen:
            raise _Problem(f"duplicate {kind} id {rid!r}")
        seen.add(rid)
        out[rid] = copy.deepcopy(entry)
    return list(out.values())


def _merge_documents(base: Mapping[str, Any], user: Mapping[str, Any]) -> dict[str, Any]:
    """Merge a user rules document over the packaged one (semantics in the module docstring)."""
    unknown = set(user) - _TOP_KEYS
    if unknown:
        raise _Problem(f"unknown top-level key {sorted(unknown)[0]!r}")
    merged = {k: copy.deepcopy(v) for k, v in base.items()}
    tables = {k: v for k, v in user.items() if k not in ("rule", "mask", "disable", "zones", "schema")}
    merged = _merge_tables(merged, tables)
    if "zones" in user:
        merged["zones"] = copy.deepcopy(user["zones"])  # zones are ordered: a user list replaces the packaged one
    for kind in ("rule", "mask"):
        if kind in user:
            merged[kind] = _merge_entries(list(merged.get(kind, [])), user[kind], kind)
    disable = user.get("disable", [])
    if not isinstance(disable, list) or not all(isinstance(d, str) for d in disable):
        raise _Problem("disable must be a list of rule ids")
    known = {str(e.get("id")) for kind in ("rule", "mask") for e in merged.get(kind, [])}
    for rid in disable:
        if rid not in known:
            raise _Problem(f"disable names unknown rule {rid!r}")
    if disable:
        for kind in ("rule", "mask"):
            merged[kind] = [e for e in merged.get(kind, []) if e.get("id") not in disable]
    return merged


def rules_digest(user_file: Path | None) -> str:
    """Digest of the packaged rules file plus the user's: stored with every record's tags, so a
    change in either re-tags."""
    digest = hashlib.sha256(read_packaged(RULES_RESOURCE).raw)
    if user_file is not None:
        digest.update(read_user(user_file, "rules file").raw)
    return digest.hexdigest()


def load_rules(user_file: Path | None = None) -> TaggingRules:
    """The packaged tagging rules, merged with ``user_file`` if given (ConfigError if malformed)."""
    if user_file is None:
        return _packaged_rules()
    base = read_packaged(RULES_RESOURCE)
    user = read_user(user_file, "rules file")
    try:
        merged = _merge_documents(base.data, user.data)
    except _Problem as exc:
        raise ConfigError(f"{user.where}: {exc}") from None
    return _rules_from_doc(merged, user.where)


@functools.cache
def _packaged_rules() -> TaggingRules:
    """The packaged rules, compiled once per process (they are frozen): the tagger and the
    evidence reader's drug names both use them, and compiling costs a third of a second."""
    base = read_packaged(RULES_RESOURCE)
    return _rules_from_doc(base.data, base.where)


@functools.cache
def packaged_vocabularies() -> dict[str, tuple[str, ...]]:
    """:func:`vocabularies` of the packaged rules, read from the file's ``[axes.*] values`` without
    compiling a pattern (a check on an up-to-date cache needs the slugs, not the tagger).
    ``tests/test_tagging_rules.py`` pins it equal to ``vocabularies(load_rules())``."""
    axes = read_packaged(RULES_RESOURCE).data.get("axes", {})
    return {name: tuple(axis["values"]) for name, axis in axes.items()}


def vocabularies(rules: TaggingRules) -> dict[str, tuple[str, ...]]:
    """The slugs of every axis of ``rules``, in their file order: what query files and
    claim rules may name (a slug a user's rules file adds is valid everywhere)."""
    return {name: axis.values for name, axis in rules.axes.items()}


# -------------------------------------------------------------- rules: validation


def _compile(pattern: str, what: str) -> re.Pattern[str]:
    try:
        return re.compile(pattern)
    except re.error as exc:
        raise _Problem(f"{what}: bad regex: {exc}") from None


_TYPE_WORDS: Final[dict[type, str]] = {
    float: "a number", int: "an integer", bool: "true or false", str: "a string", list: "a list", dict: "a table"
}


def _get(d: Mapping[str, Any], key: str, kind: type | tuple[type, ...], what: str, default: Any = None) -> Any:
    value = d.get(key, default)
    if value is None:
        return default
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, bool) and kind in (int, float):
        raise _Problem(f"{what}: {key} must be a number")
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        name = " or ".join(_TYPE_WORDS.get(k, k.__name__) for k in kinds)
        raise _Problem(f"{what}: {key} must be {name}")
    return value


def _str_list(d: Mapping[str, Any], key: str, what: str) -> tuple[str, ...]:
    value = d.get(key, [])
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _Problem(f"{what}: {key} must be a list of strings")
    return tuple(value)


def _check_keys(d: Mapping[str, Any], allowed: frozenset[str], what: str) -> None:
    if not isinstance(d, Mapping):
        raise _Problem(f"{what} must be a table")
    unknown = set(d) - allowed
    if unknown:
        raise _Problem(f"{what}: unknown key {sorted(unknown)[0]!r}")


@dataclass(frozen=True, slots=True)
class _Known:
    """What the sections read so far define, for the sections that refer to it."""

    groups: Mapping[str, tuple[str, ...]]  # [field_groups]
    default_fields: frozenset[str]
    default_near_window: int
    default_break: re.Pattern[str]
    contexts: Mapping[str, ContextSpec] = field(default_factory=dict)
    anchors: Mapping[str, Matcher] = field(default_factory=dict)
    axes: Mapping[str, AxisSpec] = field(default_factory=dict)
    axis_defaults: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def expand(self, names: Sequence[str], what: str) -> frozenset[str]:
        """Field names with field groups expanded (a _Problem names an unknown one)."""
        return _expand(self.groups, names, what)


def _expand(groups: Mapping[str, tuple[str, ...]], names: Sequence[str], what: str) -> frozenset[str]:
    out: set[str] = set()
    for n in names:
        if n in groups:
            out.update(groups[n])
        elif n in ALL_FIELDS:
            out.add(n)
        else:
            raise _Problem(f"{what}: unknown field or field group {n!r}")
    return frozenset(out)


def _table(data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, Mapping):
        raise _Problem(f"[{key}] must be a table")
    return value


def _rules_from_doc(data: Mapping[str, Any], source: str) -> TaggingRules:
    """Validate a (merged) rules document; ConfigError with a one-line message if it is wrong."""
    try:
        return _build(data, source)
    except _Problem as exc:
        raise ConfigError(f"{source}: {exc}") from None


def _build(data: Mapping[str, Any], source: str) -> TaggingRules:
    # Sections are read in this order so that the first problem of a file is the one reported.
    _check_keys(data, _TOP_KEYS, "rules file")
    settings = data.get("settings", {})
    _check_keys(settings, _SETTINGS_KEYS, "[settings]")
    max_evidence = _get(settings, "max_evidence", int, "[settings]", 8)
    near_window = _get(settings, "near_window", int, "[settings]", 60)
    default_break = _compile(_get(settings, "scope_break", str, "[settings]", r"[;:]"), "[settings] scope_break")
    groups = _field_groups(data)
    default_fields = _expand(groups, ("text",), "[field_groups]") if "text" in groups else frozenset(TEXT_FIELDS)
    known = _Known(groups, default_fields, near_window, default_break)
    field_weights = _field_weights(data)
    known = replace(known, contexts=_contexts(data, known))
    anchors, anchor_substances = _anchors(data)
    known = replace(known, anchors=anchors)
    substance_regex, substance_groups = _substances(data, anchor_substances)
    zones = _zones(data)
    sentences = _sentences(data, known)
    axes, axis_defaults = _axes(data, known)
    known = replace(known, axes=axes, axis_defaults=axis_defaults)
    masks = _masks(data, known)
    rules = _rules(data, known)
    for name, w in field_weights.items():
        if w < 0:
            raise _Problem(f"[fields] {name}: weight must be >= 0")
    return TaggingRules(
        source=source,
        axes=axes,
        field_weights=field_weights,
        contexts=known.contexts,
        anchors=anchors,
        zones=zones,
        sentences=sentences,
        masks=masks,
        rules=rules,
        max_evidence=max_evidence,
        substance_regex=substance_regex,
        substance_groups=substance_groups,
        anchor_substances=anchor_substances,
    )


def _field_groups(data: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """``[field_groups]``: name → field names."""
    groups_raw = _table(data, "field_groups")
    groups: dict[str, tuple[str, ...]] = {}
    for g in groups_raw:
        names = _str_list(groups_raw, g, "[field_groups]")
        for n in names:
            if n not in ALL_FIELDS:
                raise _Problem(f"[field_groups] {g}: unknown field {n!r}")
        groups[g] = names
    return groups


def _field_weights(data: Mapping[str, Any]) -> dict[str, float]:
    """``[fields]``: field → weight (the sign is checked last, see _build)."""
    weights_raw = _table(data, "fields")
    field_weights: dict[str, float] = {}
    for f in weights_raw:
        if f not in ALL_FIELDS:
            raise _Problem(f"[fields]: unknown field {f!r}")
        field_weights[f] = _get(weights_raw, f, float, "[fields]")
    return field_weights


def _contexts(data: Mapping[str, Any], known: _Known) -> dict[str, ContextSpec]:
    """``[contexts.<name>]``: cue patterns before/after a match and the factor they apply."""
    contexts: dict[str, ContextSpec] = {}
    for name, c in _table(data, "contexts").items():
        what = f"[contexts.{name}]"
        _check_keys(c, _CONTEXT_KEYS, what)
        before = _get(c, "before", str, what)
        after = _get(c, "after", str, what)
        if before is None and after is None:
            raise _Problem(f"{what}: needs before or after")
        brk = _get(c, "scope_break", str, what)
        contexts[name] = ContextSpec(
            name=name,
            before=make_matcher(_compile(before, f"{what} before")) if before else None,
            after=make_matcher(_compile(after, f"{what} after")) if after else None,
            factor=_get(c, "factor", float, what, 1.0),
            window=_get(c, "window", int, what, 40),
            scope_break=_compile(brk, f"{what} scope_break") if brk else known.default_break,
        )
    return contexts


def _anchors(data: Mapping[str, Any]) -> tuple[dict[str, Matcher], dict[str, str]]:
    """``[anchors]``: name → matcher, and per anchor which of a record's substances it adds."""
    anchors: dict[str, Matcher] = {}
    anchor_substances: dict[str, str] = {}
    for name, spec in _table(data, "anchors").items():
        what = f"[anchors] {name}"
        if isinstance(spec, Mapping):
            _check_keys(spec, _ANCHOR_KEYS, what)
            pat = _get(spec, "pattern", str, what)
            adds = _get(spec, "substances", str, what, "none")
            if adds not in _ANCHOR_SUBSTANCES:
                raise _Problem(f"{what}: substances must be one of {', '.join(_ANCHOR_SUBSTANCES)}")
            if adds != "none":
                anchor_substances[name] = adds
        else:
            pat = spec
        if not isinstance(pat, str):
            raise _Problem(f"{what} must be a regex string or a table with a pattern")
        # An empty pattern is allowed: an anchor that only stands for the record's substances.
        anchors[name] = make_matcher(_compile(pat or "(?!)", what))
    return anchors, anchor_substances


def _substances(data: Mapping[str, Any], anchor_substances: Mapping[str, str]) -> tuple[Matcher | None, dict[int, int]]:
    """``[substances]``: one matcher for all substances, and its outer group → substance index."""
    substances_raw = _table(data, "substances")
    substance_parts: list[str] = []
    substance_groups: dict[int, int] = {}
    group = 1
    for name, pat in substances_raw.items():
        if not isinstance(pat, str) or not pat:
            raise _Problem(f"[substances] {name} must be a regex string")
        if GLOBAL_FLAGS.match(pat):
            raise _Problem(f"[substances] {name}: inline global flags are not allowed here")
        inner = _compile(pat, f"[substances] {name}").groups
        substance_groups[group] = len(substance_parts)
        group += 1 + inner
        substance_parts.append(f"({word_end(pat)})")
    # One alternation finds every substance in one pass; substance_groups maps the outer
    # group that matched (``lastindex``) to its substance, whatever groups a pattern has.
    substance_regex = make_matcher(re.compile("|".join(substance_parts))) if substance_parts else None
    if anchor_substances and substance_regex is None:
        raise _Problem("[anchors] use substances, but [substances] defines none")
    return substance_regex, substance_groups


def _zones(data: Mapping[str, Any]) -> tuple[ZoneSpec, ...]:
    """``[[zones]]``: section-label patterns and the factor their sentences get (order matters)."""
    zones: list[ZoneSpec] = []
    zones_raw = data.get("zones", [])
    if not isinstance(zones_raw, list):
        raise _Problem("[[zones]] must be an array of tables")
    for z in zones_raw:
        _check_keys(z, _ZONE_KEYS, "[[zones]]")
        name = _get(z, "name", str, "[[zones]]")
        labels = _get(z, "labels", str, f"[[zones]] {name}")
        if not name or not labels:
            raise _Problem("[[zones]] entries need name and labels")
        factor = _get(z, "factor", float, f"[[zones]] {name}", 1.0)
        zones.append(
            ZoneSpec(
                name,
                _compile(labels, f"[[zones]] {name}"),
                factor,
                _get(z, "study_factor", float, f"[[zones]] {name}", factor),
                _get(z, "cues", bool, f"[[zones]] {name}", True),
            )
        )
    return tuple(zones)


def _sentences(data: Mapping[str, Any], known: _Known) -> SentenceSpec:
    """``[sentences]``: the cue patterns and factors for unlabelled prose."""
    s = data.get("sentences", {})
    _check_keys(s, _SENTENCE_KEYS, "[sentences]")

    def opt_re(key: str) -> re.Pattern[str] | None:
        p = _get(s, key, str, "[sentences]")
        return _compile(p, f"[sentences] {key}") if p else None

    return SentenceSpec(
        prose_fields=known.expand(_str_list(s, "prose_fields", "[sentences]"), "[sentences] prose_fields"),
        study=opt_re("study"),
        background=opt_re("background"),
        outlook=opt_re("outlook"),
        leading_background_factor=_get(s, "leading_background_factor", float, "[sentences]", 1.0),
        background_factor=_get(s, "background_factor", float, "[sentences]", 1.0),
        outlook_factor=_get(s, "outlook_factor", float, "[sentences]", 1.0),
        min_sentences_for_leading=_get(s, "min_sentences_for_leading", int, "[sentences]", 3),
    )


def _axes(data: Mapping[str, Any], known: _Known) -> tuple[dict[str, AxisSpec], dict[str, Mapping[str, Any]]]:
    """``[axes.<axis>]``: vocabularies, thresholds, parents and damping; and each axis' rule defaults."""
    axes: dict[str, AxisSpec] = {}
    axis_defaults: dict[str, Mapping[str, Any]] = {}
    damp_raw: dict[str, Any] = {}
    for name, a in _table(data, "axes").items():
        what = f"[axes.{name}]"
        _check_keys(a, _AXIS_KEYS, what)
        values = _str_list(a, "values", what)
        if not values:
            raise _Problem(f"{what}: values must not be empty")
        parents = _parents(a, values, what)
        defaults = a.get("defaults", {})
        _check_keys(defaults, _RULE_DEFAULT_KEYS, f"{what} defaults")
        axis_defaults[name] = defaults
        axes[name] = AxisSpec(
            name=name,
            values=values,
            min_score=_get(a, "min_score", float, what, 1.0),
            relative=_get(a, "relative", float, what, 0.0),
            exclusive_tiers=_get(a, "exclusive_tiers", bool, what, False),
            parents=parents,
            rule_cap=_get(a, "rule_cap", float, what, 0.0),
        )
        damp_raw[name] = a.get("damp", [])
    # Damping names tags of other axes: read once every axis is known.
    for name, entries in damp_raw.items():
        damps = _damps(name, entries, axes, known)
        if damps:
            axes[name] = replace(axes[name], damp=damps)
    try:
        decide_order(axes, list(axes))
    except ConfigError as exc:
        raise _Problem(str(exc)) from None
    return axes, axis_defaults


def _parents(a: Mapping[str, Any], values: tuple[str, ...], what: str) -> dict[str, str]:
    """An axis' ``parents`` table (child → parent value), checked for unknown values and cycles."""
    parents_raw = a.get("parents", {})
    if not isinstance(parents_raw, Mapping):
        raise _Problem(f"{what}: parents must be a table")
    parents: dict[str, str] = {}
    for child, parent in parents_raw.items():
        if child not in values or not isinstance(parent, str) or parent not in values:
            raise _Problem(f"{what}: parents {child!r} = {parent!r} names an unknown value")
        parents[child] = parent
    for child in parents:  # no cycles
        seen = {child}
        cur = child
        while cur in parents:
            cur = parents[cur]
            if cur in seen:
                raise _Problem(f"{what}: parents form a cycle at {child!r}")
            seen.add(cur)
    return parents


def _damps(name: str, entries: Any, axes: Mapping[str, AxisSpec], known: _Known) -> tuple[DampSpec, ...]:
    """``[[axes.<name>.damp]]`` entries."""
    what = f"[[axes.{name}.damp]]"
    if not isinstance(entries, list):
        raise _Problem(f"{what} must be an array of tables")
    damps: list[DampSpec] = []
    for d in entries:
        if not isinstance(d, Mapping):
            raise _Problem(f"{what} must be an array of tables")
        _check_keys(d, _DAMP_KEYS, what)
        when = _get(d, "when", str, what, "")
        when_axis, _, when_value = when.partition(".")
        if when_axis not in axes or when_value not in axes[when_axis].values:
            raise _Problem(f"{what}: when must name a tag as axis.value, not {when!r}")
        if when_axis == name:
            raise _Problem(f"{what}: when must name a tag of another axis")
        factor = _get(d, "factor", float, what, 1.0)
        if factor < 0:
            raise _Problem(f"{what}: factor must be >= 0")
        if not d.get("fields"):
            raise _Problem(f"{what}: needs fields")
        damps.append(DampSpec(when_axis, when_value, factor, known.expand(_str_list(d, "fields", what), what)))
    return tuple(damps)


def _masks(data: Mapping[str, Any], known: _Known) -> tuple[MaskSpec, ...]:
    """``[[mask]]``: spans blanked before rules match (enabled ones only)."""
    masks: list[MaskSpec] = []
    for m in data.get("mask", []):
        _check_keys(m, _MASK_KEYS, "[[mask]]")
        mid = _get(m, "id", str, "[[mask]]")
        what = f"mask {mid!r}"
        if not mid:
            raise _Problem("a [[mask]] entry has no id")
        if not _get(m, "enabled", bool, what, True):
            continue
        pattern = _get(m, "pattern", str, what)
        if not pattern:
            raise _Problem(f"{what}: needs a pattern")
        case = _get(m, "case", bool, what, False)
        fields_ = known.expand(_str_list(m, "fields", what), what) if m.get("fields") else known.default_fields
        masks.append(MaskSpec(mid, make_matcher(_compile(pattern, what)), fields_, case))
    return tuple(masks)


def _rules(data: Mapping[str, Any], known: _Known) -> tuple[RuleSpec, ...]:
    """``[[rule]]``: every enabled rule, with its axis defaults applied; references checked."""
    rules: list[RuleSpec] = []
    ids: set[str] = set()
    raw_rules = data.get("rule", [])
    if not isinstance(raw_rules, list):
        raise _Problem("[[rule]] must be an array of tables")
    for r in raw_rules:
        _check_keys(r, _RULE_KEYS, "[[rule]]")
        rid = _get(r, "id", str, "[[rule]]")
        if not rid:
            raise _Problem("a [[rule]] entry has no id")
        if rid in ids:
            raise _Problem(f"duplicate rule id {rid!r}")
        ids.add(rid)
        if _get(r, "enabled", bool, f"rule {rid!r}", True):
            rules.append(_rule(rid, r, known))
    all_ids = {r.id for r in rules}
    for rule in rules:
        for ref in (*rule.requires, *rule.excluded_by):
            if ref not in all_ids:
                raise _Problem(f"rule {rule.id!r}: refers to unknown rule {ref!r}")
    return tuple(rules)


def _rule(rid: str, r: Mapping[str, Any], known: _Known) -> RuleSpec:
    """One enabled ``[[rule]]`` entry (``r``) as a RuleSpec."""
    what = f"rule {rid!r}"
    axis = _get(r, "axis", str, what)
    value = _get(r, "value", str, what)
    if axis is None:
        raise _Problem(f"{what}: needs an axis")
    if axis not in known.axes:
        raise _Problem(f"{what}: unknown axis {axis!r}")
    if value not in known.axes[axis].values:
        raise _Problem(f"{what}: value {value!r} is not in [axes.{axis}] values")
    d = {**known.axis_defaults[axis], **r}
    pattern = _get(d, "pattern", str, what)
    terms = _str_list(d, "terms", what)
    if (pattern is None) == (not terms):
        raise _Problem(f"{what}: needs exactly one of pattern or terms")
    case = _get(d, "case", bool, what, False)
    fields_ = known.expand(_str_list(d, "fields", what), what) if d.get("fields") else known.default_fields
    ctx = _str_list(d, "contexts", what)
    for c in ctx:
        if c not in known.contexts:
            raise _Problem(f"{what}: unknown context {c!r}")
    near = _get(d, "near", str, what)
    other = _get(d, "other", str, what)
    for anchor in (near, other):
        if anchor is not None and anchor not in known.anchors:
            raise _Problem(f"{what}: unknown anchor {anchor!r}")
    when = _get(d, "when", str, what, "any")
    if when not in ("any", "indexed", "unindexed"):
        raise _Problem(f"{what}: when must be any, indexed or unindexed")
    unless = _str_list(d, "unless", what)
    for u in unless:
        if u not in known.axes[axis].values:
            raise _Problem(f"{what}: unless names unknown value {u!r}")
    boundary = _get(d, "boundary", bool, what, True)
    regex = _rule_regex(pattern, terms, case, boundary, fields_, what)
    return RuleSpec(
        id=rid,
        axis=axis,
        value=value,
        fields=fields_,
        regex=regex,
        terms=tuple(dict.fromkeys(t.lower() for t in terms)),
        strength=_get(d, "strength", float, what, 1.0),
        tier=_get(d, "tier", int, what, 3),
        contexts=ctx,
        near=near,
        near_window=_get(d, "near_window", int, what, known.default_near_window),
        far_factor=_get(d, "far_factor", float, what, 1.0),
        other=other,
        other_factor=_get(d, "other_factor", float, what, 1.0),
        case=case,
        boundary=boundary,
        unless=unless,
        requires=_str_list(d, "requires", what),
        excluded_by=_str_list(d, "excluded_by", what),
        unmasked=_get(r, "unmasked", bool, what, False),
        when=when,
        matcher=make_matcher(regex, boundary) if regex is not None else None,
    )


def _rule_regex(
    pattern: str | None, terms: tuple[str, ...], case: bool, boundary: bool, fields_: frozenset[str], what: str
) -> re.Pattern[str] | None:
    """A rule's regex: its pattern, or its terms as one alternation (longest first); ``None`` for
    a terms rule on structured fields only (matched by table lookup)."""
    if pattern is not None:
        _compile(pattern, what)  # report errors against the pattern as written
        return _compile(word_end(pattern) if boundary else pattern, what)
    if fields_ & TEXT_FIELDS:
        ordered = sorted(terms, key=len, reverse=True)
        alternation = "|".join(re.escape(t if case else t.lower()) for t in ordered)
        return _compile(word_end(f"(?:{alternation})") if boundary else alternation, what)
    return None
