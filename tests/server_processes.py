"""The processes of a running test server, and their memory, read from ``/proc``.

A server started by :func:`liveserver.running_server` leads its own session: the master is
the session leader, its web workers are its forks, and query processes run
``ascn_kg.store.pool``. Memory is the resident set (``VmRSS``), in bytes, never a timing.
"""

from __future__ import annotations

import contextlib
import urllib.parse
from dataclasses import dataclass
from pathlib import Path

POOL_MODULE = "ascn_kg.store.pool"


def _stat(pid: int) -> list[str] | None:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return None


def command_of(pid: int) -> str:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    return ""


def rss_bytes(pid: int) -> int:
    """The resident memory of ``pid`` now (0 once it has gone)."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    return 0


@dataclass(frozen=True)
class ServerProcesses:
    master: int
    workers: tuple[int, ...]
    queries: tuple[int, ...]

    @property
    def all(self) -> tuple[int, ...]:
        return (self.master, *self.workers, *self.queries)

    def rss(self) -> int:
        """The summed resident memory of every process of the server."""
        return sum(rss_bytes(pid) for pid in self.all)


def server_processes(base: str) -> ServerProcesses:
    """The master (the session leader serving ``base``'s port), its web workers and query processes."""
    port = urllib.parse.urlsplit(base).port
    stats = {int(p.name): s for p in Path("/proc").iterdir() if p.name.isdigit() and (s := _stat(int(p.name)))}
    masters = [pid for pid, s in stats.items() if int(s[3]) == pid and f"--port {port} " in command_of(pid) + " "]
    assert len(masters) == 1, f"no single server on port {port}: {masters}"
    master = masters[0]
    session = [pid for pid, s in stats.items() if int(s[3]) == master and pid != master]
    queries = tuple(sorted(pid for pid in session if POOL_MODULE in command_of(pid)))
    workers = tuple(sorted(pid for pid in session if int(stats[pid][1]) == master and pid not in queries))
    return ServerProcesses(master, workers, queries)
