"""Serialization of answers in the requested format, shared by both store backends.

The embedded store streams pyoxigraph's answers through its own serializers
(:func:`streamed_solutions`, :func:`streamed_triples`): the answer is written once as TSV
or N-Triples, one row or triple per line, cut after ``max_rows`` lines (which also stops
the evaluation), then converted natively to the requested format. No term passes
through Python. The remote store's answers arrive as SPARQL JSON documents and go
through :func:`solutions_outcome` / :func:`triples_outcome`.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pyoxigraph as ox

from ascn_kg.store.protocol import JSON_RESULTS, N_TRIPLES, QUAD_FORMATS, QueryOutcome, QueryRequest

TSV_RESULTS = "text/tab-separated-values"


class _Full(Exception):
    """Raised by :class:`LineCappedBuffer` to stop a serializer (and the evaluation)."""


class LineCappedBuffer:
    """A binary sink for pyoxigraph's serializers that stops them after ``max_lines`` lines.

    pyoxigraph writes through a buffer in chunks of a few KiB, so at most one chunk past
    the limit is kept; :meth:`lines` returns the first ``max_lines`` complete lines.
    """

    def __init__(self, max_lines: int) -> None:
        self.max_lines = max_lines
        self.chunks: list[bytes] = []
        self.newlines = 0
        self.full = False

    def write(self, data: bytes) -> int:
        if self.full:  # the serializer's buffer flushing once more as it is dropped
            raise _Full
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.newlines += chunk.count(b"\n")
        if self.newlines > self.max_lines:
            self.full = True
            raise _Full
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the chunks are kept in memory."""

    def lines(self) -> tuple[bytes, int]:
        """The kept text (whole lines, at most ``max_lines``) and its number of lines."""
        text = b"".join(self.chunks)
        if not self.full:
            return text, self.newlines
        end = -1
        for _ in range(self.max_lines):
            end = text.index(b"\n", end + 1)
        return text[: end + 1], self.max_lines


def _capped(result: Any, max_lines: int, **format: Any) -> tuple[bytes, int, bool]:
    """Serialize ``result`` natively into at most ``max_lines`` lines; say if it was cut."""
    sink = LineCappedBuffer(max_lines)
    with contextlib.suppress(_Full):
        result.serialize(sink, **format)
    text, lines = sink.lines()
    return text, lines, sink.full


def streamed_solutions(result: Any, media_type: str, max_rows: int) -> QueryOutcome:
    """SELECT solutions from pyoxigraph, cut at ``max_rows``, in any results format."""
    tsv, lines, truncated = _capped(result, max_rows + 1, format=ox.QueryResultsFormat.TSV)
    body = tsv
    if media_type != TSV_RESULTS:
        parsed = ox.parse_query_results(tsv, format=ox.QueryResultsFormat.TSV)
        body = parsed.serialize(format=ox.QueryResultsFormat.from_media_type(media_type))
    return QueryOutcome(body, media_type, max(lines - 1, 0), truncated, "SELECT")


def streamed_triples(result: Any, request: QueryRequest, form: str) -> QueryOutcome:
    """CONSTRUCT/DESCRIBE triples from pyoxigraph, cut at ``max_rows``, in any RDF format."""
    nt, lines, truncated = _capped(result, request.max_rows, format=ox.RdfFormat.N_TRIPLES)
    body = nt
    if request.media_type != N_TRIPLES:
        quads = ox.parse(nt, format=ox.RdfFormat.N_TRIPLES)
        body = ox.serialize(quads, format=ox.RdfFormat.from_media_type(request.media_type),
                            prefixes=dict(request.prefixes) or None)
    return QueryOutcome(body, request.media_type, lines, truncated, form)


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
