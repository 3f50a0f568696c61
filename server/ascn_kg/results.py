"""Serialization of answers in the requested format, shared by both store backends.

Solutions are built as SPARQL JSON results (already cut to ``max_rows``) and converted by
pyoxigraph's own serializers; graphs are serialized from pyoxigraph triples.
"""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox

from .store import JSON_RESULTS, QUAD_FORMATS, QueryOutcome, QueryRequest


def results_body(document: dict[str, Any], media_type: str) -> bytes:
    """A JSON results document in any SPARQL results format (pyoxigraph's serializers)."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if media_type == JSON_RESULTS:
        return body
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return results.serialize(format=ox.QueryResultsFormat.from_media_type(media_type))


def solutions_outcome(document: dict[str, Any], media_type: str, truncated: bool) -> QueryOutcome:
    """Serialize a JSON results document (already cut to size) in any results format."""
    rows = len(document["results"]["bindings"])
    return QueryOutcome(results_body(document, media_type), media_type, rows, truncated, "SELECT")


def boolean_outcome(answer: bool, media_type: str) -> QueryOutcome:
    """Serialize an ASK answer."""
    body = results_body({"head": {}, "boolean": answer}, media_type)
    return QueryOutcome(body, media_type, 1, False, "ASK")


def triples_outcome(triples: list[Any], request: QueryRequest, form: str) -> QueryOutcome:
    """Serialize CONSTRUCT/DESCRIBE triples (``max_rows + 1`` at most were read)."""
    truncated = len(triples) > request.max_rows
    triples = [t.triple if isinstance(t, ox.Quad) else t for t in triples[: request.max_rows]]
    items: list[Any] = triples
    if request.media_type in QUAD_FORMATS:
        items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    body = ox.serialize(
        items,
        format=ox.RdfFormat.from_media_type(request.media_type),
        prefixes=dict(request.prefixes) or None,
    )
    return QueryOutcome(body, request.media_type, len(triples), truncated, form)
