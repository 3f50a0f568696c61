"""Real server processes for tests: ``python -m ascn_kg.ops.runner`` (granian) and Oxigraph.

``running_server(dist_dir, **settings)`` starts the application on a free loopback port
with the given settings (as ``ASCN_KG_*`` variables), waits until it answers and yields
its base URL ``http://127.0.0.1:PORT``; afterwards it stops the whole process group.
``running_oxigraph()`` does the same for an empty Oxigraph server (SPARQL at ``/query``,
Graph Store Protocol at ``/store``), ``running_virtuoso()`` for an empty OpenLink Virtuoso
(SPARQL at ``/sparql``, Graph Store Protocol at ``/sparql-graph-crud``) configured by
``tests/virtuoso.ini``. ``running_engine(name)`` starts either, as an :class:`Engine`;
``published_engine(name, dist)`` with a build published into it; ``server_over(name, dist)``
our server on the embedded store or in front of such an engine.
"""

from __future__ import annotations

import configparser
import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from benchmarks.bench import command_of, descendants

from ascn_kg.build.publish import publish

DEFAULT_APP = "ascn_kg:create_app()"
START_TIMEOUT = 20.0
TESTS_DIR = Path(__file__).resolve().parent


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _env_value(value: Any) -> str:
    if isinstance(value, tuple | list):
        return ",".join(str(v) for v in value)
    return str(value)


def wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    log: Path,
    timeout: float = START_TIMEOUT,
    name: str = "server",
    pause: float = 0.05,
) -> None:
    """Poll ``url`` until it answers (any HTTP status); fail with the log if the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{name} exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(pause)
    raise RuntimeError(f"{name} did not answer within {timeout} s:\n{log.read_text()}")


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, and everything it started."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGINT)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(5)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(5)


@contextlib.contextmanager
def _process(argv: list[str], env: dict[str, str], probe: str, log_path: Path | None = None) -> Iterator[None]:
    with tempfile.TemporaryDirectory(prefix="ascn-live-") as scratch:
        log = log_path or Path(scratch) / "server.log"
        with log.open("wb") as sink:
            process = subprocess.Popen(
                argv, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                cwd=scratch,
            )
        try:
            wait_until_up(probe, process, log)
            yield
        finally:
            stop(process)


@contextlib.contextmanager
def running_server(
    dist_dir: Path, app: str = DEFAULT_APP, workers: int = 2, metrics_dir: Path | None = None,
    log_path: Path | None = None, **settings: Any
) -> Iterator[str]:
    """A real server (granian) of ``app`` over ``dist_dir``; yields ``http://127.0.0.1:PORT``.

    ``settings`` are :class:`ascn_kg.config.Settings` fields (``query_timeout=1`` …).
    The tests folder is on the server's ``PYTHONPATH``, so test apps can be served too.
    The multiprocess metrics go to ``metrics_dir`` (default: a temporary folder); everything
    the server writes on stdout and stderr goes to ``log_path`` (default: a temporary file).
    The server is started with ``python -P``: nothing is imported from the working folder.
    """
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("ASCN_KG_")}
    env.update({f"ASCN_KG_{k.upper()}": _env_value(v) for k, v in settings.items()})
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(TESTS_DIR), env.get("PYTHONPATH")]))
    argv = [
        sys.executable, "-P", "-m", "ascn_kg.ops.runner", "--app", app, "--host", "127.0.0.1",
        "--port", str(port), "--workers", str(workers), "--dist-dir", str(dist_dir),
    ]
    base = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryDirectory(prefix="ascn-metrics-") as metrics:
        env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir or metrics)
        with _process(argv, env, f"{base}/sparql?query=ASK%7B%7D", log_path):
            yield base


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary (next to this Python, or on PATH), or None."""
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else shutil.which("oxigraph")


@contextlib.contextmanager
def running_oxigraph(location: Path | None = None, timeout: int = 5) -> Iterator[str]:
    """An Oxigraph server (union default graph, ``timeout`` s per query); yields its URL."""
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("the oxigraph server binary is not installed")
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="ascn-oxigraph-") as scratch:
        argv = [binary, "serve", "--location", str(location or scratch),
                "--bind", f"127.0.0.1:{port}", "--union-default-graph",
                "--timeout-s", str(timeout)]
        base = f"http://127.0.0.1:{port}"
        with _process(argv, dict(os.environ), f"{base}/query?query=ASK%7B%7D"):
            yield base


VIRTUOSO_INI = TESTS_DIR / "virtuoso.ini"
VIRTUOSO_START_TIMEOUT = 60.0


def virtuoso_binaries() -> tuple[str, str] | None:
    """Debian's ``virtuoso-t`` and ``isql-vt`` (package virtuoso-opensource), or None."""
    server, isql = shutil.which("virtuoso-t"), shutil.which("isql-vt")
    return (server, isql) if server and isql else None


def _virtuoso_ini(target: Path, sql_port: int, http_port: int) -> Path:
    """``tests/virtuoso.ini`` with its two ports replaced, written into ``target``."""
    config = configparser.ConfigParser(interpolation=None, inline_comment_prefixes=(";",), strict=False)
    config.optionxform = str  # type: ignore[assignment,method-assign]  # Virtuoso's keys are case-sensitive
    config.read(VIRTUOSO_INI, encoding="utf-8")
    config["Parameters"]["ServerPort"] = f"127.0.0.1:{sql_port}"
    config["HTTPServer"]["ServerPort"] = f"127.0.0.1:{http_port}"
    path = target / "virtuoso.ini"
    with path.open("w", encoding="utf-8") as handle:
        config.write(handle)
    return path


def isql(isql_binary: str, sql_port: int, statement: str) -> None:
    """Run one SQL statement as ``dba`` through ``isql-vt``."""
    subprocess.run([isql_binary, f"127.0.0.1:{sql_port}", "dba", "dba", f"exec={statement}"],
                   check=True, capture_output=True, timeout=30, stdin=subprocess.DEVNULL)


@contextlib.contextmanager
def running_virtuoso() -> Iterator[str]:
    """An empty Virtuoso on free loopback ports, its database in a temporary folder, Graph
    Store Protocol writes allowed; yields its HTTP base URL and shuts it down afterwards."""
    binaries = virtuoso_binaries()
    if binaries is None:
        raise RuntimeError("OpenLink Virtuoso is not installed (apt-get install virtuoso-opensource)")
    server, isql_binary = binaries
    sql_port, http_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(prefix="ascn-virtuoso-") as scratch:
        ini = _virtuoso_ini(Path(scratch), sql_port, http_port)
        log = Path(scratch) / "console.log"
        with log.open("wb") as sink:
            process = subprocess.Popen([server, "+foreground", "+configfile", str(ini)], cwd=scratch,
                                       stdout=sink, stderr=subprocess.STDOUT, start_new_session=True,
                                       stdin=subprocess.DEVNULL)
        base = f"http://127.0.0.1:{http_port}"
        try:
            wait_until_up(f"{base}/sparql?query=ASK%7B%7D", process, log, VIRTUOSO_START_TIMEOUT, "virtuoso", 0.2)
            isql(isql_binary, sql_port, 'GRANT SPARQL_UPDATE TO "SPARQL";')
            yield base
        finally:
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                isql(isql_binary, sql_port, "shutdown;")
            with contextlib.suppress(subprocess.TimeoutExpired):
                process.wait(20)
            stop(process)


@dataclass(frozen=True)
class Engine:
    """A running SPARQL engine: its name, query endpoint and Graph Store Protocol endpoint."""

    name: str
    query_url: str
    store_url: str


ENGINE_NAMES = ("oxigraph", "virtuoso")


def engine_missing(name: str) -> str | None:
    """Why engine ``name`` cannot be started here (None: it can)."""
    if name == "oxigraph" and oxigraph_binary() is None:
        return "the oxigraph server binary is not installed (pip install oxigraph)"
    if name == "virtuoso" and virtuoso_binaries() is None:
        return "OpenLink Virtuoso is not installed (apt-get install virtuoso-opensource)"
    return None


@contextlib.contextmanager
def running_engine(name: str) -> Iterator[Engine]:
    """An empty Oxigraph server or Virtuoso, as an :class:`Engine`."""
    if name == "oxigraph":
        with running_oxigraph(timeout=5) as base:
            yield Engine(name, f"{base}/query", f"{base}/store")
    elif name == "virtuoso":
        with running_virtuoso() as base:
            yield Engine(name, f"{base}/sparql", f"{base}/sparql-graph-crud")
    else:
        raise ValueError(f"unknown engine {name!r}")


@contextlib.contextmanager
def published_engine(name: str, dist: Path) -> Iterator[Engine]:
    """Engine ``name`` holding the build in ``dist``; skips the test when it is not installed."""
    missing = engine_missing(name)
    if missing:
        pytest.skip(missing)
    with running_engine(name) as engine:
        publish(dist, engine.store_url)
        yield engine


@contextlib.contextmanager
def server_over(name: str, dist: Path, **settings: Any) -> Iterator[str]:
    """Our server on ``dist``: on its embedded store (``"embedded"``) or in front of engine ``name``."""
    if name == "embedded":
        with running_server(dist, **settings) as url:
            yield url
        return
    with published_engine(name, dist) as engine, running_server(dist, backend_url=engine.query_url, **settings) as url:
        yield url


# --- the processes of a running server ---------------------------------------------------


def parent_of(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def master_pid(base: str) -> int:
    """The server's master listening on ``base``: its workers are forks with the same command line."""
    port = urllib.parse.urlsplit(base).port
    candidates = set()
    for entry in Path("/proc").iterdir():
        command = command_of(int(entry.name)) if entry.name.isdigit() else ""
        if f"--port {port} " in command + " " and "ascn_kg.ops.runner" in command:
            candidates.add(int(entry.name))
    masters = [pid for pid in candidates if parent_of(pid) not in candidates]
    assert len(masters) == 1, f"server processes for {base}: {candidates}"
    return masters[0]


def workers_of(master: int) -> list[int]:
    """The server's workers: the master's children (not the query-pool processes they start)."""
    result = []
    for pid in descendants(master):
        with contextlib.suppress(OSError):
            if parent_of(pid) == master and "ascn_kg.store.pool" not in command_of(pid):
                result.append(pid)
    return result
