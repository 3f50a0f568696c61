"""publish() into a real Oxigraph server over the Graph Store Protocol, and run_query()."""

from __future__ import annotations

import csv
import io
import json
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ascn_kg.config import Settings
from ascn_kg.build.publish import PublishError, graph_url, publish
from ascn_kg.querycli import load_query, run_query
from ascn_kg.store.safety import QueryRefused
from fixtures_sparql import BASE, GRAPHS, NUMBERS, graph_iri, make_dist
from liveserver import free_port, running_oxigraph

PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
EXPECTED = {graph_iri("cities"): 14, graph_iri("numbers"): NUMBERS, graph_iri("people"): 4,
            graph_iri("states"): 6}
LABEL_OF_MYS = (f"SELECT ?label WHERE {{ <{BASE}id/state/mys> "
                "<http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label")


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module")
def oxigraph() -> Iterator[str]:
    with running_oxigraph() as url:
        yield url


def counts(endpoint: str) -> dict[str, int]:
    request = urllib.request.Request(
        f"{endpoint}/query", data=PER_GRAPH.encode(),
        headers={"Content-Type": "application/sparql-query",
                 "Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=10) as response:
        rows = json.load(response)["results"]["bindings"]
    return {r["g"]["value"]: int(r["n"]["value"]) for r in rows}


def test_publish_preserves_named_graphs_and_is_idempotent(dist: Path, oxigraph: str) -> None:
    assert publish(dist, f"{oxigraph}/store") == EXPECTED
    assert counts(oxigraph) == EXPECTED
    assert publish(dist, f"{oxigraph}/store") == EXPECTED  # PUT replaces, never duplicates
    assert counts(oxigraph) == EXPECTED
    assert len(EXPECTED) == len(GRAPHS)


def test_publish_reports_failures(dist: Path, tmp_path: Path) -> None:
    with pytest.raises(PublishError, match="cannot reach"):
        publish(dist, f"http://127.0.0.1:{free_port()}/store", timeout=2)
    with pytest.raises(PublishError, match="cannot read"):
        publish(tmp_path, "http://127.0.0.1:9/store")


def test_graph_urls() -> None:
    assert graph_url("http://h/store", "http://g/a b") == "http://h/store?graph=http%3A%2F%2Fg%2Fa+b"
    assert graph_url("http://h/store?x=1", None) == "http://h/store?x=1&default"


@pytest.mark.parametrize("backend", ["embedded", "endpoint"])
def test_run_query_prints_table_csv_and_json(dist: Path, oxigraph: str, backend: str) -> None:
    publish(dist, f"{oxigraph}/store")
    settings = Settings(dist_dir=dist, query_workers=1)
    endpoint = f"{oxigraph}/query" if backend == "endpoint" else None
    table = io.StringIO()
    assert run_query(settings, LABEL_OF_MYS, endpoint, "table", out=table) == 2
    assert table.getvalue().splitlines() == ["label", "-------------", "Malaysia@en",
                                             "말레이시아@ko"]
    out = io.StringIO()
    run_query(settings, LABEL_OF_MYS, endpoint, "csv", out=out)
    assert list(csv.reader(io.StringIO(out.getvalue()))) == [["label"], ["Malaysia"],
                                                             ["말레이시아"]]
    out = io.StringIO()
    run_query(settings, "ASK { ?s ?p ?o }", endpoint, "json", out=out)
    assert json.loads(out.getvalue())["boolean"] is True
    out = io.StringIO()
    graph = f"CONSTRUCT WHERE {{ <{BASE}id/state/sgp> a ?type }}"
    run_query(settings, graph, endpoint, "table", out=out)
    assert "ascn:MemberState" in out.getvalue() and "subject" in out.getvalue()


def test_run_query_applies_the_same_safety_rules(dist: Path) -> None:
    settings = Settings(dist_dir=dist, query_workers=1)
    with pytest.raises(QueryRefused, match="SPARQL Update"):
        run_query(settings, "DROP ALL", out=io.StringIO())
    with pytest.raises(QueryRefused, match="SERVICE"):
        run_query(settings, "SELECT * { SERVICE <http://127.0.0.1:9/> {} }", out=io.StringIO())
    with pytest.raises(ValueError, match="format"):
        run_query(settings, "ASK {}", fmt="yaml")


def test_queries_come_from_text_files_or_the_catalogue(tmp_path: Path) -> None:
    path = tmp_path / "q.rq"
    path.write_text("ASK {}")
    assert load_query(str(path)) == "ASK {}"
    assert load_query("cities-of-state", {"cities-of-state": "SELECT 1 {}"}.__getitem__) == (
        "SELECT 1 {}")
    assert load_query("SELECT * WHERE { ?s ?p ?o }", lambda name: "wrong") == (
        "SELECT * WHERE { ?s ?p ?o }")
    assert load_query("ASK{}", lambda name: "wrong") == "ASK{}"
    with pytest.raises(ValueError, match="no query file"):
        load_query(str(tmp_path / "missing.rq"))
