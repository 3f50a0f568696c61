"""Prometheus metrics: HTTP requests, SPARQL queries, the dataset; served at ``/metrics``.

Under the server every worker is its own process, so counters live in prometheus_client's
multiprocess mode: ``PROMETHEUS_MULTIPROC_DIR`` names an empty folder, set in the
environment *before* Python imports prometheus_client (see :mod:`ascn_kg.ops.multiproc`),
and each scrape adds up the files of all workers. Without the variable (``flask run``,
tests) each app has its own in-memory registry.

Label values are bounded (URL rules, not paths; fixed outcome and reason sets) and the
labelled children are looked up once and cached, so recording costs a few microseconds.
"""

from __future__ import annotations

import os
import threading
from bisect import bisect_left
from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    multiprocess,
    values,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector

from ascn_kg.ops.multiproc import ENV_VAR

PREFIX = "ascn_kg"
OUTCOMES = ("ok", "cached", "refused", "timeout", "error")
# "client": past the client's share (429); "busy": every query thread or process taken (503);
# "memory": stopped at the memory limit of a query process (503).
REFUSAL_REASONS = ("update", "service", "nesting", "size", "syntax", "encoding", "client", "busy", "memory",
                   "other")
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH"})
UNMATCHED_ROUTE = "<unmatched>"
QUERY_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                 5.0, 10.0, 30.0, 60.0)
REQUEST_BUCKETS = (0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


def multiprocess_dir() -> str | None:
    """The multiprocess folder, or None in single-process mode.

    prometheus_client chooses its storage when it is first imported; an environment that
    changed since then would silently give per-worker counts, so it is an error.
    """
    path = os.environ.get(ENV_VAR)
    mmapped = bool(getattr(values.ValueClass, "_multiprocess", False))
    if bool(path) != mmapped:
        raise RuntimeError(
            f"{ENV_VAR} must be set (to an existing, empty folder) before prometheus_client "
            "is imported, and not changed afterwards"
        )
    if path and not os.path.isdir(path):
        raise RuntimeError(f"{ENV_VAR}={path!r} is not a folder")
    return path or None


class Metrics:
    """The application's metric objects, with their label children cached."""

    def __init__(self, registry: CollectorRegistry | None) -> None:
        def counter(name: str, doc: str, labels: tuple[str, ...] = ()) -> Counter:
            return Counter(f"{PREFIX}_{name}", doc, labels, registry=registry)

        self.requests = counter(
            "http_requests_total", "HTTP requests by URL rule, method and status.",
            ("route", "method", "status"),
        )
        self.request_seconds = Histogram(
            f"{PREFIX}_http_request_duration_seconds", "HTTP request duration by URL rule.",
            ("route",), registry=registry, buckets=REQUEST_BUCKETS,
        )
        self.queries = counter("sparql_queries_total", "SPARQL queries by outcome.", ("outcome",))
        self.query_seconds = Histogram(
            f"{PREFIX}_sparql_query_duration_seconds", "SPARQL query duration by outcome.",
            ("outcome",), registry=registry, buckets=QUERY_BUCKETS,
        )
        self.timeouts = counter("sparql_timeouts_total", "Queries stopped at the time limit.")
        self.truncated = counter(
            "sparql_truncated_total", "Queries whose results were cut at the row or byte limit."
        )
        self.rows = counter("sparql_result_rows_total", "Result rows (or triples) returned.")
        self.slow = counter("sparql_slow_queries_total", "Queries over the slow-query threshold.")
        self.cache_hits = counter("sparql_cache_hits_total", "Queries answered from the cache.")
        self.cache_misses = counter(
            "sparql_cache_misses_total", "Queries evaluated because the cache lacked them."
        )
        self.refused = counter(
            "sparql_refused_total", "Queries refused (before evaluation, or at the memory limit), by reason.",
            ("reason",),
        )
        self._by_outcome = {o: (self.queries.labels(o), self.query_seconds.labels(o))
                            for o in OUTCOMES}
        self._by_reason = {r: self.refused.labels(r) for r in REFUSAL_REASONS}
        self._request_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self._lock = threading.Lock()

    def observe_query(
        self, outcome: str, duration_s: float, rows: int | None, reason: str | None,
        cached: bool, truncated: bool, slow: bool, tally: Tally | None = None,
    ) -> None:
        """Count one SPARQL query (into ``tally``, written with the rest of its batch)."""
        into = tally or Tally()
        count, seconds = self._by_outcome[outcome]
        into.inc(count)
        into.observe(seconds, duration_s)
        if outcome == "refused":
            into.inc(self._by_reason.get(reason or "other", self._by_reason["other"]))
        else:
            into.inc(self.cache_hits if cached else self.cache_misses)
        if outcome == "timeout":
            into.inc(self.timeouts)
        if truncated:
            into.inc(self.truncated)
        if rows:
            into.inc(self.rows, rows)
        if slow:
            into.inc(self.slow)
        if tally is None:
            into.write()

    def observe_request(
        self, rule: str | None, method: str, status: int, seconds: float, tally: Tally | None = None,
    ) -> None:
        """Count one HTTP request under its URL rule (never its raw path)."""
        key = (rule or UNMATCHED_ROUTE, method if method in METHODS else "other", status)
        children = self._request_children.get(key)
        if children is None:
            with self._lock:
                children = (self.requests.labels(key[0], key[1], str(status)),
                            self.request_seconds.labels(key[0]))
                self._request_children[key] = children
        into = tally or Tally()
        into.inc(children[0])
        into.observe(children[1], seconds)
        if tally is None:
            into.write()


class Tally:
    """Counts and observations of a batch of requests, written with one increment per series.

    A busy process answers thousands of requests a second; in multiprocess mode every
    increment is a locked write to a memory-mapped file, so a batch adds up what it can first.
    """

    def __init__(self) -> None:
        self.counts: dict[Any, float] = {}
        self.observed: dict[Any, list[float]] = {}

    def inc(self, counter: Any, amount: float = 1.0) -> None:
        self.counts[counter] = self.counts.get(counter, 0.0) + amount

    def observe(self, histogram: Any, amount: float) -> None:
        self.observed.setdefault(histogram, []).append(amount)

    def write(self) -> None:
        for counter, amount in self.counts.items():
            counter.inc(amount)
        for histogram, amounts in self.observed.items():
            observe_all(histogram, amounts)


def observe_all(histogram: Any, amounts: list[float]) -> None:
    """``histogram.observe`` for each amount, as one increment per bucket touched and one of the sum.

    Uses the labelled histogram's buckets (``_upper_bounds``, ``_buckets``, ``_sum``: stable in
    prometheus_client for years); falls back to one ``observe`` each if they are not there.
    """
    bounds = getattr(histogram, "_upper_bounds", None)
    if bounds is None or not hasattr(histogram, "_buckets") or not hasattr(histogram, "_sum"):
        for amount in amounts:
            histogram.observe(amount)
        return
    per_bucket: dict[int, int] = {}
    for amount in amounts:
        index = bisect_left(bounds, amount)  # the first bound >= amount, as observe() picks it
        per_bucket[index] = per_bucket.get(index, 0) + 1
    histogram._sum.inc(sum(amounts))
    for index, count in per_bucket.items():
        histogram._buckets[index].inc(count)


class DatasetCollector(Collector):
    """Dataset version (info-style gauge) and triple count, read from the store at scrape time.

    The triple count can be a full scan, so it is computed once per dataset version.
    """

    def __init__(self, get_store: Callable[[], Any]) -> None:
        self._get_store = get_store
        self._counted: tuple[str, int] | None = None
        self._lock = threading.Lock()

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            f"{PREFIX}_dataset_info", "The dataset version being served (value 1).",
            labels=["version"],
        )
        triples = GaugeMetricFamily(
            f"{PREFIX}_dataset_triples",
            "Triples in the dataset's named graphs, as in dist/ascn.nq (the description graph "
            "graph/void, served beside the data, is not counted).",
        )
        up = GaugeMetricFamily(f"{PREFIX}_store_up", "1 when the store answered this scrape.")
        store = self._get_store()
        try:
            version = store.version()
            with self._lock:
                if self._counted is None or self._counted[0] != version:
                    self._counted = (version, int(store.triple_count()))
                count = self._counted[1]
        except Exception:  # a scrape must still answer; store_up reports the failure
            up.add_metric([], 0)
            yield up
            return
        info.add_metric([version or "unknown"], 1)
        triples.add_metric([], count)
        up.add_metric([], 1)
        yield from (info, triples, up)


_PROCESS_METRICS: dict[str, Metrics] = {}
_PROCESS_LOCK = threading.Lock()


def create_metrics(get_store: Callable[[], Any]) -> tuple[Metrics, CollectorRegistry]:
    """The metrics to record into, and the registry a scrape reads.

    In multiprocess mode the metric objects are shared by every app of the process (their
    values live in this process's files) and the scrape registry merges all files.
    """
    path = multiprocess_dir()
    disable_created_metrics()  # process-wide: drop the *_created series (noise for counters)
    scrape = CollectorRegistry()
    if path:
        with _PROCESS_LOCK:
            metrics = _PROCESS_METRICS.get(path)
            if metrics is None:
                metrics = _PROCESS_METRICS[path] = Metrics(registry=None)
        multiprocess.MultiProcessCollector(scrape, path=path)
    else:
        metrics = Metrics(registry=scrape)
    scrape.register(DatasetCollector(get_store))
    return metrics, scrape


def exposition(registry: CollectorRegistry, accept: str | None) -> tuple[bytes, str]:
    """The scrape body and its content type (Prometheus text, or OpenMetrics on request)."""
    encoder, content_type = choose_encoder(accept or "")
    return encoder(registry), content_type
