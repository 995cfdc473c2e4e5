"""Docs are tested: every command has a one-line summary and an example, and the README's
command reference names every command that --help lists. (Which module may import what is
tests/test_layering.py's business.)"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.main import get_command

from ketlit.cli import app
from ketlit.config import ENV_VARS
from tests.conftest import REPO


def _commands() -> dict[str, object]:
    group = get_command(app)
    out: dict[str, object] = {}
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        sub = getattr(command, "commands", None)
        if sub:
            for subname, subcommand in sub.items():
                out[f"{name} {subname}"] = subcommand
        else:
            out[name] = command
    return out


def test_every_command_has_summary_and_example() -> None:
    for name, command in _commands().items():
        help_text = getattr(command, "help", "") or ""
        assert help_text.strip().splitlines()[0].endswith("."), name
        assert re.search(r"Example: ketlit ", help_text), f"{name} has no example"


def test_readme_lists_every_command() -> None:
    readme = (REPO / "README.md").read_text()
    for name in _commands():
        assert f"`ketlit {name}" in readme, f"README does not document `ketlit {name}`"


def test_readme_documents_every_setting() -> None:
    section = (REPO / "README.md").read_text().split("## Configuration", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| `")]
    for name in ENV_VARS:
        assert any(f"`{name}`" in row for row in rows), f"README's Configuration table lacks `{name}`"


def test_readme_starts_with_the_two_commands() -> None:
    readme = (REPO / "README.md").read_text()
    block = readme.split("```bash", 1)[1].split("```", 1)[0].strip().splitlines()
    assert len(block) == 2
    assert block[0].startswith("python3 -m venv .venv") and "ketlit " in block[0]
    ci = (REPO / ".ci" / "run").read_text()
    assert block[1] in ci, "CI must run the README's test command word for word"



# -- the scheduled-run recipes: alert on any failure, commit only real changes -------------------


def _recipe(fence: str, marker: str) -> str:
    readme = (REPO / "README.md").read_text()
    blocks = [b.split("```", 1)[0] for b in readme.split(f"```{fence}\n")[1:]]
    (block,) = [b for b in blocks if marker in b]
    return block


def _stub_ketlit(folder: Path) -> None:
    """``.venv/bin/ketlit`` that exits with $STUB_CODE, as the recipes call it."""
    stub = folder / ".venv" / "bin" / "ketlit"
    stub.parent.mkdir(parents=True)
    stub.write_text('#!/bin/sh\nexit "$STUB_CODE"\n')
    stub.chmod(0o755)


@pytest.mark.parametrize("code", [0, 1, 3, 4])
def test_cron_recipe_prints_only_when_refresh_fails(tmp_path: Path, code: int) -> None:
    (line,) = [x for x in _recipe("cron", "crontab").splitlines() if x.startswith("30 2 ")]
    command = line.split(None, 5)[5].replace("cd /srv/ketlit", f"cd {tmp_path}")
    _stub_ketlit(tmp_path)
    (tmp_path / "cache").mkdir()
    done = subprocess.run(["/bin/sh", "-c", command], capture_output=True, text=True, check=False,
                          env={**os.environ, "STUB_CODE": str(code)})
    # cron mails whatever a job prints: nothing on success, a line on any failure, 3 included.
    assert (done.stdout + done.stderr == "") == (code == 0), done.stdout
    assert "MAILTO=" in _recipe("cron", "crontab")


def test_systemd_recipe_fails_the_unit_on_any_non_zero_exit() -> None:
    unit = _recipe("ini", "ketlit-refresh.service")
    assert "SuccessExitStatus" not in unit
    service = unit.split("[Service]", 1)[0]
    assert "OnFailure=" in service  # in [Unit], where systemd reads it


def _actions_steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(_recipe("yaml", ".github/workflows/refresh.yml"))
    steps: list[dict[str, Any]] = workflow["jobs"]["refresh"]["steps"]
    return steps


@pytest.mark.parametrize("code", [0, 1, 3, 4])
def test_actions_recipe_passes_only_on_0_and_3_and_fails_the_job_on_3(tmp_path: Path, code: int) -> None:
    steps = _actions_steps()
    (refresh,) = [s for s in steps if s.get("id") == "refresh"]
    _stub_ketlit(tmp_path)
    output = tmp_path / "github_output"
    done = subprocess.run(["bash", "-e", "-c", refresh["run"]], cwd=tmp_path, capture_output=True, text=True,
                          check=False, env={**os.environ, "STUB_CODE": str(code), "GITHUB_OUTPUT": str(output)})
    assert (done.returncode == 0) == (code in (0, 3))
    assert output.read_text().strip() == f"code={code}"
    # Steps after a failed one do not run (GitHub's default `if: success()`), so an error commits nothing;
    # a partial run is committed, then the job fails.
    later = steps[steps.index(refresh) + 1 :]
    commit = [s for s in later if "commit -m" in s.get("run", "")]
    assert len(commit) == 1 and "if" not in commit[0]
    (alarm,) = [s for s in later if s.get("if") == "steps.refresh.outputs.code == '3'"]
    assert subprocess.run(["bash", "-e", "-c", alarm["run"]], capture_output=True, check=False).returncode != 0


def test_actions_recipe_commits_only_when_a_report_changed(tmp_path: Path) -> None:
    (commit,) = [s for s in _actions_steps() if "commit -m" in s.get("run", "")]
    remote, clone = tmp_path / "remote.git", tmp_path / "clone"

    def git(*args: str, cwd: Path = clone) -> str:
        return subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=True).stdout

    git("init", "-q", "--bare", str(remote), cwd=tmp_path)
    git("clone", "-q", str(remote), str(clone), cwd=tmp_path)
    (clone / "reports").mkdir()
    (clone / "reports" / "a.md").write_text("# A\n\nGenerated: 2000-01-01\n")
    git("add", "reports")
    git("-c", "user.name=t", "-c", "user.email=t@example.org", "commit", "-q", "-m", "first")
    git("push", "-q", "origin", "HEAD")

    def step() -> None:
        subprocess.run(["bash", "-e", "-c", commit["run"]], cwd=clone, capture_output=True, check=True)

    step()  # refresh left every report as it was: nothing to commit
    assert git("log", "--oneline").count("\n") == 1
    (clone / "reports" / "a.md").write_text("# A\n\nnew evidence\n\nGenerated: 2000-01-02\n")
    step()
    assert git("log", "--oneline", cwd=remote).count("\n") == 2
