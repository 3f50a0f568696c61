"""Relative IRIs in queries resolve against the request's IRI; an explicit BASE wins.

SPARQL resolves relative IRIs against the base IRI, which for the Protocol is the IRI the
request was sent to (as Oxigraph server and Fuseki do). Asked with a real SPARQL client
(SPARQLWrapper) of a real server, on the embedded store and on both external engines.
"""

from __future__ import annotations

import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef
from SPARQLWrapper import JSON, POST, TURTLE, SPARQLWrapper

from fixtures_sparql import BASE, make_dist
from liveserver import ENGINE_NAMES, server_over

RELATIVE = "CONSTRUCT { <s> <p> 1 } WHERE {}"
WITH_BASE = "BASE <http://example.org/> CONSTRUCT { <s> <p> 1 } WHERE {}"


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module", params=["embedded", *ENGINE_NAMES])
def base(request: pytest.FixtureRequest, dist: Path) -> Iterator[str]:
    with server_over(request.param, dist) as url:
        yield url


def construct(endpoint: str, query: str, method: str = POST) -> list[tuple]:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setMethod(method)
    client.setReturnFormat(TURTLE)
    return list(Graph().parse(data=client.queryAndConvert(), format="turtle"))


def test_relative_iris_resolve_against_the_endpoint(base: str) -> None:
    for method in (POST, "GET"):
        assert construct(f"{base}/sparql", RELATIVE, method) == [
            (URIRef(f"{base}/s"), URIRef(f"{base}/p"), Literal(1))]


def test_an_explicit_base_wins(base: str) -> None:
    assert construct(f"{base}/sparql", WITH_BASE) == [
        (URIRef("http://example.org/s"), URIRef("http://example.org/p"), Literal(1))]


def test_the_base_follows_the_host_asked(base: str) -> None:
    """Answers are cached, but not across hosts: the same request to another name of the server
    resolves against that name."""
    port = urllib.parse.urlsplit(base).port
    url = f"/sparql?{urllib.parse.urlencode({'query': 'SELECT ?x WHERE { BIND(<a> AS ?x) }'})}"
    seen = []
    for host in ("127.0.0.1", "localhost", "127.0.0.1"):
        request = urllib.request.Request(f"http://{host}:{port}{url}", headers={"Accept": "text/csv"})
        with urllib.request.urlopen(request, timeout=30) as response:
            seen.append(response.read().decode().split()[-1])
    assert seen == [f"http://127.0.0.1:{port}/a", f"http://localhost:{port}/a", f"http://127.0.0.1:{port}/a"]


def count(endpoint: str, query: str) -> int:
    client = SPARQLWrapper(endpoint)
    client.setQuery(query)
    client.setReturnFormat(JSON)
    client.setMethod(POST)
    return int(client.queryAndConvert()["results"]["bindings"][0]["n"]["value"])


def test_a_relative_from_clause_resolves_the_same_way(base: str) -> None:
    endpoint = f"{base}/sparql"
    # graph/states of the fixture holds 6 triples; relative to the endpoint it names nothing
    assert count(endpoint, f"SELECT (COUNT(*) AS ?n) FROM <{BASE}graph/states> WHERE {{ ?s ?p ?o }}") == 6
    assert count(endpoint, "SELECT (COUNT(*) AS ?n) FROM <graph/states> WHERE { ?s ?p ?o }") == 0
    assert count(endpoint, f"BASE <{BASE}> SELECT (COUNT(*) AS ?n) FROM <graph/states> WHERE {{ ?s ?p ?o }}") == 6
