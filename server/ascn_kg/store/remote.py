"""The remote backend: any SPARQL 1.1 endpoint at ``backend_url``, through SPARQLWrapper.

Queries reach it only through the same seam (and, from /sparql, the same safety gate) as
the embedded store; values are bound with a VALUES block, answers are re-serialized and
cut to ``max_rows`` here.

The dataset is scoped explicitly: an engine's default graph may hold more than our data
(Virtuoso's holds its system graphs), so every query names its graphs in the protocol
(``default-graph-uri`` and ``named-graph-uri``), both of them, always. Our graphs are the
backend's graphs under ``{base}graph/``, found once. A query's own ``FROM``/``FROM NAMED``
clauses are taken out of its text and named the same way, kept to our graphs (an engine may
add a query's FROM to the protocol's graphs instead of replacing them). Relative IRIs get
the request's IRI as ``BASE`` (the protocol has no other way to say it). How each engine
deviates from the standards is in :mod:`ascn_kg.store.engines`, nowhere else.
"""

from __future__ import annotations

import ast
import contextlib
import json
import threading
from collections.abc import Mapping
from itertools import islice
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urljoin

import pyoxigraph as ox
from rdflib import Graph, Literal
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from ascn_kg.store.binding import bind_values
from ascn_kg.store.dataset_counts import dataset_counts
from ascn_kg.store.engines import Engine, detect, named_engine
from ascn_kg.store.protocol import (
    JSON_RESULTS,
    N_TRIPLES,
    BackendUnavailable,
    QueryMemoryExceeded,
    QueryOutcome,
    QueryRequest,
    QuerySyntaxError,
    QueryTimeout,
    StoreMissing,
    one_line,
    read_version,
    timeout_message,
)
from ascn_kg.store.results import boolean_outcome, solutions_outcome, triples_outcome
from ascn_kg.store.terms import json_term

if TYPE_CHECKING:
    from rdflib.term import Node

    from ascn_kg.config import Settings


# A graph no store holds: names "no graph at all" where the protocol needs at least one IRI
# (an engine given no named-graph-uri may fall back to every graph it has).
EMPTY_GRAPH = "urn:x-ascn-kg:no-graph"
REMOTE_READ_FACTOR = 4
GRAPHS_QUERY = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } FILTER(STRSTARTS(STR(?g), STR(?prefix))) }"
Graphs = tuple[str, ...]


class RemoteStore:
    """Any SPARQL 1.1 endpoint at ``backend_url``, through SPARQLWrapper."""

    def __init__(self, settings: Settings) -> None:
        self._url = str(settings.backend_url)
        self._timeout = settings.query_timeout
        # The most this process reads of one answer: room for max_result_bytes in any format.
        self._max_read = REMOTE_READ_FACTOR * settings.max_result_bytes
        self._version = read_version(settings.dist_dir)
        self._graph_prefix = f"{settings.base_iri}graph/"
        self._fallback_base = f"{settings.base_iri}sparql"
        self._base_iri = settings.base_iri
        self._engine: Engine | None = named_engine(settings.backend_engine)
        self._graphs: Graphs | None = None
        self._graphs_lock = threading.Lock()

    def version(self) -> str:
        return self._version

    @property
    def url(self) -> str:
        """The backend's query endpoint."""
        return self._url

    def engine(self) -> Engine:
        """The backend engine's profile (found from its first answer when set to ``auto``)."""
        if self._engine is None:
            self.dataset_graphs()
        return self._engine or detect(None)

    def dataset_graphs(self) -> Graphs:
        """Our named graphs in the backend (asked once; StoreMissing if there are none)."""
        with self._graphs_lock:
            if self._graphs is None:
                query = bind_values(GRAPHS_QUERY, {"prefix": Literal(self._graph_prefix)})
                document = json.loads(self._send(query, JSON_RESULTS, None))
                graphs = sorted(row["g"]["value"] for row in document["results"]["bindings"])
                if not graphs:
                    raise StoreMissing(f"the SPARQL backend holds no graph under {self._graph_prefix}: "
                                       "load the dataset with `ascn-kg publish --to GRAPH-STORE-URL`")
                self._graphs = tuple(graphs)
            return self._graphs

    def _request(self, query: str, accept: str, dataset: tuple[Graphs, Graphs] | None = None) -> bytes:
        """Send a query scoped to ``dataset`` (default graphs, named graphs); ours if None."""
        if dataset is None:
            graphs = self.dataset_graphs()
            dataset = (graphs, graphs)
        return self._send(query, accept, dataset)

    def _send(self, query: str, accept: str, dataset: tuple[Graphs, Graphs] | None) -> bytes:
        """POST a query (with its protocol dataset, if any) and return the answer's body."""
        client = SPARQLWrapper(self._url)
        client.setQuery(query)
        client.setMethod(POST)
        client.setOnlyConneg(True)
        client.setTimeout(max(1, round(self._timeout)))
        client.addCustomHttpHeader("Accept", accept)
        for graph in dataset[0] if dataset else ():
            client.addDefaultGraph(graph)
        for graph in dataset[1] if dataset else ():
            client.addNamedGraph(graph)
        try:
            response = client.query().response
            headers = response.headers
            if self._engine is None:
                self._engine = detect(headers.get("Server"))
            self._engine.check_complete(headers)
            return self._read_bounded(response, accept)
        except QueryBadFormed as error:
            raise QuerySyntaxError(self._message(error)) from error
        except SPARQLWrapperException as error:
            message = self._message(error)
            if self._engine is not None and self._engine.is_timeout(message):
                raise QueryTimeout(timeout_message(self._timeout)) from error
            raise BackendUnavailable(f"the SPARQL backend failed: {message}") from error
        except TimeoutError as error:
            raise QueryTimeout(timeout_message(self._timeout)) from error
        except OSError as error:  # URLError and friends
            if isinstance(getattr(error, "reason", None), TimeoutError):
                raise QueryTimeout(timeout_message(self._timeout)) from error
            raise BackendUnavailable(f"the SPARQL backend is unreachable: {error}") from error

    def _read_bounded(self, response: Any, accept: str) -> bytes:
        """The answer's body, at most :attr:`_max_read` bytes: N-Triples are cut at the last whole
        triple (the row cap then reports the cut); a results document cannot be cut, so a larger
        one is refused like a query past the memory limit."""
        body = response.read(self._max_read + 1)
        if len(body) <= self._max_read:
            return body
        if accept == N_TRIPLES:
            return body[: body.rfind(b"\n") + 1]
        raise QueryMemoryExceeded(f"the SPARQL backend's answer is larger than the {self._max_read:,} bytes this "
                                  "server reads for one query; narrow the query (LIMIT, fewer columns)")

    def _message(self, error: Exception) -> str:
        return (self._engine or detect(None)).message(_remote_message(error))

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, Node]]:
        return self.select_in(query, bindings)

    def select_in(
        self, query: str, bindings: Mapping[str, Node] | None = None, dataset: tuple[Graphs, Graphs] | None = None
    ) -> list[dict[str, Node]]:
        """:meth:`select` over ``dataset`` (default graphs, named graphs) instead of ours."""
        document = self._results(self._request(bind_values(query, bindings), JSON_RESULTS, dataset))
        return [
            {name: json_term(value) for name, value in row.items()}
            for row in document["results"]["bindings"]
        ]

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        document = json.loads(self._request(bind_values(query, bindings), JSON_RESULTS))
        return self._boolean(document)

    def _results(self, body: bytes) -> dict[str, Any]:
        """A JSON results document, in canonical form whatever the engine."""
        return self.engine().normalised(json.loads(body))

    def _boolean(self, document: dict[str, Any]) -> bool:
        try:
            return self.engine().boolean(document)
        except ValueError as error:
            raise BackendUnavailable(f"the SPARQL backend answered oddly: {error}") from error

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        body = self._request(bind_values(query, bindings), N_TRIPLES)
        return Graph().parse(data=body.decode("utf-8"), format="nt")

    def triple_count(self) -> int:
        return dataset_counts(self, self._base_iri).triples

    def graphs(self) -> list[str]:
        return list(self.dataset_graphs())

    def execute(self, request: QueryRequest) -> QueryOutcome:
        form = request.query.form
        text, dataset = self.scoped(request)
        try:
            if form in {"SELECT", "ASK"}:
                document = self._results(self._request(text, JSON_RESULTS, dataset))
                if form == "ASK":
                    return boolean_outcome(self._boolean(document), request.media_type)
                bindings = document["results"]["bindings"]
                document["results"]["bindings"] = bindings[: request.max_rows]
                truncated = len(bindings) > request.max_rows
                return solutions_outcome(document, request.media_type, truncated, request.max_bytes)
            body = self._request(text, N_TRIPLES, dataset)
            triples = islice(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), request.max_rows + 1)
            return triples_outcome(list(triples), request, form)
        except (ValueError, KeyError, TypeError, SyntaxError) as error:  # JSON or RDF we cannot read
            raise BackendUnavailable(f"the SPARQL backend's answer could not be read: {one_line(error)}") from error

    def scoped(self, request: QueryRequest) -> tuple[str, tuple[Graphs, Graphs]]:
        """The text to send (FROM clauses out, a BASE in if needed) and the graphs to name.

        Graphs named by the request (protocol parameters win over the query's FROM, as the
        protocol says) or by the query are kept to ours; none named: all of ours, as the
        union default graph and as the named graphs.
        """
        checked = request.query
        if checked.dataset is None:
            raise QuerySyntaxError("a FROM clause of the query could not be read: give a full IRI")
        text = checked.text
        for clause in reversed(checked.dataset):  # keep line breaks: error positions stay right
            text = text[: clause.start] + " " + "\n" * text.count("\n", clause.start, clause.end) + text[clause.end:]
        default, named = request.default_graphs, request.named_graphs
        if checked.dataset and not (default or named):
            base = request.base_iri or self._fallback_base
            if checked.has_base:  # the query's BASE (itself resolved against the request's IRI)
                base = urljoin(base, checked.declared_base)
            default = tuple(urljoin(base, c.iri) for c in checked.dataset if not c.named)
            named = tuple(urljoin(base, c.iri) for c in checked.dataset if c.named)
        if request.base_iri and not checked.has_base:
            text = f"BASE <{request.base_iri}> {text}"
        ours = self.dataset_graphs()
        if not (default or named):
            return text, (ours, ours)
        return text, (_kept(default, ours), _kept(named, ours))

    def warm(self) -> None:
        """Nothing to start: every request opens its own connection."""

    def close(self) -> None:
        """Nothing to release: every request opens its own connection."""


def graph_url(endpoint: str, graph: str | None) -> str:
    """The Graph Store Protocol URL of a graph (``?graph=…``, or ``?default``)."""
    query = "default" if graph is None else urlencode({"graph": graph})
    return f"{endpoint}{'&' if '?' in endpoint else '?'}{query}"


def _kept(graphs: Graphs, ours: Graphs) -> Graphs:
    """``graphs`` that are ours, in order; the empty graph if none is."""
    kept = tuple(g for g in graphs if g in ours)
    return kept or (EMPTY_GRAPH,)


def _remote_message(error: Exception) -> str:
    """The endpoint's own message inside a SPARQLWrapper error (it keeps only a repr)."""
    text = str(error)
    _, found, body = text.partition("\n\nResponse:\n")
    if found:
        with contextlib.suppress(ValueError, SyntaxError):
            raw = ast.literal_eval(body.strip())
            if isinstance(raw, bytes) and raw.strip():
                return raw.decode("utf-8", "replace").strip()[:2000]
    return text.strip().splitlines()[0]
