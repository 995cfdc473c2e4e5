"""Snapshot what ketlit produces on the replay corpus, so a refactor can prove it changed nothing.

    python tools/behaviour_snapshot.py OUT_DIR

Serves ``../shared/data/replay/pubmed`` and ``../shared/data/ctgov`` through the in-repo stand-ins,
runs ``ketlit refresh`` over the repo's ``queries/`` into a fresh cache (its reports are kept), then
imports the whole replay corpus and writes the exports (articles, trials, tags, links, citations as JSON
Lines, CSV, RIS, BibTeX), ``report --all``, and ``ketlit check`` (Markdown and JSON) of every sample page
under ``../shared/samples/clinic_pages``. Stamp lines and run times are masked, so two snapshots of the
same code are byte-identical; compare two with ``diff -r``. Exits 2 when ../shared is absent.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = (REPO.parent / "shared").resolve()  # one spelling of the page paths in every snapshot
sys.path.insert(0, str(REPO))

# Lines that carry wall-clock or run-id noise, which differ between any two runs.
_NOISE = re.compile(r"^(Generated:|Checked:|_Generated|.*\b\d{4}-\d{2}-\d{2}T\d{2}:\d{2}).*$", re.M)


def _ketlit(db: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    cmd = [sys.executable, "-m", "ketlit", "--db", str(db), *args]
    return subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=REPO, check=False)


def _clean(text: str) -> str:
    return _NOISE.sub("<stamp>", text)


def main() -> int:
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    if not (SHARED / "data").is_dir():
        print(f"skipped: {SHARED / 'data'} is absent", file=sys.stderr)
        return 2
    from tests.standins.ctgov import CtgovStandin
    from tests.standins.eutils import EutilsStandin

    out = Path(sys.argv[1]).resolve()
    out.mkdir(parents=True, exist_ok=True)
    db = out / "work" / "k.db"
    db.parent.mkdir(parents=True, exist_ok=True)
    if db.exists():
        db.unlink()
    eutils = EutilsStandin(sorted((SHARED / "data" / "replay" / "pubmed").glob("*.xml")), rate_limit=None)
    studies = [json.loads(p.read_text()) for p in sorted((SHARED / "data" / "ctgov").glob("*.json"))]
    ctgov = CtgovStandin(studies)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETLIT_", "NCBI_"))}
    env.update(KETLIT_EUTILS_URL=eutils.start(), KETLIT_CTGOV_URL=ctgov.start(), NCBI_EMAIL="snap@example.org",
               KETLIT_NCBI_RATE="100", KETLIT_CTGOV_RATE="100", PYTHONHASHSEED="0")
    try:
        reports = out / "reports"
        r = _ketlit(db, "refresh", "--queries-dir", str(REPO / "queries"), "--out-dir", str(reports), env=env)
        (out / "refresh.rc").write_text(f"{r.returncode}\n")
        # Then the whole replay corpus, so exports, `report --all` and checks see every record.
        for xml in sorted((SHARED / "data" / "replay" / "pubmed").glob("*.xml")):
            r = _ketlit(db, "import", str(xml), env=env)
            (out / f"import_{xml.stem}.rc").write_text(f"{r.returncode}\n")
        for kind in ("articles", "trials", "tags", "links"):
            for fmt in ("jsonl", "csv"):
                r = _ketlit(db, "export", kind, "--format", fmt, env=env)
                (out / f"export_{kind}.{fmt}").write_text(f"rc={r.returncode}\n{r.stdout}")
        for fmt in ("ris", "bibtex"):
            r = _ketlit(db, "export", "citations", "--format", fmt, env=env)
            (out / f"export_citations.{fmt}").write_text(f"rc={r.returncode}\n{r.stdout}")
        r = _ketlit(db, "report", "--all", "--queries-dir", str(REPO / "queries"), "--out-dir",
                    str(out / "report_all"), env=env)
        (out / "report_all.rc").write_text(f"{r.returncode}\n")
        pages = sorted((SHARED / "samples" / "clinic_pages").glob("*.txt"))
        for page in pages:
            for fmt in ("md", "json"):
                r = _ketlit(db, "check", str(page), "--format", fmt, env=env)
                (out / f"check_{page.stem}.{fmt}").write_text(f"rc={r.returncode}\n{r.stdout}")
    finally:
        eutils.stop()
        ctgov.stop()
    for path in sorted(out.rglob("*")):
        if path.is_file() and path.suffix in (".md", ".json", ".jsonl", ".csv", ".ris", ".bibtex", ".rc"):
            path.write_text(_clean(path.read_text()))
    for path in (out / "work").glob("*"):
        path.unlink()
    (out / "work").rmdir()
    print(f"snapshot written to {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
