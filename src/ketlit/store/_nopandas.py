"""Import sqlite-utils without letting it import pandas or numpy.

sqlite-utils imports pandas at import time whenever it is installed (it is: statsmodels needs
it), only to map ``pandas.Timestamp`` to a TEXT column when it infers a table's schema from
Python values. ketlit never stores a pandas value, and importing pandas costs about a third
of a second on every command that opens the cache (``status``, ``search``, ``export``…).
So the package imports sqlite-utils here first, once, with pandas hidden; every later
``import sqlite_utils`` gets that module. pandas itself stays importable: the statistics
code imports it later, untouched, when a command needs it. tests/test_layering.py checks
that reading the cache loads no pandas.

numpy likewise (issue 15): sqlite-utils imports it only to map numpy scalar types to column
types when it infers a schema, ketlit never hands it a numpy value (every table is created by
SQL in :mod:`ketlit.store.migrations`; the one ``Table.insert`` stores bytes, text and integers),
and importing it cost 0.15-0.3 s of every ``status``, ``search`` and ``export``. numpy stays
importable for the statistics code.
"""

from __future__ import annotations

import sys


def _import_sqlite_utils_without_pandas() -> None:
    if "sqlite_utils" in sys.modules:
        return  # already done
    # A None entry makes ``import pandas`` raise ImportError, which sqlite-utils catches.
    hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
    for name in hidden:
        sys.modules[name] = None  # type: ignore[assignment]
    try:
        import sqlite_utils  # noqa: F401
    finally:
        for name in hidden:
            del sys.modules[name]


_import_sqlite_utils_without_pandas()
