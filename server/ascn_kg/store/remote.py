"""The remote backend: any SPARQL 1.1 endpoint at ``backend_url``, through SPARQLWrapper.

Queries reach it only through the same seam (and, from /sparql, the same safety gate) as
the embedded store; values are bound with a VALUES block, answers are re-serialized and
cut to ``max_rows`` here.
"""

from __future__ import annotations

import ast
import contextlib
import json
from collections.abc import Mapping
from itertools import islice
from typing import TYPE_CHECKING

import pyoxigraph as ox
from rdflib import Graph
from SPARQLWrapper import POST, SPARQLWrapper
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed, SPARQLWrapperException

from ascn_kg.store.binding import bind_values
from ascn_kg.store.dataset_counts import dataset_counts
from ascn_kg.store.protocol import (
    JSON_RESULTS,
    N_TRIPLES,
    BackendUnavailable,
    QueryOutcome,
    QueryRequest,
    QuerySyntaxError,
    QueryTimeout,
    read_version,
    timeout_message,
)
from ascn_kg.store.results import boolean_outcome, solutions_outcome, triples_outcome
from ascn_kg.store.terms import json_term

if TYPE_CHECKING:
    from rdflib.term import Node

    from ascn_kg.config import Settings


class RemoteStore:
    """Any SPARQL 1.1 endpoint at ``backend_url``, through SPARQLWrapper."""

    def __init__(self, settings: Settings) -> None:
        self._url = str(settings.backend_url)
        self._timeout = settings.query_timeout
        self._version = read_version(settings.dist_dir)
        self._base_iri = settings.base_iri

    def version(self) -> str:
        return self._version

    def _request(
        self, query: str, accept: str, default_graphs: tuple[str, ...] = (),
        named_graphs: tuple[str, ...] = (),
    ) -> bytes:
        client = SPARQLWrapper(self._url)
        client.setQuery(query)
        client.setMethod(POST)
        client.setOnlyConneg(True)
        client.setTimeout(max(1, round(self._timeout)))
        client.addCustomHttpHeader("Accept", accept)
        for graph in default_graphs:
            client.addDefaultGraph(graph)
        for graph in named_graphs:
            client.addNamedGraph(graph)
        try:
            return client.query().response.read()
        except QueryBadFormed as error:
            raise QuerySyntaxError(_remote_message(error)) from error
        except SPARQLWrapperException as error:
            message = _remote_message(error)
            raise BackendUnavailable(f"the SPARQL backend failed: {message}") from error
        except TimeoutError as error:
            raise QueryTimeout(timeout_message(self._timeout)) from error
        except OSError as error:  # URLError and friends
            if isinstance(getattr(error, "reason", None), TimeoutError):
                raise QueryTimeout(timeout_message(self._timeout)) from error
            raise BackendUnavailable(f"the SPARQL backend is unreachable: {error}") from error

    def select(
        self, query: str, bindings: Mapping[str, Node] | None = None
    ) -> list[dict[str, Node]]:
        document = json.loads(self._request(bind_values(query, bindings), JSON_RESULTS))
        return [
            {name: json_term(value) for name, value in row.items()}
            for row in document["results"]["bindings"]
        ]

    def ask(self, query: str, bindings: Mapping[str, Node] | None = None) -> bool:
        document = json.loads(self._request(bind_values(query, bindings), JSON_RESULTS))
        return bool(document["boolean"])

    def construct(self, query: str, bindings: Mapping[str, Node] | None = None) -> Graph:
        body = self._request(bind_values(query, bindings), N_TRIPLES)
        return Graph().parse(data=body.decode("utf-8"), format="nt")

    def triple_count(self) -> int:
        return dataset_counts(self, self._base_iri).triples

    def execute(self, request: QueryRequest) -> QueryOutcome:
        form = request.query.form
        graphs = (request.default_graphs, request.named_graphs)
        if form in {"SELECT", "ASK"}:
            document = json.loads(self._request(request.query.text, JSON_RESULTS, *graphs))
            if "boolean" in document:
                return boolean_outcome(bool(document["boolean"]), request.media_type)
            bindings = document["results"]["bindings"]
            document["results"]["bindings"] = bindings[: request.max_rows]
            truncated = len(bindings) > request.max_rows
            return solutions_outcome(document, request.media_type, truncated)
        body = self._request(request.query.text, N_TRIPLES, *graphs)
        triples = islice(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), request.max_rows + 1)
        return triples_outcome(list(triples), request, form)

    def warm(self) -> None:
        """Nothing to start: every request opens its own connection."""

    def close(self) -> None:
        """Nothing to release: every request opens its own connection."""


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
