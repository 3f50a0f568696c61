"""Every in-memory cache is bounded in bytes (issue 17): distinct queries cannot grow a worker.

A real server; 5,000 distinct 20 KB queries (each a new plan, safety verdict, proven-cheap
request, answer and replay), sent over one keep-alive connection. The web worker's resident
memory grows by less than the bytes the caches are given plus 50 MB; it is printed.
"""

from __future__ import annotations

import http.client
import urllib.parse
from pathlib import Path

import pytest

from ascn_kg.config import Settings
from liveserver import running_server
from server_processes import rss_bytes, server_processes

pytestmark = pytest.mark.slow
QUERIES = 5_000
QUERY_CHARS = 20_000
CACHES = {"result_cache_bytes": 16_000_000, "plan_cache_bytes": 8_000_000}


def distinct_query(number: int) -> str:
    head = f"ASK {{}} # {number} "
    return head + "x" * (QUERY_CHARS - len(head))


def test_five_thousand_distinct_queries_grow_the_worker_by_less_than_the_cache_bytes(built, tmp_path: Path) -> None:
    budget = sum(Settings(**CACHES).cache_budgets.values())
    with running_server(built.dist, workers=1, permalink_dir=tmp_path / "links", **CACHES) as base:
        (worker,) = server_processes(base).workers
        parts = urllib.parse.urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        statuses: dict[int, int] = {}
        for number in range(QUERIES):
            if number == 50:  # everything has been touched once: the worker's resting size
                resting = rss_bytes(worker)
            conn.request("GET", "/sparql?" + urllib.parse.urlencode({"query": distinct_query(number)}),
                         headers={"Accept": "application/sparql-results+json"})
            response = conn.getresponse()
            response.read()
            statuses[response.status] = statuses.get(response.status, 0) + 1
        conn.close()
        grown = rss_bytes(worker) - resting
    print(f"{QUERIES} distinct {QUERY_CHARS:,}-character queries: {statuses}; the worker grew "
          f"{grown / 1e6:.1f} MB from {resting / 1e6:.0f} MB (caches given {budget / 1e6:.0f} MB, bound "
          f"{(budget + 50_000_000) / 1e6:.0f} MB)")
    assert statuses == {200: QUERIES}
    assert grown < budget + 50_000_000
