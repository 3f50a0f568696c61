"""The byte limit of an answer: cut at whole rows, in every format, while serializing natively."""

from __future__ import annotations

import csv
import io
import json

import pyoxigraph as ox
import pytest

from ascn_kg.bounded_cache import ENTRY_OVERHEAD, BoundedCache
from ascn_kg.config import Settings
from ascn_kg.store.evaluate import evaluate
from ascn_kg.store.protocol import JSON_RESULTS, N_TRIPLES, QueryMemoryExceeded, QueryRequest
from ascn_kg.store.remote import RemoteStore
from ascn_kg.store.results import CappedBuffer, solutions_outcome
from ascn_kg.store.safety import Limits, check

CAP = 100_000
RESULT_TYPES = ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
                "text/tab-separated-values"]
GRAPH_TYPES = ["application/n-triples", "text/turtle", "application/ld+json", "application/rdf+xml",
               "application/n-quads"]


@pytest.fixture(scope="module")
def rows() -> ox.Store:
    """5,000 subjects, each with a 200-character literal (with a tab, a quote and a line break)."""
    memory = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    memory.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i:05d}"), p,
                          ox.Literal(f"row {i:05d}\t\"\n" + "v" * 190)) for i in range(5_000))
    return memory


def job(query: str, media_type: str, max_bytes: int) -> QueryRequest:
    return QueryRequest(check(query, Limits()), media_type, max_rows=10_000, max_bytes=max_bytes)


@pytest.mark.parametrize("media_type", RESULT_TYPES)
def test_solutions_are_cut_at_the_most_whole_rows_that_fit(rows: ox.Store, media_type: str) -> None:
    query = "SELECT ?s ?o WHERE { ?s ?p ?o } ORDER BY ?s"
    outcome = evaluate(rows, job(query, media_type, CAP))
    assert (outcome.truncated, outcome.cut_at) == (True, "bytes")
    assert len(outcome.body) <= CAP
    if media_type != "text/csv":  # CSV is made from TSV cut at the limit, and is smaller: it may stop short
        one_more = evaluate(rows, job(f"{query} LIMIT {outcome.rows + 1}", media_type, 10**9))
        assert len(one_more.body) > CAP  # one row more would not have fit
    if media_type == "text/csv":  # lossy: pyoxigraph does not read it back
        parsed = list(csv.reader(io.StringIO(outcome.body.decode(), newline="")))[1:]
    else:
        parsed = list(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.from_media_type(media_type)))
    assert len(parsed) == outcome.rows > 100


@pytest.mark.parametrize("media_type", GRAPH_TYPES)
def test_graphs_are_cut_at_the_most_whole_triples_that_fit(rows: ox.Store, media_type: str) -> None:
    outcome = evaluate(rows, job("CONSTRUCT WHERE { ?s ?p ?o }", media_type, CAP))
    assert (outcome.truncated, outcome.cut_at) == (True, "bytes") and len(outcome.body) <= CAP
    assert len(list(ox.parse(outcome.body, format=ox.RdfFormat.from_media_type(media_type)))) == outcome.rows > 100


def test_an_answer_within_both_limits_is_whole(rows: ox.Store) -> None:
    outcome = evaluate(rows, job("SELECT * WHERE { ?s ?p ?o } LIMIT 10", "application/sparql-results+json", CAP))
    assert (outcome.rows, outcome.truncated, outcome.cut_at) == (10, False, "")


def test_the_row_cap_still_reports_rows() -> None:
    sink = CappedBuffer(max_lines=3, max_bytes=1_000)
    for chunk in (b"?s\n", b"<a>\n<b>\n", b"<c>\n<d>\n"):
        try:
            sink.write(chunk)
        except Exception:
            break
    assert sink.lines(keep=1) == (b"?s\n<a>\n<b>\n", 3, "rows")


def test_a_header_is_kept_even_when_no_row_fits() -> None:
    sink = CappedBuffer(max_lines=100, max_bytes=10)
    with pytest.raises(Exception):  # noqa: B017  (the sink's own signal to stop the serializer)
        sink.write(b"?value\n\"" + b"x" * 40 + b"\"\n")
    assert sink.lines(keep=1) == (b"?value\n", 1, "bytes")


def test_a_remote_document_is_cut_the_same_way() -> None:
    bindings = [{"o": {"type": "literal", "value": "w" * 100}} for _ in range(1_000)]
    document = {"head": {"vars": ["o"]}, "results": {"bindings": bindings}}
    outcome = solutions_outcome(document, "application/sparql-results+json", False, 10_000)
    assert outcome.cut_at == "bytes" and len(outcome.body) <= 10_000
    assert len(json.loads(outcome.body)["results"]["bindings"]) == outcome.rows > 50


def test_the_cache_is_bounded_in_bytes_and_entries() -> None:
    cache: BoundedCache[str] = BoundedCache(max_entries=100, max_bytes=10 * (1_000 + ENTRY_OVERHEAD))
    for number in range(50):
        cache.put(number, "v", 1_000)
    assert len(cache) == 10 and cache.size == 10 * (1_000 + ENTRY_OVERHEAD)
    assert cache.get(49) == "v" and cache.get(39) is None  # the least recently used went first
    cache.put("huge", "v", 5_000)  # over a quarter of the budget: never kept
    assert cache.get("huge") is None
    cache.discard(49)
    assert len(cache) == 9


def test_a_backend_answer_is_read_only_so_far(tmp_path) -> None:
    """At most 4 × max_result_bytes of a backend's answer is read: N-Triples are cut at the last whole
    triple, a results document (which cannot be cut) is refused like a query past the memory limit."""
    remote = RemoteStore(Settings(backend_url="http://127.0.0.1:9/query", max_result_bytes=1_000, dist_dir=tmp_path))
    triples = b"".join(b"<http://e/s%d> <http://e/p> <http://e/o> .\n" % n for n in range(1_000))
    cut = remote._read_bounded(io.BytesIO(triples), N_TRIPLES)
    assert len(cut) <= 4_000 and cut.endswith(b" .\n") and triples.startswith(cut)
    with pytest.raises(QueryMemoryExceeded, match="larger than the 4,000 bytes this server reads"):
        remote._read_bounded(io.BytesIO(b"{" + b" " * 5_000 + b"}"), JSON_RESULTS)
    assert remote._read_bounded(io.BytesIO(b'{"boolean": true}'), JSON_RESULTS) == b'{"boolean": true}'
