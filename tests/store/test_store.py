"""The store seam (embedded backend) and the killable query pool, in-process."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import RDFS

from ascn_kg.config import Settings
from ascn_kg.store.backend import open_store
from ascn_kg.store.embedded import EmbeddedStore
from ascn_kg.store.evaluate import evaluate
from ascn_kg.store.pool import QueryPool
from ascn_kg.store.protocol import QueryFailed, QueryRequest, QuerySyntaxError, QueryTimeout, StoreMissing
from ascn_kg.store.safety import CheckedQuery, Limits, check
from fixtures_sparql import BASE, GRAPHS, NUMBERS, graph_iri, make_dist

CITY = URIRef(f"{BASE}id/city/kuala-lumpur")
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
TOTAL = 24 + NUMBERS  # triples in the fixture


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def store(dist: Path) -> Iterator[EmbeddedStore]:
    embedded = open_store(Settings(dist_dir=dist, query_timeout=1.0, query_workers=1))
    assert isinstance(embedded, EmbeddedStore)
    yield embedded
    embedded.close()


def request(query: str, media_type: str = "application/sparql-results+json", **kw) -> QueryRequest:
    return QueryRequest(check(query, Limits()), media_type, **kw)


def test_version_is_the_dist_version(store: EmbeddedStore, dist: Path) -> None:
    assert store.version() == (dist / "VERSION").read_text().strip()


def test_select_binds_terms_without_formatting_them_into_the_text(store: EmbeddedStore) -> None:
    query = "SELECT ?label WHERE { ?city rdfs:label ?label } ORDER BY ?label"
    query = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#> " + query
    rows = store.select(query, {"city": CITY})
    assert [r["label"] for r in rows] == [Literal("Kuala Lumpur", lang="en"),
                                          Literal("쿠알라룸푸르", lang="ko")]
    hostile = Literal('x" } ; DROP ALL ; SELECT * { "')
    assert store.select(query.replace("?city rdfs:label", "?city ?p"), {"label": hostile}) == []


def test_ask_construct_and_count(store: EmbeddedStore) -> None:
    assert store.ask("ASK { ?s ?p ?o }")
    assert not store.ask("ASK { ?s ?p ?o }", {"s": URIRef("http://example.org/nothing")})
    graph = store.construct("CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }", {"s": CITY})
    assert (CITY, RDFS.label, Literal("Kuala Lumpur", lang="en")) in graph
    assert len(graph) == 5
    assert store.triple_count() == TOTAL


def test_syntax_errors_name_the_position(store: EmbeddedStore) -> None:
    with pytest.raises(QuerySyntaxError, match=r"1:\d+"):
        store.select("SELECT * WHERE { ?s ?p }")


def test_a_missing_store_is_reported(tmp_path: Path) -> None:
    with pytest.raises(StoreMissing, match="ascn-kg build"):
        open_store(Settings(dist_dir=tmp_path))


def test_a_corrupt_store_is_reported_in_one_line(dist: Path, tmp_path: Path) -> None:
    broken = tmp_path / "dist"
    shutil.copytree(dist, broken)
    for path in (broken / "store").iterdir():
        if path.name.startswith(("CURRENT", "MANIFEST")):
            path.write_bytes(b"\x00garbage\n" * 20)
    with pytest.raises(StoreMissing, match="cannot open the store") as caught:
        open_store(Settings(dist_dir=broken))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "media_type",
    ["application/sparql-results+json", "application/sparql-results+xml", "text/csv",
     "text/tab-separated-values"],
)
def test_evaluate_serializes_and_truncates_solutions(dist: Path, media_type: str) -> None:
    raw = ox.Store.read_only(str(dist / "store"))
    query = f"SELECT ?n WHERE {{ ?x <{BASE}def/ascn#value> ?n }} ORDER BY ?n"
    outcome = evaluate(raw, request(query, media_type, max_rows=10))
    assert outcome.truncated and outcome.rows == 10
    if media_type == "text/csv":
        assert outcome.body.decode().split("\r\n")[:3] == ["n", "0", "1"]
        return
    parsed = ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.from_media_type(
        media_type))
    assert [int(s["n"].value) for s in parsed] == list(range(10))


def test_evaluate_uses_the_union_graph_unless_graphs_are_named(dist: Path) -> None:
    raw = ox.Store.read_only(str(dist / "store"))
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def total(**graphs) -> int:
        body = evaluate(raw, request(count, max_rows=5, **graphs)).body
        return int(json.loads(body)["results"]["bindings"][0]["n"]["value"])

    assert total() == TOTAL
    assert total(default_graphs=(graph_iri("states"),)) == 6
    assert total(default_graphs=(graph_iri("states"), graph_iri("people"))) == 10
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    body = evaluate(raw, request(named, named_graphs=(graph_iri("people"),))).body
    assert [b["g"]["value"] for b in json.loads(body)["results"]["bindings"]] == [
        graph_iri("people")]
    assert len(GRAPHS) == 4


@pytest.mark.parametrize(
    "media_type",
    ["text/turtle", "application/n-triples", "application/ld+json", "application/rdf+xml",
     "application/trig", "application/n-quads"],
)
def test_evaluate_serializes_graphs(dist: Path, media_type: str) -> None:
    raw = ox.Store.read_only(str(dist / "store"))
    outcome = evaluate(raw, request(f"CONSTRUCT WHERE {{ <{CITY}> ?p ?o }}", media_type))
    parsed = list(ox.parse(outcome.body, format=ox.RdfFormat.from_media_type(media_type)))
    assert len(parsed) == outcome.rows == 5 and not outcome.truncated


def test_pool_kills_a_runaway_query_and_keeps_answering(dist: Path) -> None:
    pool = QueryPool(dist / "store", size=1, timeout=1.0)
    try:
        assert pool.run(request("ASK {}")).body  # warm: the worker has started
        (worker,) = pool._all
        started = time.monotonic()
        with pytest.raises(QueryTimeout, match="1 s time limit"):
            pool.run(request(SLOW))
        assert time.monotonic() - started < 1.5
        assert worker.process.poll() == -9  # SIGKILLed, not asked politely
        started = time.monotonic()
        assert json.loads(pool.run(request("ASK { ?s ?p ?o }")).body)["boolean"] is True
        assert time.monotonic() - started < 1.0
    finally:
        pool.close()


def test_pool_replaces_a_worker_that_crashes(dist: Path) -> None:
    # Past the gate this chain would segfault pyoxigraph: the crash stays in the worker.
    crasher = "SELECT * WHERE { FILTER(" + "+".join(["1"] * 9_000) + ") }"
    pool = QueryPool(dist / "store", size=1, timeout=10.0)
    try:
        with pytest.raises(QueryFailed, match="died"):
            pool.run(QueryRequest(CheckedQuery(crasher, "SELECT"), "text/csv"))
        assert pool.run(request("ASK {}")).rows == 1
        assert os.getpid()  # this process survived
    finally:
        pool.close()


@pytest.fixture(scope="module")
def many() -> ox.Store:
    """30,000 solutions, with literals holding tabs, newlines and quotes (one line each in TSV)."""
    memory = ox.Store()
    p = ox.NamedNode("http://example.org/p")
    memory.extend(ox.Quad(ox.NamedNode(f"http://example.org/s{i:05d}"), p,
                          ox.Literal(f"row {i}\n\t\"{i}\"", language="en")) for i in range(30_000))
    return memory


@pytest.mark.parametrize("media_type", ["application/sparql-results+json", "application/sparql-results+xml",
                                        "text/tab-separated-values"])
@pytest.mark.parametrize(("limit", "cap", "rows", "truncated"), [
    (30_000, 10_000, 10_000, True), (10_000, 10_000, 10_000, False), (9_999, 10_000, 9_999, False), (0, 5, 0, False)])
def test_native_serialization_cuts_at_the_row_cap(many: ox.Store, media_type: str, limit: int, cap: int, rows: int,
                                                   truncated: bool) -> None:
    """The answer is written natively, over many buffer chunks, and cut at exactly ``cap`` rows."""
    query = f"SELECT ?s ?o WHERE {{ ?s ?p ?o }} ORDER BY ?s LIMIT {limit}"
    outcome = evaluate(many, request(query, media_type, max_rows=cap))
    assert (outcome.rows, outcome.truncated) == (rows, truncated)
    parsed = list(ox.parse_query_results(outcome.body, format=ox.QueryResultsFormat.from_media_type(media_type)))
    assert len(parsed) == rows
    if rows:
        assert parsed[-1]["o"] == ox.Literal(f"row {rows - 1}\n\t\"{rows - 1}\"", language="en")


@pytest.mark.parametrize("media_type", ["application/n-triples", "text/turtle", "application/n-quads"])
def test_native_serialization_cuts_graphs_at_the_row_cap(many: ox.Store, media_type: str) -> None:
    outcome = evaluate(many, request("CONSTRUCT WHERE { ?s ?p ?o }", media_type, max_rows=12_345))
    assert (outcome.rows, outcome.truncated) == (12_345, True)
    assert len(list(ox.parse(outcome.body, format=ox.RdfFormat.from_media_type(media_type)))) == 12_345


@contextlib.contextmanager
def pool_watched(dist: Path, monkeypatch: pytest.MonkeyPatch, inline_ms: float) -> Iterator[tuple[EmbeddedStore, list]]:
    """An embedded store and the list of query texts it sends to its pool."""
    embedded = open_store(Settings(dist_dir=dist, query_timeout=1.0, query_workers=1, inline_query_ms=inline_ms))
    assert isinstance(embedded, EmbeddedStore)
    pooled: list[str] = []
    real = embedded._pool_run
    monkeypatch.setattr(embedded, "_pool_run", lambda job: pooled.append(job.query.text) or real(job))
    try:
        yield embedded, pooled
    finally:
        embedded.close()


def test_a_query_proven_cheap_runs_in_process_next_time(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pool_watched(dist, monkeypatch, 5_000) as (embedded, pooled):
        first = embedded.execute(request("ASK { ?s ?p ?o }"))
        again = embedded.execute(request("ASK { ?s ?p ?o }"))  # in-process now
        xml = embedded.execute(request("ASK { ?s ?p ?o }", "application/sparql-results+xml"))  # unproven format
        other = embedded.execute(request("ASK { ?s ?s ?s }"))
        for _ in range(2):  # a volatile query: its cost can change, so always the killable pool
            embedded.execute(request("ASK { FILTER(RAND() < 2) }"))
        assert pooled == ["ASK { ?s ?p ?o }", "ASK { ?s ?p ?o }", "ASK { ?s ?s ?s }",
                          "ASK { FILTER(RAND() < 2) }", "ASK { FILTER(RAND() < 2) }"]
        assert first.body == again.body and json.loads(first.body)["boolean"] is True
        assert b"<boolean>true</boolean>" in xml.body
        assert json.loads(other.body)["boolean"] is False


def test_a_query_over_the_inline_budget_stays_in_the_killable_pool(dist: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with pool_watched(dist, monkeypatch, 0.000_001) as (embedded, pooled):
        for _ in range(3):
            embedded.execute(request("ASK { ?s ?p ?o }"))
        assert len(pooled) == 3
        with pytest.raises(QueryTimeout):  # and the time limit still holds
            embedded.execute(request(SLOW))
