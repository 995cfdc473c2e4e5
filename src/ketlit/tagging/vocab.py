"""Tag vocabularies: the slugs that query files and claim rules may name.

Design decisions:

* **One definition.** A slug exists because the tagging rules list it (``[axes.<axis>] values``
  in ``data/tagging_rules.toml``); nothing else in the package lists slugs. Query files
  (``ketlit.queries``) and claim rules (``ketlit.claims.rules``) are validated against the
  vocabularies of the *effective* tagging rules, so a slug a user's tagging rules file
  (``KETLIT_TAGGING_RULES``) adds can be named in their query and claim rules files too.
* **The packaged vocabularies are read once per process** (reading them means compiling the
  tagging rules); a user's file is read each time it is asked for, since it may change.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from functools import cache
from pathlib import Path

from ketlit.tagging.rules import load_rules, vocabularies

# {axis: slugs}; what ``tag_vocabularies`` returns and what the validators accept.
Vocabularies = Mapping[str, Collection[str]]


@cache
def _packaged() -> dict[str, tuple[str, ...]]:
    return vocabularies(load_rules())


def tag_vocabularies(tagging_rules: Path | None = None) -> dict[str, tuple[str, ...]]:
    """The slugs of every axis of the packaged tagging rules merged with ``tagging_rules`` (if given)."""
    if tagging_rules is None:
        return dict(_packaged())
    return vocabularies(load_rules(tagging_rules))
