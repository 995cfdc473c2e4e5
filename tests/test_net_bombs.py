"""Issue 11 item 5: decompression bombs. A gzip-encoded PubMed or CT.gov reply, or a ``.xml.gz``
/ ``.nbib.gz`` import, that expands far beyond the cap is refused with one line after using no
more memory than about the cap — never read whole, never accepted as complete. The bombs are
real: zeros (or spaces inside a plausible document) gzipped here."""

from __future__ import annotations

import gzip
import io
import tracemalloc
import zlib
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import ketlit.files
from ketlit.cli import app
from ketlit.config import Settings, load_settings
from ketlit.errors import InputError, ParseError, ServiceError
from ketlit.files import MAX_DECOMPRESSED_BYTES, GunzipLimited, gunzip_limited
from ketlit.http import RateLimiter, make_client
from ketlit.jobs.ingest import fetch_ctgov, fetch_pubmed, import_file
from ketlit.store import open_store
from tests.standins.loopback import LoopbackServer, Request

MiB = 1024**2
CAP_MB = 4  # set low through the setting, so that the test stays light
BOMB = 16 * CAP_MB * MiB  # what the bombs expand to: 16 times the cap


def gzip_bomb(head: bytes, filler: bytes, tail: bytes, size: int = BOMB) -> bytes:
    """gzip of ``head + filler * n + tail`` (at least ``size`` bytes in all), compressed chunk by chunk."""
    z = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    out = [z.compress(head)]
    block = filler * (MiB // len(filler))
    for _ in range(-(-(size - len(head) - len(tail)) // len(block))):
        out.append(z.compress(block))
    out += [z.compress(tail), z.flush()]
    return b"".join(out)


@pytest.fixture
def peak() -> Iterator[Callable[[], int]]:
    """The peak of Python memory allocations while the test runs (tracemalloc)."""
    tracemalloc.start()
    try:
        yield lambda: tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_the_bombs_are_real() -> None:
    bomb = gzip_bomb(b"<x>", b"\0", b"</x>")
    assert len(bomb) < BOMB / 500 and len(gzip.decompress(bomb)) >= BOMB


def serve(routes: dict[str, Callable[[Request], None]]) -> LoopbackServer:
    return LoopbackServer(lambda request: routes[request.path.rsplit("/", 1)[-1]](request))


def gz_reply(body: bytes, content_type: str) -> Callable[[Request], None]:
    return lambda request: request.reply(200, body, content_type, {"Content-Encoding": "gzip"})


def settings(base: str) -> Settings:
    return Settings(eutils_url=base, ctgov_url=base, max_decompressed_mb=CAP_MB, max_retries=2,
                    backoff_base=0.01, backoff_cap=0.01, ncbi_email="t@example.org")


def run_fetch(tmp_path: Path, service: str, routes: dict[str, Callable[[Request], None]],
              fetch: Callable[..., Any]) -> tuple[ServiceError, Any, int]:
    with serve(routes) as server:
        cfg = settings(server.url)
        store = open_store(tmp_path / "k.db")
        try:
            with make_client(cfg, service, limiter=RateLimiter(1000)) as http, \
                    pytest.raises(ServiceError) as info:  # type: ignore[arg-type]
                fetch(store, http, cfg, "ketamine")
            (run,) = store.recent_runs(1)
        finally:
            store.close()
    return info.value, run, len(server.requests)


def test_a_gzip_bomb_from_pubmed_is_refused(tmp_path: Path, peak: Callable[[], int]) -> None:
    esearch = b"<eSearchResult><Count>1</Count><IdList><Id>1</Id></IdList></eSearchResult>"
    bomb = gzip_bomb(b"<?xml version='1.0'?><PubmedArticleSet>", b"\0", b"</PubmedArticleSet>")
    error, run, requests = run_fetch(tmp_path, "ncbi", {
        "esearch.fcgi": gz_reply(gzip.compress(esearch), "text/xml"),  # a normal gzip reply is fine
        "efetch.fcgi": gz_reply(bomb, "text/xml"),
    }, fetch_pubmed)
    assert f"larger than {CAP_MB:g} MiB once decompressed" in str(error) and "\n" not in str(error)
    assert requests == 2  # an oversized reply is not retried
    assert run.status == "failed" and run.message == str(error)
    assert peak() < 3 * CAP_MB * MiB < BOMB


def test_a_gzip_bomb_from_ctgov_is_not_accepted_as_complete(tmp_path: Path, peak: Callable[[], int]) -> None:
    # Valid JSON once decompressed: without the cap it would be parsed and the run called complete.
    bomb = gzip_bomb(b'{"totalCount": 0, "studies": [], "pad": "', b" ", b'"}')
    error, run, requests = run_fetch(tmp_path, "ctgov", {"studies": gz_reply(bomb, "application/json")},
                                     fetch_ctgov)
    assert "larger than" in str(error) and requests == 1
    assert run.status == "failed"
    assert peak() < 3 * CAP_MB * MiB


def test_an_uncompressed_reply_is_capped_too(tmp_path: Path) -> None:
    big = b'{"studies": [], "pad": "' + b" " * (CAP_MB * MiB) + b'"}'
    error, run, _ = run_fetch(tmp_path, "ctgov", {"studies": lambda r: r.reply(200, big, "application/json")},
                              fetch_ctgov)
    assert "larger than" in str(error) and run.status == "failed"


def test_a_truncated_gzip_reply_is_never_complete(tmp_path: Path) -> None:
    body = gzip.compress(b'{"studies": [], "totalCount": 0}')[:-12]
    error, run, requests = run_fetch(tmp_path, "ctgov", {"studies": gz_reply(body, "application/json")},
                                     fetch_ctgov)
    assert "ends before the end of its stream" in str(error) and requests == 3  # retried, then failed
    assert run.status == "failed"


def test_the_cap_is_a_setting_with_a_sane_default(tmp_path: Path) -> None:
    default = Settings().max_decompressed_mb * MiB
    assert default == MAX_DECOMPRESSED_BYTES  # replies and imports share one documented default
    assert 64 * MiB <= default <= 2048 * MiB
    assert load_settings(env={"KETLIT_MAX_DECOMPRESSED_MB": "64"}, cwd=tmp_path).max_decompressed_mb == 64
    assert f"| {default // MiB} (MiB)" in (Path(__file__).parents[1] / "README.md").read_text()


# -- imports -----------------------------------------------------------------------------------


@pytest.fixture
def low_cap(monkeypatch: pytest.MonkeyPatch) -> int:
    """The import cap, lowered so that the test stays light (forked workers inherit it)."""
    monkeypatch.setattr(ketlit.files, "MAX_DECOMPRESSED_BYTES", CAP_MB * MiB)
    return CAP_MB * MiB


XML_HEAD = b"<?xml version='1.0'?>\n<PubmedArticleSet>\n<PubmedArticle><MedlineCitation><PMID>1</PMID>"


REFUSED = "{path} decompresses to more than 4 MiB; refused (a damaged file or a decompression bomb; a larger " \
          "export can be imported in parts)"


@pytest.mark.parametrize(("name", "bomb", "error", "message"), [
    ("bomb.xml.gz", lambda: gzip_bomb(XML_HEAD, b" ", b"</MedlineCitation></PubmedArticle></PubmedArticleSet>"),
     InputError, REFUSED),
    ("bomb.nbib.gz", lambda: gzip_bomb(b"PMID- 1\nTI  - x", b" ", b"\n"), InputError, REFUSED),
    # Not a PubMed file at all: refused from its first 4 KiB, the rest never decompressed.
    ("zeros.xml.gz", lambda: gzip_bomb(b"", b"\0", b""), ParseError, "{path}: unrecognised file: expected PubMed "
     "XML or MEDLINE/.nbib text (PMID- lines)"),
])
def test_an_import_bomb_is_refused_with_one_line(tmp_path: Path, low_cap: int, peak: Callable[[], int], name: str,
                                                 bomb: Callable[[], bytes], error: type[Exception],
                                                 message: str) -> None:
    assert low_cap == CAP_MB * MiB == 4 * MiB  # as REFUSED words it
    path = tmp_path / name
    path.write_bytes(bomb())
    store = open_store(tmp_path / "k.db")
    try:
        with pytest.raises(error) as info:
            import_file(store, path, workers=0)
        runs = store.recent_runs(5)
    finally:
        store.close()
    assert str(info.value) == message.format(path=path)
    assert all(r.status == "failed" for r in runs)  # nothing recorded as imported
    assert peak() < 3 * low_cap


def test_the_cli_refuses_an_import_bomb(tmp_path: Path, low_cap: int) -> None:
    path = tmp_path / "bomb.xml.gz"
    path.write_bytes(gzip_bomb(XML_HEAD, b" ", b"</MedlineCitation></PubmedArticle></PubmedArticleSet>"))
    result = CliRunner().invoke(app, ["--db", str(tmp_path / "k.db"), "import", str(path)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert result.stderr.strip().splitlines() == [f"Error: {path} decompresses to more than {CAP_MB} MiB; refused "
                                                  "(a damaged file or a decompression bomb; a larger export can "
                                                  "be imported in parts)"]


def test_gunzip_limited_reads_within_the_limit() -> None:
    data = b"PMID- 1\n" * 1000
    assert gunzip_limited(gzip.compress(data) + gzip.compress(data), "f") == data * 2  # every member
    assert gunzip_limited(gzip.compress(data), "f", max_bytes=len(data)) == data  # exactly at the limit
    with pytest.raises(InputError, match="decompresses to more than"):
        gunzip_limited(gzip.compress(data), "f", max_bytes=len(data) - 1)
    stream = GunzipLimited(io.BytesIO(gzip.compress(data)), "f", max_bytes=len(data))
    with stream:
        assert stream.read(10) == data[:10] and stream.read() == data[10:] and stream.read() == b""
    assert stream.closed
