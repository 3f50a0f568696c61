"""The operations layer: health probes, metrics, the query log and response headers.

``init_app(app, settings)`` installs all of it. The SPARQL endpoint reports each request
through :func:`record_query`, which counts it and writes its log line.

Bookkeeping happens after the response is sent: during a request, :func:`record_query`
only checks its arguments and queues them; the metrics and log lines are written when
the WSGI server closes the response (``Response.call_on_close``), so the client never
waits for them. Outside a request they are written at once. In tests, close the
response (``with client.get(...) as response:``) before looking at metrics or logs.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import multiprocessing.util
import os
import queue
import threading
import time
from functools import partial
from typing import Any

from flask import Flask, Response, current_app, has_request_context, request
from prometheus_client import CollectorRegistry

from ascn_kg.config import Settings
from ascn_kg.ops import headers, health
from ascn_kg.ops.app_state import store
from ascn_kg.ops.clients import client_of
from ascn_kg.ops.metrics import OUTCOMES, Metrics, Tally, create_metrics, exposition
from ascn_kg.ops.querylog import (
    QUERY_LOGGER_NAME,
    RepeatFilter,
    configure_logging,
    log_query,
    query_fields,
    query_level,
)

__all__ = ["REQUEST_START", "Ops", "init_app", "queue_query", "record_query"]

EXTENSION_KEY = "ascn_ops"
REQUEST_START = "ascn_kg.request_start"  # perf_counter() when the request arrived (WSGI environ)
_PENDING = "ascn_kg.pending_queries"
_HANDED_OVER = "ascn_kg.bookkeeping_scheduled"

log = logging.getLogger(__name__)
_BOOKKEEPER_LOCK = threading.Lock()
BOOKKEEPING_BATCH_S = 0.02  # how long the bookkeeping thread lets requests gather
BOOKKEEPING_BATCH_MAX = 1000


class Ops:
    """Per-app operations state: settings, metrics (or None when disabled) and the query log."""

    def __init__(
        self, settings: Settings, metrics: Metrics | None, registry: CollectorRegistry | None
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.registry = registry
        self.query_log = logging.getLogger(QUERY_LOGGER_NAME)
        self.repeats = RepeatFilter()  # one line a second for a client's flood of refusals
        self._queue: queue.Queue[Any] | None = None
        self._bookkeeping_pid: int | None = None

    def write_query(
        self, outcome: str, duration_s: float, rows: int | None, query: str, client: str | None,
        reason: str | None, truncated: bool, user_agent: str | None,
        error: BaseException | None, created: float, tally: Tally | None = None,
    ) -> None:
        """Update the metrics and write the log line of one query (no Flask context needed)."""
        cached = outcome == "cached"
        slow = duration_s > self.settings.slow_query_seconds
        if self.metrics is not None:
            self.metrics.observe_query(outcome, duration_s, rows, reason, cached, truncated, slow, tally)
        if not self.settings.query_log_enabled:
            return
        level = query_level(outcome, slow, reason)
        if not self.query_log.isEnabledFor(level):
            return
        left_out = self.repeats.admit(client, reason, created) if outcome == "refused" else 0
        if left_out is None:
            return
        fields = query_fields(
            outcome=outcome, duration_s=duration_s, rows=rows, query=query, client=client,
            user_agent=user_agent, reason=reason, cached=cached, truncated=truncated,
            slow=slow, query_bytes=self.settings.log_query_bytes,
        )
        if left_out:
            fields["repeats_left_out"] = left_out
        log_query(self.query_log, level, fields, error, created)

    def finish(self, environ: dict[str, Any], request_key: tuple[Any, ...] | None) -> None:
        """Write what a request left: its request count, then its queries' metrics and logs.

        With ``bookkeeping_thread`` (set by ``ascn-kg serve``) the writing is handed to a
        thread of this process, so the worker thread is free for the next request at once.
        """
        pending = environ.pop(_PENDING, None) or []
        if self.settings.bookkeeping_thread:
            self._bookkeeper().put((pending, request_key))
            return
        self.write(pending, request_key)

    def _bookkeeper(self) -> queue.Queue[Any]:
        """This process's bookkeeping queue and thread (made after the server forks its workers)."""
        if self._bookkeeping_pid != os.getpid():
            with _BOOKKEEPER_LOCK:
                if self._bookkeeping_pid != os.getpid():
                    self._queue = queue.Queue()
                    threading.Thread(target=self._keep_books, args=(self._queue,), name="ascn-bookkeeping",
                                     daemon=True).start()
                    self._bookkeeping_pid = os.getpid()
                    # written out at exit: atexit for a plain process, a finalizer for a worker
                    # started by multiprocessing (granian's), which leaves without atexit
                    atexit.register(self.drain)
                    multiprocessing.util.Finalize(self, self.drain, exitpriority=10)
        assert self._queue is not None
        return self._queue

    def _keep_books(self, items: queue.Queue[Any]) -> None:
        """Write in batches: wait a moment after the first item, then take all that came.

        Requests arriving meanwhile run without this thread contending for the GIL, and a
        busy process wakes it once per batch instead of once per request.
        """
        while True:
            batch = [items.get()]
            time.sleep(BOOKKEEPING_BATCH_S)
            with contextlib.suppress(queue.Empty):
                while len(batch) < BOOKKEEPING_BATCH_MAX:
                    batch.append(items.get_nowait())
            try:
                self.write_batch(batch)
            finally:
                for _ in batch:
                    items.task_done()

    def drain(self) -> None:
        """Wait until this process has written everything handed to its bookkeeping thread."""
        if self._queue is not None and self._bookkeeping_pid == os.getpid():
            self._queue.join()

    def write(self, pending: list[Any], request_key: tuple[Any, ...] | None) -> None:
        """Count a request and write its queries' metrics and log lines; never raises."""
        self.write_batch([(pending, request_key)])

    def write_batch(self, batch: list[tuple[list[Any], tuple[Any, ...] | None]]) -> None:
        """Count the batch's requests and write their queries' metrics (added up) and log lines."""
        tally = Tally()
        try:
            for pending, request_key in batch:
                if request_key is not None and self.metrics is not None:
                    self.metrics.observe_request(*request_key, tally=tally)
                for entry in pending:
                    self.write_query(*entry, tally=tally)
            tally.write()
        except Exception:  # the response is already sent: report, never raise into the server
            log.exception("writing request metrics or query log failed")


def requester(environ: dict[str, Any], client: str | None, user_agent: str | None,
              proxies: tuple[str, ...] = ()) -> tuple[Any, Any]:
    """The client and user agent to log: the given ones, else the request's (its client named
    by :func:`~ascn_kg.ops.clients.client_of`, through ``proxies`` when they are trusted)."""
    return (client_of(environ, proxies) if client is None else client,
            environ.get("HTTP_USER_AGENT") if user_agent is None else user_agent)


def queue_query(
    environ: dict[str, Any], outcome: str, duration_s: float, rows: int | None, query: str,
    reason: str | None = None, truncated: bool = False, error: BaseException | None = None,
    *, client: str | None = None, user_agent: str | None = None, proxies: tuple[str, ...] = (),
) -> None:
    """Keep a query's log entry with its WSGI request, to be written by :meth:`Ops.finish`.

    ``client`` and ``user_agent`` default to the request's.
    """
    client, user_agent = requester(environ, client, user_agent, proxies)
    environ.setdefault(_PENDING, []).append(
        (outcome, duration_s, rows, query, client, reason, truncated, user_agent, error, time.time()))


def record_query(
    outcome: str,
    duration_s: float,
    rows: int | None,
    query: str,
    client: str | None = None,
    reason: str | None = None,
    cached: bool = False,
    truncated: bool = False,
    *,
    user_agent: str | None = None,
    error: BaseException | None = None,
) -> None:
    """Count one SPARQL request in the metrics and write its JSON log line.

    ``outcome`` is one of ok, cached, refused, timeout, error (ok with ``cached=True``
    counts as cached); ``reason`` names a refusal (update, service, nesting, size, syntax,
    encoding; anything else is counted as other); ``rows`` is the number of rows or
    triples sent; ``truncated`` says they were cut at the row limit. ``client`` and
    ``user_agent`` default to the current request's. ``error`` is logged with its
    traceback only when the outcome is ``error``. Raises ValueError for an unknown outcome.
    """
    ops: Ops = current_app.extensions[EXTENSION_KEY]
    if outcome not in OUTCOMES:
        raise ValueError(f"unknown query outcome {outcome!r}; expected one of {OUTCOMES}")
    if cached and outcome == "ok":
        outcome = "cached"
    if has_request_context():
        environ = request.environ
        proxies = ops.settings.trusted_proxies
        if _PENDING in environ:  # written once the response has been sent
            queue_query(environ, outcome, duration_s, rows, query, reason, truncated, error,
                        client=client, user_agent=user_agent, proxies=proxies)
            return
        client, user_agent = requester(environ, client, user_agent, proxies)
    ops.write_query(outcome, duration_s, rows, query, client, reason, truncated, user_agent,
                    error, time.time())


def _start_request() -> None:
    environ = request.environ
    environ.setdefault(REQUEST_START, time.perf_counter())  # the /sparql lane may have set it
    environ.setdefault(_PENDING, [])


def _request_key(status: int) -> tuple[Any, ...] | None:
    started = request.environ.get(REQUEST_START)
    if started is None:
        return None
    rule = request.url_rule
    return (rule.rule if rule is not None else None, request.method, status,
            time.perf_counter() - started)


def _schedule_bookkeeping(response: Response) -> Response:
    """``after_request``: do this request's bookkeeping once the response has been sent."""
    environ = request.environ
    ops: Ops = current_app.extensions[EXTENSION_KEY]
    response.call_on_close(partial(ops.finish, environ, _request_key(response.status_code)))
    environ[_HANDED_OVER] = True
    return response


def _bookkeeping_fallback(error: BaseException | None) -> None:
    """``teardown_request``: an exception skipped ``after_request``; count it as a 500 now."""
    environ = request.environ
    if not environ.get(_HANDED_OVER) and _PENDING in environ:
        ops: Ops = current_app.extensions[EXTENSION_KEY]
        ops.finish(environ, _request_key(500))


def metrics_view() -> Response:
    """The Prometheus scrape: all workers' counters added up, plus the dataset gauges."""
    ops: Ops = current_app.extensions[EXTENSION_KEY]
    assert ops.registry is not None
    ops.drain()  # this process's counts are complete (other workers' land within microseconds)
    body, content_type = exposition(ops.registry, request.headers.get("Accept"))
    response = Response(body, content_type=content_type)
    response.headers["Cache-Control"] = "no-store"
    return response


def init_app(app: Flask, settings: Settings) -> Ops:
    """Install logging, ``/healthz``, ``/readyz``, ``/metrics`` and the response headers."""
    configure_logging(settings)
    metrics: Metrics | None = None
    registry: CollectorRegistry | None = None
    if settings.metrics_enabled:
        metrics, registry = create_metrics(lambda: store(app))
        app.add_url_rule("/metrics", "metrics", metrics_view, methods=["GET"])
    ops = app.extensions[EXTENSION_KEY] = Ops(settings, metrics, registry)
    app.before_request(_start_request)
    app.after_request(_schedule_bookkeeping)
    app.teardown_request(_bookkeeping_fallback)
    app.register_blueprint(health.bp)
    headers.init_app(app)
    return ops
