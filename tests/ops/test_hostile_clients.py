"""One hostile client cannot take the server down (issue 17): real servers on loopback ports.

Clients are told apart by address, so the hostile client connects from 127.0.0.2 (all of
127/8 is loopback on Linux) and the polite one from 127.0.0.1. Memory is read from ``/proc``
(resident set) and printed; latencies of the polite client are printed with their p95.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from liveserver import free_port, running_server, stop, wait_until_up
from server_processes import rss_bytes, server_processes

pytestmark = pytest.mark.slow
HOSTILE, POLITE = "127.0.0.2", "127.0.0.1"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o . ?a ?b ?c . ?d ?e ?f }"
CACHED = "SELECT ?city WHERE { ?city a <https://kg.ascn.example/def/ascn#PilotCity> } ORDER BY ?city"
JSON = "application/sparql-results+json"


def connection(base: str, source: str, timeout: float = 30.0) -> http.client.HTTPConnection:
    """A keep-alive connection to ``base`` from the loopback address ``source``."""
    parts = urllib.parse.urlsplit(base)
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout, source_address=(source, 0))


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def flood(base: str, until: float, statuses: Counter[int], lock: threading.Lock, number: int) -> None:
    """One hostile keep-alive connection: the next slow query as soon as the last is answered."""
    conn = connection(base, HOSTILE)
    sent = 0
    while time.monotonic() < until:
        sent += 1
        body = urllib.parse.urlencode({"query": f"{SLOW} # {number}-{sent}"})
        try:
            conn.request("POST", "/sparql", body, {"Content-Type": "application/x-www-form-urlencoded",
                                                   "Accept": JSON})
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            status = 0
            conn.close()
            conn = connection(base, HOSTILE)
        with lock:
            statuses[status] += 1
    conn.close()


def test_twenty_flooding_connections_leave_every_other_client_served(built, tmp_path: Path) -> None:
    """20 keep-alive connections post slow queries for 20 s; another client's probes, home page,
    entity page and cached query stay fast (p95 < 300 ms), none fails, and the flooder gets 429s,
    logged at INFO at most once a second (with the count of those left out), without a traceback."""
    log = tmp_path / "server.log"
    with running_server(built.dist, workers=1, permalink_dir=tmp_path / "links", log_path=log) as base:
        polite = connection(base, POLITE)
        paths = {"healthz": "/healthz", "home": "/", "entity": "/page/city/kuala-lumpur",
                 "cached query": "/sparql?" + urllib.parse.urlencode({"query": CACHED})}
        polite.request("GET", paths["cached query"], headers={"Accept": JSON})
        assert polite.getresponse().read()  # in the cache from now on
        statuses: Counter[int] = Counter()
        lock = threading.Lock()
        until = time.monotonic() + 20.0
        flooders = [threading.Thread(target=flood, args=(base, until, statuses, lock, n)) for n in range(20)]
        for thread in flooders:
            thread.start()
        time.sleep(1.0)  # the flood is under way
        latencies: dict[str, list[float]] = {name: [] for name in paths}
        failures: list[tuple[str, int]] = []
        while time.monotonic() < until - 1.0:
            for name, path in paths.items():
                started = time.perf_counter()
                polite.request("GET", path, headers={"Accept": JSON if name == "cached query" else "text/html"})
                response = polite.getresponse()
                response.read()
                latencies[name].append(time.perf_counter() - started)
                if response.status != 200:
                    failures.append((name, response.status))
            time.sleep(0.05)
        for thread in flooders:
            thread.join(30)
        polite.close()
    for name, values in latencies.items():
        print(f"{name}: {len(values)} requests, median {statistics.median(values) * 1000:.1f} ms, "
              f"p95 {percentile(values, 0.95) * 1000:.1f} ms, max {max(values) * 1000:.1f} ms")
    print(f"flooding client: {dict(statuses)}")
    assert failures == []
    assert all(len(values) >= 20 for values in latencies.values())
    assert {name: percentile(values, 0.95) < 0.3 for name, values in latencies.items()} == dict.fromkeys(paths, True)
    assert statuses[429] > 0 and statuses[0] == 0
    assert set(statuses) <= {200, 429, 503, 504}
    lines = [json.loads(line) for line in log.read_text().splitlines() if line.startswith("{")]
    refused = [line for line in lines if line.get("reason") == "client"]
    print(f"log: {log.stat().st_size:,} bytes; {len(refused)} lines for the 429s, "
          f"{sum(line.get('repeats_left_out', 0) for line in refused):,} left out")
    assert {(line["level"], line["client"]) for line in refused} == {("INFO", HOSTILE)}
    assert 1 <= len(refused) <= 25 and len(refused) + sum(line.get("repeats_left_out", 0) for line in refused) > 1000
    assert "Traceback" not in log.read_text()


def send_huge_body(base: str, method_path: str, content_type: str, size: int) -> tuple[int, bytes, int]:
    """Announce a ``size``-byte body and send as much of it as the server takes (up to ``size``);
    the status, the answer, and how many bytes left the client."""
    port = urllib.parse.urlsplit(base).port
    head = (f"{method_path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {size}\r\n\r\n").encode()
    chunk, sent = b"query=" + b"a" * (1 << 20), 0
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        sock.settimeout(0.5)
        try:
            while sent < size:  # the server answers (and stops reading) long before the end
                sent += sock.send(chunk)
        except (TimeoutError, BrokenPipeError, ConnectionResetError):
            pass
        sock.settimeout(10)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
        except ConnectionResetError:
            pass
    status = int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else 0
    return status, answer, sent


@pytest.mark.parametrize(("target", "content_type"), [
    ("POST /q", "application/x-www-form-urlencoded"),
    ("POST /sparql", "application/x-www-form-urlencoded"),
    ("POST /sparql", "application/sparql-query"),
    ("POST /page/city/kuala-lumpur", "application/x-www-form-urlencoded"),
])
def test_a_400_megabyte_body_is_refused_before_it_is_read(built, tmp_path: Path, target: str,
                                                           content_type: str) -> None:
    with running_server(built.dist, workers=1, permalink_dir=tmp_path / "links") as base:
        (worker,) = server_processes(base).workers
        before = rss_bytes(worker)
        status, answer, sent = send_huge_body(base, target, content_type, 400_000_000)
        grown = rss_bytes(worker) - before
        print(f"{target}: {status}, the client got {sent:,} bytes out, the worker grew {grown / 1e6:.1f} MB")
        assert status == 413, answer[:300]
        assert b"1,000,000-byte limit" in answer
        assert grown < 20_000_000
        with contextlib.closing(connection(base, POLITE)) as polite:  # and the server goes on
            polite.request("GET", "/healthz")
            assert polite.getresponse().status == 200


MALFORMED = {
    "negative chunk size": b"-5\r\nASK {}\r\n0\r\n\r\n",
    "no CRLF after the chunk": b"6\r\nASK {}XX0\r\n\r\n",
    "LF-only chunks": b"6\nASK {}\n0\n\n",
    "overflowing chunk size": b"ffffffffffffffffffff5\r\nASK {}\r\n0\r\n\r\n",
}


def raw_exchange(base: str, request: bytes) -> bytes:
    """Send raw bytes; everything the server answers until it closes (or 5 s pass)."""
    port = urllib.parse.urlsplit(base).port
    answer = b""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(request)
        try:
            while data := sock.recv(65536):
                answer += data
        except (TimeoutError, ConnectionResetError):
            pass
    return answer


def test_malformed_framing_no_host_and_server_variable_headers_get_400_without_a_traceback(
        built, tmp_path: Path) -> None:
    log = tmp_path / "server.log"
    requests = {name: (b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
                       b"Transfer-Encoding: chunked\r\n\r\n" + body) for name, body in MALFORMED.items()}
    requests |= {
        "chunked permalink": (b"POST /q HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/x-www-form-urlencoded"
                              b"\r\nTransfer-Encoding: chunked\r\n\r\nc\r\nquery=ASK+{}XX0\r\n\r\n"),
        "HTTP/1.1 without Host": b"GET /healthz HTTP/1.1\r\n\r\n",
        "two Host headers": b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
        "SCRIPT_NAME header": b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nSCRIPT_NAME: /x\r\n\r\n",
        "PATH_INFO header": b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nPATH_INFO: /admin\r\n\r\n",
    }
    with running_server(built.dist, workers=1, permalink_dir=tmp_path / "links", log_path=log) as base:
        answers = {name: raw_exchange(base, request) for name, request in requests.items()}
        ok = raw_exchange(base, b"GET /healthz HTTP/1.0\r\n\r\n")  # HTTP/1.0 needs no Host
    statuses = {name: answer.split(b"\r\n", 1)[0] for name, answer in answers.items()}
    assert statuses == dict.fromkeys(requests, b"HTTP/1.1 400 Bad Request"), answers
    assert b"Content-Length" in answers["no CRLF after the chunk"].split(b"\r\n\r\n", 1)[1]
    assert b"Host header" in answers["HTTP/1.1 without Host"]
    assert b"SCRIPT_NAME names a server variable" in answers["SCRIPT_NAME header"]
    assert ok.startswith(b"HTTP/1.0 200")
    text = log.read_text()
    assert "Traceback" not in text and '"exception"' not in text
    assert "Listening at" in text and "seems quite high" not in text  # granian's warning about 16 threads
    refused = [json.loads(line) for line in text.splitlines() if '"ascn_kg.ops.request_guard"' in line]
    assert len(refused) == len(requests) and {line["level"] for line in refused} == {"INFO"}
    queries = {json.loads(line)["query"] for line in text.splitlines() if '"sparql_query"' in line}
    assert queries == {"ASK{}"}  # the start-up probe's: no query of a refused request ran, not even "ASK {}"


SHADOW = "raise RuntimeError('imported http.py from the working folder')\n"


@pytest.mark.parametrize("how", ["entry point", "python -m", "python -P -m"])
def test_a_server_started_in_a_folder_with_a_shadowing_module_still_serves_queries(
        built, tmp_path: Path, how: str) -> None:
    """An ``http.py`` in the working folder would shadow the standard library in every process
    that imports from there: neither the server nor its query processes do."""
    folder = tmp_path / "shared"
    folder.mkdir()
    (folder / "http.py").write_text(SHADOW)
    (folder / "socketserver.py").write_text(SHADOW)
    port = free_port()
    command = {"entry point": [str(Path(sys.executable).with_name("ascn-kg")), "serve"],
               "python -m": [sys.executable, "-m", "ascn_kg.ops.runner"],
               "python -P -m": [sys.executable, "-P", "-m", "ascn_kg.ops.runner"]}[how]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCN_KG_", "PROMETHEUS"))}
    env["ASCN_KG_PERMALINK_DIR"] = str(tmp_path / "links")
    env["TMPDIR"] = str(tmp_path)
    log = tmp_path / "server.log"
    with log.open("wb") as sink:
        process = subprocess.Popen([*command, "--dist-dir", str(built.dist), "--port", str(port), "--workers", "1"],
                                   cwd=folder, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", process, log)
        for number in range(5):  # each goes to a query process (the text is new each time)
            with contextlib.closing(connection(base, POLITE)) as conn:
                conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": f"ASK {{ ?s ?p ?o }} # {number}"}),
                             headers={"Accept": JSON})
                response = conn.getresponse()
                assert (response.status, json.loads(response.read())) == (200, {"head": {}, "boolean": True})
        processes = server_processes(base)
        assert len(processes.queries) == 1  # one query process served them all: none was replaced
    finally:
        stop(process)
    assert "imported http.py" not in log.read_text()


def test_a_clean_shutdown_leaves_no_metrics_folder(built, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCN_KG_", "PROMETHEUS"))}
    env |= {"TMPDIR": str(scratch), "ASCN_KG_PERMALINK_DIR": str(tmp_path / "links")}
    for stop_signal in (signal.SIGTERM, signal.SIGINT):
        port = free_port()
        log = tmp_path / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                [sys.executable, "-P", "-m", "ascn_kg.ops.runner", "--dist-dir", str(built.dist), "--port", str(port)],
                env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process, log)
            assert [p.name.startswith("ascn-kg-metrics-") for p in scratch.iterdir()] == [True]
            process.send_signal(stop_signal)
            assert process.wait(30) == 0
        finally:
            stop(process)
        assert list(scratch.iterdir()) == [], log.read_text()
