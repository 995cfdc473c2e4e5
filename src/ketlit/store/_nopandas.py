"""Import sqlite-utils without letting it import pandas.

sqlite-utils imports pandas at import time whenever it is installed (it is: statsmodels needs
it), only to map ``pandas.Timestamp`` to a TEXT column when it infers a table's schema from
Python values. ketlit never stores a pandas value, and importing pandas costs about a third
of a second on every command that opens the cache (``status``, ``search``, ``export``…).
So the package imports sqlite-utils here first, once, with pandas hidden; every later
``import sqlite_utils`` gets that module. pandas itself stays importable: the statistics
code imports it later, untouched, when a command needs it. tests/test_layering.py checks
that reading the cache loads no pandas.
"""

from __future__ import annotations

import sys


def _import_sqlite_utils_without_pandas() -> None:
    if "sqlite_utils" in sys.modules or "pandas" in sys.modules:
        return  # too late to matter, or already done
    # A None entry makes ``import pandas`` raise ImportError, which sqlite-utils catches.
    sys.modules["pandas"] = None  # type: ignore[assignment]
    try:
        import sqlite_utils  # noqa: F401
    finally:
        del sys.modules["pandas"]


_import_sqlite_utils_without_pandas()
