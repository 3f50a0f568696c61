"""Side-by-side benchmarks: our endpoint (granian) and an Oxigraph server on the same data.

``python -m benchmarks.bench [--quick]`` (``make bench``) measures, in one run:

* the query catalogue (``queries/*.rq`` with their defaults) on the built ``dist/``, and
  catalogue-shaped queries on a synthetic graph of a million triples
  (:mod:`benchmarks.synthetic`): median and p95 latency over sequential keep-alive requests,
  for our server with the result cache off, with it on, with ``If-None-Match`` (304), and
  for ``oxigraph serve-read-only`` (union default graph) — and the ratio;
* throughput of a query mix with 4 concurrent keep-alive clients;
* the summed RSS of every process of the server (master, web workers, query processes);
* the time from starting the server to a ready ``/readyz`` on the big store;
* the safety check's cost against evaluation (in-process);
* metrics and logging on against off, on the cheapest catalogue query (both servers run at
  once and requests alternate, so drift of the shared machine cancels out);
* prefix search ``/api/search`` against the equivalent ``REGEX`` query on Oxigraph, and
  entity pages (``/page/…``, including the huge hub entity), on the big graph.

It prints one table with targets and PASS/FAIL; ``--strict`` makes a FAIL exit 1. Timings
are never asserted in unit tests (the machine is shared); ``tests/test_bench_smoke.py`` only
runs ``--quick`` on a tiny graph.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import random
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ascn_kg.config import DEFAULT_BASE_IRI, Settings
from benchmarks import REPO

JSON_RESULTS = "application/sparql-results+json"
START_TIMEOUT = 120.0
CHEAP_TARGET_OVERHEAD = 0.05  # metrics + logging: < 5 % of the median
SEARCH_TARGET_MS = 20.0
SEARCH_TARGET_RATIO = 10.0
PAGE_TARGET_MS = 50.0
# The endpoint's targets (issue 13), as ours / Oxigraph server's: (big graph?, result cache) → bound.
# Cache off: the catalogue's geomean on the report graph, every query on the big graph; cache on:
# the geomean on both.
LATENCY_TARGETS = {(False, "off"): 1.1, (False, "on"): 0.5, (True, "off"): 1.2, (True, "on"): 0.5}
THROUGHPUT_TARGETS = {"off": 0.9, "on": 2.0}
RSS_TARGET_MB = {False: 250, True: 1000}  # every process of the server, summed (report graph, big graph)
FIRST_ANSWER_TARGET_S = 1.0  # process start → the first 200 on /sparql with a query
FIRST_QUERY = "/sparql?query=" + urllib.parse.quote("SELECT ?s WHERE { ?s ?p ?o } LIMIT 1")
PREFIXES = (
    f"PREFIX ascn: <{DEFAULT_BASE_IRI}def/ascn#>\n"
    "PREFIX org: <http://www.w3.org/ns/org#>\n"
    "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
    "PREFIX schema: <https://schema.org/>\n"
)


# --- HTTP: keep-alive clients -------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection to ``base`` (reconnects when the server closes it)."""

    def __init__(self, base: str, timeout: float = 60.0) -> None:
        parts = urllib.parse.urlsplit(base)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        self.timeout = timeout
        self.conn: http.client.HTTPConnection | None = None

    def request(
        self, method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None,
    ) -> tuple[int, dict[str, str], bytes, float]:
        """Status, headers, body and seconds taken (retried once on a closed connection)."""
        for attempt in (1, 2):
            if self.conn is None:
                self.conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
            started = time.perf_counter()
            try:
                self.conn.request(method, path, body=body, headers=headers or {})
                response = self.conn.getresponse()
                data = response.read()
            except (http.client.HTTPException, ConnectionError, TimeoutError) as error:
                self.close()
                if attempt == 2 or isinstance(error, TimeoutError):
                    raise
                continue
            elapsed = time.perf_counter() - started
            if response.getheader("Connection", "").lower() == "close":
                self.close()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, data, elapsed
        raise AssertionError("unreachable")

    def get(self, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes, float]:
        return self.request("GET", path, headers)

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def free_port() -> int:
    """A TCP port free on 127.0.0.1 a moment ago."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0–1) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


# --- server processes ---------------------------------------------------------------------


@dataclass
class Server:
    """A server process started by :func:`our_server` or :func:`oxigraph_server`."""

    name: str
    base: str
    process: subprocess.Popen[bytes]
    sparql_path: str
    ready_s: float
    log: Path

    def query_path(self, query: str, **params: str) -> str:
        return f"{self.sparql_path}?{urllib.parse.urlencode({'query': query, **params})}"

    def pids(self) -> list[int]:
        """The process and all its descendants."""
        return [self.process.pid, *descendants(self.process.pid)]


def descendants(pid: int) -> list[int]:
    """Every descendant of ``pid`` (from ``/proc/*/stat``)."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child)
    return found


def memory_kib(pid: int, field_name: str = "VmHWM") -> int:
    """``VmHWM`` (peak RSS) or ``VmRSS`` of a process in KiB; 0 if it is gone."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field_name + ":"):
                return int(line.split()[1])
    return 0


def command_of(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def web_workers(server: Server) -> list[int]:
    """The web worker processes (children of the master that are not query-pool workers)."""
    master = server.process.pid
    return [p for p in descendants(master) if _parent(p) == master and "ascn_kg.store.pool" not in command_of(p)]


def summed_rss_kib(server: Server) -> int:
    """The peak RSS (``VmHWM``) of every process of the server, added up: what it costs the machine."""
    return sum(memory_kib(pid) for pid in server.pids())


def _parent(pid: int) -> int:
    with contextlib.suppress(OSError):
        return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
    return -1


def wait_ready(base: str, probe: str, process: subprocess.Popen[bytes], log: Path, timeout: float) -> None:
    """Poll ``probe`` until it answers 200; fail with the log's tail if the process dies."""
    deadline = time.monotonic() + timeout
    client = Client(base, timeout=5)
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{_tail(log)}")
        try:
            status = client.get(probe)[0]
            if status == 200:
                client.close()
                return
        except OSError:
            client.close()
        time.sleep(0.005)
    raise RuntimeError(f"server not ready within {timeout:.0f} s:\n{_tail(log)}")


def _tail(log: Path, lines: int = 30) -> str:
    with contextlib.suppress(OSError):
        return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
    return ""


def stop(process: subprocess.Popen[bytes]) -> None:
    """Stop a process started in its own session, and everything it started."""
    for sig, wait in ((signal.SIGTERM, 8.0), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(wait)
            break
        except subprocess.TimeoutExpired:
            continue


@contextlib.contextmanager
def _launched(name: str, argv: Callable[[int], list[str]], scratch: str, probe: str, sparql_path: str,
              env: dict[str, str] | None = None, timeout: float = START_TIMEOUT) -> Iterator[Server]:
    """Start ``argv(port)`` on a free loopback port, wait for ``probe`` to answer, stop it after."""
    port = free_port()
    log = Path(scratch) / f"{name}.log"
    base = f"http://127.0.0.1:{port}"
    started = time.perf_counter()
    with log.open("wb") as sink:
        process = subprocess.Popen(argv(port), env=env, stdout=sink, stderr=subprocess.STDOUT,
                                   start_new_session=True, cwd=scratch)
    try:
        wait_ready(base, probe, process, log, timeout)
        yield Server(name, base, process, sparql_path, time.perf_counter() - started, log)
    finally:
        stop(process)


@contextlib.contextmanager
def our_server(
    dist: Path, workers: int | None = None, app: str = "ascn_kg:create_app()", timeout: float = START_TIMEOUT,
    **settings: Any,
) -> Iterator[Server]:
    """Our server (``python -m ascn_kg.ops.runner``, granian) over ``dist``, on a free port."""
    with tempfile.TemporaryDirectory(prefix="ascn-bench-") as scratch:
        env = {k: v for k, v in os.environ.items() if not k.startswith("ASCN_KG_")}
        env.update({f"ASCN_KG_{k.upper()}": str(v) for k, v in settings.items()})
        env.setdefault("ASCN_KG_PERMALINK_DIR", str(Path(scratch) / "permalinks"))
        # every simulated user comes from 127.0.0.1: one client's caps would throttle them all
        env.setdefault("ASCN_KG_CLIENT_QUERIES", "0")
        env.setdefault("ASCN_KG_CLIENT_QUERY_SECONDS", "0")
        env["PROMETHEUS_MULTIPROC_DIR"] = str(Path(scratch) / "metrics")
        os.mkdir(env["PROMETHEUS_MULTIPROC_DIR"])
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO), str(REPO / "tests"), env.get("PYTHONPATH")]))

        def argv(port: int) -> list[str]:
            count = ["--workers", str(workers)] if workers else []  # else the default
            return [sys.executable, "-m", "ascn_kg.ops.runner", "--app", app, "--host", "127.0.0.1",
                    "--port", str(port), *count, "--dist-dir", str(dist)]

        with _launched("ours", argv, scratch, FIRST_QUERY, "/sparql", env, timeout) as server:
            yield server


@contextlib.contextmanager
def floor_server(dist: Path, workers: int | None = None) -> Iterator[Server]:
    """granian's WSGI interface, as ours is served, over :mod:`benchmarks.floor` (bare pyoxigraph)."""
    defaults = Settings()
    threads, workers = defaults.threads, workers or defaults.workers

    def argv(port: int) -> list[str]:
        return [sys.executable, "-m", "granian", "--interface", "wsgi", "--http", "1", "--no-ws",
                "--workers", str(workers), "--blocking-threads", str(threads), "--loop", "asyncio",
                "--host", "127.0.0.1", "--port", str(port), "benchmarks.floor:app"]

    env = os.environ | {"ASCN_KG_FLOOR_STORE": str(dist.resolve() / "store"),
                        "PYTHONPATH": os.pathsep.join(filter(None, [str(REPO), os.environ.get("PYTHONPATH")]))}
    with (tempfile.TemporaryDirectory(prefix="ascn-bench-floor-") as scratch,
          _launched("floor", argv, scratch, "/sparql?query=ASK%7B%7D", "/sparql", env) as server):
        yield server


def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary (next to this Python, or on PATH), or None."""
    beside = Path(sys.executable).with_name("oxigraph")
    return str(beside) if beside.exists() else shutil.which("oxigraph")


@contextlib.contextmanager
def oxigraph_server(dist: Path, timeout_s: int = 30) -> Iterator[Server]:
    """``oxigraph serve-read-only`` over ``dist/store`` with the union default graph."""
    binary = oxigraph_binary()
    if binary is None:
        raise RuntimeError("the oxigraph server binary is not installed (pip install oxigraph)")

    def argv(port: int) -> list[str]:
        return [binary, "serve-read-only", "--location", str(dist / "store"),
                "--bind", f"127.0.0.1:{port}", "--union-default-graph", "--timeout-s", str(timeout_s)]

    with (tempfile.TemporaryDirectory(prefix="ascn-bench-oxigraph-") as scratch,
          _launched("oxigraph", argv, scratch, FIRST_QUERY.replace("/sparql", "/query"), "/query") as server):
        yield server


# --- workloads ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """A named query and the media type it is asked for."""

    name: str
    text: str
    accept: str = JSON_RESULTS


def catalogue_queries(queries_dir: Path) -> list[Query]:
    """The catalogue with default parameters (empty if there is none yet)."""
    try:
        from ascn_kg import catalogue
        from ascn_kg.store import catalogue_bind
    except ImportError:
        return []
    queries = []
    for entry in catalogue.load_catalogue(queries_dir):
        text = catalogue_bind.render(entry)
        form = next((w for w in ("CONSTRUCT", "DESCRIBE") if w in text.upper().split()), None)
        queries.append(Query(entry.name, text, "application/n-triples" if form else JSON_RESULTS))
    return queries


def shaped_queries(state: str, city: str) -> list[Query]:
    """Catalogue-shaped queries for any graph of our vocabulary (real or synthetic)."""
    s, c = f"<{state}>", f"<{city}>"
    return [Query(name, PREFIXES + text, accept) for name, text, accept in [
        ("ask-pilot-city", f"ASK {{ {c} a ascn:PilotCity }}", JSON_RESULTS),
        ("state-cities", "SELECT ?city ?label WHERE { ?city ascn:nominatedBy " + s
         + ' ; rdfs:label ?label FILTER(LANG(?label) = "en") } ORDER BY ?label', JSON_RESULTS),
        ("city-officer", "SELECT ?person ?name WHERE { ?post ascn:forCity " + c
         + " . ?person org:holds ?post ; schema:name ?name }", JSON_RESULTS),
        ("state-densities", "SELECT ?city ?value WHERE { ?city ascn:isLocatedIn " + s
         + " . ?ind ascn:isIndicatorOf ?city ; ascn:value ?value } ORDER BY DESC(?value)", JSON_RESULTS),
        ("focus-area-cities", "SELECT ?city ?label WHERE { ?city ascn:hasFocusArea "
         f"<{DEFAULT_BASE_IRI}id/focus-area/waste-management> ; rdfs:label ?label "
         'FILTER(LANG(?label) = "en") } ORDER BY ?label LIMIT 100', JSON_RESULTS),
        ("dense-emerging-per-state", "SELECT ?state (COUNT(?city) AS ?n) WHERE { ?city a "
         "ascn:DenseEmergingEconomyCity ; ascn:isLocatedIn ?state } GROUP BY ?state ORDER BY DESC(?n) LIMIT 20",
         JSON_RESULTS),
        ("describe-city", f"CONSTRUCT WHERE {{ {c} ?p ?o }}", "application/n-triples"),
    ]]


def sample_entities(store_dir: Path, count: int, seed: int = 7) -> dict[str, Any]:
    """A state, a city, ``count`` city keys and a search prefix from a store (in-process)."""
    import pyoxigraph as ox

    store = ox.Store.read_only(str(store_dir))
    ascn = f"{DEFAULT_BASE_IRI}def/ascn#"
    rows = list(store.query(
        f"SELECT ?city ?state ?label WHERE {{ ?city <{ascn}nominatedBy> ?state ; "
        f'<http://www.w3.org/2000/01/rdf-schema#label> ?label FILTER(LANG(?label) = "en") }} LIMIT 5000',
        use_default_graph_as_union=True,
    ))
    if not rows:
        raise RuntimeError(f"no cities in {store_dir}")
    rng = random.Random(seed)
    picks = rng.sample(rows, min(count, len(rows)))
    first = rows[len(rows) // 2]
    word = first["label"].value.split()[0]
    return {
        "state": first["state"].value, "city": first["city"].value,
        "city_keys": [r["city"].value.rsplit("/", 1)[1] for r in picks],
        "prefix": word[: max(3, min(5, len(word)))].lower(),
        "store": store,
    }


# --- measurements -------------------------------------------------------------------------


@dataclass
class Timing:
    """Latencies of sequential requests (seconds) and the statuses seen."""

    seconds: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000 if self.seconds else float("nan")

    @property
    def p95_ms(self) -> float:
        return percentile(self.seconds, 0.95) * 1000

    def add(self, status: int, seconds: float) -> None:
        self.seconds.append(seconds)
        self.statuses[status] = self.statuses.get(status, 0) + 1


def sequential(
    client: Client, path: str, headers: dict[str, str], requests: int, budget_s: float,
    expect: tuple[int, ...] = (200,),
) -> Timing:
    """``requests`` sequential requests (fewer if ``budget_s`` runs out; at least 3)."""
    timing = Timing()
    deadline = time.monotonic() + budget_s
    for n in range(requests):
        status, _, _, seconds = client.get(path, headers)
        if status not in expect:
            raise RuntimeError(f"GET {path[:120]} answered {status}, expected {expect}")
        timing.add(status, seconds)
        if n >= 2 and time.monotonic() > deadline:
            break
    return timing


def throughput(server: Server, paths: list[tuple[str, dict[str, str]]], clients: int, seconds: float) -> float:
    """Requests per second of ``clients`` concurrent keep-alive clients cycling over ``paths``."""
    done = [0] * clients
    errors: list[str] = []
    stop_at = time.monotonic() + seconds

    def run(index: int) -> None:
        client = Client(server.base)
        i = index
        try:
            while time.monotonic() < stop_at:
                path, headers = paths[i % len(paths)]
                status = client.get(path, headers)[0]
                if status >= 500:
                    errors.append(f"{status} {path[:80]}")
                done[index] += 1
                i += 1
        finally:
            client.close()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        print(f"  warning: {len(errors)} server errors during the throughput run, e.g. {errors[0]}")
    return sum(done) / (time.monotonic() - started)


@dataclass
class Row:
    """One line of the result table."""

    section: str
    what: str
    ours: str = ""
    oxigraph: str = ""
    ratio: str = ""
    target: str = ""
    verdict: str = ""


class Report:
    """The rows measured so far, and the raw numbers for ``--json``."""

    def __init__(self) -> None:
        self.rows: list[Row] = []
        self.raw: dict[str, Any] = {}

    def add(self, row: Row) -> None:
        self.rows.append(row)
        print(f"  {row.section}: {row.what}: {row.ours} {row.verdict}".rstrip(), flush=True)

    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.verdict == "FAIL"]

    def table(self) -> str:
        head = Row("dataset", "measure", "ours", "oxigraph", "ox/ours", "target", "verdict")
        rows = [head, *self.rows]
        widths = [max(len(getattr(r, f)) for r in rows) for f in Row.__dataclass_fields__]
        lines = []
        for i, row in enumerate(rows):
            cells = [getattr(row, f).ljust(w) for f, w in zip(Row.__dataclass_fields__, widths, strict=True)]
            lines.append(" | ".join(cells).rstrip())
            if i == 0:
                lines.append("-+-".join("-" * w for w in widths))
        return "\n".join(lines)


def ms(value: float) -> str:
    return f"{value:.2f} ms" if value == value else "n/a"


def verdict(ok: bool) -> str:
    return "PASS" if ok else "FAIL"


# --- the benchmark ------------------------------------------------------------------------


@dataclass
class Options:
    """What to run and how long."""

    quick: bool = False
    triples: int = 1_000_000
    requests: int = 200
    budget_s: float = 2.0
    clients: int = 4
    throughput_s: float = 4.0
    pairs: int = 600
    pages: int = 20
    dist: Path = REPO / "dist"
    queries_dir: Path = REPO / "queries"
    cache_dir: Path | None = None
    app: str = "ascn_kg:create_app()"
    workers: int | None = None  # the server's default
    query_timeout: float = 30.0

    @classmethod
    def quick_defaults(cls, **overrides: Any) -> Options:
        base = {"quick": True, "triples": 100_000, "requests": 30, "budget_s": 0.5, "throughput_s": 1.0,
                "pairs": 150, "pages": 5}
        return cls(**(base | overrides))


def bench_dataset(
    report: Report, label: str, dist: Path, queries: list[Query], options: Options,
    extra: Callable[[Server, Server | None], None] | None = None,
) -> None:
    """All per-query measurements of one dataset: ours (cache off, on, 304) and Oxigraph."""
    results: dict[str, dict[str, Timing]] = {q.name: {} for q in queries}
    common = {"query_timeout": options.query_timeout, "workers": options.workers, "app": options.app,
              "log_level": "WARNING"}
    rss: dict[str, int] = {}
    rates: dict[str, float] = {}
    with floor_server(dist, options.workers) as floor:
        _run_queries(floor, queries, options, results, "floor")
        rates["floor"] = _throughput(floor, queries, options)
    with our_server(dist, result_cache_size=0, **common) as ours:
        report.raw[f"{label}.ready_s"] = ours.ready_s
        _run_queries(ours, queries, options, results, "off")
        rates["ours (cache off)"] = _throughput(ours, queries, options)
        rss["ours"] = summed_rss_kib(ours)
    with our_server(dist, **common) as ours:
        _run_queries(ours, queries, options, results, "on")
        rates["ours (cache on)"] = _throughput(ours, queries, options)
        rss["ours"] = max(rss["ours"], summed_rss_kib(ours))
        with oxigraph_server(dist, int(options.query_timeout)) as oxigraph:
            _run_queries(oxigraph, queries, options, results, "oxigraph")
            rates["oxigraph"] = _throughput(oxigraph, queries, options)
            rss["oxigraph"] = memory_kib(oxigraph.process.pid)
            report.raw[f"{label}.oxigraph_ready_s"] = oxigraph.ready_s
            if extra is not None:
                extra(ours, oxigraph)
    _report_queries(report, label, queries, results)
    _report_targets(report, label, results, rates, big=label != "report")
    report.add(Row(label, f"throughput, {options.clients} clients, cache on",
                   f"{rates['ours (cache on)']:.0f} req/s", f"{rates['oxigraph']:.0f} req/s",
                   f"{rates['oxigraph'] / rates['ours (cache on)']:.2f}x", "info"))
    limit = RSS_TARGET_MB[label != "report"]
    report.add(Row(label, "peak RSS of the server, every process summed", f"{rss['ours'] / 1024:.0f} MiB",
                   f"{rss['oxigraph'] / 1024:.0f} MiB", "", f"< {limit} MB", verdict(rss["ours"] * 1024 < limit * 1e6)))
    ready = report.raw[f"{label}.ready_s"]
    report.add(Row(label, "start → first 200 on /sparql with a query", f"{ready:.2f} s",
                   f"{report.raw[f'{label}.oxigraph_ready_s']:.2f} s", "", f"< {FIRST_ANSWER_TARGET_S:.0f} s",
                   verdict(ready < FIRST_ANSWER_TARGET_S)))
    report.raw[f"{label}.rates"] = rates
    report.raw[f"{label}.rss_kib"] = rss


def _run_queries(server: Server, queries: list[Query], options: Options,
                 results: dict[str, dict[str, Timing]], mode: str) -> None:
    client = Client(server.base, timeout=options.query_timeout + 10)
    try:
        for query in queries:
            path = server.query_path(query.text)
            headers = {"Accept": query.accept}
            status, response_headers, body, _ = client.get(path, headers)  # warm up, check
            if status != 200:
                raise RuntimeError(f"{server.name}: query {query.name} answered {status}: {body[:300]!r}")
            results[query.name][mode] = sequential(client, path, headers, options.requests, options.budget_s)
            etag = response_headers.get("etag")
            if mode == "on" and etag:
                results[query.name]["304"] = sequential(
                    client, path, headers | {"If-None-Match": etag}, options.requests, options.budget_s, (304,))
    finally:
        client.close()


def _throughput(server: Server, queries: list[Query], options: Options) -> float:
    paths = [(server.query_path(q.text), {"Accept": q.accept}) for q in queries]
    return throughput(server, paths, options.clients, options.throughput_s)


def _report_queries(report: Report, label: str, queries: list[Query], results: dict[str, dict[str, Timing]]) -> None:
    for query in queries:
        got = results[query.name]
        off, on, oxi = got.get("off"), got.get("on"), got.get("oxigraph")
        not_modified = got.get("304")
        ours = f"{ms(off.median_ms)} / p95 {ms(off.p95_ms)}" if off else "n/a"
        other = f"{ms(oxi.median_ms)} / {ms(oxi.p95_ms)}" if oxi else "n/a"
        ratio = f"{oxi.median_ms / off.median_ms:.2f}x" if off and oxi else ""
        report.add(Row(label, f"{query.name}: cache off (median / p95)", ours, other, ratio, "info"))
        if on:
            tail = f"; 304 {ms(not_modified.median_ms)}" if not_modified else ""
            report.add(Row(label, f"{query.name}: cache on{', 304' if tail else ''}",
                           f"{ms(on.median_ms)}{tail}", "", f"{oxi.median_ms / on.median_ms:.1f}x" if oxi else "",
                           "info"))
        report.raw[f"{label}.{query.name}"] = {k: {"median_ms": t.median_ms, "p95_ms": t.p95_ms,
                                                   "n": len(t.seconds)} for k, t in got.items()}


def geomean(values: list[float]) -> float:
    """The geometric mean (the usual summary of per-query ratios); NaN for no values."""
    return statistics.geometric_mean(values) if values else float("nan")


def _report_targets(report: Report, label: str, results: dict[str, dict[str, Timing]],
                    rates: dict[str, float], big: bool) -> None:
    """The endpoint's targets: latency and throughput as ratios to Oxigraph server's.

    Ratios are ours / Oxigraph's. On the report graph the latency target applies to the
    catalogue as a whole (the geometric mean of the per-query median ratios; the worst
    query is shown too); on the big graph it applies to every query.
    """
    for mode, limit in (("off", LATENCY_TARGETS[big, "off"]), ("on", LATENCY_TARGETS[big, "on"])):
        ratios = {name: got[mode].median_ms / got["oxigraph"].median_ms
                  for name, got in results.items() if mode in got and "oxigraph" in got}
        if not ratios:
            continue
        worst = max(ratios, key=ratios.__getitem__)
        mean = geomean(list(ratios.values()))
        judged = ratios[worst] if big and mode == "off" else mean
        summary = f"geomean {mean:.2f}x, worst {ratios[worst]:.2f}x ({worst})"
        scope = "every query" if big and mode == "off" else "geomean"
        report.add(Row(label, f"median latency / Oxigraph's, cache {mode} ({scope})", summary, "", "",
                       f"<= {limit:.2f}x", verdict(judged <= limit)))
        report.raw[f"{label}.latency_ratios.{mode}"] = ratios
    floor = {name: (got["off"].median_ms / got["floor"].median_ms, got["floor"].median_ms / got["oxigraph"].median_ms)
             for name, got in results.items() if {"off", "floor", "oxigraph"} <= got.keys()}
    if floor:
        report.add(Row(label, "cache off: ours / bare pyoxigraph in granian (the stack's floor)",
                       f"geomean {geomean([a for a, _ in floor.values()]):.2f}x", "", "", "info"))
        report.add(Row(label, "bare pyoxigraph in granian / Oxigraph server",
                       f"geomean {geomean([b for _, b in floor.values()]):.2f}x, worst "
                       f"{max(b for _, b in floor.values()):.2f}x", "", "", "info"))
        report.raw[f"{label}.floor_ratios"] = floor
    if rates.get("floor") and rates.get("oxigraph"):
        report.add(Row(label, "throughput: bare pyoxigraph in granian / Oxigraph server",
                       f"{rates['floor'] / rates['oxigraph']:.2f}x ({rates['floor']:.0f} req/s)",
                       f"{rates['oxigraph']:.0f} req/s", "", "info"))
    if big:
        return
    for mode, key in (("off", "ours (cache off)"), ("on", "ours (cache on)")):
        ratio = rates[key] / rates["oxigraph"] if rates.get("oxigraph") else float("nan")
        limit = THROUGHPUT_TARGETS[mode]
        report.add(Row(label, f"throughput / Oxigraph's, cache {mode}", f"{rates[key]:.0f} req/s",
                       f"{rates['oxigraph']:.0f} req/s", f"{ratio:.2f}x", f">= {limit:.2f}x",
                       verdict(ratio >= limit)))


def bench_safety(report: Report, label: str, queries: list[Query], store: Any, options: Options) -> None:
    """The safety check against pyoxigraph's evaluation, in-process, per query (medians).

    Two costs: the check as the server runs it (verdicts are cached by query text, so a
    repeated query costs a lookup), and the full scan a query pays the first time it is seen.
    """
    import pyoxigraph as ox

    from ascn_kg.store.safety import Limits, _check, check

    limits = Limits()
    shares: dict[str, list[float]] = {"served": [], "scan": []}
    for query in queries:
        timings: dict[str, list[float]] = {"served": [], "scan": [], "eval": []}
        deadline = time.monotonic() + options.budget_s / 2
        check(query.text, limits)
        while len(timings["eval"]) < 5 or (time.monotonic() < deadline and len(timings["eval"]) < options.requests):
            for name, step in (("served", check), ("scan", _check)):
                started = time.perf_counter()
                step(query.text, limits)
                timings[name].append(time.perf_counter() - started)
            started = time.perf_counter()
            result = store.query(query.text, use_default_graph_as_union=True)
            if isinstance(result, ox.QueryBoolean):
                bool(result)
            else:
                for _ in result:
                    pass
            timings["eval"].append(time.perf_counter() - started)
        medians = {name: statistics.median(values) for name, values in timings.items()}
        for name in shares:
            shares[name].append(medians[name] / medians["eval"])
        report.raw[f"{label}.safety.{query.name}"] = {f"{k}_ms": v * 1000 for k, v in medians.items()}
    for name, what in (("served", "as served (cached by query text)"), ("scan", "first sight (full scan)")):
        worst = max(shares[name])
        report.add(Row(label, f"safety check {what} / evaluation",
                       f"median {statistics.median(shares[name]) * 100:.1f}%, worst {worst * 100:.1f}%", "", "",
                       "< 100% each" if name == "served" else "info",
                       verdict(worst < 1.0) if name == "served" else ""))


def bench_overhead(report: Report, label: str, dist: Path, query: Query, options: Options) -> None:
    """Metrics + query log on against off, both servers up, requests alternating (cache on)."""
    common = {"query_timeout": options.query_timeout, "workers": options.workers, "app": options.app,
              "log_level": "INFO"}
    with our_server(dist, **common) as on, our_server(
        dist, metrics_enabled="false", query_log_enabled="false", **common
    ) as off:
        timings = {"on": Timing(), "off": Timing()}
        clients = {"on": Client(on.base), "off": Client(off.base)}
        paths = {"on": on.query_path(query.text), "off": off.query_path(query.text)}
        headers = {"Accept": query.accept}
        for name in ("on", "off"):
            for _ in range(20):  # warm both: caches, pools, connections
                clients[name].get(paths[name], headers)
        for i in range(options.pairs):
            order = ("on", "off") if i % 2 == 0 else ("off", "on")
            for name in order:
                status, _, _, seconds = clients[name].get(paths[name], headers)
                timings[name].add(status, seconds)
        for client in clients.values():
            client.close()
    with_ops, without = timings["on"].median_ms, timings["off"].median_ms
    # the median of paired differences: each pair ran back to back, so machine drift cancels out
    paired = [a - b for a, b in zip(timings["on"].seconds, timings["off"].seconds, strict=True)]
    overhead = statistics.median(paired) * 1000 / without
    report.raw[f"{label}.overhead"] = {"on_ms": with_ops, "off_ms": without}
    report.add(Row(label, f"metrics+log on vs off ({query.name}, paired median)",
                   f"{ms(with_ops)} vs {ms(without)} ({overhead * 100:+.1f}%)", "", "",
                   f"< {CHEAP_TARGET_OVERHEAD * 100:.0f}%", verdict(overhead < CHEAP_TARGET_OVERHEAD)))


def bench_search_and_pages(report: Report, label: str, sample: dict[str, Any], options: Options) -> Callable:
    """A hook for :func:`bench_dataset`: search and entity pages on the big graph."""

    def run(ours: Server, oxigraph: Server | None) -> None:
        client = Client(ours.base)
        prefix = sample["prefix"]
        search = f"/api/search?{urllib.parse.urlencode({'q': prefix})}"
        status, _, body, first = client.get(search, {"Accept": "application/json"})
        if status == 200 and not json.loads(body).get("results"):
            raise RuntimeError(f"{search} found nothing: the benchmark would time an empty answer")
        if status == 404:
            report.add(Row(label, "search /api/search", "n/a: route missing", "", "", f"< {SEARCH_TARGET_MS:.0f} ms",
                           "SKIP"))
        else:
            ours_t = sequential(client, search, {"Accept": "application/json"}, options.requests, options.budget_s)
            regex = (PREFIXES + "SELECT ?s ?label WHERE { ?s rdfs:label ?label "
                     f'FILTER(REGEX(STR(?label), "\\\\b{prefix}", "i")) }} ORDER BY ?label LIMIT 20')
            oxi_client = Client(oxigraph.base, timeout=options.query_timeout + 5) if oxigraph else None
            oxi_t = sequential(oxi_client, oxigraph.query_path(regex), {"Accept": JSON_RESULTS},
                               max(3, options.requests // 10), options.budget_s) if oxi_client else None
            ratio = oxi_t.median_ms / ours_t.median_ms if oxi_t else float("nan")
            report.add(Row(label, f"search /api/search?q={prefix} vs REGEX (median)", ms(ours_t.median_ms),
                           ms(oxi_t.median_ms) if oxi_t else "n/a", f"{ratio:.1f}x",
                           f"< {SEARCH_TARGET_MS:.0f} ms", verdict(ours_t.median_ms < SEARCH_TARGET_MS)))
            report.add(Row(label, "search speed-up over SPARQL REGEX", "", "", f"{ratio:.1f}x",
                           f">= {SEARCH_TARGET_RATIO:.0f}x", verdict(ratio >= SEARCH_TARGET_RATIO)))
            report.add(Row(label, "first search after start (index build)", ms(first * 1000), "", "", "info"))
            report.raw[f"{label}.search"] = {"ours_ms": ours_t.median_ms, "regex_ms": oxi_t and oxi_t.median_ms,
                                             "first_ms": first * 1000}
        _bench_pages(report, label, client, sample, options)
        client.close()

    return run


def _bench_pages(report: Report, label: str, client: Client, sample: dict[str, Any], options: Options) -> None:
    paths = [f"/page/city/{key}" for key in sample["city_keys"][: options.pages]]
    if client.get(paths[0], {"Accept": "text/html"})[0] == 404:
        report.add(Row(label, "entity pages /page/city/…", "n/a: route missing", "", "", f"< {PAGE_TARGET_MS:.0f} ms",
                       "SKIP"))
        return
    timing = Timing()
    deadline = time.monotonic() + 2 * options.budget_s  # slow pages: fewer cities, never a stalled run
    for path in paths:
        part = sequential(client, path, {"Accept": "text/html"}, max(3, options.requests // 20), options.budget_s / 4)
        for seconds in part.seconds:
            timing.add(200, seconds)
        if time.monotonic() > deadline:
            break
    report.add(Row(label, f"entity pages ({len(timing.seconds)} requests, median / p95)",
                   f"{ms(timing.median_ms)} / {ms(timing.p95_ms)}", "", "", f"< {PAGE_TARGET_MS:.0f} ms",
                   verdict(timing.median_ms < PAGE_TARGET_MS)))
    hub = "/page/organisation/ascn"
    hub_t = sequential(client, hub, {"Accept": "text/html"}, max(3, options.requests // 20), options.budget_s)
    report.add(Row(label, "hub entity page (thousands of links), median", ms(hub_t.median_ms), "", "",
                   f"< {PAGE_TARGET_MS:.0f} ms", verdict(hub_t.median_ms < PAGE_TARGET_MS)))
    report.raw[f"{label}.pages"] = {"median_ms": timing.median_ms, "hub_ms": hub_t.median_ms}


def run(options: Options) -> Report:
    """Every measurement, in order; returns the report (the table is printed as it goes)."""
    from benchmarks.synthetic import cached_dist

    report = Report()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        cache = options.cache_dir or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="ascn-bench-")))
        print(f"synthetic graph of ~{options.triples:,} triples in {cache} …", flush=True)
        synthetic = cached_dist(cache, options.triples)
        print(f"  {synthetic.quads:,} quads; generated in {synthetic.generate_s:.1f} s, "
              f"loaded in {synthetic.load_s:.1f} s", flush=True)
        report.raw["synthetic"] = {"quads": synthetic.quads, "generate_s": synthetic.generate_s,
                                   "load_s": synthetic.load_s}
        big = sample_entities(synthetic.path / "store", max(options.pages, 20))
        real_queries: list[Query] = []
        real_store = None
        if (options.dist / "store").is_dir():
            real = sample_entities(options.dist / "store", 5)
            real_store = real["store"]
            real_queries = catalogue_queries(options.queries_dir) or shaped_queries(real["state"], real["city"])
        big_queries = shaped_queries(big["state"], big["city"])
        label = f"{synthetic.quads / 1e6:.1f}M" if synthetic.quads >= 1e6 else f"{synthetic.quads // 1000}k"
        if real_queries:
            print(f"catalogue: {len(real_queries)} queries on {options.dist.resolve().name}", flush=True)
            bench_dataset(report, "report", options.dist, real_queries, options)
            bench_safety(report, "report", real_queries, real_store, options)
        print(f"catalogue-shaped queries on the synthetic graph ({label})", flush=True)
        bench_dataset(report, label, synthetic.path, big_queries, options,
                      bench_search_and_pages(report, label, big, options))
        bench_safety(report, label, big_queries, big["store"], options)
        cheap_dist, cheap_queries = (options.dist, real_queries) if real_queries else (synthetic.path, big_queries)
        cheapest = _cheapest(report, "report" if real_queries else label, cheap_queries)
        bench_overhead(report, "report" if real_queries else label, cheap_dist, cheapest, options)
    report.raw["elapsed_s"] = time.monotonic() - started
    return report


def _cheapest(report: Report, label: str, queries: list[Query]) -> Query:
    def median(query: Query) -> float:
        return report.raw.get(f"{label}.{query.name}", {}).get("off", {}).get("median_ms", float("inf"))

    return min(queries, key=median)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.bench [--quick] [--triples N] [--json FILE] [--strict]``."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="small graph, few requests (about a minute)")
    parser.add_argument("--triples", type=int, help="size of the synthetic graph")
    parser.add_argument("--requests", type=int, help="sequential requests per query (at most)")
    parser.add_argument("--throughput-s", type=float, help="seconds of each throughput run")
    parser.add_argument("--pairs", type=int, help="request pairs of the metrics+logging comparison")
    parser.add_argument("--dist", type=Path, help="the built dist/ to run the catalogue on")
    parser.add_argument("--queries-dir", type=Path)
    parser.add_argument("--cache-dir", type=Path, help="keep the synthetic graph here between runs")
    parser.add_argument("--app", help="WSGI app to serve (default ascn_kg:create_app())")
    parser.add_argument("--json", type=Path, help="also write the raw numbers here")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    args = parser.parse_args(argv)
    overrides = {k: v for k, v in vars(args).items()
                 if v is not None and k in Options.__dataclass_fields__ and k != "quick"}
    options = Options.quick_defaults(**overrides) if args.quick else Options(**overrides)
    try:
        report = run(options)
    except RuntimeError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 2
    print()
    print(report.table())
    print(f"\n{len(report.rows)} measures in {report.raw['elapsed_s']:.0f} s; "
          f"{len(report.failures())} missed targets")
    if args.json:
        args.json.write_text(json.dumps(report.raw, indent=1, default=str), encoding="utf-8")
    return 1 if args.strict and report.failures() else 0


if __name__ == "__main__":
    sys.exit(main())
