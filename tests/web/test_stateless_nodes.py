"""Stateless web nodes: two ``ascn-kg serve --backend`` nodes in front of one store act as one.

The permalinks are the only state the nodes share; with a backend they live in the backend
store (graph ``{base}q``, written with the Graph Store Protocol), so a link made on one node
resolves on the other. The public ``/sparql`` of each node still refuses every update and
never shows that graph.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from fixtures_sparql import BASE, make_dist
from liveserver import ENGINE_NAMES, Engine, published_engine, running_server

QUERY = "SELECT ?label WHERE { ?s <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?label"
UPDATES = [
    ("query", "INSERT DATA { <http://x/s> <http://x/p> 1 }"),
    ("query", f"DELETE WHERE {{ GRAPH <{BASE}q> {{ ?s ?p ?o }} }}"),
    ("query", f"DROP GRAPH <{BASE}q>"),
    ("query", "LOAD <http://127.0.0.1:9/data.ttl>"),
    ("update", f"CLEAR GRAPH <{BASE}q>"),
    ("update", "INSERT DATA { <http://x/s> <http://x/p> 1 }"),
]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = urllib.request.build_opener(NoRedirect)


def send(url: str, data: bytes | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, data=data, headers=headers or {})
    try:
        with OPENER.open(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


@pytest.fixture(scope="module", params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest, dist: Path) -> Iterator[Engine]:
    with published_engine(request.param, dist) as running:
        yield running


@pytest.fixture(scope="module")
def nodes(engine: Engine, dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Two web nodes on the one store, each with its own (unused) permalink folder."""
    with running_server(dist, backend_url=engine.query_url, workers=1,
                        permalink_dir=str(tmp_path_factory.mktemp("node-a"))) as first, \
            running_server(dist, backend_url=engine.query_url, workers=1,
                           permalink_dir=str(tmp_path_factory.mktemp("node-b"))) as second:
        yield first, second


def make_link(node: str, query: str, **params: str) -> str:
    body = urllib.parse.urlencode({"query": query, **params}).encode()
    status, headers, answer = send(f"{node}/q", body, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 303, answer[:300]
    return headers["Location"].rsplit("/q/", 1)[1]


def test_a_permalink_made_on_one_node_resolves_on_the_other(nodes: tuple[str, str]) -> None:
    first, second = nodes
    link = make_link(first, QUERY, lang="ko")
    status, headers, _ = send(f"{second}/q/{link}")
    assert status == 303
    target = urllib.parse.urlsplit(headers["Location"])
    assert target.path == "/query"
    assert urllib.parse.parse_qs(target.query) == {"query": [QUERY], "lang": ["ko"], "run": ["1"]}
    assert make_link(second, QUERY, lang="ko") == link  # the same query gets the same link everywhere
    assert send(f"{first}/q/{link}")[0] == 303
    assert send(f"{second}/q/{'a' * 12}")[0] == 404


def test_links_are_kept_in_the_backend_not_on_the_nodes(nodes: tuple[str, str], engine: Engine) -> None:
    link = make_link(nodes[0], "ASK { ?s ?p ?o }")
    query = f"SELECT ?text WHERE {{ GRAPH <{BASE}q> {{ <{BASE}q/{link}> <https://schema.org/text> ?text }} }}"
    request = urllib.request.Request(engine.query_url, data=urllib.parse.urlencode({"query": query}).encode(),
                                     headers={"Accept": "application/sparql-results+json",
                                              "Content-Type": "application/x-www-form-urlencoded"})
    with urllib.request.urlopen(request, timeout=30) as response:
        rows = json.load(response)["results"]["bindings"]
    assert [r["text"]["value"] for r in rows] == ["ASK { ?s ?p ?o }"]


def test_the_public_endpoint_refuses_every_update_and_hides_the_links(nodes: tuple[str, str]) -> None:
    link = make_link(nodes[0], QUERY)
    for node in nodes:
        for name, text in UPDATES:
            for body, kind in ((urllib.parse.urlencode({name: text}).encode(), "application/x-www-form-urlencoded"),
                               (text.encode(), "application/sparql-update")):
                status, _, answer = send(f"{node}/sparql", body, {"Content-Type": kind})
                assert status == 400 and b"read-only" in answer, (name, text, answer[:200])
            status, _, answer = send(f"{node}/sparql?{urllib.parse.urlencode({name: text})}")
            assert status == 400 and b"read-only" in answer
        for query in (f"SELECT * WHERE {{ GRAPH <{BASE}q> {{ ?s ?p ?o }} }}",
                      f"SELECT * FROM <{BASE}q> WHERE {{ ?s ?p ?o }}",
                      f"SELECT * FROM NAMED <{BASE}q> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                      f"SELECT * WHERE {{ ?s ?p \"{link}\" }}"):
            status, _, answer = send(f"{node}/sparql?{urllib.parse.urlencode({'query': query})}",
                                     headers={"Accept": "application/sparql-results+json"})
            assert status == 200 and json.loads(answer)["results"]["bindings"] == [], query
    assert send(f"{nodes[1]}/q/{link}")[0] == 303  # and the link is still there
