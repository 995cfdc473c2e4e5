"""ClinicalTrials.gov API v2: cursor paging over ``GET /studies`` (network only).

Only parameters defined by the official OpenAPI spec (2.0.5) are sent; a test checks every
request against the spec. Paging follows the documented contract: ``pageSize=1000`` (the
maximum), ``countTotal=true`` on the first page only (``totalCount`` arrives only there and
is reconciled with what arrives), every other parameter identical on every page, and
``pageToken`` ← ``nextPageToken`` until the last page, which has none. A body that is not
complete JSON of the expected shape is retried like a 5xx; a 400 carries the API's own
message to the user. The service is not trusted to end the paging: a token it has handed out
before (``A→B→A``, or the same token twice) stops the run with a one-line
:class:`~ketlit.errors.ServiceError` instead of looping, and the run deadline of
:mod:`ketlit.http` bounds a service that keeps inventing new ones. JSON nested too deep for
Python's parser (``RecursionError``) or with a number too long to read is a malformed body
like a truncated one. Parsing is in :mod:`ketlit.sources.ctgov_parse`; the accepted
status spellings in :mod:`ketlit.sources.ctgov_vocab`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from ketlit.errors import InputError, ServiceError
from ketlit.http import BadResponse, HttpClient

CTGOV_PAGE_SIZE = 1000


@dataclass(frozen=True)
class StudyPage:
    """One ``PagedStudies`` response: studies, next page token, total (first page only), raw body."""

    studies: list[dict[str, Any]]
    next_token: str | None
    total_count: int | None
    body: bytes


def search_params(
    term: str | None, cond: str | None, intr: str | None, statuses: Sequence[str], since: str | None
) -> dict[str, str]:
    """The non-paging parameters, identical on every page."""
    params: dict[str, str] = {"format": "json"}
    if term and term.strip():
        params["query.term"] = term.strip()
    if cond:
        params["query.cond"] = cond
    if intr:
        params["query.intr"] = intr
    if not any(k.startswith("query.") for k in params):
        raise InputError("give a search term, --cond or --intr (an empty query would fetch the whole registry)")
    if statuses:
        params["filter.overallStatus"] = ",".join(statuses)
    if since:
        params["filter.advanced"] = f"AREA[LastUpdatePostDate]RANGE[{since},MAX]"
    return params


def parse_page(response: httpx.Response) -> StudyPage:
    """A ``PagedStudies`` body; anything else (HTML, truncated JSON, wrong shape) is retried."""
    ctype = response.headers.get("content-type", "").lower()
    body = response.content
    if "html" in ctype or body.lstrip()[:1] == b"<":
        raise BadResponse("HTML error page instead of JSON")
    try:
        data = json.loads(body)
    except RecursionError:
        raise BadResponse("JSON nested too deeply to read") from None
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, a number too long to convert
        raise BadResponse(f"truncated or malformed JSON ({getattr(exc, 'msg', None) or exc})") from None
    if not isinstance(data, dict) or not isinstance(data.get("studies", None), list):
        raise BadResponse("JSON without a 'studies' list")
    studies = [s for s in data["studies"] if isinstance(s, dict)]
    token = data.get("nextPageToken")
    total = data.get("totalCount")
    return StudyPage(studies, token if isinstance(token, str) and token else None,
                     total if type(total) is int and total >= 0 else None, body)


class CtgovClient:
    """``/studies`` paging on top of an :class:`HttpClient`."""

    def __init__(self, http: HttpClient, base_url: str) -> None:
        self.http = http
        self.base_url = base_url

    def pages(self, params: dict[str, str]) -> Iterator[StudyPage]:
        """Every page of a query, first page with ``countTotal=true``."""
        token: str | None = None
        first = True
        seen: set[str] = set()
        while True:
            request = {**params, "pageSize": str(CTGOV_PAGE_SIZE)}
            if first:
                request["countTotal"] = "true"
            if token:
                request["pageToken"] = token
            page = self.http.request("GET", self.base_url + "studies", parse_page, params=request)
            yield page
            first = False
            if page.next_token is None:
                return
            if token is not None:
                seen.add(token)
            if page.next_token in seen:
                shown = page.next_token if len(page.next_token) <= 40 else page.next_token[:40] + "…"
                raise ServiceError(
                    f"{self.http.label} handed out page token {shown!r} again after {len(seen) + 1} page(s): "
                    "its paging loops; stopped"
                )
            token = page.next_token
