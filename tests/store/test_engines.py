"""The report graph served from external engines: Oxigraph server and OpenLink Virtuoso.

For each engine: an empty server is started on loopback ports (Virtuoso with
``tests/virtuoso.ini``, its database in a temporary folder), the real build is loaded with
``ascn-kg publish``, and ``ascn-kg serve --backend`` answers from it. The pages, the
catalogue and the counts must be exactly those of the embedded store, whatever the engine
holds besides our data (Virtuoso's system graphs) and however it deviates from the standards.
"""

from __future__ import annotations

import csv
import io
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Literal, URIRef

from ascn_kg.build.pipeline import BuildResult
from ascn_kg.catalogue import load_catalogue
from ascn_kg.config import Settings
from ascn_kg.store.catalogue_bind import render
from ascn_kg.store.remote import RemoteStore
from liveserver import ENGINE_NAMES, Engine, free_port, published_engine, running_server
from support import REPO
from test_catalogue import assert_same, expected, run_remote

BASE = "https://kg.ascn.example/"
QUERIES = REPO / "queries"
NAMES = [entry.name for entry in load_catalogue(QUERIES)]
SYSTEM_GRAPH = "http://www.openlinksw.com/schemas/virtrdf#"  # Virtuoso's largest system graph
COUNT = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
PER_GRAPH = "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g"
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
# What a backend holds after `ascn-kg publish`: the 9,304 quads in 24 graphs of dist/ascn.nq
# (the report's parts with their places, ontology, inferred, data-quality, provenance, sources)
# and the VoID description of graph/void beside them: 153 triples, one graph more.
TRIPLES, GRAPHS = 9304 + 153, 24 + 1


@pytest.fixture(scope="module", params=ENGINE_NAMES)
def engine(request: pytest.FixtureRequest, built: BuildResult) -> Iterator[Engine]:
    with published_engine(request.param, built.dist) as running:
        yield running


@pytest.fixture(scope="module")
def web(engine: Engine, built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``ascn-kg serve --backend`` in front of the engine."""
    with running_server(built.dist, backend_url=engine.query_url, query_timeout=3,
                        permalink_dir=str(tmp_path_factory.mktemp("unused-links"))) as url:
        yield url


def get(url: str, accept: str = "*/*") -> tuple[int, bytes, str]:
    request = urllib.request.Request(url, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read(), response.headers.get_content_type()
    except urllib.error.HTTPError as error:
        return error.code, error.read(), error.headers.get_content_type()


def sparql_json(base: str, query: str, **graphs: str) -> dict:
    params = urllib.parse.urlencode({"query": query, **graphs})
    status, body, _ = get(f"{base}/sparql?{params}", "application/sparql-results+json")
    assert status == 200, body[:500]
    return json.loads(body)


def visible_text(html: str) -> str:
    """The text a reader sees: no scripts, no tags, spaces collapsed."""
    html = re.sub(r"<script.*?</script>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def embedded_select(built: BuildResult, query: str) -> list[tuple[str, ...]]:
    store = ox.Store.read_only(str(built.dist / "store"))
    return [tuple(t.value for t in row) for row in store.query(query, use_default_graph_as_union=True)]


# --- the dataset, and nothing else --------------------------------------------------------


def test_the_public_default_graph_holds_exactly_our_triples(web: str, built: BuildResult) -> None:
    (embedded,) = embedded_select(built, COUNT)
    document = sparql_json(web, COUNT)
    assert int(document["results"]["bindings"][0]["n"]["value"]) == int(embedded[0]) == TRIPLES
    per_graph = sparql_json(web, PER_GRAPH)["results"]["bindings"]
    assert [(r["g"]["value"], int(r["n"]["value"])) for r in per_graph] == [
        (g, int(n)) for g, n in embedded_select(built, PER_GRAPH)]
    assert len(per_graph) == GRAPHS


def test_the_engines_own_graphs_stay_out_of_reach(web: str) -> None:
    for query in (f"SELECT (COUNT(*) AS ?n) FROM <{SYSTEM_GRAPH}> WHERE {{ ?s ?p ?o }}",
                  f"SELECT (COUNT(*) AS ?n) FROM NAMED <{SYSTEM_GRAPH}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }}",
                  f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{SYSTEM_GRAPH}> {{ ?s ?p ?o }} }}",
                  f"SELECT (COUNT(*) AS ?n) FROM <{BASE}q> WHERE {{ ?s ?p ?o }}"):
        rows = sparql_json(web, query)["results"]["bindings"]
        assert rows in ([], [{"n": rows[0]["n"]}]) and all(int(r["n"]["value"]) in (0, 1) for r in rows), query
        listed = sparql_json(web, query.replace("SELECT (COUNT(*) AS ?n)", "SELECT *"))["results"]["bindings"]
        assert listed == [], query
    document = sparql_json(web, COUNT, **{"default-graph-uri": SYSTEM_GRAPH})
    assert int(document["results"]["bindings"][0]["n"]["value"]) == 0
    graphs = sparql_json(web, "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }")["results"]["bindings"]
    assert all(g["g"]["value"].startswith(f"{BASE}graph/") for g in graphs) and len(graphs) == GRAPHS


def test_a_query_naming_one_graph_sees_that_graph_only(web: str) -> None:
    chart4 = f"{BASE}graph/chart-4"
    for query, graphs in ((f"SELECT (COUNT(*) AS ?n) FROM <{chart4}> WHERE {{ ?s ?p ?o }}", {}),
                          (COUNT, {"default-graph-uri": chart4})):
        document = sparql_json(web, query, **graphs)
        assert int(document["results"]["bindings"][0]["n"]["value"]) == 21  # Chart 4: statements, row links


def test_ask_with_values_reads_as_a_boolean(engine: Engine, built: BuildResult) -> None:
    store = RemoteStore(Settings(backend_url=engine.query_url, dist_dir=built.dist, base_iri=BASE))
    query = "ASK { ?this ?p ?o }"
    assert store.ask(query, {"this": URIRef(f"{BASE}id/city/kuala-lumpur")}) is True
    assert store.ask(query, {"this": URIRef(f"{BASE}id/city/atlantis")}) is False
    assert store.ask("ASK { ?s ?p ?name }", {"name": Literal("Kuala Lumpur", lang="en")}) is True
    assert store.engine().name == engine.name  # found from the Server header
    assert store.graphs()[0] == f"{BASE}graph/abstract" and len(store.graphs()) == GRAPHS


# --- pages and catalogue -------------------------------------------------------------------


def test_every_entity_page_answers(web: str, built: BuildResult) -> None:
    subjects = sorted({s for (s,) in embedded_select(
        built, f'SELECT DISTINCT ?s WHERE {{ ?s ?p ?o FILTER(STRSTARTS(STR(?s), "{BASE}id/")) }}')})
    assert len(subjects) >= 440
    pages = [f"{web}/page/{urllib.parse.quote(s[len(BASE) + 3:])}" for s in subjects]
    with ThreadPoolExecutor(4) as pool:
        statuses = dict(zip(pages, pool.map(lambda url: get(url, "text/html")[0], pages), strict=True))
    assert {url: status for url, status in statuses.items() if status != 200} == {}
    page = visible_text(get(f"{web}/page/city/kuala-lumpur", "text/html")[1].decode())
    for shown in ("Korean 쿠알라룸푸르", "State Malaysia", "Density (/km²) 6,890",
                  "Nik Mastura Diyana binti Nik Mohamad",
                  "KL Urban Observatory", "Statements (26 statements)"):  # Chart 3, Annexes 1-3, places
        assert shown in page, shown


@pytest.mark.parametrize("name", NAMES)
def test_catalogue_answers_equal_the_expected_ones(web: str, name: str) -> None:
    from ascn_kg.catalogue import resolve

    assert_same(name, run_remote(f"{web}/sparql", render(resolve(name, QUERIES))), expected(name))
    status, body, kind = get(f"{web}/api/queries/{name}", "text/csv")
    assert (status, kind) == (200, "text/csv"), body[:300]
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert_same(f"{name} (API)", (header, rows), expected(name))


def test_the_query_command_asks_the_engine(engine: Engine, built: BuildResult) -> None:
    script = Path(sys.executable).with_name("ascn-kg")
    done = subprocess.run([str(script), "--dist-dir", str(built.dist), "query", "pilot-cities-per-state",
                           "--format", "csv", "--endpoint", engine.query_url],
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    header, *rows = list(csv.reader(io.StringIO(done.stdout)))
    assert_same("pilot-cities-per-state", (header, rows), expected("pilot-cities-per-state"))


# --- the backend failing ---------------------------------------------------------------------


def test_a_slow_query_is_stopped_with_504(web: str) -> None:
    status, body, _ = get(f"{web}/sparql?{urllib.parse.urlencode({'query': SLOW})}", "application/sparql-results+json")
    assert status == 504, body[:300]
    assert b"time limit" in body


def test_a_backend_that_is_down_gives_502(built: BuildResult, engine: Engine) -> None:
    nothing = f"http://127.0.0.1:{free_port()}/sparql"
    with running_server(built.dist, backend_url=nothing, backend_engine=engine.name) as url:
        status, body, _ = get(f"{url}/sparql?{urllib.parse.urlencode({'query': COUNT})}", "text/csv")
        assert status == 502 and b"unreachable" in body
        assert get(f"{url}/page/city/kuala-lumpur", "text/html")[0] == 502
        status, body, _ = get(f"{url}/readyz")
        assert status == 503 and b"unreachable" in body
