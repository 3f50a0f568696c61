"""The embedded backend: the read-only pyoxigraph store of ``dist/store``.

In-process ``select``/``ask``/``construct`` for cheap internal queries; public queries
(``execute``) go to a killable pool of worker processes, which call :func:`evaluate`.

A public query whose cost is unknown always runs in the pool, where the time limit can
stop it. A request the pool answered within ``inline_query_ms`` is remembered (query
text, dataset parameters, format and row cap) and later runs in-process, saving the
round trip: the store is read-only, so the same request does the same work again and
cannot come near the limit. Queries that call volatile functions (``RAND``, ``NOW`` …)
or a remote service never run in-process: their cost can change between runs. If an
in-process run ever takes longer than the budget, the request goes back to the pool.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pyoxigraph as ox
from rdflib import Graph

from ascn_kg.bounded_cache import BoundedCache, text_bytes
from ascn_kg.store.binding import bind_values
from ascn_kg.store.dataset_counts import dataset_counts
from ascn_kg.store.evaluate import evaluate_safely
from ascn_kg.store.pool import QueryPool
from ascn_kg.store.protocol import (
    QueryOutcome,
    QueryRequest,
    QuerySyntaxError,
    StoreMissing,
    one_line,
    read_version,
)
from ascn_kg.store.terms import to_rdflib

if TYPE_CHECKING:
    from rdflib.term import Node

    from ascn_kg.config import Settings

PROVEN_MAX = 4096  # requests remembered as cheap, at most (and within the "proven" cache budget)


class EmbeddedStore:
    """The read-only pyoxigraph store of ``dist/store``; public queries go to a killable pool."""

    def __init__(self, settings: Settings) -> None:
        # ``dist`` is a link that a new build swaps: resolve it once, so that this process
        # (and the query workers it starts later) keep reading the build it opened until reload.
        self._root = settings.dist_dir.resolve()
        path = self._root / "store"
        if not path.is_dir():
            raise StoreMissing(f"no store at {path}: run `ascn-kg build` first")
        try:
            self._store = ox.Store.read_only(str(path))
        except (OSError, RuntimeError) as error:  # RuntimeError("Corruption: …") when damaged
            raise StoreMissing(f"cannot open the store at {path}: {one_line(error)}") from error
        self._settings = settings
        self._version = read_version(self._root)
        self._pool: Any = None
        self._pool_lock = threading.Lock()
        self._inline_s = settings.inline_query_ms / 1000
        self._proven: BoundedCache[bool] = BoundedCache(PROVEN_MAX, settings.cache_budgets["proven"])

    def version(self) -> str:
        return self._version

    def _query(self, query: str, bindings: Mapping[str, Node] | None) -> Any:
        try:
            return self._store.query(bind_values(query, bindings), use_default_graph_as_union=True)
        except SyntaxError as error:
            raise QuerySyntaxError(str(error)) from error

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, Node]]:
        results = self._query(query, bindings)
        names = [v.value for v in results.variables]
        converted: dict[Any, Node] = {}  # a term met again (a predicate, a graph) is converted once

        def term(t: Any) -> Node:
            node = converted.get(t)
            if node is None:
                node = converted[t] = to_rdflib(t)
            return node

        return [{n: term(t) for n, t in zip(names, row, strict=True) if t is not None} for row in results]

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        return bool(self._query(query, bindings))

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        graph = Graph()
        for triple in self._query(query, bindings):
            graph.add((to_rdflib(triple.subject), to_rdflib(triple.predicate),
                       to_rdflib(triple.object)))
        return graph

    def triple_count(self) -> int:
        return dataset_counts(self, self._settings.base_iri).triples

    def graphs(self) -> list[str]:
        return sorted(g.value for g in self._store.named_graphs() if isinstance(g, ox.NamedNode))

    def execute(self, request: QueryRequest) -> QueryOutcome:
        """Evaluate a public query: in the killable pool, or in-process once proven cheap."""
        if not request.query.repeatable:  # its cost can change from one run to the next
            return self._pool_run(request)
        inline = self._inline_s > 0 and self._proven.get(request) is not None
        started = time.perf_counter()
        outcome = evaluate_safely(self._store, request) if inline else self._pool_run(request)
        cheap = time.perf_counter() - started <= self._inline_s
        if cheap != inline:  # newly proven cheap, or no longer: the hot path changes nothing
            self._remember(request, cheap)
        return outcome

    def _query_pool(self) -> QueryPool:
        with self._pool_lock:  # created lazily: after the server forks, where it is used
            if self._pool is None:
                s = self._settings
                self._pool = QueryPool(self._root / "store", s.query_pool_size, s.query_timeout,
                                       s.query_memory_bytes)
            return self._pool

    def _pool_run(self, request: QueryRequest) -> QueryOutcome:
        return self._query_pool().run(request)

    def warm(self) -> None:
        """Start a query process now, off the request path (the server calls this at start)."""
        self._query_pool().warm()

    def _remember(self, key: QueryRequest, cheap: bool) -> None:
        """Keep requests proven cheap (within the cache budget); forget one that was not."""
        if self._inline_s <= 0:
            return
        if cheap:
            self._proven.put(key, True, text_bytes(key.query.text, key.base_iri, *key.default_graphs,
                                                   *key.named_graphs))
        else:
            self._proven.discard(key)

    def close(self) -> None:
        with self._pool_lock:
            if self._pool is not None:
                self._pool.close()
                self._pool = None
