"""Loopback stand-in for the ClinicalTrials.gov API v2 study endpoints (stdlib only).

Serves ``GET /api/v2/studies`` and ``GET /api/v2/studies/{nctId}`` from a list of study
objects on ``127.0.0.1`` (an ephemeral port), so the CT.gov client can be tested end to
end without the network.

What is faithful to the real API (OpenAPI 2.0.5 in ``shared/data/ctgov`` and the API
docs quoted in ``shared/API_FACTS.md`` 1.3):

* Parameter names, enums and patterns come from the OpenAPI spec (``spec_path``) or a
  built-in copy of the same two operations. Any query parameter the spec does not define
  for the operation gets HTTP 400 ``text/plain`` with the real wording
  `` `query.recrs` is unknown parameter `` (as observed by users of the live API).
  The wording of the other 400 messages is the stand-in's own: the real texts are not
  recorded anywhere we could find.
* Cursor paging: ``pageSize`` defaults to 10 (also for ``0``) and is coerced down to
  1000; ``nextPageToken`` is opaque and absent on the last page; ``countTotal=true``
  adds ``totalCount`` to the first page only; every later page must repeat the first
  page's parameters except ``countTotal``, ``pageSize`` and ``pageToken`` (else 400).
  Tokens are stateless (offset + fingerprint of the parameters), so a retried request
  gets the same page back.
* If a ``query.*`` value is nothing but NCT IDs, ``filter.*``/``postFilter.*`` are
  ignored, as the API documentation says.

What is simplified (documented so a passing test is not over-read):

* Search is a small Essie subset: words (AND by default), ``"phrases"``, ``AND``,
  ``OR``, ``NOT``, parentheses, ``AREA[Name]…`` and ``RANGE[lo,hi]`` with ``MIN``/
  ``MAX``. Words match case-insensitively as whole words: no stemming, synonyms or
  relevance ranking, so the stand-in finds a subset of what the real API would. Each
  ``query.*`` parameter searches a fixed set of study fields (see ``_TEXT_AREAS``).
  Other Essie operators (``EXPANSION[…]``, ``COVERAGE[…]`` …) are ignored.
* Results are ordered by NCT ID unless ``sort`` names one of the date fields or
  ``EnrollmentCount`` (``@relevance`` keeps NCT ID order); studies lacking the sort
  field come last, as in the real API.
* ``fields`` keeps any JSON key whose name equals a requested item case-insensitively
  (``NCTId`` -> ``nctId``, ``ProtocolSection`` -> ``protocolSection``; ``…Date`` also
  matches ``…DateStruct``) or whose dotted path does. Piece names that are not JSON key
  names (e.g. ``LeadSponsorName``) select nothing.
* ``format`` other than ``json`` is answered 400. Spec-valid parameters the stand-in
  does not implement (geo, synonyms, ``aggFilters``, ``geoDecay``, unsupported sort
  fields or search areas) are answered **501**, so a test can never pass because the
  stand-in silently ignored something.

Faults (``Fault``) mimic what the E-utilities stand-in injects: ``500``/``502``/``503``
with an HTML body, ``429`` (no ``Retry-After``: CT.gov sends no rate-limit headers),
``truncated`` (status 200, the JSON cut short, ``Content-Length`` matching the cut
body) and ``html`` (status 200, ``text/html`` error page). ``fail_next`` queues faults
for the next requests, for deterministic retry tests.
"""

from __future__ import annotations

import base64
import calendar
import datetime as dt
import hashlib
import json
import random
import re
import threading
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

FAULT_KINDS = ("500", "502", "503", "429", "truncated", "html")
MAX_PAGE_SIZE = 1000
DEFAULT_PAGE_SIZE = 10
PAGING_PARAMS = frozenset({"countTotal", "pageSize", "pageToken"})
NOT_IMPLEMENTED_PARAMS = frozenset(
    {"filter.geo", "postFilter.geo", "filter.synonyms", "postFilter.synonyms", "aggFilters", "geoDecay"}
)
API_PREFIX = "/api/v2"

# --------------------------------------------------------------------- built-in spec
# The two operations of OpenAPI 2.0.5 the stand-in serves, in the spec's own shape, used
# when no spec file is given. test_standin_ctgov checks it against the YAML.

_STATUS = [
    "ACTIVE_NOT_RECRUITING", "COMPLETED", "ENROLLING_BY_INVITATION", "NOT_YET_RECRUITING",
    "RECRUITING", "SUSPENDED", "TERMINATED", "WITHDRAWN", "AVAILABLE", "NO_LONGER_AVAILABLE",
    "TEMPORARILY_NOT_AVAILABLE", "APPROVED_FOR_MARKETING", "WITHHELD", "UNKNOWN",
]  # fmt: skip
_NCT_PATTERN = r"^[Nn][Cc][Tt]0*[1-9]\d{0,7}$"
_GEO_PATTERN = r"^distance\(-?\d+(\.\d+)?,-?\d+(\.\d+)?,\d+(\.\d+)?(km|mi)?\)$"
_FIELD_PATTERN = r"^[a-zA-Z][a-zA-Z0-9\-. ]*$"


def _q(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema}


def _pipe(items: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "array", "items": items, **extra}


_STR: dict[str, Any] = {"type": "string"}
_STATUS_LIST = _pipe({"$ref": "#/components/schemas/Status"})
_IDS = _pipe({"type": "string", "pattern": _NCT_PATTERN})
_GEO = {"type": "string", "pattern": _GEO_PATTERN}

BUILTIN_SPEC: dict[str, Any] = {
    "openapi": "3.0.3",
    "info": {"title": "ClinicalTrials.gov REST API (stand-in built-in subset)", "version": "2.0.5"},
    "servers": [{"url": "https://clinicaltrials.gov/api/v2"}],
    "paths": {
        "/studies": {
            "get": {
                "operationId": "listStudies",
                "parameters": [
                    _q("format", {"type": "string", "enum": ["csv", "json"]}),
                    _q("markupFormat", {"type": "string", "enum": ["markdown", "legacy"]}),
                    *(
                        _q(f"query.{n}", _STR)
                        for n in ("cond", "term", "locn", "titles", "intr", "outc", "spons", "lead", "id")
                    ),
                    _q("query.patient", _STR),
                    _q("filter.overallStatus", _STATUS_LIST),
                    _q("filter.geo", _GEO),
                    _q("filter.ids", _IDS),
                    _q("filter.advanced", _STR),
                    _q("filter.synonyms", _pipe(_STR)),
                    _q("postFilter.overallStatus", _STATUS_LIST),
                    _q("postFilter.geo", _GEO),
                    _q("postFilter.ids", _IDS),
                    _q("postFilter.advanced", _STR),
                    _q("postFilter.synonyms", _pipe(_STR)),
                    _q("aggFilters", _STR),
                    _q("geoDecay", _STR),
                    _q("fields", _pipe({"type": "string", "pattern": r"^([a-zA-Z][a-zA-Z0-9\-. ]*)|(@query)$"},
                                       minItems=1)),
                    _q("sort", _pipe({"type": "string",
                                      "pattern": r"^(([a-zA-Z][a-zA-Z0-9\-. ]*)|(@relevance))(:(asc|desc))?$"},
                                     maxItems=2)),
                    _q("countTotal", {"type": "boolean"}),
                    _q("pageSize", {"type": "integer", "minimum": 0}),
                    _q("pageToken", _STR),
                ],
            }
        },
        "/studies/{nctId}": {
            "get": {
                "operationId": "fetchStudy",
                "parameters": [
                    {"name": "nctId", "in": "path", "required": True,
                     "schema": {"type": "string", "pattern": _NCT_PATTERN}},
                    _q("format", {"type": "string", "enum": ["csv", "json", "json.zip", "fhir.json", "ris"]}),
                    _q("markupFormat", {"type": "string", "enum": ["markdown", "legacy"]}),
                    _q("fields", _pipe({"type": "string", "pattern": _FIELD_PATTERN}, minItems=1)),
                ],
            }
        },
    },
    "components": {"schemas": {"Status": {"type": "string", "enum": _STATUS}}},
}  # fmt: skip


def load_spec(spec_path: Path | None) -> dict[str, Any]:
    """The OpenAPI spec as a dict: the YAML at ``spec_path``, else :data:`BUILTIN_SPEC`."""
    if spec_path is None:
        return BUILTIN_SPEC
    import yaml  # dev dependency; imported late so the stand-in works without a spec

    loaded = yaml.safe_load(spec_path.read_text(encoding="utf-8"))
    if not isinstance(loaded, dict) or "paths" not in loaded:
        raise ValueError(f"{spec_path} is not an OpenAPI document")
    return loaded


# ------------------------------------------------------------------ spec validation


def _resolve(spec: dict[str, Any], node: Any) -> Any:
    """Follow local ``$ref`` pointers (``#/components/...``) until a plain node remains."""
    seen = 0
    while isinstance(node, dict) and "$ref" in node and seen < 20:
        ref = node["$ref"]
        if not isinstance(ref, str) or not ref.startswith("#/"):
            return {}
        cur: Any = spec
        for part in ref[2:].split("/"):
            cur = cur.get(part, {}) if isinstance(cur, dict) else {}
        node, seen = cur, seen + 1
    return node


def _base_path(spec: dict[str, Any]) -> str:
    servers = spec.get("servers") or []
    url = servers[0].get("url", "") if servers and isinstance(servers[0], dict) else ""
    return urlsplit(url).path.rstrip("/")


def _match_operation(spec: dict[str, Any], path: str) -> tuple[str, dict[str, Any], dict[str, str]] | None:
    """(template, GET operation, path params) for a request path, with or without ``/api/v2``."""
    base = _base_path(spec)
    rel = path.split("?", 1)[0]
    for prefix in (base, API_PREFIX):
        if prefix and rel.startswith(prefix + "/"):
            rel = rel[len(prefix) :]
            break
    rel = rel.rstrip("/") or "/"
    for template, item in (spec.get("paths") or {}).items():
        names = re.findall(r"\{([^}]+)\}", template)
        rx = "^" + re.sub(r"\\\{[^}]+\\\}", "([^/]+)", re.escape(template)) + "$"
        m = re.match(rx, rel)
        if m and isinstance(item, dict) and isinstance(item.get("get"), dict):
            return template, item["get"], {n: unquote(v) for n, v in zip(names, m.groups(), strict=True)}
    return None


def operation_params(spec: dict[str, Any], path: str) -> dict[str, dict[str, Any]]:
    """Parameter name -> resolved parameter object for the GET operation at ``path``."""
    found = _match_operation(spec, path)
    if found is None:
        return {}
    template, op, _ = found
    out: dict[str, dict[str, Any]] = {}
    shared = (spec["paths"][template] or {}).get("parameters") or []
    for raw in [*shared, *(op.get("parameters") or [])]:
        prm = _resolve(spec, raw)
        if isinstance(prm, dict) and isinstance(prm.get("name"), str):
            out[prm["name"]] = prm
    return out


def allowed_query_params(spec: dict[str, Any], path: str) -> list[str]:
    """The query parameter names the spec defines for GET ``path``, in spec order."""
    return [n for n, p in operation_params(spec, path).items() if p.get("in") == "query"]


def _split_list(value: str) -> list[str]:
    # The API takes "comma- or pipe-separated" lists for every array parameter.
    return [v.strip() for v in re.split(r"[,|]", value)]


def _check_value(spec: dict[str, Any], name: str, schema: Any, value: str) -> list[str]:
    schema = _resolve(spec, schema)
    if not isinstance(schema, dict):
        return []
    kind = schema.get("type")
    if kind == "array":
        items = [v for v in _split_list(value) if v]
        problems: list[str] = []
        if "minItems" in schema and len(items) < int(schema["minItems"]):
            problems.append(f"`{name}` must have at least {schema['minItems']} item(s)")
        if "maxItems" in schema and len(items) > int(schema["maxItems"]):
            problems.append(f"`{name}` must have at most {schema['maxItems']} item(s)")
        for item in items:
            problems.extend(_check_value(spec, name, schema.get("items"), item))
        return problems
    if kind == "boolean":
        return [] if value.lower() in ("true", "false") else [f"`{name}` must be true or false, got `{value}`"]
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            return [f"`{name}` must be an integer, got `{value}`"]
        minimum = schema.get("minimum")
        if minimum is not None and number < minimum:
            return [f"`{name}` must be >= {minimum}, got `{value}`"]
        return []
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        return [f"`{name}` has unknown value `{value}`; allowed: {', '.join(map(str, enum))}"]
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not re.search(pattern, value):
        return [f"`{name}` value `{value}` does not match `{pattern}`"]
    return []


def check_request_against_spec(spec: dict[str, Any], path: str, params: dict[str, str]) -> list[str]:
    """Problems with a GET request by the spec: unknown path or params, bad enums/patterns/types."""
    found = _match_operation(spec, path)
    if found is None:
        return [f"no GET operation in the spec matches `{path}`"]
    _, _, path_values = found
    defined = operation_params(spec, path)
    problems: list[str] = []
    for pname, pvalue in path_values.items():
        prm = defined.get(pname)
        if prm is not None:
            problems.extend(_check_value(spec, pname, prm.get("schema"), pvalue))
    for pname, pvalue in params.items():
        prm = defined.get(pname)
        if prm is None or prm.get("in") != "query":
            problems.append(f"`{pname}` is unknown parameter")
            continue
        problems.extend(_check_value(spec, pname, prm.get("schema"), pvalue))
    return problems


# ------------------------------------------------------------------- study accessors


def _get(obj: Any, *keys: str) -> Any:
    for key in keys:
        obj = obj.get(key) if isinstance(obj, dict) else None
    return obj


def _list(obj: Any) -> list[Any]:
    return obj if isinstance(obj, list) else []


def _texts(values: Iterable[Any]) -> list[str]:
    return [v for v in values if isinstance(v, str)]


def _clone(study: dict[str, Any]) -> dict[str, Any]:
    # Studies are plain JSON; a JSON round trip copies them several times faster than deepcopy.
    copied: dict[str, Any] = json.loads(json.dumps(study))
    return copied


def nct_of(study: dict[str, Any]) -> str:
    """The NCT ID of a raw study ("" if missing)."""
    value = _get(study, "protocolSection", "identificationModule", "nctId")
    return value.strip().upper() if isinstance(value, str) else ""


def _ps(s: dict[str, Any], *keys: str) -> Any:
    return _get(s, "protocolSection", *keys)


def _titles(s: dict[str, Any]) -> list[str]:
    ident = _ps(s, "identificationModule")
    return _texts(_get(ident, k) for k in ("briefTitle", "officialTitle", "acronym"))


def _conditions(s: dict[str, Any]) -> list[str]:
    cm = _ps(s, "conditionsModule")
    meshes = _list(_get(s, "derivedSection", "conditionBrowseModule", "meshes"))
    return _texts([*_list(_get(cm, "conditions")), *_list(_get(cm, "keywords")), *(_get(m, "term") for m in meshes)])


def _interventions(s: dict[str, Any]) -> list[str]:
    aim = _ps(s, "armsInterventionsModule")
    out: list[Any] = []
    for i in _list(_get(aim, "interventions")):
        out += [_get(i, "name"), _get(i, "description"), *_list(_get(i, "otherNames"))]
    for a in _list(_get(aim, "armGroups")):
        out += [_get(a, "label"), *_list(_get(a, "interventionNames"))]
    out += [_get(m, "term") for m in _list(_get(s, "derivedSection", "interventionBrowseModule", "meshes"))]
    return _texts(out)


def _outcomes(s: dict[str, Any]) -> list[str]:
    om = _ps(s, "outcomesModule")
    out: list[Any] = []
    for key in ("primaryOutcomes", "secondaryOutcomes", "otherOutcomes"):
        for o in _list(_get(om, key)):
            out += [_get(o, "measure"), _get(o, "description"), _get(o, "timeFrame")]
    return _texts(out)


def _sponsors(s: dict[str, Any]) -> list[str]:
    scm = _ps(s, "sponsorCollaboratorsModule")
    return _texts([_get(scm, "leadSponsor", "name"), *(_get(c, "name") for c in _list(_get(scm, "collaborators")))])


def _ids(s: dict[str, Any]) -> list[str]:
    ident = _ps(s, "identificationModule")
    secondary = [_get(x, "id") for x in _list(_get(ident, "secondaryIdInfos"))]
    return _texts([nct_of(s), _get(ident, "orgStudyIdInfo", "id"), _get(ident, "acronym"), *secondary])


def _locations(s: dict[str, Any]) -> list[str]:
    out: list[Any] = []
    for loc in _list(_ps(s, "contactsLocationsModule", "locations")):
        out += [_get(loc, k) for k in ("facility", "city", "state", "country")]
    return _texts(out)


def _descriptions(s: dict[str, Any]) -> list[str]:
    dm = _ps(s, "descriptionModule")
    return _texts([_get(dm, "briefSummary"), _get(dm, "detailedDescription")])


def _basic(s: dict[str, Any]) -> list[str]:
    return [*_ids(s), *_titles(s), *_conditions(s), *_interventions(s), *_outcomes(s), *_sponsors(s),
            *_descriptions(s)]  # fmt: skip


# Search area (lower-cased) -> the study texts it covers. query.* parameters map onto these.
_TEXT_AREAS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "basicsearch": _basic,
    "patientsearch": lambda s: [*_basic(s), *_locations(s)],
    "conditionsearch": _conditions,
    "interventionsearch": _interventions,
    "titlesearch": _titles,
    "outcomesearch": _outcomes,
    "sponsorsearch": _sponsors,
    "locationsearch": _locations,
    "idsearch": _ids,
    "condition": lambda s: _texts(_list(_ps(s, "conditionsModule", "conditions"))),
    "keyword": lambda s: _texts(_list(_ps(s, "conditionsModule", "keywords"))),
    "interventionname": lambda s: _texts(
        _get(i, "name") for i in _list(_ps(s, "armsInterventionsModule", "interventions"))
    ),
    "brieftitle": lambda s: _texts([_ps(s, "identificationModule", "briefTitle")]),
    "officialtitle": lambda s: _texts([_ps(s, "identificationModule", "officialTitle")]),
    "acronym": lambda s: _texts([_ps(s, "identificationModule", "acronym")]),
    "leadsponsorname": lambda s: _texts([_ps(s, "sponsorCollaboratorsModule", "leadSponsor", "name")]),
    "briefsummary": lambda s: _texts([_ps(s, "descriptionModule", "briefSummary")]),
    "detaileddescription": lambda s: _texts([_ps(s, "descriptionModule", "detailedDescription")]),
    "locationcountry": lambda s: _texts(
        _get(loc, "country") for loc in _list(_ps(s, "contactsLocationsModule", "locations"))
    ),
}

QUERY_AREAS = {
    "query.term": "basicsearch",
    "query.cond": "conditionsearch",
    "query.intr": "interventionsearch",
    "query.titles": "titlesearch",
    "query.outc": "outcomesearch",
    "query.spons": "sponsorsearch",
    "query.lead": "leadsponsorname",
    "query.id": "idsearch",
    "query.locn": "locationsearch",
    "query.patient": "patientsearch",
}

_DATE_AREAS: dict[str, tuple[str, ...]] = {
    "lastupdatepostdate": ("statusModule", "lastUpdatePostDateStruct", "date"),
    "studyfirstpostdate": ("statusModule", "studyFirstPostDateStruct", "date"),
    "resultsfirstpostdate": ("statusModule", "resultsFirstPostDateStruct", "date"),
    "startdate": ("statusModule", "startDateStruct", "date"),
    "primarycompletiondate": ("statusModule", "primaryCompletionDateStruct", "date"),
    "completiondate": ("statusModule", "completionDateStruct", "date"),
    "studyfirstsubmitdate": ("statusModule", "studyFirstSubmitDate"),
    "lastupdatesubmitdate": ("statusModule", "lastUpdateSubmitDate"),
    "resultsfirstsubmitdate": ("statusModule", "resultsFirstSubmitDate"),
    "statusverifieddate": ("statusModule", "statusVerifiedDate"),
}
_NUMBER_AREAS: dict[str, tuple[str, ...]] = {"enrollmentcount": ("designModule", "enrollmentInfo", "count")}


def _has_results(s: dict[str, Any]) -> list[str]:
    return ["true" if s.get("hasResults") is True else "false"]


# Exact-value areas: the value must equal one of these (case-insensitively).
_VALUE_AREAS: dict[str, Callable[[dict[str, Any]], list[str]]] = {
    "nctid": lambda s: [nct_of(s)],
    "phase": lambda s: _texts(_list(_ps(s, "designModule", "phases"))),
    "overallstatus": lambda s: _texts([_ps(s, "statusModule", "overallStatus")]),
    "studytype": lambda s: _texts([_ps(s, "designModule", "studyType")]),
    "hasresults": _has_results,
    "interventiontype": lambda s: _texts(
        _get(i, "type") for i in _list(_ps(s, "armsInterventionsModule", "interventions"))
    ),
    "leadsponsorclass": lambda s: _texts([_ps(s, "sponsorCollaboratorsModule", "leadSponsor", "class")]),
    "designallocation": lambda s: _texts([_ps(s, "designModule", "designInfo", "allocation")]),
    "designprimarypurpose": lambda s: _texts([_ps(s, "designModule", "designInfo", "primaryPurpose")]),
    "designmasking": lambda s: _texts([_ps(s, "designModule", "designInfo", "maskingInfo", "masking")]),
    "enrollmenttype": lambda s: _texts([_ps(s, "designModule", "enrollmentInfo", "type")]),
    "sex": lambda s: _texts([_ps(s, "eligibilityModule", "sex")]),
    "stdage": lambda s: _texts(_list(_ps(s, "eligibilityModule", "stdAges"))),
    "referencepmid": lambda s: _texts(_get(r, "pmid") for r in _list(_ps(s, "referencesModule", "references"))),
}

_SORT_DIRECTIONS = {**{name: "desc" for name in _DATE_AREAS}, **{name: "asc" for name in _NUMBER_AREAS}}


# ------------------------------------------------------------------ Essie subset


class Rejected(Exception):
    """A request the stand-in answers with an error status and a plain-text message."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _contains(haystack: list[str], needle: list[str]) -> bool:
    if not needle:
        return True
    n = len(needle)
    first = needle[0]
    return any(haystack[i] == first and haystack[i : i + n] == needle for i in range(len(haystack) - n + 1))


def _bound(text: str, upper: bool) -> dt.date | None:
    text = text.strip()
    if text.upper() in ("MIN", "MAX"):
        return None
    m = re.fullmatch(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?", text)
    if m is None:
        raise Rejected(400, f"cannot parse date `{text}` in RANGE")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day:
            return dt.date(year, int(month or 1), int(day))
        if month:
            mon = int(month)
            return dt.date(year, mon, calendar.monthrange(year, mon)[1] if upper else 1)
        return dt.date(year, 12, 31) if upper else dt.date(year, 1, 1)
    except ValueError:
        raise Rejected(400, f"invalid date `{text}` in RANGE") from None


class StudyView:
    """One study with lazily computed, cached search texts."""

    def __init__(self, study: dict[str, Any]) -> None:
        self.study = study
        self.nct = nct_of(study)
        self._words: dict[str, list[str]] = {}

    def words(self, area: str) -> list[str]:
        if area not in self._words:
            self._words[area] = _words(" \n ".join(_TEXT_AREAS[area](self.study)))
        return self._words[area]

    def date(self, area: str) -> str | None:
        value = _get(self.study.get("protocolSection"), *_DATE_AREAS[area])
        return value if isinstance(value, str) else None

    def number(self, area: str) -> int | None:
        value = _get(self.study.get("protocolSection"), *_NUMBER_AREAS[area])
        return value if isinstance(value, int) and not isinstance(value, bool) else None


Matcher = Callable[[StudyView, str], bool]

_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<open>\() | (?P<close>\)) |
        AREA\[(?P<area>[^\]]*)\] |
        RANGE\[(?P<lo>[^\],]*),(?P<hi>[^\]]*)\] |
        (?P<op>[A-Z]+)\[[^\]]*\] |
        "(?P<phrase>[^"]*)" |
        (?P<word>[^\s()"]+)
    )""",
    re.VERBOSE,
)


def _tokenize(text: str) -> list[tuple[str, Any]]:
    tokens: list[tuple[str, Any]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            raise Rejected(400, f"cannot parse query near `{text[pos : pos + 20]}`")
        pos = m.end()
        kind = m.lastgroup
        if kind in ("lo", "hi"):
            tokens.append(("range", (m.group("lo"), m.group("hi"))))
        elif kind == "op":
            continue  # EXPANSION[...], COVERAGE[...] and friends: no effect here
        elif kind == "word" and m.group("word") in ("AND", "OR", "NOT"):
            tokens.append((m.group("word"), None))
        elif kind is not None:
            tokens.append((kind, m.group(kind)))
    return tokens


class _Parser:
    """Recursive descent over the tokens; produces a matcher ``(study, area) -> bool``."""

    def __init__(self, text: str) -> None:
        self.tokens = _tokenize(text)
        self.i = 0

    def peek(self) -> str | None:
        return self.tokens[self.i][0] if self.i < len(self.tokens) else None

    def parse(self) -> Matcher:
        if not self.tokens:
            return lambda view, area: True
        matcher = self.expr()
        if self.i != len(self.tokens):
            raise Rejected(400, "unbalanced parentheses in query")
        return matcher

    def expr(self) -> Matcher:
        parts = [self.and_expr()]
        while self.peek() == "OR":
            self.i += 1
            parts.append(self.and_expr())
        return parts[0] if len(parts) == 1 else (lambda v, a: any(p(v, a) for p in parts))

    def and_expr(self) -> Matcher:
        parts = [self.unary()]
        while self.peek() not in (None, "OR", "close"):
            if self.peek() == "AND":
                self.i += 1
            parts.append(self.unary())
        return parts[0] if len(parts) == 1 else (lambda v, a: all(p(v, a) for p in parts))

    def unary(self) -> Matcher:
        if self.peek() == "NOT":
            self.i += 1
            inner = self.unary()
            return lambda v, a: not inner(v, a)
        return self.primary()

    def primary(self) -> Matcher:
        if self.i >= len(self.tokens):
            raise Rejected(400, "query ends where a term was expected")
        kind, value = self.tokens[self.i]
        self.i += 1
        if kind == "open":
            inner = self.expr()
            if self.peek() != "close":
                raise Rejected(400, "unbalanced parentheses in query")
            self.i += 1
            return inner
        if kind == "area":
            area = str(value).strip().lower()
            if area not in _TEXT_AREAS and area not in _VALUE_AREAS and area not in _DATE_AREAS | _NUMBER_AREAS:
                raise Rejected(501, f"stand-in does not implement search area `{value}`")
            scoped = self.primary()
            return lambda v, a: scoped(v, area)
        if kind == "range":
            lo, hi = value
            return _range_matcher(str(lo), str(hi))
        if kind in ("word", "phrase"):
            return _term_matcher(str(value))
        raise Rejected(400, f"unexpected `{kind}` in query")


def _term_matcher(term: str) -> Matcher:
    needle = _words(term)
    exact = term.strip().lower()

    def match(view: StudyView, area: str) -> bool:
        if area in _VALUE_AREAS:
            return any(v.lower() == exact for v in _VALUE_AREAS[area](view.study))
        if area in _DATE_AREAS or area in _NUMBER_AREAS:
            return _range_matcher(term, term)(view, area)
        return _contains(view.words(area), needle)

    return match


def _range_matcher(lo: str, hi: str) -> Matcher:
    def match(view: StudyView, area: str) -> bool:
        if area in _NUMBER_AREAS:
            number = view.number(area)
            try:
                low = None if lo.strip().upper() == "MIN" else int(lo)
                high = None if hi.strip().upper() == "MAX" else int(hi)
            except ValueError:
                raise Rejected(400, f"cannot parse number range `{lo},{hi}`") from None
            return number is not None and (low is None or number >= low) and (high is None or number <= high)
        if area not in _DATE_AREAS:
            raise Rejected(400, f"RANGE is not valid for area `{area}`")
        low_d, high_d = _bound(lo, upper=False), _bound(hi, upper=True)
        text = view.date(area)
        if text is None:
            return False
        try:
            first, last = _bound(text, upper=False), _bound(text, upper=True)
        except Rejected:
            return False
        assert first is not None and last is not None
        # A partial study date ("2015-08") is an interval; it matches if it overlaps the range.
        return (high_d is None or first <= high_d) and (low_d is None or last >= low_d)

    return match


_ONLY_NCT_IDS = re.compile(r"^\s*(?:NCT\d{8}[\s,]*)+$", re.IGNORECASE)


# ----------------------------------------------------------------------- projection


def _project(node: Any, wanted: set[str], path: str) -> Any:
    """The parts of ``node`` selected by ``wanted`` (lower-cased names / dotted paths), or None."""
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            low = key.lower()
            full = f"{path}.{low}" if path else low
            names = {low, full}
            if low.endswith("struct"):
                names |= {low[: -len("struct")], full[: -len("struct")]}
            if names & wanted:
                out[key] = value
                continue
            sub = _project(value, wanted, full)
            if sub is not None:
                out[key] = sub
        return out or None
    if isinstance(node, list):
        items = [p for p in (_project(v, wanted, path) for v in node) if p is not None]
        return items or None
    return None


def project_fields(study: dict[str, Any], fields: str | None) -> dict[str, Any]:
    """Apply a ``fields=`` selection to a study (see the module docstring for the rules)."""
    if not fields:
        return study
    wanted = {f.lower() for f in _split_list(fields) if f}
    if "@query" in wanted:
        return study
    projected = _project(study, wanted, "")
    return projected if isinstance(projected, dict) else {}


# ------------------------------------------------------------------------ the server


@dataclass
class Fault:
    """Random fault injection: ``rate`` of requests get one of ``kinds``; ``latency`` for all."""

    rate: float = 0.0
    kinds: tuple[str, ...] = FAULT_KINDS
    latency: float = 0.0
    seed: int = 0


@dataclass
class RequestRecord:
    """One request as the stand-in saw and answered it."""

    method: str
    path: str
    params: dict[str, str]
    status: int
    fault: str | None = None


@dataclass
class _Response:
    status: int
    body: bytes
    content_type: str
    fault: str | None = None
    headers: dict[str, str] = field(default_factory=dict)


def _text(status: int, message: str) -> _Response:
    return _Response(status, message.encode("utf-8"), "text/plain; charset=utf-8")


def _html(status: int, title: str) -> _Response:
    page = (
        f"<!DOCTYPE html>\n<html><head><title>{title}</title></head>"
        f"<body><h1>{title}</h1><p>The service is temporarily unavailable.</p></body></html>\n"
    )
    return _Response(status, page.encode("utf-8"), "text/html; charset=utf-8")


_STATUS_TITLES = {"500": "500 Internal Server Error", "502": "502 Bad Gateway", "503": "503 Service Unavailable"}


class CtgovStandin:
    """A threaded loopback HTTP server answering like ClinicalTrials.gov API v2."""

    def __init__(
        self,
        studies: list[dict[str, Any]],
        *,
        fault: Fault | None = None,
        spec_path: Path | None = None,
    ) -> None:
        self.fault = fault or Fault()
        unknown = set(self.fault.kinds) - set(FAULT_KINDS)
        if unknown:
            raise ValueError(f"unknown fault kinds {sorted(unknown)}; known: {FAULT_KINDS}")
        self.spec = load_spec(spec_path)
        self.requests: list[RequestRecord] = []
        self._lock = threading.RLock()
        self._rng = random.Random(self.fault.seed)
        self._queued: list[str] = []
        self._views: dict[str, StudyView] = {}
        for study in studies:
            nct = nct_of(study)
            if not nct:
                raise ValueError("every study needs protocolSection.identificationModule.nctId")
            if nct in self._views:
                raise ValueError(f"duplicate study {nct}")
            self._views[nct] = StudyView(_clone(study))
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""

    # -- lifecycle -------------------------------------------------------------------

    def start(self) -> str:
        """Start serving; returns the base URL (``http://127.0.0.1:PORT/api/v2/``)."""
        if self._server is not None:
            raise RuntimeError("stand-in already started")
        standin = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                standin._handle(self)

            def do_POST(self) -> None:
                standin._handle(self)

            do_PUT = do_DELETE = do_HEAD = do_PATCH = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean; self.requests is the log

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, name="ctgov-standin", daemon=True
        )
        self._thread.start()
        self.base_url = f"http://127.0.0.1:{server.server_address[1]}{API_PREFIX}/"
        return self.base_url

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.shutdown()
            server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> CtgovStandin:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # -- test controls ------------------------------------------------------------------

    @property
    def nct_ids(self) -> list[str]:
        """The served NCT IDs in serving order."""
        with self._lock:
            return sorted(self._views)

    def update_study(self, nct_id: str, mutate: Callable[[dict[str, Any]], None], *, last_update: str) -> None:
        """Change a study in place and set its ``lastUpdatePostDateStruct.date``."""
        with self._lock:
            view = self._views[nct_id.upper()]
            study = _clone(view.study)
            mutate(study)
            status = study.setdefault("protocolSection", {}).setdefault("statusModule", {})
            status["lastUpdatePostDateStruct"] = {"date": last_update, "type": "ACTUAL"}
            if nct_of(study) != view.nct:
                raise ValueError("update_study must not change the NCT ID")
            self._views[view.nct] = StudyView(study)

    def fail_next(self, *kinds: str) -> None:
        """Answer the next ``len(kinds)`` requests with these faults, in order."""
        bad = set(kinds) - set(FAULT_KINDS)
        if bad:
            raise ValueError(f"unknown fault kinds {sorted(bad)}")
        with self._lock:
            self._queued.extend(kinds)

    @staticmethod
    def replicate(studies: list[dict[str, Any]], n: int) -> list[dict[str, Any]]:
        """``n`` studies: the originals, then deep copies renumbered ``NCT9000001``, ``NCT9000002``…

        Copies cycle through the originals in NCT ID order; only the NCT ID changes, so
        dates, statuses and text (and hence filters) behave like the original's.
        """
        if n < 0:
            raise ValueError("n must be >= 0")
        ordered = sorted(studies, key=nct_of)
        out = [_clone(s) for s in ordered[:n]]
        if len(out) < n and not ordered:
            raise ValueError("cannot replicate an empty list")
        taken = {nct_of(s) for s in out}
        counter = 0
        while len(out) < n:
            source = ordered[counter % len(ordered)]
            counter += 1
            new_id = f"NCT9{counter:07d}"
            if new_id in taken:
                continue
            clone = _clone(source)
            clone.setdefault("protocolSection", {}).setdefault("identificationModule", {})["nctId"] = new_id
            taken.add(new_id)
            out.append(clone)
        return out

    # -- request handling ------------------------------------------------------------------

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        parts = urlsplit(handler.path)
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if self.fault.latency > 0:
            time.sleep(self.fault.latency)
        fault = self._draw_fault()
        try:
            if handler.command != "GET":
                response = _text(405, f"Method {handler.command} is not allowed")
            elif fault in ("500", "502", "503"):
                response = _html(int(fault), _STATUS_TITLES[fault])
            elif fault == "429":
                response = _text(429, "Too Many Requests")
            elif fault == "html":
                response = _html(200, "ClinicalTrials.gov - Error")
            else:
                response = self._route(parts.path, params)
        except Rejected as exc:
            response = _text(exc.status, exc.message)
        except Exception as exc:  # a stand-in bug: answer visibly instead of dropping the connection
            response = _text(500, f"stand-in internal error: {exc!r}\n{traceback.format_exc()}")
        if fault == "truncated":
            if response.status == 200:
                response.body = response.body[: max(1, len(response.body) // 2)]
            else:
                fault = None  # nothing to cut: an error answer is served whole
        response.fault = fault
        with self._lock:
            self.requests.append(RequestRecord(handler.command, parts.path, params, response.status, fault))
        handler.send_response(response.status)
        handler.send_header("Content-Type", response.content_type)
        handler.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            handler.send_header(name, value)
        handler.end_headers()
        if handler.command != "HEAD":
            handler.wfile.write(response.body)

    def _draw_fault(self) -> str | None:
        with self._lock:
            if self._queued:
                return self._queued.pop(0)
            if self.fault.rate > 0 and self.fault.kinds and self._rng.random() < self.fault.rate:
                return self._rng.choice(self.fault.kinds)
        return None

    def _route(self, path: str, params: dict[str, str]) -> _Response:
        found = _match_operation(self.spec, path) if path.startswith(API_PREFIX + "/") else None
        if found is None:
            return _text(404, f"Not found: {path}")
        problems = check_request_against_spec(self.spec, path, params)
        if problems:
            return _text(400, problems[0])
        template, _, path_values = found
        if params.get("format", "json") != "json":
            return _text(400, f"stand-in serves format=json only, not `{params['format']}`")
        if template == "/studies/{nctId}":
            return self._fetch_study(path_values["nctId"], params)
        if template == "/studies":
            return self._list_studies(params)
        return _text(404, f"Not found: {path}")

    def _fetch_study(self, raw_id: str, params: dict[str, str]) -> _Response:
        nct = "NCT" + re.sub(r"\D", "", raw_id).zfill(8)[-8:]
        with self._lock:
            view = self._views.get(nct)
            if view is None:
                return _text(404, f"Study {raw_id} not found")
            body = json.dumps(project_fields(view.study, params.get("fields")), ensure_ascii=False)
        return _Response(200, body.encode("utf-8"), "application/json")

    def _list_studies(self, params: dict[str, str]) -> _Response:
        used = [name for name in params if name in NOT_IMPLEMENTED_PARAMS]
        if used:
            raise Rejected(501, f"stand-in does not implement `{used[0]}`")
        page_size = int(params.get("pageSize") or 0) or DEFAULT_PAGE_SIZE
        page_size = min(page_size, MAX_PAGE_SIZE)
        fingerprint = _fingerprint(params)
        offset = 0
        token = params.get("pageToken")
        if token is not None:
            offset = _read_token(token, fingerprint)
        matcher = _build_filter(params)
        sort_key = _build_sort(params.get("sort"))
        with self._lock:
            hits = [v for v in sorted(self._views.values(), key=lambda v: v.nct) if matcher(v)]
            hits = sort_key(hits)
            page = hits[offset : offset + page_size]
            studies = [project_fields(v.study, params.get("fields")) for v in page]
            body: dict[str, Any] = {}
            if token is None and params.get("countTotal", "false").lower() == "true":
                body["totalCount"] = len(hits)
            body["studies"] = studies
            if offset + page_size < len(hits):
                body["nextPageToken"] = _make_token(offset + page_size, fingerprint)
            text = json.dumps(body, ensure_ascii=False)
        return _Response(200, text.encode("utf-8"), "application/json")


# ------------------------------------------------------------------- list helpers


def _fingerprint(params: dict[str, str]) -> str:
    stable = sorted((k, v) for k, v in params.items() if k not in PAGING_PARAMS)
    return hashlib.sha256(json.dumps(stable).encode()).hexdigest()[:16]


def _make_token(offset: int, fingerprint: str) -> str:
    return base64.urlsafe_b64encode(f"{offset}:{fingerprint}".encode()).decode().rstrip("=")


def _read_token(token: str, fingerprint: str) -> int:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        offset_text, issued_for = raw.split(":", 1)
        offset = int(offset_text)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, f"invalid pageToken `{token}`") from None
    if issued_for != fingerprint:
        raise Rejected(
            400,
            "pageToken was issued for different parameters: subsequent pages must repeat the first "
            "page's parameters except countTotal, pageSize and pageToken",
        )
    return offset


def _status_set(value: str | None) -> set[str] | None:
    return None if value is None else {v for v in _split_list(value) if v}


def _id_set(value: str | None) -> set[str] | None:
    if value is None:
        return None
    return {"NCT" + re.sub(r"\D", "", v).zfill(8)[-8:] for v in _split_list(value) if v}


def _nct_in(ids: set[str]) -> Callable[[StudyView], bool]:
    return lambda view: view.nct in ids


def _status_in(statuses: set[str]) -> Callable[[StudyView], bool]:
    return lambda view: _get(view.study, "protocolSection", "statusModule", "overallStatus") in statuses


def _matches(matcher: Matcher, area: str) -> Callable[[StudyView], bool]:
    return lambda view: matcher(view, area)


def _build_filter(params: dict[str, str]) -> Callable[[StudyView], bool]:
    checks: list[Callable[[StudyView], bool]] = []
    only_ids = False
    for name, area in QUERY_AREAS.items():
        value = params.get(name)
        if value is None or not value.strip():
            continue
        if _ONLY_NCT_IDS.match(value):
            only_ids = True
            checks.append(_nct_in({m.upper() for m in re.findall(r"NCT\d{8}", value, re.IGNORECASE)}))
        else:
            checks.append(_matches(_Parser(value).parse(), area))
    if not only_ids:  # the API ignores filters when a query is nothing but NCT IDs
        for prefix in ("filter.", "postFilter."):
            statuses = _status_set(params.get(prefix + "overallStatus"))
            if statuses is not None:
                checks.append(_status_in(statuses))
            ids = _id_set(params.get(prefix + "ids"))
            if ids is not None:
                checks.append(_nct_in(ids))
            advanced = params.get(prefix + "advanced")
            if advanced is not None and advanced.strip():
                checks.append(_matches(_Parser(advanced).parse(), "basicsearch"))
    return lambda view: all(check(view) for check in checks)


def _build_sort(value: str | None) -> Callable[[list[StudyView]], list[StudyView]]:
    items = [v for v in _split_list(value or "") if v]
    keys: list[tuple[str, bool]] = []
    for item in items:
        name, _, direction = item.partition(":")
        low = name.strip().lower()
        if low == "@relevance":
            continue  # no ranking here: NCT ID order stands in for relevance
        if low == "nctid":
            keys.append((low, direction == "desc"))
            continue
        if low not in _SORT_DIRECTIONS:
            raise Rejected(501, f"stand-in does not implement sorting by `{name}`")
        keys.append((low, (direction or _SORT_DIRECTIONS[low]) == "desc"))

    def apply(views: list[StudyView]) -> list[StudyView]:
        out = list(views)  # already in NCT ID order: the final tie-break
        for low, desc in reversed(keys):
            if low == "nctid":
                out.sort(key=lambda v: v.nct, reverse=desc)
                continue
            present = [v for v in out if _sort_value(v, low) is not None]
            missing = [v for v in out if _sort_value(v, low) is None]
            present.sort(key=partial(_sort_value, area=low), reverse=desc)
            out = present + missing  # studies lacking the field are always last
        return out

    return apply


def _sort_value(view: StudyView, area: str) -> Any:
    if area in _NUMBER_AREAS:
        return view.number(area)
    text = view.date(area)
    if text is None:
        return None
    try:
        return _bound(text, upper=False)
    except Rejected:
        return None
