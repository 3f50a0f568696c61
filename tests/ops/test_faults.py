"""Faults: a worker killed under load, a missing or corrupt store, rebuilds while serving.

Every test runs real processes (granian through ``python -m ascn_kg.ops.runner``, ``ascn-kg
build``) on loopback; none asserts a timing beyond generous bounds.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from benchmarks.bench import Client, our_server
from benchmarks.synthetic import write_dist

from liveserver import master_pid, running_server, workers_of
from support import BUILD_TIMEOUT, CLI, REPO, cli_build

pytestmark = pytest.mark.slow
APP = "ascn_kg:create_app()"


@pytest.fixture(scope="module")
def small_dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A synthetic dist of a few thousand triples (the graph's shape, built in well under a second)."""
    return write_dist(tmp_path_factory.mktemp("faults") / "dist", triples=5_000).path


def get(base: str, path: str, timeout: float = 10.0) -> tuple[int, Message, bytes]:
    """Status, headers (looked up regardless of case, as HTTP names are) and body."""
    try:
        with urllib.request.urlopen(base + path, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def ready_version(base: str) -> str:
    status, _, body = get(base, "/readyz")
    assert status == 200, body
    return json.loads(body)["dataset_version"]


# --- a worker killed during load -----------------------------------------------------------


def test_a_killed_worker_is_replaced_and_only_its_requests_fail(small_dist: Path, tmp_path: Path) -> None:
    # Four clients from one address: no per-client cap (it would answer some of them 429).
    with running_server(small_dist, app=APP, workers=2, permalink_dir=str(tmp_path / "links"),
                        client_queries=0, client_query_seconds=0) as base:
        master = master_pid(base)
        before = workers_of(master)
        assert len(before) == 2
        failures: list[str] = []
        successes = [0]
        stop = threading.Event()

        def load(n: int) -> None:
            client = Client(base, timeout=10)
            i = 0
            while not stop.is_set():
                i += 1
                query = f"SELECT ?s WHERE {{ ?s ?p ?o }} LIMIT {1 + (i + n * 1000) % 50}"
                try:
                    status = client.get("/sparql?" + urllib.parse.urlencode({"query": query}))[0]
                    if status == 200:
                        successes[0] += 1
                    else:
                        failures.append(str(status))
                except OSError as error:  # the connection of the killed worker
                    failures.append(type(error).__name__)
                    client.close()
            client.close()

        threads = [threading.Thread(target=load, args=(n,)) for n in range(4)]
        for thread in threads:
            thread.start()
        time.sleep(1.0)
        os.kill(before[0], signal.SIGKILL)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            now = workers_of(master)
            if len(now) == 2 and before[0] not in now:
                break
            time.sleep(0.1)
        assert before[0] not in workers_of(master) and len(workers_of(master)) == 2
        time.sleep(1.0)
        stop.set()
        for thread in threads:
            thread.join(15)
        # only requests in flight on the killed worker (one per client at most) failed
        assert len(failures) <= len(threads), failures
        assert not [f for f in failures if f.startswith("5")], failures
        assert successes[0] > 20
        for _ in range(10):  # later requests all succeed, whichever worker takes them
            assert get(base, "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"))[0] == 200


# --- a missing or corrupt store ----------------------------------------------------------------


def corrupt_store(dist: Path) -> None:
    store = dist / "store"
    for path in store.iterdir():
        if path.name.startswith(("MANIFEST", "CURRENT")) or path.suffix == ".sst":
            path.write_bytes(os.urandom(256))


def missing_store(dist: Path) -> None:
    shutil.rmtree(dist / "store")


def empty_store_folder(dist: Path) -> None:
    shutil.rmtree(dist / "store")
    (dist / "store").mkdir()


SERVE_COMMANDS = {
    "python -m ascn_kg.serve": lambda dist, port: [
        sys.executable, "-m", "ascn_kg.ops.runner", "--dist-dir", str(dist), "--port", str(port)],
    "ascn-kg serve": lambda dist, port: [*CLI, "--dist-dir", str(dist), "serve", "--port", str(port)],
}


@pytest.mark.parametrize("damage", [missing_store, empty_store_folder, corrupt_store],
                         ids=["missing", "empty", "corrupt"])
@pytest.mark.parametrize("command", list(SERVE_COMMANDS))
def test_serving_a_broken_store_exits_with_one_clear_line(
    small_dist: Path, tmp_path: Path, damage, command: str,
) -> None:
    dist = tmp_path / "dist"
    shutil.copytree(small_dist, dist)
    damage(dist)
    from liveserver import free_port

    env = {k: v for k, v in os.environ.items() if not k.startswith("ASCN_KG_")}
    argv = SERVE_COMMANDS[command](dist, free_port())
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=60, env=env, cwd=tmp_path)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{command} kept running on a {damage.__name__} store")
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr and "panicked" not in done.stderr, done.stderr
    assert len(lines) == 1, done.stderr
    assert "store" in lines[0] and str(dist) in lines[0], lines[0]


# --- builds while serving --------------------------------------------------------------------


@pytest.fixture(scope="module")
def built_dist(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A real build of a scratch copy of data/: (data_dir, dist link)."""
    root = tmp_path_factory.mktemp("rebuild")
    data = root / "data"
    shutil.copytree(REPO / "data", data)
    dist = root / "dist"
    done = cli_build(data, dist)
    assert done.returncode == 0, done.stderr
    yield data, dist


def tree_digest(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name != "LOCK"}


def test_build_while_serving_then_sighup_switches_to_the_new_graph(
    built_dist: tuple[Path, Path], tmp_path: Path,
) -> None:
    data, dist = built_dist
    old_version = (dist / "VERSION").read_text().strip()
    events = data / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace(
        "The member states submit their nominations", "The member states submit their nominations (rebuilt)", 1),
        encoding="utf-8")
    with running_server(dist, app=APP, workers=2, permalink_dir=str(tmp_path / "links")) as base:
        assert ready_version(base) == old_version
        seen: list[tuple[int, str | None]] = []
        stop = threading.Event()

        def watch() -> None:
            while not stop.is_set():
                status, headers, _ = get(base, "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"))
                seen.append((status, headers.get("X-ASCN-Dataset-Version")))
                time.sleep(0.05)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            done = cli_build(data, dist)
        finally:
            stop.set()
            watcher.join(10)
        assert done.returncode == 0, done.stderr
        new_version = (dist / "VERSION").read_text().strip()
        assert new_version != old_version
        assert seen and all(s == (200, old_version) for s in seen), set(seen)
        assert ready_version(base) == old_version  # still the old graph until told
        os.kill(master_pid(base), signal.SIGHUP)
        deadline = time.monotonic() + 30
        versions: set[str | None] = set()
        while time.monotonic() < deadline:
            status, headers, _ = get(base, "/readyz")
            versions.add(headers.get("X-ASCN-Dataset-Version"))
            if status == 200 and ready_version(base) == new_version:
                break
            time.sleep(0.1)
        assert ready_version(base) == new_version, versions
        for _ in range(6):  # every worker now answers from the new graph
            status, headers, _ = get(base, "/sparql?query=" + urllib.parse.quote("ASK { ?s ?p ?o }"))
            assert (status, headers.get("X-ASCN-Dataset-Version")) == (200, new_version)


def test_a_build_killed_half_way_leaves_the_previous_dist_usable(
    built_dist: tuple[Path, Path], tmp_path: Path,
) -> None:
    data, dist = built_dist
    before_target = os.readlink(dist)
    before = tree_digest(dist)
    version = (dist / "VERSION").read_text().strip()
    builds = dist.parent / f".{dist.name}-builds"
    events = data / "events.csv"
    events.write_text(events.read_text(encoding="utf-8") .replace(
        "32nd ASEAN Summit", "32nd ASEAN Summit (interrupted)", 1), encoding="utf-8")
    known = {p.name for p in builds.iterdir()}
    process = subprocess.Popen([*CLI, "--data-dir", str(data), "--dist-dir", str(dist), "build"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + BUILD_TIMEOUT
    try:
        while time.monotonic() < deadline and process.poll() is None:
            fresh = [p for p in builds.iterdir() if p.name not in known and p.name.startswith("tmp-")]
            if fresh and any(fresh[0].iterdir()):  # writing the new build's files: kill it now
                break
            time.sleep(0.005)
        assert process.poll() is None, "the build ended before it could be interrupted"
    finally:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)
    assert os.readlink(dist) == before_target
    assert tree_digest(dist) == before
    with running_server(dist, app=APP, workers=1, permalink_dir=str(tmp_path / "links")) as base:
        assert ready_version(base) == version


@pytest.mark.parametrize("when", ["first query after the build", "worker replaced after a timeout"])
def test_a_rebuild_never_leaks_into_a_serving_worker_before_sighup(
    built_dist: tuple[Path, Path], tmp_path: Path, when: str,
) -> None:
    """Until SIGHUP a worker answers from the build it opened, as its version header says.

    The query pool's processes are started lazily and replaced after a timeout; each opens
    ``dist/store`` through the link, so they must not pick up a build swapped in meanwhile.
    """
    data, dist = built_dist
    marker = f"pinned-{time.time_ns()}"
    events = data / "events.csv"
    events.write_text(events.read_text(encoding="utf-8").replace(
        "Submission of ASCN nominations", f"Submission of ASCN nominations {marker}", 1), encoding="utf-8")
    ask = "/sparql?query=" + urllib.parse.quote(f'ASK {{ ?s ?p ?o FILTER(CONTAINS(STR(?o), "{marker}")) }}')
    # bench.our_server waits for /readyz (in-process store), so no query has started the pool yet
    with our_server(dist, app=APP, workers=1, query_workers=1, query_timeout=1,
                    permalink_dir=str(tmp_path / "links")) as server:
        base = server.base
        old_version = ready_version(base)
        if when != "first query after the build":
            assert get(base, "/sparql?query=ASK%7B%7D")[0] == 200
        done = cli_build(data, dist)
        assert done.returncode == 0, done.stderr
        if when != "first query after the build":
            runaway = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
            assert get(base, "/sparql?query=" + urllib.parse.quote(runaway))[0] == 504
        status, headers, body = get(base, ask)
        assert status == 200 and headers.get("X-ASCN-Dataset-Version") == old_version
        assert json.loads(body)["boolean"] is False, "answered from the new build under the old version"
