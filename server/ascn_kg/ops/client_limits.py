"""Fair shares of a web worker: no client can take the threads, the query processes or the
query time that everyone else needs.

A web worker answers on a fixed number of threads (granian's ``threads``). A query holds one
of them while it waits for a query process, while it runs and while a large answer is being
sent, so :class:`QueryGate` lets queries hold at most ``query_capacity`` of them (the rest
stay free for pages, search, ``/healthz`` and ``/readyz``), and one client at most
``client_queries``. It also keeps each client's query time over the last minute: past
``client_query_seconds`` the client waits until older queries leave the window. Beyond its
share a client gets 429; when every query thread is taken, 503; both with ``Retry-After``
(:class:`~ascn_kg.errors.LimitReached`). :class:`RateLimiter` counts events per client and
minute (permalinks made). Counts are per web worker (``workers`` is 1 by default). A load
test playing many users from one address sets ``client_queries`` and ``client_query_seconds``
to 0 (no per-client cap, no budget); the worker's capacity still holds.

The gates never wait: a thread that cannot have a share is answered at once and set free.
"""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ascn_kg.config import Settings
from ascn_kg.errors import LimitReached
from ascn_kg.ops.clients import trusted_networks

WINDOW_S = 60.0
SWEEP_EVERY = 1024  # forget idle clients after this many admissions
GATE_KEY = "ascn_query_gate"
LIMITERS_KEY = "ascn_rate_limiters"


@dataclass
class Ticket:
    """A query's hold on a share: :meth:`release` it once (extra calls do nothing), with the
    query time to charge to its client."""

    gate: QueryGate
    client: str
    _open: bool = field(default=True)

    def release(self, seconds: float = 0.0) -> None:
        if self._open:
            self._open = False
            self.gate._leave(self.client, seconds)


class _Spent:
    """A client's query time in per-second buckets (at most one a second of the window), with their
    running total: each admission costs a few operations, however many queries the client sends.
    A bucket leaves the window with the second it starts (up to a second early for its last query)."""

    def __init__(self) -> None:
        self.buckets: deque[list[float]] = deque()  # [second, seconds spent in it]
        self.total = 0.0

    def add(self, now: float, seconds: float) -> None:
        second = float(int(now))
        if self.buckets and self.buckets[-1][0] == second:
            self.buckets[-1][1] += seconds
        else:
            self.buckets.append([second, seconds])
        self.total += seconds

    def expire(self, before: float) -> float:
        """Drop the buckets older than ``before``; the total left."""
        while self.buckets and self.buckets[0][0] <= before:  # a second's time leaves with its start
            self.total -= self.buckets.popleft()[1]
        if not self.buckets:
            self.total = 0.0
        return self.total

    def wait_under(self, budget: float, now: float) -> float:
        """How long until enough of the time leaves the window to be under ``budget``."""
        excess, wait = self.total - budget, 0.0
        for second, seconds in self.buckets:  # the oldest leave the window first
            if excess < 0:
                break
            excess -= seconds
            wait = second + WINDOW_S - now
        return max(wait, 0.0)


class QueryGate:
    """The query threads of one web worker and each client's share of them (module docstring)."""

    def __init__(self, capacity: int, per_client: int, seconds_per_minute: float,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.capacity, self.budget = max(1, capacity), seconds_per_minute
        self.per_client = per_client if per_client > 0 else sys.maxsize  # 0: only the worker's capacity
        self._clock = clock
        self._lock = threading.Lock()
        self._held = 0
        self._holding: dict[str, int] = {}
        self._spent: dict[str, _Spent] = {}  # client → its query time in the last minute
        self._admissions = 0

    @classmethod
    def from_settings(cls, settings: Settings) -> QueryGate:
        return cls(settings.query_capacity, settings.client_queries, settings.client_query_seconds)

    def enter(self, client: str) -> Ticket:
        """A share for one query of ``client``, or :class:`LimitReached` (429 or 503) at once."""
        now = self._clock()
        with self._lock:
            refusal = self._refusal(client, now)
            if refusal is not None:
                raise refusal
            self._held += 1
            self._holding[client] = self._holding.get(client, 0) + 1
            self._admissions += 1
            if self._admissions % SWEEP_EVERY == 0:
                self._sweep(now)
        return Ticket(self, client)

    def check(self, client: str) -> None:
        """:class:`LimitReached` if ``client`` could not have a share now (nothing is taken): lets a
        flooding client be answered before its request is read, planned or logged in full."""
        with self._lock:
            refusal = self._refusal(client, self._clock())
        if refusal is not None:
            raise refusal

    def _refusal(self, client: str, now: float) -> LimitReached | None:
        """Why ``client`` cannot have a share now (None: it can); called holding the lock."""
        if self._holding.get(client, 0) >= self.per_client:
            return LimitReached(f"too many queries at once: at most {self.per_client} of yours may run or be "
                                "sent at the same time; wait for an answer before sending the next", 1.0)
        spent, wait = self._spent_in_window(client, now)
        if self.budget and spent >= self.budget:
            return LimitReached(f"query time used up: your queries took {spent:.1f} s in the last minute and "
                                f"the limit is {self.budget:g} s", wait)
        if self._held >= self.capacity:
            return LimitReached("the server is answering as many queries as it can; try again shortly", 1.0,
                                status=503, reason="busy")
        return None

    def _leave(self, client: str, seconds: float) -> None:
        with self._lock:
            self._held -= 1
            left = self._holding.get(client, 1) - 1
            if left > 0:
                self._holding[client] = left
            else:
                self._holding.pop(client, None)
            if seconds > 0 and self.budget:
                self._spent.setdefault(client, _Spent()).add(self._clock(), seconds)

    def _spent_in_window(self, client: str, now: float) -> tuple[float, float]:
        """The client's query time in the last minute, and how long until it is under the budget."""
        spent = self._spent.get(client)
        if spent is None:
            return 0.0, 0.0
        total = spent.expire(now - WINDOW_S)
        if not spent.buckets:
            del self._spent[client]
            return 0.0, 0.0
        return total, spent.wait_under(self.budget, now) if total >= self.budget else 0.0

    def _sweep(self, now: float) -> None:
        for client in list(self._spent):
            self._spent_in_window(client, now)

    def holding(self, client: str) -> int:
        """How many shares ``client`` holds now."""
        with self._lock:
            return self._holding.get(client, 0)

    @property
    def held(self) -> int:
        """How many query threads are taken now."""
        return self._held


class RateLimiter:
    """At most ``per_minute`` events per client in any minute; :class:`LimitReached` past it."""

    def __init__(self, per_minute: int, what: str, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute, self.what = per_minute, what
        self._clock = clock
        self._lock = threading.Lock()
        self._events: dict[str, deque[float]] = {}
        self._counted = 0

    def count(self, client: str) -> None:
        """Count one event of ``client``, or refuse it (429 with the seconds to wait)."""
        if self.per_minute <= 0:
            return
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(client, deque())
            while events and events[0] <= now - WINDOW_S:
                events.popleft()
            if len(events) >= self.per_minute:
                raise LimitReached(f"too many {self.what}: at most {self.per_minute} a minute from one client",
                                   events[0] + WINDOW_S - now)
            events.append(now)
            self._counted += 1
            if self._counted % SWEEP_EVERY == 0:
                for name in [n for n, e in self._events.items() if not e or e[-1] <= now - WINDOW_S]:
                    del self._events[name]


def init_app(app: Any, settings: Settings) -> QueryGate:
    """Give ``app`` (a web worker's application) its query gate; a bad ``trusted_proxies`` entry
    fails here, at the start, not at a request."""
    trusted_networks(settings.trusted_proxies)
    gate = app.extensions[GATE_KEY] = QueryGate.from_settings(settings)
    app.extensions[LIMITERS_KEY] = {}
    return gate


def query_gate(app: Any) -> QueryGate | None:
    """The app's query gate (None for an app made without one)."""
    return app.extensions.get(GATE_KEY)


def rate_limiter(app: Any, name: str, per_minute: int, what: str) -> RateLimiter:
    """The app's limiter called ``name`` (made on first use)."""
    limiters: dict[str, RateLimiter] = app.extensions.setdefault(LIMITERS_KEY, {})
    limiter = limiters.get(name)
    if limiter is None:
        limiter = limiters.setdefault(name, RateLimiter(per_minute, what))
    return limiter
