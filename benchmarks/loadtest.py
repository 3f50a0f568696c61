"""A bounded load test on loopback: ``python -m benchmarks.loadtest [--duration 60]`` (``make loadtest``).

Starts our server (granian, 4 workers) over ``dist/`` with a short query time limit, runs
locust headless as a library with 16 concurrent users (:mod:`benchmarks.locustfile`) mixing
catalogue queries in every result format, entity pages, search, dump downloads and a share
of runaway queries that must be stopped by a limit (504 at the time limit, or 503 with
Retry-After when a query process hits its memory limit or none is free), then stops by itself
and prints:
requests served, errors by kind, p50/p95/p99 per request kind, worker RSS at start and end.

Targets (exit 1 when one is missed): no 5xx apart from the runaways' limit answers; for the cheap
kinds (catalogue, page, search), p99 under 10 times p50; worker RSS growth under 20 %.
Exit 2 when the test cannot run (no build, locust missing). Routes the server does not have
(a 404 on the probe) are left out of the mix, with a note.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import REPO

MAX_DURATION = 60.0
CHEAP_KINDS = ("catalogue", "page", "search")
P99_OVER_P50 = 10.0
RSS_GROWTH = 0.20
EXPENSIVE = (  # each runs far past a 2 s limit on any graph of a few thousand triples
    "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f FILTER(REGEX(CONCAT(STR(?c), STR(?f), "!"), "(a+)+$")) }',
    "SELECT (COUNT(*) AS ?n) WHERE { ?s (!<urn:x:none>)* ?o . ?x ?y ?z }",
)
# How a limit stops a runaway: the time limit (504), or the memory limit of its query process or a
# full set of busy query processes (503, with Retry-After); which comes first depends on timing.
RUNAWAY_ENDS = {"504", "503"}
SELECT_FORMATS = ("json", "xml", "csv", "tsv", "html")
GRAPH_FORMATS = ("ttl", "nt", "jsonld", "rdfxml", "trig", "nq", "html")
DUMPS = ("ascn.ttl", "ascn.nt", "ascn.nq", "ascn.trig", "ascn.jsonld", "ascn.rdf")


def workload(dist: Path, queries_dir: Path) -> dict[str, list[list[str]]]:
    """Paths per request kind: every catalogue query in every format, pages, search, dumps, runaways."""
    from urllib.parse import urlencode

    from benchmarks.bench import catalogue_queries, sample_entities, shaped_queries

    sample = sample_entities(dist / "store", 10)
    queries = catalogue_queries(queries_dir) or shaped_queries(sample["state"], sample["city"])
    catalogue = []
    for query in queries:
        formats = GRAPH_FORMATS if query.accept != "application/sparql-results+json" else SELECT_FORMATS
        for name in formats:
            catalogue.append([f"/sparql?{urlencode({'query': query.text, 'format': name})}", "*/*"])
    words = sorted({sample["prefix"], "kuala", "sing", "smart", "waste", "서울", "ban"})
    return {
        "catalogue": catalogue,
        "page": [[f"/page/city/{key}", "text/html"] for key in sample["city_keys"]]
        + [["/page/organisation/ascn", "text/html"], ["/page/state/" + sample["state"].rsplit("/", 1)[1],
                                                       "text/html"]],
        "search": [[f"/api/search?{urlencode({'q': w})}", "application/json"] for w in words],
        "dump": [[f"/download/{name}", "*/*"] for name in DUMPS],
        "expensive": [[f"/sparql?{urlencode({'query': q})}", "application/sparql-results+json"]
                      for q in EXPENSIVE],
    }


def probe(base: str, work: dict[str, list[list[str]]]) -> dict[str, list[list[str]]]:
    """Drop the kinds whose first path is missing (404) on this server, and say so."""
    from benchmarks.bench import Client

    client = Client(base)
    kept = {}
    for kind, paths in work.items():
        kept_paths = []
        for path, accept in paths:
            status = client.get(path, {"Accept": accept})[0] if kind != "expensive" else 504
            if status in (200, 504):
                kept_paths.append([path, accept])
            elif kind != "catalogue":
                print(f"  note: {kind} {path[:70]} answered {status}; left out of the mix")
        if kept_paths:
            kept[kind] = kept_paths
        else:
            print(f"  note: no {kind} route answers on this server; {kind} left out")
    client.close()
    return kept


def warm(base: str, paths: list[list[str]], passes: int = 4) -> None:
    """Ask every path a few times on fresh connections, so that each web worker's result
    cache holds the catalogue before measuring (a connection lands on any worker)."""
    from urllib.error import HTTPError
    from urllib.request import Request, urlopen

    for _ in range(passes):
        for path, accept in paths:
            try:
                with urlopen(Request(base + path, headers={"Accept": accept}), timeout=30) as answer:
                    answer.read()
            except HTTPError as error:
                error.close()


def run_locust(
    base: str, work: dict[str, list[list[str]]], users: int, duration: float,
) -> dict[str, dict[str, Any]]:
    """Run the users for ``duration`` seconds; per kind: latencies (ms) and statuses."""
    import gevent
    from locust.env import Environment

    from benchmarks import locustfile

    seen: dict[str, dict[str, Any]] = {}
    # the first quarter (at most 10 s) warms every worker's result cache and is not measured
    measure_from = time.monotonic() + min(10.0, duration / 4)

    def on_request(request_type: str, name: str, response_time: float, response_length: int,
                   response: Any = None, exception: Any = None, **_: Any) -> None:
        if time.monotonic() < measure_from:
            return
        entry = seen.setdefault(name, {"ms": [], "status": {}})
        status = getattr(response, "status_code", 0) if response is not None else 0
        key = str(status) if status else f"exception:{type(exception).__name__}"
        entry["status"][key] = entry["status"].get(key, 0) + 1
        entry["ms"].append(response_time)

    locustfile.WORKLOAD.clear()
    locustfile.WORKLOAD.update(work)
    locustfile.AscnUser.host = base
    env = Environment(user_classes=[locustfile.AscnUser])
    env.events.request.add_listener(on_request)
    runner = env.create_local_runner()
    runner.start(users, spawn_rate=users)
    gevent.spawn_later(duration, runner.quit)
    runner.greenlet.join()
    return seen


def summarise(
    seen: dict[str, dict[str, Any]], rss: tuple[int, int], latency_advisory: bool = False
) -> list[str]:
    """Print the results; return the missed targets (latency ones only printed if advisory)."""
    from benchmarks.bench import percentile

    missed = []
    total = sum(len(v["ms"]) for v in seen.values())
    print(f"\nrequests served: {total}")
    print(f"{'kind':<10} {'n':>6} {'p50 ms':>9} {'p95 ms':>9} {'p99 ms':>9}  statuses")
    for kind in sorted(seen):
        values = [v / 1000 for v in seen[kind]["ms"]]
        p50, p95, p99 = (percentile(values, q) * 1000 for q in (0.5, 0.95, 0.99))
        statuses = ", ".join(f"{k}: {n}" for k, n in sorted(seen[kind]["status"].items()))
        print(f"{kind:<10} {len(values):>6} {p50:>9.1f} {p95:>9.1f} {p99:>9.1f}  {statuses}")
        bad = {k: n for k, n in seen[kind]["status"].items() if _server_error(kind, k)}
        if kind == "expensive" and set(seen[kind]["status"]) - RUNAWAY_ENDS:
            missed.append(f"expensive: answers other than a limit's 504 or 503: {seen[kind]['status']}")
        elif bad:
            missed.append(f"{kind}: server errors {bad}")
        if kind in CHEAP_KINDS and p50 > 0 and p99 > P99_OVER_P50 * p50:
            line = f"{kind}: p99 {p99:.1f} ms is over {P99_OVER_P50:.0f}x p50 {p50:.1f} ms"
            if latency_advisory:
                print(f"ADVISORY (not gating): {line}")
            else:
                missed.append(line)
    start, end = rss
    growth = (end - start) / start if start else 0.0
    print(f"worker RSS: start {start / 1024:.0f} MiB, end {end / 1024:.0f} MiB ({growth * 100:+.1f}%)")
    if growth > RSS_GROWTH:
        missed.append(f"worker RSS grew {growth * 100:.0f}% (limit {RSS_GROWTH * 100:.0f}%)")
    return missed


def _server_error(kind: str, status: str) -> bool:
    """A failed request: an exception, or a 5xx that is not a limit stopping a runaway query."""
    if not status.isdigit():
        return True
    return int(status) >= 500 and not (kind == "expensive" and status in RUNAWAY_ENDS)


def main(argv: list[str] | None = None) -> int:
    """``python -m benchmarks.loadtest [--duration S] [--users N] [--dist DIR]``."""
    try:
        import locust  # noqa: F401  (monkey-patches the standard library first)
    except ImportError:
        print("loadtest: locust is not installed (pip install locust)", file=sys.stderr)
        return 2
    from benchmarks.bench import memory_kib, our_server, web_workers


    parser = argparse.ArgumentParser(prog="python -m benchmarks.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=MAX_DURATION, help=f"seconds (at most {MAX_DURATION:.0f})")
    parser.add_argument("--users", type=int, default=16)
    parser.add_argument("--workers", type=int, default=4, help="web worker processes")
    parser.add_argument("--latency-advisory", action="store_true",
                        help="report the p99/p50 target without failing on it (short runs on shared machines)")
    parser.add_argument("--dist", type=Path, default=REPO / "dist")
    parser.add_argument("--queries-dir", type=Path, default=REPO / "queries")
    parser.add_argument("--query-timeout", type=float, default=2.0)
    parser.add_argument("--query-workers", type=int, default=4,
                        help="query processes per web worker: every user is one client (127.0.0.1) here, with "
                             "its shares lifted, so the runaways must not hold every process of a worker")
    parser.add_argument("--app", default="ascn_kg:create_app()")
    args = parser.parse_args(argv)
    duration = max(1.0, min(args.duration, MAX_DURATION))
    if not (args.dist / "store").is_dir():
        print(f"loadtest: no store in {args.dist}: run `ascn-kg build` first", file=sys.stderr)
        return 2
    work = workload(args.dist, args.queries_dir)
    print(f"load test: {args.users} users for {duration:.0f} s on 127.0.0.1, query time limit "
          f"{args.query_timeout:g} s")
    with our_server(args.dist, workers=args.workers, app=args.app, query_timeout=args.query_timeout,
                    query_workers=args.query_workers, log_level="WARNING", query_log_enabled="false") as server:
        work = probe(server.base, work)
        warm(server.base, work.get("catalogue", []))
        rss_start = sum(memory_kib(p, "VmRSS") for p in web_workers(server))
        seen = run_locust(server.base, work, args.users, duration)
        rss_end = sum(memory_kib(p, "VmRSS") for p in web_workers(server))
    missed = summarise(seen, (rss_start, rss_end), args.latency_advisory)
    for line in missed:
        print(f"MISSED: {line}")
    print("all targets met" if not missed else f"{len(missed)} target(s) missed")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
