"""Answers are bounded in bytes and sent on a bounded buffer (issue 17): real servers on loopback.

``max_result_bytes`` cuts an answer at whole rows, in every format, and says so like the row
cap; a single value larger than the limit leaves an empty, well-formed answer instead of a
500. A client that stops reading a large answer is dropped after ``send_timeout`` (the
kernel's ``TCP_USER_TIMEOUT``), its share is released and the worker's memory is returned.
"""

from __future__ import annotations

import contextlib
import json
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pyoxigraph as ox
import pytest

from liveserver import running_server
from server_processes import rss_bytes, server_processes

pytestmark = pytest.mark.slow
CAP = 2_000_000
TSV = "text/tab-separated-values"


def doubling_rows(times: int, limit: int | None = None) -> str:
    """Rows of a value doubled ``times`` times (100 × 2^times characters each), one per triple."""
    binds = " ".join(f"BIND(CONCAT(?x{i - 1}, ?x{i - 1}) AS ?x{i})" for i in range(1, times + 1))
    tail = f" LIMIT {limit}" if limit else ""
    return f'SELECT ?x{times} WHERE {{ ?s ?p ?o BIND("{"b" * 100}" AS ?x0) {binds} }}{tail}'


def get(base: str, query: str, accept: str) -> tuple[int, bytes, dict[str, str]]:
    url = f"{base}/sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read(), {k.lower(): v for k, v in response.headers.items()}
    except urllib.error.HTTPError as error:
        return error.code, error.read(), {k.lower(): v for k, v in error.headers.items()}


@pytest.fixture(scope="module")
def capped(built, tmp_path_factory: pytest.TempPathFactory):
    with running_server(built.dist, workers=1, max_result_bytes=CAP,
                        permalink_dir=tmp_path_factory.mktemp("links")) as base:
        yield base


def test_a_doubling_query_as_tsv_stops_at_the_byte_limit_and_says_so(capped: str) -> None:
    """Rows of 409,603 bytes (a quoted value and a line break) after a 5-byte header: 4 fit in 2,000,000."""
    status, body, headers = get(capped, doubling_rows(12), TSV)  # thousands of rows: 3.8 GB in all
    print(f"TSV: {len(body):,} bytes, X-ASCN-Rows: {headers['x-ascn-rows']}, "
          f"X-ASCN-Truncated: {headers['x-ascn-truncated']}")
    assert status == 200
    assert (headers["x-ascn-rows"], headers["x-ascn-truncated"]) == ("4", f"bytes={CAP}, rows=4")
    assert len(body) == 5 + 4 * 409_603
    parsed = list(ox.parse_query_results(body, format=ox.QueryResultsFormat.TSV))
    assert [row[0].value for row in parsed] == ["b" * 409_600] * 4


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv", "application/sparql-results+xml",
                                    "text/html"])
def test_a_single_value_over_the_limit_gives_an_empty_answer_not_a_500(capped: str, accept: str) -> None:
    """One value of 3.3 MB (over the 2 MB limit; 16 MB broke the results parser before)."""
    status, body, headers = get(capped, doubling_rows(15, limit=1), accept)
    assert status == 200, body[:300]
    assert (headers["x-ascn-rows"], headers["x-ascn-truncated"]) == ("0", f"bytes={CAP}, rows=0")
    if accept == "application/sparql-results+json":
        assert json.loads(body)["results"]["bindings"] == []
    if accept == "text/html":
        assert b"cut at the size limit (2,000,000 bytes)" in body


def server_connection_open(server_port: int, client_port: int) -> bool:
    """Whether the server still holds an established connection to ``client_port`` (``/proc/net/tcp``)."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        local, remote, state = line.split()[1:4]
        if int(local.split(":")[1], 16) == server_port and int(remote.split(":")[1], 16) == client_port:
            return state == "01"
    return False


def stalled_request(port: int, source: str, query: str) -> socket.socket:
    """Ask for an answer and read none of it (a small receive buffer, soon full)."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.bind((source, 0))
    sock.connect(("127.0.0.1", port))
    path = "/sparql?" + urllib.parse.urlencode({"query": query})
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: {TSV}\r\n\r\n".encode())
    return sock


def test_a_client_that_never_reads_is_dropped_by_the_send_timeout_and_its_memory_returned(
        built, tmp_path: Path) -> None:
    large = doubling_rows(12, limit=20)  # 20 rows of 410 KB: 8 MB, under the byte limit
    with running_server(built.dist, workers=1, send_timeout=3, result_cache_size=0,
                        permalink_dir=tmp_path / "links") as base:
        port = int(base.rsplit(":", 1)[1])
        (worker,) = server_processes(base).workers
        assert get(base, large, TSV)[0] == 200  # warm: the same work once, read in full
        resting = rss_bytes(worker)
        stalled = [stalled_request(port, "127.0.0.3", large) for _ in range(2)]  # the client's two shares
        with contextlib.ExitStack() as closing:
            for sock in stalled:
                closing.enter_context(sock)
            time.sleep(2.0)  # both answers computed and handed over as far as the buffers go
            held = rss_bytes(worker) - resting
            ports = [sock.getsockname()[1] for sock in stalled]
            assert all(server_connection_open(port, p) for p in ports)
            third = stalled_request(port, "127.0.0.3", large + " # third")  # no share left for it
            closing.enter_context(third)
            third.settimeout(10)
            assert third.recv(64).startswith(b"HTTP/1.1 429")
            started = time.monotonic()
            while any(server_connection_open(port, p) for p in ports) and time.monotonic() - started < 30:
                time.sleep(0.2)
            dropped_after = time.monotonic() - started
            assert not any(server_connection_open(port, p) for p in ports)
        time.sleep(0.5)
        returned = rss_bytes(worker) - resting
        status, body, _ = get(base, large + " # again", TSV)  # from 127.0.0.1: the server answers on
        print(f"worker at rest {resting / 1e6:.0f} MB; two stalled 8 MB answers hold +{held / 1e6:.1f} MB; "
              f"dropped {dropped_after:.1f} s after the third request; afterwards +{returned / 1e6:.1f} MB")
        assert status == 200 and len(body) > 8_000_000
        assert held < 2 * 8_500_000 + 10_000_000  # each answer once, not 2.5 times
        assert returned < 5_000_000
        with socket.create_connection(("127.0.0.1", port)) as again:  # the client's shares are back
            again.close()
        status, _, _ = get(base, "ASK { ?s ?p ?o }", "application/sparql-results+json")
        assert status == 200
