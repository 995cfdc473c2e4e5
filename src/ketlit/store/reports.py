"""Report state: the last two distinct states of a
query's report, so "Changes since last run" can be computed and stays the same on reruns
that change nothing (the state only rolls over when it really changed)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils


def same_state(saved: dict[str, Any] | None, state: dict[str, Any]) -> bool:
    """Whether ``state`` is the saved state: equal, or equal in every part ``saved`` has when an earlier
    version saved it without a part tracked since (an upgrade is not a change of evidence)."""
    if saved is None:
        return False
    return saved == state or (set(saved) < set(state) and all(saved[k] == state[k] for k in saved))


class ReportStateStore:
    """The ``report_state`` table."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        # Rows this object wrote: not a change of evidence (see Store.change_token).
        self.changes = 0

    def report_state(self, query_name: str) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
        """(previous, current) states of a query's report; (None, None) before the first render."""
        row = self.db.execute(
            "SELECT previous, current FROM report_state WHERE query_name = ?", [query_name]
        ).fetchone()
        if row is None:
            return None, None
        return (json.loads(row[0]) if row[0] else None), json.loads(row[1])

    def save_report_state(self, query_name: str, state: dict[str, Any], now: str) -> None:
        """Roll the state over only when it differs from the current one. A state saved by an earlier
        version that lacks only what this one tracks besides is completed in place, not rolled over:
        rolling over would drop the changes the report shows (see :func:`same_state`)."""
        _, current = self.report_state(query_name)
        if current == state:
            return
        before = self.db.conn.total_changes
        if current is not None and same_state(current, state):
            with self.db.atomic():
                self.db.execute("UPDATE report_state SET current = ? WHERE query_name = ?",
                                [json.dumps(state, sort_keys=True), query_name])
            self.changes += self.db.conn.total_changes - before
            return
        with self.db.atomic():
            self.db.execute(
                "INSERT INTO report_state (query_name, previous, current, changed_at) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(query_name) DO UPDATE SET previous = excluded.previous, current = excluded.current, "
                "changed_at = excluded.changed_at",
                [query_name, json.dumps(current, sort_keys=True) if current is not None else None,
                 json.dumps(state, sort_keys=True), now],
            )
        self.changes += self.db.conn.total_changes - before
