"""How `ketlit check` scales with page size: seconds for ~1 MB and ~5 MB pages, and the ratio to a floor.

    python bench/check_page_size.py [--db DB] [--sizes 1,5] [--samples DIR]
    python bench/check_page_size.py --output [--db DB] [--samples DIR]

``--output`` measures the other size instead (issue 14): for each recorded sample page, the bytes of the
Markdown `ketlit check` writes (default, ``--brief`` and ``--cards all``) and of the HTML, each as a multiple
of the page's bytes, and the cards printed of the sentences that need attention; the target is a default
Markdown under 3x its page. Exit 1 if one is 3x or more.

Without ``--db`` the cache is built first, as a user would (``ketlit import`` of
``../shared/data/replay/pubmed/psynamic_all.xml`` into a temporary database; skipped with a reason when ``../shared``
is absent); a given ``--db`` must already hold records. Any untagged records are tagged by a warm-up check on a tiny
page, so tagging is not timed.

Pages are generated into a temporary directory (never the repository) from the recorded clinic pages
(``../shared/samples/clinic_pages/*.txt``), seeded so every run builds the same bytes:

- **text**: the sample paragraphs, shuffled, with their numbers varied (so the claims are not all equal);
- **html**: the same paragraphs as ``<h2>``/``<p>``/``<ul><li>`` inside an ASP.NET-style ``<form>``;
- **one-paragraph**: one huge paragraph of sample words with every punctuation mark removed — no sentence
  ends, so the splitter and every per-sentence regex see one multi-megabyte "sentence".

Each page is checked by ``python -m ketlit --db DB check PAGE --out /dev/null`` in a fresh process (what a user
runs), timed from start to exit (wall) and by the child's CPU time (steadier on a shared machine). The floor is
measured in this process on the same bytes: decode, clean and split into sentences (``page_from_bytes`` +
``split_sentences``), i.e. the least any check must do. The ratio check/floor shows how much the claim work costs
on top of reading; a ratio that grows from 1 MB to 5 MB means a super-linear step is back. Exit 1 if a check
uses 30 CPU seconds or more (wall time is printed too, but on a shared machine it measures the neighbours) or
fails in another way than a one-line refusal.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from html import escape
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT.parent / "shared" / "samples" / "clinic_pages"
CORPUS = ROOT.parent / "shared" / "data" / "replay" / "pubmed" / "psynamic_all.xml"
LIMIT_S = 30.0
TARGET_X = 3.0  # issue 14: a page's Markdown check under 3x the page


def _paragraphs(samples: Path) -> list[str]:
    out: list[str] = []
    for path in sorted(samples.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        out += [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]
    if not out:
        raise SystemExit(f"no sample pages in {samples}")
    return out


def _vary(par: str, rng: random.Random) -> str:
    return re.sub(r"\d+", lambda m: str(max(1, int(m.group()) + rng.randint(-3, 3))), par)


def _text_page(pars: list[str], size: int, rng: random.Random) -> str:
    chunks: list[str] = []
    total = 0
    while total < size:
        par = _vary(rng.choice(pars), rng)
        chunks.append(par)
        total += len(par.encode()) + 2
    return "\n\n".join(chunks) + "\n"


def _html_page(pars: list[str], size: int, rng: random.Random) -> str:
    chunks = [
        '<!doctype html><html><head><meta charset="utf-8"><title>Clinic</title></head><body>',
        '<form id="aspnetForm">',  # ASP.NET WebForms: the whole body inside one form
    ]
    total = sum(len(c) for c in chunks)
    while total < size - 100:
        par = escape(_vary(rng.choice(pars), rng))
        shape = rng.random()
        if len(par) < 60:
            chunk = f"<h2>{par}</h2>"
        elif shape < 0.2:
            chunk = "<ul>" + "".join(f"<li>{s}</li>" for s in par.split("\n")) + "</ul>"
        else:
            chunk = f"<div class='c'><p>{par}</p></div>"
        chunks.append(chunk)
        total += len(chunk.encode())
    chunks.append("</form></body></html>\n")
    return "\n".join(chunks)


def _flat_page(pars: list[str], size: int, rng: random.Random) -> str:
    words = re.sub(r"[^\w\s%-]", " ", " ".join(pars)).split()
    out: list[str] = []
    total = 0
    while total < size:
        w = rng.choice(words)
        out.append(w)
        total += len(w) + 1
    return " ".join(out) + "\n"


def _floor(path: Path) -> float:
    from ketlit.claims.text import page_from_bytes, split_sentences

    data = path.read_bytes()
    t0 = time.perf_counter()
    page = page_from_bytes(data, path.name)
    split_sentences(page.text)
    return time.perf_counter() - t0


def _cpu_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _check(db: Path, path: Path) -> tuple[float, float, int, str]:
    """(wall seconds, CPU seconds, exit code, last stderr line) of one ``ketlit check``."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    cmd = [sys.executable, "-m", "ketlit", "--db", str(db), "check", str(path), "--out", os.devnull]
    cpu0, t0 = _cpu_children(), time.perf_counter()
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, check=False)
    elapsed, cpu = time.perf_counter() - t0, _cpu_children() - cpu0
    last = (proc.stderr.strip().splitlines() or [""])[-1]
    return elapsed, cpu, proc.returncode, last


def _output_sizes(db: Path, samples: Path) -> int:
    """Markdown (default, ``--brief``, ``--cards all``) and HTML bytes per page byte for every sample page,
    the default Markdown against the target, and how many cards it printed of the sentences that need
    attention; 1 if a default Markdown is at or over the target."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    print(f"target: Markdown under {TARGET_X:g}x its page")
    print(f"{'page':<40}{'bytes':>7}{'md':>8}{'md x':>7}{'brief x':>9}{'all x':>7}{'html x':>8}{'cards':>7}  target")
    ratios: list[float] = []
    for page in sorted(samples.glob("*.txt")):
        outputs = []
        for extra in ([], ["--brief"], ["--cards", "all"], ["--format", "html"]):
            cmd = [sys.executable, "-m", "ketlit", "--db", str(db), "--quiet", "check", str(page), *extra]
            outputs.append(subprocess.run(cmd, env=env, capture_output=True, check=True).stdout)
        size = page.stat().st_size
        md, brief, every, html = (len(o) / size for o in outputs)
        text = outputs[0].decode()
        # Sentences with a card (a shared card quotes several) of those that need attention.
        carded = sum(len(h.split(", ")) for h in re.findall(r"(?m)^## ([\d, ]+) ·", text))
        flagged = re.search(r"· (\d+) need attention ·", text)
        cards = f"{carded}/{flagged.group(1) if flagged else '?'}"
        ratios.append(md)
        verdict = "met" if md < TARGET_X else f"missed by {len(outputs[0]) - TARGET_X * size:,.0f} B"
        print(f"{page.name:<40}{size:>7}{len(outputs[0]):>8}{md:>7.2f}{brief:>9.2f}{every:>7.2f}{html:>8.2f}"
              f"{cards:>7}  {verdict}")
    if ratios:
        print(f"Markdown: {min(ratios):.2f}x to {max(ratios):.2f}x its page; "
              f"{sum(r < TARGET_X for r in ratios)} of {len(ratios)} under the {TARGET_X:g}x target")
    return 1 if any(r >= TARGET_X for r in ratios) else 0


def main() -> int:
    """Build the pages, time floor and check for each, print a table; 1 if a target is missed."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--db", type=Path, help="a ketlit cache with records imported (default: the replay corpus "
                    "imported into a temporary cache, as a user's `ketlit import` does)")
    ap.add_argument("--sizes", default="1,5", help="page sizes in MB, comma-separated (default 1,5)")
    ap.add_argument("--samples", type=Path, default=SAMPLES)
    ap.add_argument("--output", action="store_true", help="measure output size per sample page instead of time")
    args = ap.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    pars = _paragraphs(args.samples)
    failed = False
    with tempfile.TemporaryDirectory(prefix="ketlit-bench-") as tmp:
        if args.db is None:
            if not CORPUS.exists() or not args.samples.exists():
                print(f"skipped: the replay corpus or the sample pages are absent ({CORPUS.parent}, {args.samples})")
                return 0
            args.db = Path(tmp) / "bench.db"
            clock = time.perf_counter()
            subprocess.run([sys.executable, "-m", "ketlit", "--db", str(args.db), "--quiet", "import", str(CORPUS)],
                           check=True, env={**os.environ, "PYTHONPATH": str(ROOT / "src")})
            print(f"cache: ketlit import of {CORPUS.name} in {time.perf_counter() - clock:.1f} s")
        if args.output:
            return _output_sizes(args.db, args.samples)
        warm = Path(tmp) / "warm.txt"
        warm.write_text("Ketamine relieves depression within hours for most patients.\n", encoding="utf-8")
        _check(args.db, warm)  # tags any untagged records, so that is not timed below
        startup, startup_cpu, _, _ = _check(args.db, warm)
        load = os.getloadavg()[0]
        print(f"load average {load:.1f} on {os.cpu_count()} CPUs (wall times stretch with it; CPU times less)")
        print(f"startup (tiny page): {startup:.2f} s wall, {startup_cpu:.2f} s CPU")
        print(f"{'page':<22}{'bytes':>10}{'floor s':>9}{'check s':>9}{'CPU s':>8}{'ratio':>7}  result")
        for mb in (float(x) for x in args.sizes.split(",")):
            size = int(mb * 1_000_000)
            for kind, build, ext in (
                ("text", _text_page, ".txt"),
                ("html", _html_page, ".html"),
                ("one-paragraph", _flat_page, ".txt"),
            ):
                rng = random.Random(f"{kind}-{mb}")
                path = Path(tmp) / f"{kind}-{mb:g}mb{ext}"
                path.write_text(build(pars, size, rng), encoding="utf-8")
                floor = _floor(path)
                elapsed, cpu, rc, last = _check(args.db, path)
                refused = rc != 0 and last.startswith("Error:") and "Traceback" not in last
                ok = cpu < LIMIT_S and (rc == 0 or refused)
                failed |= not ok
                result = ("ok" if rc == 0 else f"refused: {last}") if ok else f"FAIL (exit {rc}): {last}"
                name = f"{kind} {mb:g} MB"
                ratio = elapsed / floor
                size_b = path.stat().st_size
                print(f"{name:<22}{size_b:>10}{floor:>9.2f}{elapsed:>9.2f}{cpu:>8.2f}{ratio:>7.1f}  {result}")
        failed |= _pathological(args.db, Path(tmp))
    return 1 if failed else 0


# Small pages on which a step of the check once grew with the square of something on the page (a fuzzing pass,
# stop 48): each took a minute or more, each must now be seconds. Same limit as above, and the claim after the
# odd part must still be found.
_PATHOLOGICAL: tuple[tuple[str, str, str], ...] = (
    ("md: 150,000 '['", ".md", "[" * 150_000 + "\n\nKetamine is not addictive.\n"),
    ("html: 2,500-link nav", ".html",
     "<html><body><nav><ul>" + '<li><a href="/l">Ketamine for Depression</a></li>' * 2500
     + "</ul></nav><p>Ketamine is not addictive.</p></body></html>"),
    ("md out: 400 flagged", ".txt",
     " ".join(f"Over {i % 100}% of our ketamine patients feel better within {i % 48 + 1} hours." for i in range(400))),
)


def _pathological(db: Path, tmp: Path) -> bool:
    """Check each pathological page (default Markdown output); True if one failed."""
    failed = False
    for i, (name, ext, text) in enumerate(_PATHOLOGICAL):
        path = tmp / f"pathological-{i}{ext}"
        path.write_text(text, encoding="utf-8")
        elapsed, cpu, rc, last = _check(db, path)
        ok = cpu < LIMIT_S and rc == 0
        failed |= not ok
        print(f"{name:<22}{path.stat().st_size:>10}{'':>9}{elapsed:>9.2f}{cpu:>8.2f}{'':>7}  "
              f"{'ok' if ok else f'FAIL (exit {rc}): {last}'}")
    return failed


if __name__ == "__main__":
    raise SystemExit(main())
