"""The SPARQL 1.1 Protocol against a real server (granian), with both store backends.

Every test runs three times: with the embedded pyoxigraph store, and with ``--backend``
pointing at a real Oxigraph server and at a real OpenLink Virtuoso, each loaded by
:func:`ascn_kg.build.publish.publish`. Answers are parsed
back and compared with what rdflib reads from the fixture TriG, not just status codes.
"""

from __future__ import annotations

import csv
import http.client
import io
import json
import re
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from email.message import Message
from pathlib import Path

import pyoxigraph as ox
import pytest
from rdflib import Graph, URIRef
from rdflib.namespace import RDF, RDFS
from SPARQLWrapper import CSV, JSON, JSONLD, N3, POST, RDFXML, TSV, TURTLE, XML, SPARQLWrapper

from ascn_kg.namespaces import SD
from ascn_kg.store.terms import to_rdflib
from fixtures_sparql import BASE, GRAPHS, NUMBERS, graph_iri, make_dist
from liveserver import server_over

ROW_CAP = 1_000
LIMITS = {"query_timeout": 1, "max_result_rows": ROW_CAP, "max_query_length": 2_000_000,
          "max_body_bytes": 4_000_000}
LABELS = ("PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
          "SELECT ?s ?label WHERE { ?s rdfs:label ?label } ORDER BY ?s ?label")
SLOW = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
NUMBERS_QUERY = f"SELECT ?n WHERE {{ ?x <{BASE}def/ascn#value> ?n }} ORDER BY ?n"


@dataclass
class Answer:
    status: int
    headers: Message
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self) -> dict:
        return json.loads(self.body)


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_dist(tmp_path_factory.mktemp("dist"))


class FixtureData:
    """The fixture's quads as rdflib terms (read by pyoxigraph's parser, not its engine)."""

    def __init__(self, trig: Path) -> None:
        self.quads = [
            (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object),
             q.graph_name.value)
            for q in ox.parse(path=str(trig), format=ox.RdfFormat.TRIG)
        ]

    def graph(self, name: str) -> set:
        return {q[:3] for q in self.quads if q[3] == graph_iri(name)}

    def triples(self) -> set:
        return {q[:3] for q in self.quads}


@pytest.fixture(scope="module")
def fixture_data(dist: Path) -> FixtureData:
    return FixtureData(dist / "ascn.trig")


def parse_triples(body: bytes, media_type: str) -> set:
    return {(to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
            for q in ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))}


@pytest.fixture(scope="module", params=["embedded", "oxigraph", "virtuoso"])
def base(request: pytest.FixtureRequest, dist: Path) -> Iterator[str]:
    with server_over(request.param, dist, **LIMITS) as url:
        yield url


def call(
    base: str, params: dict | list | None = None, *, method: str = "GET",
    data: bytes | None = None, headers: dict | None = None, raw_query: str | None = None,
) -> Answer:
    query = raw_query if raw_query is not None else urllib.parse.urlencode(params or {},
                                                                           doseq=True)
    url = f"{base}/sparql" + (f"?{query}" if query else "")
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, response.headers, response.read())
    except urllib.error.HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def form_post(base: str, fields: dict, headers: dict | None = None) -> Answer:
    body = urllib.parse.urlencode(fields).encode()
    kind = {"Content-Type": "application/x-www-form-urlencoded"}
    return call(base, method="POST", data=body, headers=kind | (headers or {}))


def direct_post(base: str, query: str, params: dict | None = None,
                headers: dict | None = None) -> Answer:
    kind = {"Content-Type": "application/sparql-query"}
    return call(base, params, method="POST", data=query.encode(), headers=kind | (headers or {}))


def expected_labels(data: FixtureData) -> list[tuple[str, str, str | None]]:
    return sorted({(str(s), str(o), o.language) for s, p, o in data.triples() if p == RDFS.label})


def rows_of_json(document: dict) -> list[tuple[str, str, str | None]]:
    return [(b["s"]["value"], b["label"]["value"], b["label"].get("xml:lang"))
            for b in document["results"]["bindings"]]


def graph_of(data: FixtureData, name: str) -> set:
    return data.graph(name)


# --- protocol forms -------------------------------------------------------------------


def test_get_post_form_and_post_direct_give_the_same_rows(base: str, fixture_data) -> None:
    expected = expected_labels(fixture_data)
    answers = [call(base, {"query": LABELS}), form_post(base, {"query": LABELS}),
               direct_post(base, LABELS)]
    for answer in answers:
        assert answer.status == 200
        assert answer.headers.get_content_type() == "application/sparql-results+json"
        assert sorted(rows_of_json(answer.json())) == expected


def test_sparqlwrapper_select_ask_construct(base: str, fixture_data) -> None:
    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(LABELS)
    client.setReturnFormat(JSON)
    assert sorted(rows_of_json(client.query().convert())) == expected_labels(fixture_data)
    client.setMethod(POST)
    client.setQuery("ASK { ?s a <https://kg.ascn.example/def/ascn#City> }")
    assert client.query().convert()["boolean"] is True
    client.setQuery(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri('cities')}> "
                    "{ ?s ?p ?o } }")
    client.setReturnFormat(TURTLE)
    graph = Graph().parse(data=client.query().convert(), format="turtle")
    assert set(graph) == graph_of(fixture_data, "cities")


@pytest.mark.parametrize("fmt", [XML, CSV, TSV])
def test_sparqlwrapper_result_formats(base: str, fixture_data, fmt: str) -> None:
    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(LABELS)
    client.setReturnFormat(fmt)
    body = client.query().response.read()
    expected = expected_labels(fixture_data)
    if fmt == CSV:
        rows = list(csv.reader(io.StringIO(body.decode())))
        assert rows[0] == ["s", "label"]
        assert sorted(tuple(r) for r in rows[1:]) == sorted((s, v) for s, v, _ in expected)
        return
    kind = ox.QueryResultsFormat.XML if fmt == XML else ox.QueryResultsFormat.TSV
    parsed = [(s["s"].value, s["label"].value, s["label"].language)
              for s in ox.parse_query_results(body, format=kind)]
    assert sorted(parsed) == expected


@pytest.mark.parametrize(
    ("fmt", "media_type"),
    [(TURTLE, "text/turtle"), (RDFXML, "application/rdf+xml"), (JSONLD, "application/ld+json"),
     (XML, "application/rdf+xml"), (N3, "text/turtle")],  # Turtle is N3 without its extensions
)
def test_sparqlwrapper_graph_formats(base: str, fixture_data, fmt: str, media_type: str) -> None:
    client = SPARQLWrapper(f"{base}/sparql")
    client.setQuery(f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri('people')}> "
                    "{ ?s ?p ?o } }")
    client.setReturnFormat(fmt)
    response = client.query().response
    assert response.headers.get_content_type() == media_type
    assert parse_triples(response.read(), media_type) == graph_of(fixture_data, "people")


RESULT_TYPES = {
    "json": "application/sparql-results+json", "xml": "application/sparql-results+xml",
    "csv": "text/csv", "tsv": "text/tab-separated-values",
}


@pytest.mark.parametrize("name", sorted(RESULT_TYPES))
@pytest.mark.parametrize("by", ["format", "accept"])
def test_result_formats_by_parameter_and_by_accept(base: str, fixture_data, name, by) -> None:
    media_type = RESULT_TYPES[name]
    params = {"query": LABELS} | ({"format": name} if by == "format" else {})
    headers = {"Accept": f"text/html;q=0.1, {media_type};q=0.9"} if by == "accept" else {}
    answer = call(base, params, headers=headers)
    assert answer.status == 200
    assert answer.headers.get_content_type() == media_type
    expected = expected_labels(fixture_data)
    if name == "csv":
        rows = list(csv.reader(io.StringIO(answer.text)))[1:]
        assert sorted(tuple(r) for r in rows) == sorted((s, v) for s, v, _ in expected)
        return
    parsed = ox.parse_query_results(answer.body, format=ox.QueryResultsFormat.from_media_type(
        media_type))
    assert sorted((s["s"].value, s["label"].value, s["label"].language) for s in parsed) == (
        expected)


GRAPH_TYPES = {
    "ttl": ("text/turtle", "turtle"), "nt": ("application/n-triples", "nt"),
    "jsonld": ("application/ld+json", "json-ld"), "rdfxml": ("application/rdf+xml", "xml"),
    "trig": ("application/trig", "trig"), "nq": ("application/n-quads", "nquads"),
}


@pytest.mark.parametrize("name", sorted(GRAPH_TYPES))
@pytest.mark.parametrize("by", ["format", "accept"])
def test_graph_formats(base: str, fixture_data, name: str, by: str) -> None:
    media_type, rdflib_format = GRAPH_TYPES[name]
    query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph_iri('states')}> {{ ?s ?p ?o }} }}"
    params = {"query": query} | ({"format": name} if by == "format" else {})
    headers = {"Accept": media_type} if by == "accept" else {}
    answer = call(base, params, headers=headers)
    assert answer.status == 200, answer.text
    assert answer.headers.get_content_type() == media_type
    triples = parse_triples(answer.body, media_type)
    if rdflib_format in {"turtle", "nt", "xml"}:  # rdflib warns in its other parsers
        assert set(Graph().parse(data=answer.text, format=rdflib_format)) == triples
    assert triples == graph_of(fixture_data, "states")


def test_describe_and_ask_answers(base: str) -> None:
    city = f"{BASE}id/city/singapore"
    described = call(base, {"query": f"DESCRIBE <{city}>", "format": "nt"})
    graph = Graph().parse(data=described.text, format="nt")
    assert (URIRef(city), RDF.type, URIRef(f"{BASE}def/ascn#City")) in graph
    no = call(base, {"query": "ASK { <http://example.org/x> ?p ?o }", "format": "xml"})
    assert not bool(ox.parse_query_results(no.body, format=ox.QueryResultsFormat.XML))
    yes = call(base, {"query": f"ASK {{ <{city}> ?p ?o }}"})
    assert yes.json() == {"head": {}, "boolean": True}


def test_default_and_named_graph_parameters(base: str, fixture_data) -> None:
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"

    def number(answer: Answer) -> int:
        return int(answer.json()["results"]["bindings"][0]["n"]["value"])

    assert number(call(base, {"query": count})) == len(fixture_data.triples())
    states = call(base, {"query": count, "default-graph-uri": graph_iri("states")})
    assert number(states) == len(graph_of(fixture_data, "states"))
    two = call(base, [("query", count), ("default-graph-uri", graph_iri("states")),
                      ("default-graph-uri", graph_iri("people"))])
    assert number(two) == len(graph_of(fixture_data, "states") | graph_of(fixture_data, "people"))
    named = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } } ORDER BY ?g"
    only = direct_post(base, named, {"named-graph-uri": graph_iri("people")})
    assert [b["g"]["value"] for b in only.json()["results"]["bindings"]] == [
        graph_iri("people")]
    bad = call(base, {"query": count, "default-graph-uri": "not an iri"})
    assert bad.status == 400 and "absolute IRI" in bad.text


# --- negotiation, service description, HTML ------------------------------------------


def test_a_request_without_its_query_gets_400_saying_where_it_goes(base: str) -> None:
    results = {"Accept": "application/sparql-results+json"}
    for answer in (call(base, headers=results), form_post(base, {"q": LABELS}),
                   call(base, {"q": LABELS}, headers=results), call(base, method="POST", data=b"")):
        assert answer.status == 400 and answer.text.startswith("no query: give it in the query parameter")
        assert "Accept" in answer.headers["Vary"]
    assert form_post(base, {"q": LABELS}).text.rstrip().endswith("this request has q")
    assert call(base, headers={"Accept": "text/turtle"}).status == 200  # the service description


def test_unacceptable_types_get_406(base: str) -> None:
    answer = call(base, {"query": LABELS}, headers={"Accept": "image/png"})
    assert answer.status == 406 and "Accept" in answer.headers["Vary"]  # a cache must not reuse it
    assert "application/sparql-results+json" in answer.text
    assert call(base, {"query": LABELS, "format": "ttl"}).status == 406
    assert call(base, {"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "csv"}).status == 406


@pytest.mark.parametrize("name", ["ttl", "nt", "jsonld", "rdfxml"])
def test_service_description_is_rdf(base: str, name: str) -> None:
    media_type, rdflib_format = GRAPH_TYPES[name]
    answer = call(base, headers={"Accept": media_type})
    assert answer.status == 200 and answer.headers.get_content_type() == media_type
    graph = Graph()
    for triple in parse_triples(answer.body, media_type):
        graph.add(triple)
    if rdflib_format in {"turtle", "nt", "xml"}:
        assert len(Graph().parse(data=answer.text, format=rdflib_format)) == len(graph)
    service = graph.value(predicate=RDF.type, object=SD.Service)
    assert service is not None
    assert graph.value(service, SD.endpoint) == URIRef(f"{BASE}sparql")
    assert graph.value(service, SD.supportedLanguage) == SD.SPARQL11Query
    assert (service, SD.feature, SD.UnionDefaultGraph) in graph
    formats = set(graph.objects(service, SD.resultFormat))
    assert URIRef("http://www.w3.org/ns/formats/SPARQL_Results_JSON") in formats
    assert (service, RDFS.seeAlso, URIRef(f"{BASE}.well-known/void")) in graph
    dataset = graph.value(service, SD.defaultDataset)
    names = {graph.value(g, SD.name) for g in graph.objects(dataset, SD.namedGraph)}
    assert names == {URIRef(graph_iri(g)) for g in GRAPHS}


def test_the_service_description_is_the_same_document_every_time(base: str) -> None:
    """Named nodes, not fresh blank nodes: two requests give the same bytes; each node's statements
    come together, and only the prefixes used are declared."""
    first, second = (call(base, headers={"Accept": "text/turtle"}) for _ in range(2))
    assert first.body == second.body
    prefixes = re.findall(r"^@prefix (\w+):", first.text, re.M)
    assert set(prefixes) == {"sd", "rdf", "rdfs", "xsd", "dcterms", "void"}
    assert first.text.count("<https://kg.ascn.example/sparql#service> ") == 1  # one subject block
    assert "_:" not in first.text


def test_browsers_get_a_form_and_html_tables(base: str) -> None:
    browser = {"Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}
    page = call(base, headers=browser)
    assert page.status == 200 and page.headers.get_content_type() == "text/html"
    assert "Accept" in [v.strip() for v in page.headers["Vary"].split(",")]  # Turtle for another Accept
    assert "<textarea" in page.text and 'type="submit"' in page.text
    assert re.findall(r"<script[^>]*>", page.text) == ['<script src="/static/autocomplete.js" defer>']  # ours only
    hostile = 'SELECT ?x WHERE { BIND("<script>alert(1)</script>" AS ?x) }'
    table = call(base, {"query": hostile}, headers=browser)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in table.text
    assert "<script>" not in table.text
    labels = call(base, {"query": LABELS, "format": "html"})
    assert "<table>" in labels.text and "Kuala Lumpur" in labels.text and "@ko" in labels.text
    ask = call(base, {"query": "ASK { ?s ?p ?o }"}, headers=browser)
    assert "Answer: <strong>yes</strong>" in ask.text
    graph = call(base, {"query": f"DESCRIBE <{BASE}id/state/sgp>", "format": "html"})
    assert ">subject</th>" in graph.text and "Singapore" in graph.text and "@ko" in graph.text
    # our IRIs link to this server's pages (a local run browses itself), others to themselves
    assert '<a href="/page/state/sgp">' in graph.text and f'href="{BASE}id/' not in graph.text
    assert 'href="http://www.w3.org/2000/01/rdf-schema#label"' in graph.text
    assert 'rel="stylesheet"' in graph.text and 'href="/query"' in graph.text
    error = call(base, {"query": "SELECT * WHERE {"}, headers=browser)
    assert error.status == 400 and "<textarea" in error.text and "malformed query" in error.text


# --- safety -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "update",
    ["INSERT DATA { <http://a> <http://b> <http://c> }", "delete where { ?s ?p ?o }",
     "DROP ALL", "clear default", "LOAD <http://example.org/x>", "CREATE GRAPH <http://g>",
     "WITH <http://g> DELETE { ?s ?p ?o } WHERE { ?s ?p ?o }", "copy default to <http://g>",
     "MOVE <http://a> TO <http://b>", "ADD <http://a> TO <http://b>"],
)
def test_updates_are_refused_in_every_way(base: str, update: str) -> None:
    ways = [call(base, {"query": update}), form_post(base, {"update": update}),
            form_post(base, {"query": update}), direct_post(base, update),
            call(base, method="POST", data=update.encode(),
                 headers={"Content-Type": "application/sparql-update"})]
    for answer in ways:
        assert answer.status == 400
        assert "SPARQL Update is not accepted" in answer.text


def test_data_is_unchanged_after_update_attempts(base: str, fixture_data) -> None:
    call(base, {"query": "DROP ALL"})
    count = call(base, {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"})
    total = int(count.json()["results"]["bindings"][0]["n"]["value"])
    assert total == len(fixture_data.triples())


@pytest.mark.parametrize(
    "template",
    ["SELECT * WHERE {{ SERVICE <{url}> {{ ?s ?p ?o }} }}",
     "SELECT * WHERE {{ SERVICE SILENT <{url}> {{ ?s ?p ?o }} }}",
     "PREFIX remote: <{url}>\nSELECT * WHERE {{ SERVICE remote: {{ ?s ?p ?o }} }}",
     "PREFIX : <{url}>\nSELECT * WHERE {{ SERVICE:{{ ?s ?p ?o }} }}",
     "SELECT * WHERE {{ ?s ?p 1.SERVICE <{url}> {{ }} }}"],
)
def test_service_is_refused_and_no_connection_is_made(base: str, template: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        listener.setblocking(False)
        url = f"http://127.0.0.1:{listener.getsockname()[1]}/sparql"
        answer = call(base, {"query": template.format(url=url)})
        assert answer.status == 400
        assert "not allowed" in answer.text and "SERVICE" in answer.text
        time.sleep(0.2)
        with pytest.raises(BlockingIOError):
            listener.accept()


def test_slow_query_is_stopped_at_the_limit_while_others_answer(base: str) -> None:
    result: dict[str, object] = {}

    def slow() -> None:
        started = time.monotonic()
        result["answer"] = call(base, {"query": SLOW})
        result["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=slow)
    thread.start()
    time.sleep(0.2)
    started = time.monotonic()
    quick = call(base, {"query": "ASK { ?s ?p ?o }"})
    assert quick.status == 200 and time.monotonic() - started < 0.5
    thread.join(10)
    answer = result["answer"]
    assert isinstance(answer, Answer)
    assert answer.status == 504
    assert "1 s time limit" in answer.text
    assert 0.9 < float(result["seconds"]) < 2.5  # type: ignore[arg-type]
    after = call(base, {"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s a ?o }"})
    assert after.status == 200


def test_row_cap_is_applied_and_reported(base: str) -> None:
    answer = call(base, {"query": NUMBERS_QUERY})
    rows = answer.json()["results"]["bindings"]
    assert [int(r["n"]["value"]) for r in rows] == list(range(ROW_CAP))
    assert answer.headers["X-ASCN-Truncated"] == f"rows={ROW_CAP}"
    graph = call(base, {"query": "CONSTRUCT WHERE { ?s ?p ?o }", "format": "nt"})
    assert len(graph.text.strip().splitlines()) == ROW_CAP
    assert graph.headers["X-ASCN-Truncated"] == f"rows={ROW_CAP}"
    html = call(base, {"query": NUMBERS_QUERY, "format": "html"})
    assert "cut at the row limit" in html.text
    small = call(base, {"query": LABELS})
    assert small.headers["X-ASCN-Truncated"] is None
    assert NUMBERS > ROW_CAP


def test_length_and_body_caps(base: str) -> None:
    too_long = "SELECT * WHERE { ?s ?p ?o }" + " " * 2_000_000
    answer = direct_post(base, too_long)
    assert answer.status == 413 and "the limit is 2,000,000" in answer.text
    # The server answers from Content-Length without reading the body, so send only a bit.
    connection = http.client.HTTPConnection(urllib.parse.urlsplit(base).netloc, timeout=10)
    connection.putrequest("POST", "/sparql")
    connection.putheader("Content-Type", "application/x-www-form-urlencoded")
    connection.putheader("Content-Length", "4000001")
    connection.endheaders(b"query=ASK")
    response = connection.getresponse()
    assert response.status == 413 and b"byte limit" in response.read()
    connection.close()


def test_malformed_queries_name_the_position(base: str) -> None:
    answer = call(base, {"query": "SELECT * WHERE { ?s ?p }"})
    assert answer.status == 400
    assert answer.text.startswith("malformed query")
    # line:column from pyoxigraph and Oxigraph; Virtuoso names the line and the token
    assert re.search(r"1:2\d|line 1: syntax error at '}'", answer.text), answer.text
    assert "SPARQL query:" not in answer.text  # Virtuoso's echo of the rewritten query is cut off
    assert call(base, {"query": "PREFIX x: <http://x/>"}).status == 400


def nested(kind: str, depth: int) -> str:
    path = "<http://example.org/p>"
    return {
        "braces": "SELECT * WHERE " + "{" * depth + "}" * depth,
        "parentheses": "SELECT * WHERE { FILTER(" + "(" * depth + "1" + ")" * depth + ") }",
        "subselects": "SELECT * WHERE " + "{ SELECT * WHERE " * depth + "{}" + " }" * depth,
        "path": "SELECT * WHERE { ?s " + "(" * depth + path + ")" * depth + " ?o }",
    }[kind]


@pytest.mark.parametrize("kind", ["braces", "parentheses", "subselects", "path"])
@pytest.mark.parametrize("depth", [3_000, 100_000])
def test_deep_nesting_is_refused(base: str, kind: str, depth: int) -> None:
    answer = direct_post(base, nested(kind, depth))
    assert answer.status == 400
    assert "nests deeper than 64 levels" in answer.text
    assert call(base, {"query": "ASK {}"}).status == 200  # the server is still there


@pytest.mark.parametrize(
    "raw",
    ["query=%FF%FE", "query=SELECT%20*%20%7B%7D%zz", "query=%C3%28", "query=ASK%20%7B%7D%"],
)
def test_bad_encoding_in_the_query_string_is_refused(base: str, raw: str) -> None:
    answer = call(base, raw_query=raw)
    assert answer.status == 400
    assert "percent-encod" in answer.text or "UTF-8" in answer.text


def test_bad_bytes_in_bodies_are_refused(base: str) -> None:
    form = call(base, method="POST", data=b"query=ASK%20%7B%7D\xff",
                headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert form.status == 400 and "UTF-8" in form.text
    direct = call(base, method="POST", data=b"ASK { FILTER(\"\xc3\x28\") }",
                  headers={"Content-Type": "application/sparql-query"})
    assert direct.status == 400 and "UTF-8" in direct.text
    other = call(base, method="POST", data=b"ASK {}", headers={"Content-Type": "text/plain"})
    assert other.status == 415


# --- CORS and caching -------------------------------------------------------------------


def test_cors(base: str) -> None:
    preflight = call(base, method="OPTIONS", headers={
        "Origin": "https://example.org", "Access-Control-Request-Method": "POST"})
    assert preflight.status == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    answer = call(base, {"query": "ASK {}"}, headers={"Origin": "https://example.org"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*"


def test_etags_and_304(base: str, dist: Path) -> None:
    first = call(base, {"query": LABELS})
    etag = first.headers["ETag"]
    assert etag and first.headers["Cache-Control"].startswith("public, max-age=")
    again = call(base, {"query": LABELS}, headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b""
    other = call(base, {"query": LABELS, "format": "csv"})
    assert other.headers["ETag"] != etag
    assert call(base, {"query": LABELS}, headers={"If-None-Match": '"nope"'}).status == 200
    assert (dist / "VERSION").read_text().strip()


# --- operations -------------------------------------------------------------------------


def metric(base: str, name: str) -> float:
    """A counter from /metrics, summed over the server's workers by the multiprocess mode."""
    with urllib.request.urlopen(f"{base}/metrics", timeout=10) as response:
        text = response.read().decode()
    pattern = re.compile(rf"^{re.escape(name)} (\S+)$", re.MULTILINE)
    found = pattern.search(text)
    return float(found.group(1)) if found else 0.0


def test_queries_are_counted_in_the_metrics_of_all_workers(base: str) -> None:
    refused = 'ascn_kg_sparql_refused_total{reason="update"}'
    timeouts = "ascn_kg_sparql_timeouts_total"
    before = metric(base, refused), metric(base, timeouts)
    for _ in range(4):  # spread over both web workers
        call(base, {"query": "DROP ALL"})
    call(base, {"query": SLOW + " # metrics"})
    time.sleep(0.2)  # bookkeeping happens after the response is sent
    assert metric(base, refused) == before[0] + 4
    assert metric(base, timeouts) == before[1] + 1
