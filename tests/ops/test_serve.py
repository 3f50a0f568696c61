"""The granian runner: settings hand-over, its configuration, one connection served in order, a clean failure."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import ascn_kg
from ascn_kg.config import Settings, load_settings
from ascn_kg.ops.runner import granian_server, preflight, settings_env
from fixtures_sparql import make_dist
from liveserver import free_port, running_server


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


def test_settings_survive_the_trip_through_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    original = Settings(dist_dir=tmp_path, port=9999, query_timeout=2.5,
                        service_allowlist=("http://a/sparql", "http://b/sparql"),
                        backend_url="http://h/query", metrics_enabled=False)
    for name, value in settings_env(original).items():
        monkeypatch.setenv(name, value)
    assert load_settings() == original


def test_relative_folders_are_taken_from_the_working_folder_once(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """``--dist-dir dist`` means the folder where the command was given, whatever changes later
    (Flask's send_file would otherwise read it against the package's folder)."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ASCN_KG_PERMALINK_DIR", "links")
    settings = load_settings(dist_dir="dist")
    assert settings.dist_dir == tmp_path / "dist" and settings.permalink_dir == tmp_path / "links"


def test_granian_serves_the_app_factory_as_configured() -> None:
    server = granian_server(Settings(host="127.0.0.1", port=8123, workers=3, threads=5, header_timeout=4.5,
                                     query_timeout=10))
    package = Path(ascn_kg.__file__).resolve()
    assert (server.target, server.factory, server.interface.value) == (f"{package}:create_app", True, "wsgi")
    assert server.working_dir == package.parents[1]  # the package's folder goes first, never the working one
    assert (server.bind_addr, server.bind_port, server.workers, server.blocking_threads) == ("127.0.0.1", 8123, 3, 5)
    assert server.http1_settings.header_read_timeout == 4500
    assert server.workers_kill_timeout > 10  # a query in flight may finish before its worker is stopped
    assert server.respawn_failed_workers


def test_the_listening_socket_carries_the_send_timeout() -> None:
    """Bound once by the master with TCP_USER_TIMEOUT, which every accepted connection inherits."""
    server = granian_server(Settings(host="127.0.0.1", port=free_port(), send_timeout=7.5))
    server._init_shared_socket()
    try:
        listener = server._sso
        assert listener.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 7500
        listener.listen()  # what each worker does with it
        client = socket.create_connection(listener.getsockname())
        accepted, _ = listener.accept()
        with client, accepted:
            assert accepted.getsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT) == 7500
    finally:
        server._drop_shared_socket()


def test_a_bad_trusted_proxy_stops_the_start_in_one_line(tmp_path: Path) -> None:
    assert preflight(Settings(dist_dir=tmp_path, trusted_proxies=("10.0.0.0/8", "gateway"))) == (
        "trusted_proxies: 'gateway' is not an IP address or network")


def test_a_missing_store_fails_in_one_line_with_exit_2(tmp_path: Path) -> None:
    assert "ascn-kg build" in str(preflight(Settings(dist_dir=tmp_path)))
    done = subprocess.run(
        [sys.executable, "-m", "ascn_kg.ops.runner", "--dist-dir", str(tmp_path / "nowhere"),
         "--port", "1"], capture_output=True, text=True, timeout=30, check=False)
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    assert "no store at" in done.stderr and "ascn-kg build" in done.stderr


def test_the_server_starts_and_answers(dist: Path) -> None:
    """Start-up time is measured by ``make bench`` (ready in under a second), not asserted here."""
    with (running_server(dist, workers=2) as base,
          urllib.request.urlopen(f"{base}/sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D") as r):
        assert json.load(r) == {"head": {}, "boolean": True}


ASK = ("GET /sparql?query=ASK%7B%3Fs%20%3Fp%20%3Fo%7D HTTP/1.1\r\nHost: t\r\n"
       "Accept: application/sparql-results+json\r\n\r\n")
TRUE = b'{"head":{},"boolean":true}'


def read_responses(sock: socket.socket, count: int) -> list[bytes]:
    """``count`` HTTP responses read off ``sock`` (bodies framed by Content-Length)."""
    data, bodies = b"", []
    while len(bodies) < count:
        chunk = sock.recv(65536)
        assert chunk, f"connection closed after {len(bodies)} responses"
        data += chunk
        while b"\r\n\r\n" in data:
            head, rest = data.split(b"\r\n\r\n", 1)
            length = int(next(line.split(b":")[1] for line in head.split(b"\r\n")
                              if line.lower().startswith(b"content-length")))
            if len(rest) < length:
                break
            assert head.startswith(b"HTTP/1.1 200"), head
            bodies.append(rest[:length])
            data = rest[length:]
    return bodies


def test_one_connection_is_served_back_to_back_pipelined_and_after_a_pause(dist: Path) -> None:
    """Requests on one kept-alive connection are answered in order: back to back, pipelined, after a pause."""
    with running_server(dist, workers=1) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            for _ in range(50):  # back to back on one connection
                sock.sendall(ASK.encode())
                assert read_responses(sock, 1) == [TRUE]
            sock.sendall((ASK * 3).encode())  # pipelined: three requests in one write
            assert read_responses(sock, 3) == [TRUE] * 3
            time.sleep(0.3)  # longer than the linger: the connection waits in the poller
            sock.sendall(ASK.encode())
            assert read_responses(sock, 1) == [TRUE]


def test_files_and_continued_uploads_arrive_whole_and_in_order(built, tmp_path: Path) -> None:
    """A file download, the next answer on the same connection, and a POST after ``100 Continue``."""
    import http.client

    with running_server(built.dist, workers=1, permalink_dir=tmp_path / "links") as base:
        port = int(base.rsplit(":", 1)[1])
        expected = (built.dist / "ascn.nt").read_bytes()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        for _ in range(2):  # twice on one connection: the file, then the next answer, in order
            connection.request("GET", "/download/ascn.nt")
            response = connection.getresponse()
            assert response.status == 200 and response.read() == expected
            connection.request("GET", "/sparql?query=ASK%7B%7D", headers={"Accept": "application/sparql-results+json"})
            response = connection.getresponse()
            assert response.status == 200 and response.read() == TRUE
        connection.close()
        body = b"query=" + b"ASK%7B%7D"
        head = (f"POST /sparql HTTP/1.1\r\nHost: t\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                f"Accept: application/sparql-results+json\r\nExpect: 100-continue\r\n"
                f"Content-Length: {len(body)}\r\n\r\n").encode()
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            sock.sendall(head)
            assert sock.recv(64).startswith(b"HTTP/1.1 100 Continue")
            sock.sendall(body)
            assert read_responses(sock, 1) == [TRUE]
