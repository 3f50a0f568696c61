"""Killable query evaluation: a small pool of worker processes over raw socket pipes.

Each worker is a fresh ``python -P -m ascn_kg.store.pool`` process (independent of the
parent's ``__main__`` and threads, and never importing from the working folder) that limits
its own memory (``RLIMIT_DATA`` at ``query_memory_bytes``), opens the read-only store,
evaluates one query at a time and sends back the serialized answer. A query that runs past
the time limit has its worker killed with SIGKILL (Rust code cannot be interrupted by a
Python signal handler) and replaced at once, so the core is freed. A query that needs more
memory than the limit makes pyoxigraph's allocator abort the worker ("memory allocation of
N bytes failed" on its stderr): the client is told the memory limit stopped it, and the
worker is replaced. A worker that dies otherwise (a crash in the evaluator) is replaced too.
A worker ends when its pipe closes. What a worker writes on stderr is logged as warnings.
"""

from __future__ import annotations

import contextlib
import dataclasses
import logging
import os
import queue
import resource
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import deque
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO

import pyoxigraph as ox

from ascn_kg.memory_release import return_large_blocks
from ascn_kg.store.evaluate import evaluate_safely
from ascn_kg.store.protocol import (
    QueryFailed,
    QueryMemoryExceeded,
    QueryOutcome,
    QueryRequest,
    QueryTimeout,
    StoreBusy,
    StoreError,
    StoreMissing,
    memory_message,
    one_line,
    timeout_message,
)

READY = "ready"
START_TIMEOUT = 30.0  # seconds a new worker may take to open the store
EXIT_WAIT = 2.0  # seconds a worker whose pipe closed may take to exit before it is killed
ALLOCATION_FAILED = "memory allocation of"  # Rust's message before it aborts on a failed allocation
STDERR_LINE_CHARS = 500
BACKTRACE_HINT = "note: run with `RUST_BACKTRACE"  # Rust's advice after a panic: noise in our log

log = logging.getLogger(__name__)


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


def limit_memory(memory_bytes: int) -> None:
    """Cap this process's data memory (heap and private mappings) and write no core files.

    ``RLIMIT_DATA`` rather than ``RLIMIT_AS``: address space reserved but never used (thread
    stacks, allocator arenas, the store's mapped files) does not count against it.
    """
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_bytes > 0:
        resource.setrlimit(resource.RLIMIT_DATA, (memory_bytes, memory_bytes))


def worker_main(conn: Connection, store_dir: str, memory_bytes: int = 0) -> None:
    """A worker's loop: limit its memory, open the store, then answer requests until the pipe
    closes. An answer's body follows its outcome as raw bytes (no second copy in a pickle)."""
    exit_with_parent()
    limit_memory(memory_bytes)
    return_large_blocks()
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
            outcome = evaluate_safely(store, request)
        except QueryMemoryExceeded as error:  # the heap may be in pieces: answer, then make way
            conn.send(("error", error))
            return
        except StoreError as error:  # every other failure: an evaluator error must not kill the worker
            conn.send(("error", error))
            continue
        conn.send(("ok", dataclasses.replace(outcome, body=b"")))
        conn.send_bytes(outcome.body)


def worker_environment() -> dict[str, str]:
    """The environment of a worker: no Rust backtraces in the log, and an import path without
    empty or working-folder entries (``python -P`` keeps the working folder off it otherwise)."""
    env = {**os.environ, "RUST_BACKTRACE": "0"}
    here = os.getcwd()
    kept = [os.path.abspath(entry) for entry in env.get("PYTHONPATH", "").split(os.pathsep) if entry]
    kept = [entry for entry in kept if entry != here]
    if kept:
        env["PYTHONPATH"] = os.pathsep.join(kept)
    else:
        env.pop("PYTHONPATH", None)
    return env


class _Worker:
    """One worker process, the parent's end of its pipe, and the last lines of its stderr."""

    def __init__(self, store_dir: Path, memory_bytes: int = 0) -> None:
        ours, theirs = socket.socketpair()
        self.process = subprocess.Popen(
            [*NICE, sys.executable, "-P", "-m", "ascn_kg.store.pool", str(store_dir), str(theirs.fileno()),
             str(memory_bytes)],
            pass_fds=[theirs.fileno()],
            stdin=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            env=worker_environment(),
        )
        theirs.close()
        self.conn = Connection(ours.detach())
        self.ready = False
        self.said: deque[str] = deque(maxlen=8)
        assert self.process.stderr is not None
        self._reader = threading.Thread(target=self._read_stderr, args=(self.process.stderr,),
                                        name="ascn-pool-stderr", daemon=True)
        self._reader.start()

    def _read_stderr(self, stream: IO[bytes]) -> None:
        with stream:
            for raw in iter(stream.readline, b""):
                line = raw.decode("utf-8", "replace").strip()[:STDERR_LINE_CHARS]
                if line and not line.startswith(BACKTRACE_HINT):
                    self.said.append(line)
                    log.warning("query process %s: %s", self.process.pid, line)

    def _wait_exit(self) -> None:
        """Let a worker whose pipe closed finish exiting, and its last words reach :attr:`said`."""
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(EXIT_WAIT)
        self._reader.join(EXIT_WAIT)

    def failure(self, memory_bytes: int) -> StoreError:
        """Why this worker died during a query: the memory limit, or a crash."""
        self._wait_exit()
        if any(ALLOCATION_FAILED in line for line in self.said):
            return QueryMemoryExceeded(memory_message(memory_bytes))
        code = self.process.returncode
        how = f"signal {-code}" if code is not None and code < 0 else f"exit status {code}"
        return QueryFailed(f"the query worker died while evaluating the query ({how})")

    def wait_ready(self) -> None:
        if self.ready:
            return
        if not self.conn.poll(START_TIMEOUT):
            raise QueryFailed("a query worker did not start in time")
        try:
            status, error = self.conn.recv()
        except (EOFError, OSError):
            self._wait_exit()
            last = self.said[-1] if self.said else f"exit status {self.process.returncode}"
            raise QueryFailed(f"a query worker could not start: {last}") from None
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

    def __init__(self, store_dir: Path, size: int, timeout: float, memory_bytes: int = 0) -> None:
        self.store_dir = store_dir
        self.timeout = timeout
        self.memory_bytes = memory_bytes
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
        worker = _Worker(self.store_dir, self.memory_bytes)
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
            if status == "ok":
                payload = dataclasses.replace(payload, body=worker.conn.recv_bytes())
        except (EOFError, OSError) as error:
            failure = worker.failure(self.memory_bytes)
            self._retire(worker)
            raise failure from error
        except (QueryFailed, StoreMissing):
            self._retire(worker)
            raise
        if isinstance(payload, QueryMemoryExceeded):  # the worker has left: a fresh one takes its place
            self._retire(worker)
            raise QueryMemoryExceeded(memory_message(self.memory_bytes))
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
    """Entry of a worker process: ``python -P -m ascn_kg.store.pool STORE_DIR FD MEMORY_BYTES``."""
    # Ctrl+C reaches the whole process group: the parent stops its workers itself (its pipe closes).
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    store_dir, fd, memory_bytes = argv
    worker_main(Connection(int(fd)), store_dir, int(memory_bytes))


if __name__ == "__main__":
    _main(sys.argv[1:])
