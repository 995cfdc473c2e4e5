"""The cache: every SQL statement ketlit runs lives in this package (and only here).

``from ketlit.store import Store, open_store`` is the public entry; the per-area classes
are reachable as ``Store`` attributes (see :mod:`ketlit.store.core`).
"""

import ketlit.store._nopandas  # noqa: F401  (first: imports sqlite-utils without pandas; see there)
from ketlit.store.articles import ARTICLE_EXPORT_FIELDS
from ketlit.store.common import as_store_error
from ketlit.store.core import (
    PreparedPage,
    RunSummary,
    SaveResult,
    Store,
    article_rows,
    fts_query,
    open_store,
    prepare_page,
    utcnow,
)
from ketlit.store.reads import TrialReportFields
from ketlit.store.runs import QueryRun
from ketlit.store.tags import AXES, TAG_SUMMARY_FIELDS, TagRow
from ketlit.store.trials import (
    LINK_EXPORT_FIELDS,
    REPORTED_TRIAL_FIELDS,
    TRIAL_EXPORT_FIELDS,
    VERSION_FIELDS,
    TrialChange,
    TrialSaveResult,
)

__all__ = [
    "ARTICLE_EXPORT_FIELDS",
    "AXES",
    "LINK_EXPORT_FIELDS",
    "REPORTED_TRIAL_FIELDS",
    "TAG_SUMMARY_FIELDS",
    "TRIAL_EXPORT_FIELDS",
    "VERSION_FIELDS",
    "PreparedPage",
    "QueryRun",
    "RunSummary",
    "SaveResult",
    "Store",
    "TagRow",
    "TrialChange",
    "TrialReportFields",
    "TrialSaveResult",
    "article_rows",
    "as_store_error",
    "fts_query",
    "open_store",
    "prepare_page",
    "utcnow",
]
