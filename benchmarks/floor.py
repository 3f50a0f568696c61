"""The floor of the required stack, measured by ``make bench``: not an endpoint.

A bare WSGI function that hands the query string straight to pyoxigraph (the store opened
read-only, union default graph) and returns its native serialization, served by granian's
WSGI interface as ours is. It has none of the endpoint's checks, limits, pool, negotiation,
cache, logging or headers, so it must never face a network: the benchmark starts it on
127.0.0.1 only to show how much of the distance to Oxigraph server is the Python stack
itself and how much is ours.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qs

import pyoxigraph as ox

STORE_ENV = "ASCN_KG_FLOOR_STORE"
_store: ox.Store | None = None


def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
    """Evaluate ``?query=`` and answer in the ``Accept`` type (JSON results or N-Triples)."""
    global _store
    if _store is None:
        _store = ox.Store.read_only(os.environ[STORE_ENV])
    query = parse_qs(environ.get("QUERY_STRING", "")).get("query", ["ASK {}"])[0]
    accept = environ.get("HTTP_ACCEPT") or "application/sparql-results+json"
    result = _store.query(query, use_default_graph_as_union=True)
    if isinstance(result, ox.QueryBoolean):
        body = b'{"head":{},"boolean":%s}' % (b"true" if result else b"false")
    elif isinstance(result, ox.QuerySolutions):
        body = result.serialize(format=ox.QueryResultsFormat.from_media_type(accept))
    else:
        body = result.serialize(format=ox.RdfFormat.from_media_type(accept))
    start_response("200 OK", [("Content-Type", accept), ("Content-Length", str(len(body)))])
    return [body]
