"""``ketlit fetch pubmed`` against the network floor, as a user runs it.

    PYTHONPATH=src .venv/bin/python bench/sync.py [--sizes 722,3610,14440] [--runs N] [--no-check]

For each size, the in-repo E-utilities stand-in (``tests/standins/eutils.py``, real HTTP on
127.0.0.1, in this process) serves the replay corpus (``../shared/data/replay/pubmed``: 1,582
records, 722 of which match ``ketamine``) replicated ``k`` times (``EutilsStandin.replicate``:
same text, new PMIDs), where ``k`` makes ``ketamine`` match about ``size`` records
(722 / 3,610 / 14,440 by default). It limits each client to ``--rate`` requests per second
(3, NCBI's allowance without an API key; a faster client gets HTTP 429) and answers every
request ``--latency`` seconds late (0.3 s). Then, in the same round, against the same server:

- **ketlit**: the real CLI, ``python -m ketlit --db NEW fetch pubmed ketamine``, as a
  subprocess (fresh cache, no API key, ``KETLIT_EUTILS_URL`` pointing at the stand-in), timed
  from start to exit: search, fetch, parse, store, and the tagging. Its peak RSS is the
  largest of the process and its worker processes (``os.wait4``'s ``ru_maxrss``, which covers
  the descendants it waited for), taken by a small launcher process that starts it: a child of
  the bench itself would inherit the bench's own high-water mark (the stand-in's corpus). Its
  requests are counted by the server (every attempt, retries and refused ones included).
- **floor**: a bare ``httpx.Client`` in this process sends the *minimal request sequence*
  serially, request k no earlier than k × :data:`FLOOR_SPACING` / rate s after the first, and
  only counts what it gets back (a regex for the IDs; no parsing, no storing). Its wall time is
  what the rate limit and the latency make unavoidable. The 2% margin is the least that keeps
  it clear of 429s: the stand-in, like NCBI, refuses a 4th arrival within any rolling second,
  and at exactly 1/rate arrival jitter made about half of its requests arrive early (a refused
  request is counted and sent again; the table notes it if that happens). ketlit itself spaces
  requests 5% wider (:class:`ketlit.http.RateLimiter`), so 1.03x is its best possible ratio.

The minimal request sequence, from first principles, for ``N`` matching records:

- **searches**: one ESearch lists at most ``C`` = 9,999 IDs (the PubMed cap; ``retmax`` cannot
  go higher and ``retstart`` cannot pass it), and every one of the ``N`` IDs must be listed by
  some search, so at least ``ceil(N / C)`` searches (1 when ``N <= C``). The first one cannot be
  avoided (it is how ``N`` is learnt) and already lists up to ``C`` IDs; ESearch lists newest
  PMIDs first, so each further search asks for the PMIDs below the lowest one listed so far
  (``ketamine AND 1:low-1[uid]``) and lists ``C`` new IDs, which reaches the bound.
- **fetches**: ``ceil(N / B)`` EFetch requests, ``B`` being the EFetch batch size ketlit uses
  (500: the default ``batch_size``; NCBI asks for POSTs of a few hundred IDs, and each batch is
  stored as one page in one transaction). A larger ``--batch-size`` lowers both the minimum and
  ketlit's count alike; the ratio compares them at the same ``B``.

Prints, per size (medians of ``--runs``): wall time, the floor, wall / floor, requests and the
minimal requests (and their ratio), peak RSS, and, from ketlit's own output, the fetch part of
the wall (its run line: search, fetch, parse, store; also as a ratio to the floor) and the tagging
part (the "tagged N record(s)" line), so that a miss shows which side it comes from.
Targets (issue 15, at sizes of at least 14,000 records): wall <= 1.3x the floor and requests
<= 1.05x the minimum; exit 1 when one is missed (unless ``--no-check``), 2 when a run fails. See bench/README.md.
"""

from __future__ import annotations

import argparse
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # tests.standins

from tests.standins.eutils import EutilsStandin, Fault  # noqa: E402

REPLAY = REPO.parent / "shared" / "data" / "replay" / "pubmed"
CORPUS = ("psynamic_all.xml", "meta-harness_efetch_esketamine_trd_3records.xml")
TERM = "ketamine"
SEARCH_CAP = 9999  # IDs one ESearch can list (API_FACTS 1.2)
TARGET_WALL = 1.3
TARGET_REQUESTS = 1.05
TARGET_MIN_RECORDS = 14_000  # the targets apply from this size up
FLOOR_SPACING = 1.02  # x 1/rate between the floor client's request starts (see the module docstring)
_IDS = re.compile(rb"<Id>(\d+)</Id>")
_COUNT = re.compile(rb"<Count>(\d+)</Count>")
_RUN_SECONDS = re.compile(r"run \d+: (\w+) .* ([\d.]+)s$", re.M)
_TAG_SECONDS = re.compile(r"tagged (\d+) record\(s\)(?: in|, \d+ of them while fetching;) ([\d.]+)s")


class BenchFailed(Exception):
    """A run that did not do what it should: exit 2 (a missed target is exit 1)."""


@dataclass
class Round:
    wall: float
    floor: float
    requests: int
    floor_requests: int
    rss_mb: float
    fetch_s: float
    tag_s: float
    status: str
    refused: int


def minimal_requests(n: int, batch: int) -> tuple[int, int]:
    """(searches, fetches) the minimal sequence needs for ``n`` records (see the module docstring)."""
    return max(1, math.ceil(n / SEARCH_CAP)), math.ceil(n / batch)


class Paced:
    """A bare httpx client that starts request k no earlier than k / rate seconds after the first."""

    def __init__(self, base: str, rate: float) -> None:
        self.base, self.rate = base, rate
        self.client = httpx.Client(timeout=60)
        self.sent = 0
        self.refused = 0
        self.start = 0.0

    def request(self, method: str, path: str, params: dict[str, str]) -> bytes:
        while True:
            if self.sent == 0:
                self.start = time.perf_counter()
            wait = self.start + self.sent * FLOOR_SPACING / self.rate - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            self.sent += 1
            if method == "GET":
                response = self.client.get(self.base + path, params=params)
            else:
                response = self.client.post(self.base + path, data=params)
            if response.status_code == 429:  # arrived early by jitter: counted, and sent again
                self.refused += 1
                continue
            response.raise_for_status()
            return response.content


def network_floor(base: str, rate: float, batch: int, expected: int) -> tuple[float, int, int]:
    """(seconds, requests, refused) for the minimal request sequence by a bare client (see the module docstring)."""
    paced = Paced(base, rate)
    clock = time.perf_counter()
    body = paced.request("GET", "esearch.fcgi", {"db": "pubmed", "term": TERM, "retmax": str(SEARCH_CAP)})
    count = int(_COUNT.search(body).group(1))  # type: ignore[union-attr]
    ids = [int(i) for i in _IDS.findall(body)]
    while len(ids) < count:
        term = f"({TERM}) AND (1:{min(ids) - 1}[uid])"
        body = paced.request("GET", "esearch.fcgi", {"db": "pubmed", "term": term, "retmax": str(SEARCH_CAP)})
        ids += [int(i) for i in _IDS.findall(body)]
    ids.sort(reverse=True)
    records = 0
    for start in range(0, len(ids), batch):
        chunk = ids[start : start + batch]
        page = paced.request("POST", "efetch.fcgi", {"db": "pubmed", "id": ",".join(map(str, chunk)),
                                                     "retmode": "xml", "rettype": "xml"})
        records += page.count(b"<PubmedArticle>")
    seconds = time.perf_counter() - clock
    paced.client.close()
    if count != expected or records != expected:
        raise BenchFailed(f"floor client: Count {count}, {records} records fetched, expected {expected}")
    return seconds, paced.sent, paced.refused


# Runs the CLI and reports its wall time and peak RSS. A child of this (large) process would
# inherit its RSS high-water mark across fork + exec (Linux records it at exec), so the CLI is
# started from this small launcher instead, which reports on its own child.
_LAUNCHER = """
import os, subprocess, sys, time
clock = time.perf_counter()
child = subprocess.Popen(sys.argv[1:])
_, status, usage = os.wait4(child.pid, 0)
wall = time.perf_counter() - clock
child.returncode = os.waitstatus_to_exitcode(status)
sys.stderr.write(f"\\nbench-child {wall:.3f} {usage.ru_maxrss}\\n")
sys.exit(child.returncode)
"""
_CHILD = re.compile(r"^bench-child ([\d.]+) (\d+)$", re.M)


def run_cli(base: str, work: Path, batch: int) -> tuple[float, float, str]:
    """(wall seconds, peak RSS MB, stderr) of ``ketlit fetch pubmed`` into a new cache in ``work``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KETLIT_", "NCBI_"))}
    env.update(KETLIT_EUTILS_URL=base, NCBI_EMAIL="bench@example.org", PYTHONPATH=str(REPO / "src"),
               KETLIT_BATCH_SIZE=str(batch))
    db = work / f"bench-{time.monotonic_ns()}.db"
    cmd = [sys.executable, "-c", _LAUNCHER, sys.executable, "-m", "ketlit", "--db", str(db), "fetch", "pubmed", TERM]
    done = subprocess.run(cmd, cwd=work, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, check=False)
    err = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise BenchFailed(f"ketlit fetch exited {done.returncode}:\n{err}")
    child = _CHILD.search(err)
    if child is None:
        raise BenchFailed(f"the launcher did not report:\n{err}")
    return float(child.group(1)), int(child.group(2)) / 1024, err


def one_round(standin: EutilsStandin, work: Path, args: argparse.Namespace, expected: int) -> Round:
    floor, floor_requests, refused = network_floor(standin.base_url, args.rate, args.batch_size, expected)
    time.sleep(1.1)  # the server's one-second window empties between the two clients
    before = len(standin.requests)
    wall, rss, err = run_cli(standin.base_url, work, args.batch_size)
    requests = len(standin.requests) - before
    time.sleep(1.1)
    run = _RUN_SECONDS.search(err)
    tagged = _TAG_SECONDS.search(err)
    if run is None:
        raise BenchFailed(f"no run line in ketlit's output:\n{err}")
    return Round(wall, floor, requests, floor_requests, rss, float(run.group(2)),
                 float(tagged.group(2)) if tagged else 0.0, run.group(1), refused)


def _median(rounds: list[Round], attr: str) -> float:
    return float(statistics.median(getattr(r, attr) for r in rounds))


def main(argv: list[str] | None = None) -> int:
    try:
        return bench(argv)
    except BenchFailed as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 2


def bench(argv: list[str] | None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="722,3610,14440", help="approximate matching records per size")
    parser.add_argument("--runs", type=int, default=1, help="rounds per size (medians are printed)")
    parser.add_argument("--rate", type=float, default=3.0, help="requests/s the stand-in allows")
    parser.add_argument("--latency", type=float, default=0.3, help="seconds added to every response")
    parser.add_argument("--batch-size", type=int, default=500, help="EFetch batch size (ketlit's and the floor's)")
    parser.add_argument("--no-check", action="store_true", help="exit 0 even when a target is missed")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",") if s.strip()]
    files = [REPLAY / name for name in CORPUS]
    if not all(f.is_file() for f in files):
        raise BenchFailed(f"replay corpus not found under {REPLAY}")
    load = os.getloadavg()
    print(f"stand-in: {args.rate:g} requests/s, {args.latency * 1000:.0f} ms latency; EFetch batch "
          f"{args.batch_size}; {args.runs} run(s) per size, medians; {os.cpu_count()} CPUs, "
          f"load {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    version = subprocess.run([sys.executable, "-m", "ketlit", "--version"], capture_output=True, text=True,
                             env={**os.environ, "PYTHONPATH": str(REPO / "src")})
    print(f"build: {version.stdout.strip() or version.stderr.strip()[-200:]}")
    header = (f"{'records':>8} {'wall s':>8} {'floor s':>8} {'wall/floor':>10} {'requests':>8} {'minimal':>8} "
              f"{'req/min':>8} {'RSS MB':>7} {'fetch s':>8} {'fetch/floor':>11} {'tag s':>7}")
    print(header)
    missed: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ketlit-sync-") as tmp:
        for size in sizes:
            standin = EutilsStandin(files, rate_limit=args.rate, fault=Fault(latency=args.latency))
            per_copy = len(standin.matching_pmids(TERM))
            standin.replicate(max(1, round(size / per_copy)))
            expected = len(standin.matching_pmids(TERM))
            searches, fetches = minimal_requests(expected, args.batch_size)
            with standin:
                rounds = [one_round(standin, Path(tmp), args, expected) for _ in range(args.runs)]
            if any(r.status != "complete" or r.refused for r in rounds):
                print(f"  note: statuses {[r.status for r in rounds]}; the floor client was refused "
                      f"{[r.refused for r in rounds]} time(s) (arrival jitter under load), which inflates the floor; "
                      f"computed floor (minimal - 1) / rate + latency = "
                      f"{(searches + fetches - 1) / args.rate + args.latency:.2f} s")
            wall, floor = _median(rounds, "wall"), _median(rounds, "floor")
            requests = _median(rounds, "requests")
            ratio, req_ratio = wall / floor, requests / (searches + fetches)
            print(f"{expected:>8,} {wall:>8.2f} {floor:>8.2f} {ratio:>9.2f}x {requests:>8.0f} "
                  f"{searches + fetches:>8} {req_ratio:>7.2f}x {_median(rounds, 'rss_mb'):>7.0f} "
                  f"{_median(rounds, 'fetch_s'):>8.2f} {_median(rounds, 'fetch_s') / floor:>10.2f}x "
                  f"{_median(rounds, 'tag_s'):>7.2f}")
            if expected >= TARGET_MIN_RECORDS:
                if ratio > TARGET_WALL:
                    missed.append(f"wall {ratio:.2f}x the floor > {TARGET_WALL}x at {expected:,} records")
                if req_ratio > TARGET_REQUESTS:
                    missed.append(f"requests {req_ratio:.2f}x the minimum > {TARGET_REQUESTS}x at {expected:,}")
    print(f"minimal = ceil(N/{SEARCH_CAP}) searches + ceil(N/{args.batch_size}) fetches; "
          f"targets at >= {TARGET_MIN_RECORDS:,} records: wall <= {TARGET_WALL}x floor, "
          f"requests <= {TARGET_REQUESTS}x minimal")
    load = os.getloadavg()
    print(f"load after: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    if missed:
        print("targets MISSED: " + "; ".join(missed))
        return 0 if args.no_check else 1
    print("targets met")
    return 0


if __name__ == "__main__":
    sys.exit(main())
