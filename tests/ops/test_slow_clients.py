"""Stalled clients cost nothing: a thousand connections that never finish their request headers
hold no thread, delay nobody, and are closed by the header timeout.

granian reads requests asynchronously and hands only complete ones to the application's
threads; ``header_timeout`` closes a connection that has not sent its headers in time.
"""

from __future__ import annotations

import contextlib
import resource
import socket
import time
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.bench import Client

from fixtures_sparql import make_dist
from liveserver import running_server

pytestmark = pytest.mark.slow
STALLED = 1_000
HEADER_TIMEOUT_S = 3.0
NORMAL = ["/healthz", "/readyz", "/", "/sparql?" + urllib.parse.urlencode({"query": "ASK { ?s ?p ?o }"}),
          "/sparql?" + urllib.parse.urlencode({"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 3"})]


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


@contextlib.contextmanager
def stalled_connections(port: int, count: int) -> Iterator[list[socket.socket]]:
    """``count`` connections that each send half a request line and headers, then nothing."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < count + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, count + 1_000), hard))
    sockets: list[socket.socket] = []
    try:
        for n in range(count):
            sock = socket.create_connection(("127.0.0.1", port), timeout=10)
            sock.sendall(f"GET /sparql?query=ASK%7B%7D#{n} HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ".encode())
            sockets.append(sock)
        yield sockets
    finally:
        for sock in sockets:
            sock.close()


def closed_by_server(sock: socket.socket, wait_s: float) -> bool:
    """Whether the server ends the connection (EOF or reset, maybe after a 408) within ``wait_s``."""
    sock.settimeout(wait_s)
    try:
        while sock.recv(4096):
            continue
    except TimeoutError:
        return False
    except OSError:  # reset
        return True
    return True


def test_a_thousand_stalled_connections_delay_no_one_and_are_closed(dist: Path) -> None:
    with running_server(dist, workers=1, header_timeout=HEADER_TIMEOUT_S) as base:
        port = int(base.rsplit(":", 1)[1])
        client = Client(base, timeout=10)
        for path in NORMAL:  # warm: each answer known before the stall
            assert client.get(path)[0] == 200
        with stalled_connections(port, STALLED) as stalled:
            opened = time.monotonic()
            timings = []
            for n in range(50):
                status, _, _, seconds = client.get(NORMAL[n % len(NORMAL)])
                timings.append((seconds, status))
            print(f"50 requests beside {STALLED} stalled connections: slowest {max(timings)[0] * 1000:.1f} ms")
            assert [status for _, status in timings] == [200] * 50
            assert max(seconds for seconds, _ in timings) < 0.1
            left = HEADER_TIMEOUT_S + 5 - (time.monotonic() - opened)
            closed = sum(closed_by_server(sock, max(0.1, left)) for sock in stalled)
            assert closed == STALLED
        assert client.get("/healthz")[0] == 200  # and the server is as it was
        client.close()
