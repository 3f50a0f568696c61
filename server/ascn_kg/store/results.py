"""Serialization of answers in the requested format, shared by both store backends.

The embedded store streams pyoxigraph's answers through its own serializers
(:func:`streamed_solutions`, :func:`streamed_triples`): the answer is written once as TSV
or N-Triples, one row or triple per line, cut after ``max_rows`` lines or ``max_bytes``
bytes (which also stops the evaluation), then converted natively to the requested format,
again within ``max_bytes``: an answer that would pass it is cut at the most whole rows that
fit (found by bisection, so only oversized answers pay for it; CSV, smaller than the TSV it is
made from, may stop short of the limit). No term passes through Python. The remote store's
answers arrive as SPARQL JSON documents and go through :func:`solutions_outcome` /
:func:`triples_outcome`, cut the same way.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Callable
from typing import Any

import pyoxigraph as ox

from ascn_kg.store.protocol import JSON_RESULTS, N_TRIPLES, QUAD_FORMATS, QueryOutcome, QueryRequest

TSV_RESULTS = "text/tab-separated-values"


class _Full(Exception):
    """Raised by :class:`CappedBuffer` to stop a serializer (and the evaluation)."""


class CappedBuffer:
    """A binary sink for pyoxigraph's serializers that stops them after ``max_lines`` lines or
    ``max_bytes`` bytes, whichever comes first.

    pyoxigraph writes through a buffer in chunks of a few KiB, so at most one chunk past the
    limit is kept; :meth:`lines` returns the complete lines within both limits.
    """

    def __init__(self, max_lines: int, max_bytes: int) -> None:
        self.max_lines, self.max_bytes = max_lines, max_bytes
        self.chunks: list[bytes] = []
        self.newlines = self.size = 0
        self.full = False

    def write(self, data: bytes) -> int:
        if self.full:  # the serializer's buffer flushing once more as it is dropped
            raise _Full
        chunk = bytes(data)
        self.chunks.append(chunk)
        self.newlines += chunk.count(b"\n")
        self.size += len(chunk)
        if self.newlines > self.max_lines or self.size > self.max_bytes:
            self.full = True
            raise _Full
        return len(chunk)

    def flush(self) -> None:
        """Nothing to flush: the chunks are kept in memory."""

    def lines(self, keep: int = 0) -> tuple[bytes, int, str]:
        """The kept text (whole lines, at most ``max_lines`` and ``max_bytes``), its number of lines
        and the limit that cut it ("" if none). The first ``keep`` lines (a header) stay whatever
        their size."""
        text = b"".join(self.chunks)
        if not self.full:
            return text, self.newlines, ""
        end, cut_at = len(text), "bytes"
        if self.newlines > self.max_lines:
            end, cut_at = _line_end(text, self.max_lines), "rows"
        if end > self.max_bytes:
            end, cut_at = max(text.rfind(b"\n", 0, self.max_bytes) + 1, _line_end(text, keep)), "bytes"
        else:
            end = text.rfind(b"\n", 0, end) + 1
        return text[:end], text.count(b"\n", 0, end), cut_at


def _line_end(text: bytes, lines: int) -> int:
    """Where the first ``lines`` lines of ``text`` end."""
    end = -1
    for _ in range(lines):
        end = text.index(b"\n", end + 1)
    return end + 1


class _BytesOver(Exception):
    """A conversion went past the byte limit."""


def _capped_bytes(write: Callable[[Any], None], max_bytes: int) -> bytes:
    """What ``write`` writes into a sink, or :class:`_BytesOver` once it passes ``max_bytes``."""
    sink = CappedBuffer(sys.maxsize, max_bytes)
    try:
        write(sink)
    except _Full:
        raise _BytesOver from None
    return b"".join(sink.chunks)


def _fitted(render: Callable[[int], bytes], rows: int) -> tuple[bytes, int]:
    """The body of the most rows, up to ``rows``, that ``render`` can write within its byte limit
    (a binary search: only answers over the limit pay for it). Zero rows always fit."""
    try:
        return render(rows), rows
    except _BytesOver:
        pass
    low, high, best = 0, rows - 1, None
    while low <= high:
        middle = (low + high) // 2
        try:
            best = render(middle), middle
            low = middle + 1
        except _BytesOver:
            high = middle - 1
    return best if best is not None else (render(0), 0)


def _capped(result: Any, max_lines: int, max_bytes: int, keep: int, **format: Any) -> tuple[bytes, int, str]:
    """Serialize ``result`` natively into at most ``max_lines`` lines and ``max_bytes`` bytes."""
    sink = CappedBuffer(max_lines, max_bytes)
    with contextlib.suppress(_Full):
        result.serialize(sink, **format)
    return sink.lines(keep)


def _line_offsets(text: bytes) -> list[int]:
    """Where each line of ``text`` ends."""
    offsets, at = [], text.find(b"\n")
    while at >= 0:
        offsets.append(at + 1)
        at = text.find(b"\n", at + 1)
    return offsets


def streamed_solutions(result: Any, media_type: str, max_rows: int, max_bytes: int = sys.maxsize) -> QueryOutcome:
    """SELECT solutions from pyoxigraph, cut at ``max_rows`` rows and ``max_bytes`` bytes, in any
    results format (cut at whole rows)."""
    tsv, lines, cut_at = _capped(result, max_rows + 1, max_bytes, 1, format=ox.QueryResultsFormat.TSV)
    rows = max(lines - 1, 0)
    if media_type == TSV_RESULTS:
        return QueryOutcome(tsv, media_type, rows, bool(cut_at), "SELECT", cut_at)
    offsets, target = _line_offsets(tsv), ox.QueryResultsFormat.from_media_type(media_type)

    def render(count: int) -> bytes:
        parsed = ox.parse_query_results(tsv[: offsets[count]], format=ox.QueryResultsFormat.TSV)
        return _capped_bytes(lambda sink: parsed.serialize(sink, format=target), max_bytes)

    body, fitted = _fitted(render, rows)
    if fitted < rows:
        cut_at = "bytes"
    return QueryOutcome(body, media_type, fitted, bool(cut_at), "SELECT", cut_at)


def streamed_triples(result: Any, request: QueryRequest, form: str) -> QueryOutcome:
    """CONSTRUCT/DESCRIBE triples from pyoxigraph, cut at ``max_rows`` and ``max_bytes``, in any RDF
    format (cut at whole triples)."""
    nt, lines, cut_at = _capped(result, request.max_rows, request.max_bytes, 0, format=ox.RdfFormat.N_TRIPLES)
    if request.media_type == N_TRIPLES:
        return QueryOutcome(nt, request.media_type, lines, bool(cut_at), form, cut_at)
    offsets, target = [0, *_line_offsets(nt)], ox.RdfFormat.from_media_type(request.media_type)

    def render(count: int) -> bytes:
        quads = ox.parse(nt[: offsets[count]], format=ox.RdfFormat.N_TRIPLES)
        return _capped_bytes(lambda sink: ox.serialize(quads, sink, format=target,
                                                      prefixes=dict(request.prefixes) or None), request.max_bytes)

    body, fitted = _fitted(render, lines)
    if fitted < lines:
        cut_at = "bytes"
    return QueryOutcome(body, request.media_type, fitted, bool(cut_at), form, cut_at)


def results_body(document: dict[str, Any], media_type: str) -> bytes:
    """A JSON results document in any SPARQL results format (pyoxigraph's serializers)."""
    body = json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()
    if media_type == JSON_RESULTS:
        return body
    results = ox.parse_query_results(body, format=ox.QueryResultsFormat.JSON)
    return results.serialize(format=ox.QueryResultsFormat.from_media_type(media_type))


def solutions_outcome(document: dict[str, Any], media_type: str, truncated: bool,
                      max_bytes: int = sys.maxsize) -> QueryOutcome:
    """Serialize a JSON results document (already cut to the row cap) in any results format,
    within ``max_bytes`` (cut at whole rows)."""
    bindings = document["results"]["bindings"]

    def render(count: int) -> bytes:
        part = {**document, "results": {**document["results"], "bindings": bindings[:count]}}
        return _capped_bytes(lambda sink: sink.write(results_body(part, media_type)), max_bytes)

    body, rows = _fitted(render, len(bindings))
    cut_at = "bytes" if rows < len(bindings) else "rows" if truncated else ""
    return QueryOutcome(body, media_type, rows, bool(cut_at), "SELECT", cut_at)


def boolean_outcome(answer: bool, media_type: str) -> QueryOutcome:
    """Serialize an ASK answer."""
    body = results_body({"head": {}, "boolean": answer}, media_type)
    return QueryOutcome(body, media_type, 1, False, "ASK")


def triples_outcome(triples: list[Any], request: QueryRequest, form: str) -> QueryOutcome:
    """Serialize CONSTRUCT/DESCRIBE triples (``max_rows + 1`` at most were read), within
    ``max_bytes`` (cut at whole triples)."""
    truncated = len(triples) > request.max_rows
    triples = [t.triple if isinstance(t, ox.Quad) else t for t in triples[: request.max_rows]]
    items: list[Any] = triples
    if request.media_type in QUAD_FORMATS:
        items = [ox.Quad(t.subject, t.predicate, t.object, ox.DefaultGraph()) for t in triples]
    target = ox.RdfFormat.from_media_type(request.media_type)

    def render(count: int) -> bytes:
        return _capped_bytes(lambda sink: ox.serialize(items[:count], sink, format=target,
                                                      prefixes=dict(request.prefixes) or None), request.max_bytes)

    body, rows = _fitted(render, len(items))
    cut_at = "bytes" if rows < len(items) else "rows" if truncated else ""
    return QueryOutcome(body, request.media_type, rows, bool(cut_at), form, cut_at)
