"""The store's shape: every Store name reaches a real area method, SQL stays in the package,
and the trial fields a report follows are among those a version records."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

import ketlit.store as store_pkg
from ketlit.store import REPORTED_TRIAL_FIELDS, VERSION_FIELDS, Store, open_store
from ketlit.store.core import _Delegate

SRC = Path(store_pkg.__file__).resolve().parent.parent


def test_reported_trial_fields_are_version_fields() -> None:
    assert set(REPORTED_TRIAL_FIELDS) <= set(VERSION_FIELDS)
    assert len(set(VERSION_FIELDS)) == len(VERSION_FIELDS)


def test_every_store_name_is_an_area_method(tmp_path: Path) -> None:
    store = open_store(tmp_path / "k.db")
    names = [n for n, v in vars(Store).items() if isinstance(v, _Delegate)]
    assert len(names) > 25
    for name in names:
        delegate = vars(Store)[name]
        area = getattr(store, delegate.area)
        assert getattr(type(area), name) is delegate.method, name
        assert inspect.signature(getattr(store, name)) == inspect.signature(getattr(area, name)), name
    assert list(Store.iter_articles(store)) == list(store.iter_articles()) == []
    store.close()


@pytest.mark.parametrize(
    "pattern",
    [r"\bimport sqlite3\b", r"\bsqlite_utils\b", r"\.db\.execute\(", r"\.db\.conn\b", r"\bstore\.db\b",
     r"\bSELECT\s+\S", r"\bINSERT\s+INTO\b", r"\bDELETE\s+FROM\b"],
)
def test_no_sql_outside_the_store(pattern: str) -> None:
    offenders = [
        str(path.relative_to(SRC))
        for path in sorted(SRC.rglob("*.py"))
        if "store" not in path.relative_to(SRC).parts[:2] and re.search(pattern, path.read_text())
    ]
    assert offenders == []
