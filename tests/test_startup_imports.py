"""``status``, ``search`` and ``export`` start quickly (issue 15: first row under 0.5 s at any size).

Beyond the statistics and plotting libraries that tests/test_layering.py keeps out, the
commands that only read the cache load neither numpy (sqlite-utils imports it only to map
numpy types, see ``ketlit.store._nopandas``) nor an XML or registry parser (the store imports
them where it parses). Measured in a fresh interpreter, since this test process has them all.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ketlit.cli import app
from ketlit.store import Store, open_store
from tests.conftest import FIXTURES, REPO

NOT_FOR_READING = ("numpy", "lxml", "ketlit.sources.pubmed_parse", "ketlit.sources.ctgov_parse",
                   "ketlit.report.citations")

PROBE = textwrap.dedent(
    """
    import json, sys
    import ketlit.cli
    from typer.testing import CliRunner
    loaded = {{"import ketlit.cli": [m for m in {names!r} if m in sys.modules]}}
    for args in {commands!r}:
        result = CliRunner().invoke(ketlit.cli.app, args)
        if result.exit_code != 0:
            raise SystemExit(f"{{args}} exited {{result.exit_code}}: {{result.output}}")
        loaded[" ".join(args[2:])] = [m for m in {names!r} if m in sys.modules]
    print(json.dumps(loaded))
    """
)


def test_reading_commands_load_no_numpy_and_no_parser(tmp_path: Path) -> None:
    db = str(tmp_path / "k.db")
    assert CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "efetch_oddities.xml")]).exit_code == 0
    commands = [["--db", db, *args] for args in
                (["status"], ["status", "--json"], ["search", "ketamine"], ["export", "articles"],
                 ["export", "trials"], ["export", "tags", "--format", "csv"])]
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    done = subprocess.run([sys.executable, "-c", PROBE.format(names=NOT_FOR_READING, commands=commands)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=300, check=False)
    assert done.returncode == 0, done.stderr + done.stdout
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert len(loaded) == len(commands) + 1
    assert loaded == {step: [] for step in loaded}, loaded


def test_status_table_does_not_hash_the_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The content hash reads every article's digest; only ``status --json``, which shows it, computes it."""
    db = str(tmp_path / "k.db")
    assert CliRunner().invoke(app, ["--db", db, "import", str(FIXTURES / "efetch_oddities.xml")]).exit_code == 0
    hashed: list[int] = []
    real = Store.content_hash

    def counting(store: Store) -> str:
        hashed.append(1)
        return real(store)

    monkeypatch.setattr(Store, "content_hash", counting)
    assert CliRunner().invoke(app, ["--db", db, "status"]).exit_code == 0
    assert hashed == []
    result = CliRunner().invoke(app, ["--db", db, "status", "--json"])
    assert result.exit_code == 0 and hashed == [1]
    assert json.loads(result.stdout)["content_hash"] == real(open_store(Path(db)))
