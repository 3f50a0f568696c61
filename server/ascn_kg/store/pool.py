"""Killable query evaluation: a small pool of worker processes over raw socket pipes.

Each worker is a fresh ``python -m ascn_kg.store.pool`` process (independent of the
parent's ``__main__`` and threads) that opens the read-only store itself, evaluates one
query at a time and sends back the serialized answer. A query that runs past the time
limit has its worker killed with SIGKILL (Rust code cannot be interrupted by a Python
signal handler) and replaced at once, so the core is freed. A worker that dies (a crash
in the evaluator) is replaced too. A worker ends when its pipe closes.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

from ascn_kg.store.evaluate import evaluate_safely
from ascn_kg.store.protocol import (
    QueryFailed,
    QueryOutcome,
    QueryRequest,
    QueryTimeout,
    StoreBusy,
    StoreError,
    StoreMissing,
    one_line,
    timeout_message,
)

READY = "ready"
START_TIMEOUT = 30.0  # seconds a new worker may take to open the store


def exit_with_parent(interval: float = 0.5) -> None:
    """End this process soon after its parent dies, even in the middle of a query.

    pyoxigraph releases the GIL while it evaluates, so this thread keeps running.
    """
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(interval)
        os._exit(1)

    threading.Thread(target=watch, name="parent-watch", daemon=True).start()


# Workers start and evaluate at a lower CPU priority than the processes answering requests:
# a query running to the time limit (and the start of its replacement) must not starve pages,
# search and cached answers on a small machine. ``nice`` execs, so the worker keeps its pid.
WORKER_NICENESS = 10
NICE = ("nice", "-n", str(WORKER_NICENESS)) if shutil.which("nice") else ()


def worker_main(conn: Connection, store_dir: str) -> None:
    """A worker's loop: open the store, then answer requests until the pipe closes."""
    exit_with_parent()
    try:
        store = ox.Store.read_only(store_dir)
    except (OSError, RuntimeError) as error:
        message = f"cannot open the store at {store_dir}: {one_line(error)}"
        conn.send(("error", StoreMissing(message)))
        return
    conn.send((READY, None))
    while True:
        try:
            request = conn.recv()
        except (EOFError, OSError):
            return
        try:
            reply: tuple[str, Any] = ("ok", evaluate_safely(store, request))
        except StoreError as error:  # every failure: an evaluator error must not kill the worker
            reply = ("error", error)
        conn.send(reply)


class _Worker:
    """One worker process and the parent's end of its pipe."""

    def __init__(self, store_dir: Path) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [*NICE, sys.executable, "-m", "ascn_kg.store.pool", str(store_dir), str(theirs.fileno())],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.ready = False

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_TIMEOUT):
            raise QueryFailed("a query worker did not start in time")
        status, error = self.conn.recv()
        if status != READY:
            raise error
        self.ready = True

    def kill(self) -> None:
        with contextlib.suppress(OSError):
            self.process.kill()
        self.process.wait(5)
        self.conn.close()


class QueryPool:
    """At most ``size`` workers, started when first needed; :meth:`run` evaluates a request in one,
    within ``timeout`` seconds.

    A slot is taken for the whole evaluation, so no more than ``size`` processes ever exist:
    an idle worker is reused (the warmest first), a new one starts only when every existing
    one is busy. A worker killed at the time limit is replaced at once, off the request path.
    """

    def __init__(self, store_dir: Path, size: int, timeout: float) -> None:
        self.store_dir = store_dir
        self.timeout = timeout
        self.size = max(1, size)
        self._slots = threading.BoundedSemaphore(self.size)
        self._idle: queue.LifoQueue[_Worker] = queue.LifoQueue()
        self._all: set[_Worker] = set()
        self._lock = threading.Lock()
        self._closed = False

    def warm(self) -> None:
        """Start one worker now, so that the first query does not wait for a process to start."""
        with self._lock:
            if self._all or self._closed:
                return
        self._idle.put(self._spawn())

    def _spawn(self) -> _Worker:
        worker = _Worker(self.store_dir)
        with self._lock:
            self._all.add(worker)
        return worker

    def _retire(self, worker: _Worker) -> None:
        worker.kill()
        with self._lock:
            self._all.discard(worker)
        if not self._closed:
            self._idle.put(self._spawn())

    def run(self, request: QueryRequest) -> QueryOutcome:
        """Evaluate in a worker; kill it if the time limit passes."""
        if not self._slots.acquire(timeout=self.timeout):
            raise StoreBusy("all query workers are busy; try again shortly")
        try:
            return self._run(request)
        finally:
            self._slots.release()

    def _run(self, request: QueryRequest) -> QueryOutcome:
        try:
            worker = self._idle.get_nowait()
        except queue.Empty:  # every existing worker is busy and a slot is free: one more
            worker = self._spawn()
        try:
            worker.wait_ready()
            worker.conn.send(request)
            if not worker.conn.poll(self.timeout):
                self._retire(worker)
                raise QueryTimeout(timeout_message(self.timeout))
            status, payload = worker.conn.recv()
        except (EOFError, OSError, QueryFailed, StoreMissing) as error:
            self._retire(worker)
            if isinstance(error, StoreError):
                raise
            raise QueryFailed("the query worker died while evaluating the query") from error
        self._idle.put(worker)
        if status != "ok":
            raise payload
        return payload

    def close(self) -> None:
        """Kill every worker."""
        self._closed = True
        with self._lock:
            workers = list(self._all)
            self._all.clear()
        for worker in workers:
            worker.kill()


def _main(argv: list[str]) -> None:
    """Entry of a worker process: ``python -m ascn_kg.store.pool STORE_DIR FD``."""
    store_dir, fd = argv
    worker_main(Connection(int(fd)), store_dir)


if __name__ == "__main__":
    _main(sys.argv[1:])
