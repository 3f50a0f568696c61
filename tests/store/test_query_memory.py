"""The memory of a query process is bounded (issue 17): a query past the limit is stopped with a
503 naming it, its process is replaced, and the server's summed memory stays under the limits.

Real servers on loopback; memory is the resident set of every process of the server, sampled
from ``/proc`` while the queries run, and printed.
"""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from email.message import Message
from pathlib import Path

import pytest

from liveserver import running_server
from server_processes import server_processes

pytestmark = pytest.mark.slow
LIMIT = 300_000_000
MARGIN = 100_000_000  # over the server's resting memory: the web worker handling two answers
ORDER_BY = "SELECT * WHERE { ?s ?p ?o . ?a ?b ?c } ORDER BY ?o ?c LIMIT 1"


def doubling(times: int, start: str = "a" * 2_500) -> str:
    """A query whose one value doubles ``times`` times (2,500 × 2^20 characters: 2.6 GB)."""
    binds = " ".join(f"BIND(CONCAT(?x{i - 1}, ?x{i - 1}) AS ?x{i})" for i in range(1, times + 1))
    return f'SELECT (STRLEN(?x{times}) AS ?n) WHERE {{ BIND("{start}" AS ?x0) {binds} }}'


def ask(base: str, query: str) -> tuple[int, str, Message]:
    url = f"{base}/sparql?" + urllib.parse.urlencode({"query": query})
    try:
        with urllib.request.urlopen(url, timeout=60) as response:
            return response.status, response.read().decode(), response.headers
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), error.headers


class PeakMemory(threading.Thread):
    """Samples the summed resident memory of a server's processes until stopped."""

    def __init__(self, base: str) -> None:
        super().__init__(daemon=True)
        self.base, self.peak, self.samples = base, 0, 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            self.peak = max(self.peak, server_processes(self.base).rss())
            self.samples += 1
            time.sleep(0.01)


def test_memory_hungry_queries_stop_at_the_limit_and_the_server_stays_within_it(built, tmp_path: Path) -> None:
    with running_server(built.dist, workers=1, query_workers=2, query_memory_bytes=LIMIT, query_timeout=30,
                        permalink_dir=tmp_path / "links") as base:
        assert ask(base, "ASK { ?s ?p ?o }")[0] == 200
        before = server_processes(base)
        resting = before.rss()
        sampler = PeakMemory(base)
        sampler.start()
        answers: dict[str, tuple[int, str, Message]] = {}
        queries = {"order by": ORDER_BY, "concat": doubling(20)}
        threads = [threading.Thread(target=lambda n=name, q=query: answers.__setitem__(n, ask(base, q)))
                   for name, query in queries.items()]
        for thread in threads:  # both at once: both query processes near the limit together
            thread.start()
        for thread in threads:
            thread.join(60)
        sampler.done.set()
        sampler.join(5)
        after = server_processes(base)
        assert ask(base, "ASK { ?s ?p ?o }")[0] == 200  # the replacements answer
    bound = len(after.queries) * LIMIT + resting + MARGIN
    print(f"summed RSS: {resting / 1e6:.0f} MB at rest, peak {sampler.peak / 1e6:.0f} MB ({sampler.samples} "
          f"samples) against {len(after.queries)} × {LIMIT / 1e6:.0f} MB + the rest + {MARGIN / 1e6:.0f} MB = "
          f"{bound / 1e6:.0f} MB")
    for name, (status, text, headers) in answers.items():
        print(f"{name}: {status} {text.strip()}")
        assert status == 503, text
        assert "memory limit of a query process" in text and "300 MB" in text
        assert headers.get("Retry-After") == "1"
    assert sampler.peak < bound
    assert set(after.queries).isdisjoint(before.queries) and len(after.queries) <= 2  # replaced, never more
