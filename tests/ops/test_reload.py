"""A new build is picked up under load without a failed request.

Sixteen clients query continuously on kept-alive connections while ``ascn-kg build`` swaps a
new build into ``dist`` and the server is told to reload (SIGHUP to its master). Every answer
is counted: any status but 200 and any connection error is a failure, and there must be none.
Afterwards every client is answered from the new build, as its dataset version header says.
"""

from __future__ import annotations

import http.client
import os
import shutil
import signal
import threading
import time
import urllib.parse
from pathlib import Path

import pytest

from liveserver import master_pid, running_server
from support import REPO, cli_build

pytestmark = pytest.mark.slow
CLIENTS = 16
VERSION = "x-ascn-dataset-version"
QUERIES = ["ASK { ?s ?p ?o }", "SELECT ?s WHERE { ?s a ?c } LIMIT 5", "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
           "SELECT ?l WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?l } LIMIT 20"]


class Load:
    """Clients that query until stopped, recording every status, failure and version seen."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.stop = threading.Event()
        self.failures: list[str] = []
        self.answers = 0
        self.versions: list[list[str]] = [[] for _ in range(CLIENTS)]
        self.threads = [threading.Thread(target=self.run, args=(n,)) for n in range(CLIENTS)]

    def run(self, n: int) -> None:
        """One kept-alive connection, never retried: a closed connection is a failure too."""
        parts = urllib.parse.urlsplit(self.base)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        i = 0
        while not self.stop.is_set():
            path = "/sparql?" + urllib.parse.urlencode({"query": QUERIES[(n + i) % len(QUERIES)]})
            i += 1
            try:
                connection.request("GET", path, headers={"Accept": "application/sparql-results+json"})
                response = connection.getresponse()
                body = response.read()
            except (OSError, http.client.HTTPException) as error:
                self.failures.append(f"client {n}: {type(error).__name__}: {error}")
                connection.close()
                continue
            if response.status != 200:
                self.failures.append(f"client {n}: HTTP {response.status}: {body[:120]!r}")
            self.answers += 1
            self.versions[n].append(response.getheader(VERSION, ""))
        connection.close()

    def __enter__(self) -> Load:
        for thread in self.threads:
            thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(30)


def test_a_rebuild_is_served_after_sighup_while_sixteen_clients_query(tmp_path: Path) -> None:
    data = tmp_path / "data"
    shutil.copytree(REPO / "data", data)
    dist = tmp_path / "dist"
    assert cli_build(data, dist).returncode == 0
    old = (dist / "VERSION").read_text().strip()
    events = data / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace(
        "Submission of ASCN nominations", "Submission of ASCN nominations (reloaded)", 1), encoding="utf-8")
    # sixteen clients from one address, each with one query at a time: the per-client caps and the
    # query threads' share (fairness is tested in test_hostile_clients) would turn some away
    unfair = {"client_queries": 0, "client_query_seconds": 0, "query_threads": CLIENTS, "query_workers": CLIENTS // 2}
    with running_server(dist, workers=2, permalink_dir=str(tmp_path / "links"), **unfair) as base, \
            Load(base) as load:
        time.sleep(1.0)
        done = cli_build(data, dist)  # under load: the build shares the machine with the clients
        assert done.returncode == 0, done.stderr
        new = (dist / "VERSION").read_text().strip()
        assert new != old
        os.kill(master_pid(base), signal.SIGHUP)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not all(v and v[-1] == new for v in load.versions):
            time.sleep(0.2)
        time.sleep(1.0)  # and go on querying the new build for a while
    print(f"{load.answers} answers during the rebuild and reload; failures: {load.failures[:5]}")
    assert load.failures == []
    assert load.answers > 200
    for seen in load.versions:
        assert seen[0] == old and seen[-1] == new
        switched = seen.index(new)
        assert set(seen[switched:]) == {new}  # once on the new build, never back
