"""Docs are tested: every command has a one-line summary and an example, and the README's
command reference names every command that --help lists. (Which module may import what is
tests/test_layering.py's business.)"""

from __future__ import annotations

import re

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

