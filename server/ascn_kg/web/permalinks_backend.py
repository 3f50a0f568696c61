"""Permalinks kept in the backend store, so that any number of web nodes share them.

With ``--backend`` a web node keeps nothing of its own: a link is made on one node and
followed on another. Each link is a resource ``{base}q/{id}`` in the named graph
``{base}q``, described with Dublin Core and schema.org (its id, the query text, the other
parameters as JSON, when it was made). It is written with a Graph Store Protocol ``POST``
(which adds to the graph) to the backend's store endpoint, and read with a query naming
that graph alone. The graph lies outside ``{base}graph/``, so the public ``/sparql``
never sees it (its dataset is our graphs there), and ``/sparql`` accepts no update.

Ids are made as in the SQLite store (:func:`ascn_kg.web.permalink_ids.prepare`), so a query gets
the same link whichever store keeps it.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Mapping
from datetime import UTC, datetime

import pyoxigraph as ox
from flask import Flask
from rdflib import Literal

from ascn_kg.config import Settings
from ascn_kg.ops.app_state import store as app_store
from ascn_kg.store.protocol import BackendUnavailable, QueryTimeout, StoreMissing
from ascn_kg.store.remote import EMPTY_GRAPH, RemoteStore, graph_url
from ascn_kg.web.permalink_ids import (
    Params,
    ParamValue,
    PermalinkStoreFull,
    candidate_ids,
    encode_params,
    is_valid_id,
    link_bytes,
    prepare,
)

DCTERMS = "http://purl.org/dc/terms/"
SCHEMA = "https://schema.org/"
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
XSD_DATETIME = "http://www.w3.org/2001/XMLSchema#dateTime"
# What the links take, in characters of their query and parameters (UTF-8 bytes, for ASCII text).
SIZE_QUERY = f"""SELECT (SUM(STRLEN(?query)) + SUM(STRLEN(?params)) AS ?size) WHERE {{
  ?link <{SCHEMA}text> ?query ;
        <{RDF}value> ?params .
}}"""
LINK_QUERY = f"""SELECT ?query ?params WHERE {{
  ?link <{DCTERMS}identifier> ?id ;
        <{SCHEMA}text> ?query ;
        <{RDF}value> ?params .
}} ORDER BY ?query ?params"""


class BackendPermalinks:
    """Permalinks in the named graph ``{base}q`` of the backend store."""

    def __init__(self, app: Flask, settings: Settings) -> None:
        self.app = app
        self.graph = f"{settings.base_iri}q"
        self.max_query_length = settings.max_query_length
        self.max_bytes, self.max_store_bytes = settings.permalink_max_bytes, settings.permalink_store_bytes
        self.timeout = max(1.0, settings.query_timeout)
        self._store_url = settings.backend_store_url

    def _backend(self) -> RemoteStore:
        backend = app_store(self.app)  # the app's store, as it is now (SIGHUP may replace it)
        if not isinstance(backend, RemoteStore):
            raise StoreMissing("the SPARQL backend is not configured")
        return backend

    def store_url(self) -> str:
        """The backend's Graph Store Protocol endpoint: the setting, or the engine's usual one."""
        backend = self._backend()
        url = self._store_url or backend.engine().graph_store_url(backend.url)
        if not url:
            raise StoreMissing("no Graph Store Protocol endpoint is known for this backend: "
                               "set backend_store_url")
        return url

    def make(self, query_text: str, extra_params: Mapping[str, ParamValue] | None = None) -> str:
        """Store the query (idempotently) and return its id."""
        query, params, digest = prepare(query_text, extra_params, self.max_query_length, self.max_bytes)
        for link_id in candidate_ids(digest):
            found = self.resolve(link_id)
            if found is None:
                self._check_room(link_bytes(query, params))
                self._write(link_id, query, params)
                return link_id
            if found == (query, params):
                return link_id
        raise RuntimeError("permalink id space exhausted")  # needs a full SHA-256 collision

    def resolve(self, link_id: str) -> tuple[str, Params] | None:
        """The query and parameters of an id, or None (also for malformed ids)."""
        if not is_valid_id(link_id):
            return None
        rows = self._backend().select_in(LINK_QUERY, {"id": Literal(link_id)},
                                         ((self.graph,), (EMPTY_GRAPH,)))
        if not rows:
            return None
        return str(rows[0]["query"]), json.loads(str(rows[0]["params"]))

    def stored_bytes(self) -> int:
        """What the links in the backend take (their queries and parameters)."""
        rows = self._backend().select_in(SIZE_QUERY, None, ((self.graph,), (EMPTY_GRAPH,)))
        size = rows[0].get("size") if rows else None
        return int(size.toPython()) if size is not None else 0

    def _check_room(self, new_bytes: int) -> None:
        """Refuse a link that would take the backend's links past ``permalink_store_bytes`` (507)."""
        if self.stored_bytes() + new_bytes > self.max_store_bytes:
            raise PermalinkStoreFull(self.max_store_bytes)

    def _write(self, link_id: str, query: str, params: Params) -> None:
        """Add the link's triples to the graph with a Graph Store Protocol POST."""
        link = ox.NamedNode(f"{self.graph}/{link_id}")
        now = datetime.now(UTC).isoformat(timespec="seconds")
        triples = [
            ox.Triple(link, ox.NamedNode(f"{RDF}type"), ox.NamedNode(f"{SCHEMA}SoftwareSourceCode")),
            ox.Triple(link, ox.NamedNode(f"{SCHEMA}programmingLanguage"), ox.Literal("SPARQL")),
            ox.Triple(link, ox.NamedNode(f"{DCTERMS}identifier"), ox.Literal(link_id)),
            ox.Triple(link, ox.NamedNode(f"{SCHEMA}text"), ox.Literal(query)),
            ox.Triple(link, ox.NamedNode(f"{RDF}value"), ox.Literal(encode_params(params))),
            ox.Triple(link, ox.NamedNode(f"{DCTERMS}created"),
                      ox.Literal(now, datatype=ox.NamedNode(XSD_DATETIME))),
        ]
        body = ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES)
        request = urllib.request.Request(graph_url(self.store_url(), self.graph), data=body, method="POST",
                                         headers={"Content-Type": "application/n-triples"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            detail = error.read().decode("utf-8", "replace").strip()[:300]
            raise BackendUnavailable(f"the SPARQL backend refused the permalink: HTTP {error.code} {detail}") \
                from error
        except TimeoutError as error:
            raise QueryTimeout("the SPARQL backend did not store the permalink in time") from error
        except OSError as error:
            raise BackendUnavailable(f"the SPARQL backend is unreachable: {error}") from error
