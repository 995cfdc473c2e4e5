"""The compiled build (mypyc, ``ketlit.native``) reads every record exactly as the sources do.

Tags, the claim checker's numbers and the study profile of each record, serialised as the cache stores
them, are computed here (on a compiled build: the extensions) and in a child process on the sources
(``KETLIT_PURE_PYTHON=1``), and compared byte for byte: on the repo's fixtures always, and on a third of
the replay corpus in ``../shared`` when it is there. On a build that is not compiled both sides are the
sources and the test says so by skipping.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ketlit import native
from tests.conftest import FIXTURES, SHARED_DATA

# Run as ``python -c PROBE EVERY PATH...``: one JSON line per record, in order.
PROBE = """
import json, sys
from pathlib import Path
from ketlit import native
from ketlit.claims.numbers import abstract_findings, findings_to_json
from ketlit.claims.rules import load_rules as load_claim_rules
from ketlit.evidence.profile import profile_to_dict, read_profile
from ketlit.evidence.rules import packaged_rules
from ketlit.sources.pubmed_parse import parse_pubmed_xml
from ketlit.tagging import Tagger, doc_from_article, load_rules

every, paths = int(sys.argv[1]), sys.argv[2:]
tagger, claim_rules, rules = Tagger(load_rules()), load_claim_rules(), packaged_rules()
print(native.build_note())
for path in paths:
    for article in parse_pubmed_xml(Path(path).read_bytes())[::every]:
        tags = tagger.tag(doc_from_article(article))
        by_axis = {}
        for tag in tags:
            by_axis.setdefault(tag.axis, []).append(tag.value)
        print(json.dumps({
            "pmid": article.pmid,
            "tags": [repr(t) for t in tags],
            "numbers": findings_to_json(abstract_findings(article.title, article.abstract, claim_rules)),
            "profile": profile_to_dict(read_profile(article, by_axis, rules)),
        }, sort_keys=True))
"""


def _read(every: int, paths: list[Path], *, pure: bool) -> tuple[str, list[str]]:
    env = {**os.environ, "PYTHONPATH": str(native._ROOT.parent)}
    if pure:
        env["KETLIT_PURE_PYTHON"] = "1"
    else:
        env.pop("KETLIT_PURE_PYTHON", None)
    run = subprocess.run([sys.executable, "-c", PROBE, str(every), *map(str, paths)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-3000:]
    note, *lines = run.stdout.splitlines()
    return note, lines


@pytest.mark.parametrize(
    ("every", "paths"),
    [
        (1, sorted([*FIXTURES.glob("efetch_*.xml"), *(FIXTURES / "offline").glob("efetch_*.xml")])),
        (3, [SHARED_DATA / "replay" / "pubmed" / "psynamic_all.xml"]),
    ],
    ids=["fixtures", "shared_corpus"],
)
def test_the_compiled_build_reads_as_the_sources_do(every: int, paths: list[Path]) -> None:
    if not all(p.exists() for p in paths):
        pytest.skip(f"shared data not available: {[str(p) for p in paths if not p.exists()]} (read in place)")
    if not native.guard():
        pytest.skip(f"this install is not a compiled build: {native.build_note()}")
    compiled_note, compiled = _read(every, paths, pure=False)
    pure_note, pure = _read(every, paths, pure=True)
    assert compiled_note == "compiled (mypyc)" and pure_note.startswith("pure Python")
    assert len(compiled) == len(pure) >= 20
    read = [json.loads(line) for line in compiled]
    assert sum(bool(r["profile"].get("findings")) for r in read) >= 5  # findings were read, not only empty profiles
    for ours, theirs in zip(compiled, pure, strict=True):
        assert ours == theirs, json.loads(ours)["pmid"]


def _builtins_only(value: object) -> bool:
    if value is None or type(value) in (str, int, float, bool):
        return True
    if type(value) in (list, tuple):
        return all(_builtins_only(v) for v in value)  # type: ignore[attr-defined]
    if type(value) is dict:
        return all(type(k) is str and _builtins_only(v) for k, v in value.items())  # type: ignore[attr-defined]
    return False


def test_what_the_tagging_workers_send_back_is_builtins_only(tmp_path: Path) -> None:
    """Workers send their batches through pipes (pickled). Instances of compiled frozen dataclasses do not
    unpickle (mypyc's ``__setstate__`` meets the frozen ``__setattr__``), so the batches must carry only
    builtins, compiled build or not."""
    from ketlit.config import Settings
    from ketlit.jobs.tag import TagRunner
    from ketlit.sources.pubmed_parse import parse_pubmed_xml

    paths = sorted([*FIXTURES.glob("efetch_*.xml"), *(FIXTURES / "offline").glob("efetch_*.xml")])
    articles = [a for path in paths for a in parse_pubmed_xml(path.read_bytes())]
    batches = list(TagRunner(Settings(db=tmp_path / "unused.db")).tag_articles(articles))
    rows = [row for batch in batches for row in batch]
    assert len(rows) == len(articles) >= 20 and any(row[4] for row in rows)  # profiles were read
    for row in rows:
        assert _builtins_only(row), row[0]
