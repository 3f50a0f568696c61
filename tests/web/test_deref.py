"""Dereferencing: every kind of IRI answers 303 to its page or data, by Accept; 404 and 406."""

from __future__ import annotations

import re
import warnings

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import BNode, Dataset, Graph, URIRef
from rdflib.namespace import OWL, RDF

from ascn_kg.iris import KINDS
from ascn_kg.store.terms import to_rdflib
from support import BASE

RDFLIB_FORMATS = {"ttl": "turtle", "nt": "nt", "jsonld": "json-ld", "rdf": "xml", "trig": "trig", "nq": "nquads"}
MEDIA = {"ttl": "text/turtle", "nt": "application/n-triples", "jsonld": "application/ld+json",
         "rdf": "application/rdf+xml", "trig": "application/trig", "nq": "application/n-quads"}


def example_of(store: ox.Store, kind: str) -> str:
    """The first key of a thing of ``kind`` in the graph."""
    prefix = f"{BASE}id/{kind}/"
    subjects = sorted({q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)})
    rows = [s for s in subjects if s.startswith(prefix)]
    assert rows, f"no thing of kind {kind} in the graph"
    return rows[0][len(prefix):]


def expected_triples(store: ox.Store, iri: str) -> set[tuple]:
    """What the store holds about ``iri``: its statements and the statements pointing to it."""
    node = ox.NamedNode(iri)
    out = {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(node, None, None)}
    out |= {(q.subject, q.predicate, q.object) for q in store.quads_for_pattern(None, None, node)}
    return {tuple(to_rdflib(x) for x in t) for t in out}


def parse(body: bytes, ext: str) -> set[tuple]:
    """The triples of a document, parsed by rdflib (whose JSON-LD parser uses a deprecated class)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        if ext in {"trig", "nq"}:
            dataset = Dataset()
            dataset.parse(data=body, format=RDFLIB_FORMATS[ext])
            return {(s, p, o) for s, p, o, _ in dataset.quads()}
        return set(Graph().parse(data=body, format=RDFLIB_FORMATS[ext]))


@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_dereferences_by_accept(client: FlaskClient, store: ox.Store, kind: str) -> None:
    key = example_of(store, kind)
    iri = f"{BASE}id/{kind}/{key}"
    html = client.get(f"/id/{kind}/{key}", headers={"Accept": "text/html,application/xhtml+xml;q=0.9,*/*;q=0.8"})
    assert html.status_code == 303
    assert html.headers["Location"] == f"/page/{kind}/{key}"
    assert "Accept" in html.headers["Vary"]
    page = client.get(html.headers["Location"])
    assert page.status_code == 200 and page.mimetype == "text/html"
    expected = {t for t in expected_triples(store, iri) if not any(isinstance(x, BNode) for x in t)}
    for ext, media in MEDIA.items():
        answer = client.get(f"/id/{kind}/{key}", headers={"Accept": f"{media}, text/html;q=0.5"})
        assert answer.status_code == 303, ext
        assert answer.headers["Location"] == f"/data/{kind}/{key}.{ext}"
        data = client.get(answer.headers["Location"])
        assert data.status_code == 200
        assert data.mimetype == media
        assert parse(data.data, ext) == expected, f"{kind} as {ext}"


def test_q_values_choose_the_format(client: FlaskClient) -> None:
    cases = {
        "text/turtle;q=0.5, application/ld+json": ".jsonld",
        "text/html;q=0.1, application/n-triples;q=0.9": ".nt",
        "application/rdf+xml;q=1, text/turtle;q=0.9": ".rdf",
        "*/*": "/page/city/kuala-lumpur",
        "text/*": "/page/city/kuala-lumpur",
        "application/*;q=0.9, text/html;q=0.2": ".nt",
        "application/json": ".jsonld",  # generic JSON means JSON-LD for data
        "application/xml": ".rdf",
    }
    for accept, ending in cases.items():
        answer = client.get("/id/city/kuala-lumpur", headers={"Accept": accept})
        assert answer.status_code == 303, accept
        assert answer.headers["Location"].endswith(ending), (accept, answer.headers["Location"])


def test_no_accept_header_gets_the_page(client: FlaskClient) -> None:
    answer = client.get("/id/state/mys")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/page/state/mys"


def test_nothing_acceptable_is_406(client: FlaskClient) -> None:
    answer = client.get("/id/city/kuala-lumpur", headers={"Accept": "image/png"})
    assert answer.status_code == 406
    assert "text/turtle" in answer.get_data(as_text=True)
    assert client.get("/def/ascn", headers={"Accept": "image/png"}).status_code == 406


@pytest.mark.parametrize("path", [
    "/id/city/atlantis", "/id/planet/earth", "/id/city/Not_A_Key", "/page/city/atlantis", "/page/spaceship/x",
    "/data/city/kuala-lumpur.exe", "/graph/no-such-graph", "/def/ascn/NoSuchTerm",
    "/def/ascn/..%2Fetc", "/page/city/kuala-lumpur/extra", "/no/such/route",
])
def test_unknown_iris_are_404_pages(client: FlaskClient, path: str) -> None:
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 404
    assert answer.mimetype == "text/html"
    assert "Not found" in answer.get_data(as_text=True)


def test_unknown_iri_is_404_in_the_rdf_format_asked_for(client: FlaskClient) -> None:
    answer = client.get("/id/city/atlantis", headers={"Accept": "text/turtle"})
    assert answer.status_code == 404
    assert answer.mimetype == "text/turtle"
    assert len(Graph().parse(data=answer.data, format="turtle")) == 0
    answer = client.get("/data/city/atlantis.jsonld")
    assert answer.status_code == 404 and answer.mimetype == "application/ld+json"


def test_data_without_extension_negotiates(client: FlaskClient) -> None:
    answer = client.get("/data/city/kuala-lumpur", headers={"Accept": "application/rdf+xml"})
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/data/city/kuala-lumpur.rdf"


def test_data_documents_are_cacheable(client: FlaskClient) -> None:
    first = client.get("/data/city/kuala-lumpur.ttl")
    assert first.headers["ETag"]
    again = client.get("/data/city/kuala-lumpur.ttl", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_quad_formats_keep_the_named_graphs(client: FlaskClient) -> None:
    body = client.get("/data/city/kuala-lumpur.trig").data
    graphs = {q.graph_name.value for q in ox.parse(body, format=ox.RdfFormat.TRIG)}
    assert f"{BASE}graph/chart-3" in graphs
    assert f"{BASE}graph/inferred" in graphs


def test_named_graphs_and_the_dataset_dereference(client: FlaskClient) -> None:
    answer = client.get("/graph/annex-1", headers={"Accept": "text/html"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/page/graph/annex-1"
    page = client.get("/page/graph/annex-1").get_data(as_text=True)
    assert "Facts from Annex 1" in page
    answer = client.get("/dataset", headers={"Accept": "text/turtle"})
    assert answer.status_code == 303 and answer.headers["Location"] == "/data/dataset.ttl"
    graph = Graph().parse(data=client.get("/data/dataset.ttl").data, format="turtle")
    assert (URIRef(f"{BASE}dataset"), RDF.type, URIRef("http://rdfs.org/ns/void#Dataset")) in graph
    assert client.get("/page/dataset").status_code == 200


def test_ontology_document_negotiates(client: FlaskClient) -> None:
    html = client.get("/def/ascn", headers={"Accept": "text/html"})
    assert html.status_code == 200 and html.mimetype == "text/html"
    assert "Accept" in html.headers["Vary"]
    turtle = client.get("/def/ascn", headers={"Accept": "text/turtle"})
    assert turtle.mimetype == "text/turtle"
    graph = Graph().parse(data=turtle.data, format="turtle")
    assert (URIRef(f"{BASE}def/ascn#City"), RDF.type, OWL.Class) in graph
    for ext in ("ttl", "nt", "jsonld", "rdf"):
        answer = client.get(f"/def/ascn.{ext}")
        assert answer.status_code == 200 and answer.mimetype == MEDIA[ext]
        assert len(parse(answer.data, ext)) == len(graph)


def test_ontology_terms_have_pages_and_data(client: FlaskClient) -> None:
    page = client.get("/def/ascn/PilotCity", headers={"Accept": "text/html"})
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "Pilot city" in text and "시범도시" in text
    data = client.get("/def/ascn/PilotCity", headers={"Accept": "text/turtle"})
    assert data.status_code == 200 and data.mimetype == "text/turtle"
    graph = Graph().parse(data=data.data, format="turtle")
    equivalent = graph.value(URIRef(f"{BASE}def/ascn#PilotCity"), OWL.equivalentClass)
    assert isinstance(equivalent, BNode)
    assert graph.value(equivalent, OWL.intersectionOf) is not None  # the blank-node closure is there
    assert client.get("/def/ascn/isLocatedIn.nt").mimetype == "application/n-triples"


def test_every_iri_of_the_graph_has_a_local_page(client: FlaskClient, store: ox.Store) -> None:
    """Each subject IRI under the base maps to a route of this server that answers."""
    subjects = {q.subject.value for q in store if isinstance(q.subject, ox.NamedNode)}
    ours = sorted(s for s in subjects if s.startswith(BASE))
    assert len(ours) > 500
    for iri in ours:
        path = "/" + iri[len(BASE):]
        if "#" in path:
            document, _, term = path.partition("#")
            path = f"{document}/{term}" if document == "/def/ascn" else document
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code in {200, 303}, (iri, answer.status_code)
        if answer.status_code == 303:
            assert client.get(answer.headers["Location"]).status_code == 200, iri



def test_every_named_graph_dereferences(client: FlaskClient, store: ox.Store) -> None:
    graphs = sorted({q.graph_name.value for q in store if isinstance(q.graph_name, ox.NamedNode)})
    # 19 parts with statements (the title page, Representation and Scope of the ASCN among them since
    # issue 15), data-quality, inferred, ontology, provenance, sources and void
    assert f"{BASE}graph/void" in graphs and len(graphs) == 25
    for iri in graphs:
        name = iri.rsplit("/", 1)[1]
        response = client.get(f"/graph/{name}", headers={"Accept": "text/html"})
        assert response.status_code == 303, name
        page = client.get(response.headers["Location"])
        assert page.status_code == 200, name


def test_a_data_document_declares_only_the_prefixes_it_uses(client: FlaskClient) -> None:
    turtle = client.get("/data/city/kuala-lumpur.ttl").get_data(as_text=True)
    declared = set(re.findall(r"^@prefix (\w+):", turtle, re.M))
    assert {"rdf", "rdfs", "ascn", "ascncity", "ascnstate", "prov"} <= declared
    assert not declared & {"sh", "time", "foaf", "dcat", "owl"}  # none of these is used by a city
    body = turtle.split("\n", len(declared))[-1]
    assert all(f"{name}:" in body for name in declared - {"xsd", "rdf"})  # written bare: 1, a


@pytest.mark.parametrize("path", ["/id/state/vnm", "/data/state/vnm.ttl", "/.well-known/void", "/def/ascn",
                                  "/download/ascn.ttl", "/api/search?q=hanoi", "/api/queries", "/page/nothing"])
def test_scripts_of_any_origin_may_read_every_public_answer(client: FlaskClient, path: str) -> None:
    answer = client.get(path, headers={"Origin": "https://app.example", "Accept": "application/ld+json"})
    assert answer.headers["Access-Control-Allow-Origin"] == "*", path
    exposed = {h.strip() for h in answer.headers["Access-Control-Expose-Headers"].split(",")}
    assert {"ETag", "Retry-After", "X-ASCN-Dataset-Version"} <= exposed


def test_a_method_not_allowed_names_the_allowed_ones(client: FlaskClient) -> None:
    for path, accept in (("/id/city/ha-noi", "text/html"), ("/api/queries/pilot-cities", "application/json")):
        answer = client.delete(path, headers={"Accept": accept})
        assert answer.status_code == 405
        assert {m.strip() for m in answer.headers["Allow"].split(",")} >= {"GET", "HEAD"}, path
    assert "Access-Control-Allow-Origin" not in client.post("/q", data={}).headers  # writes stay same-origin


def test_a_graph_document_describes_its_hash_iris(client: FlaskClient) -> None:
    """graph/provenance#conversion (and the other activities) resolve to graph/provenance's
    document, which must hold their statements."""
    graph = Graph().parse(data=client.get("/data/graph/provenance.ttl").get_data(as_text=True), format="turtle")
    for fragment in ("conversion", "reasoning", "rule-application"):
        activity = URIRef(f"{BASE}graph/provenance#{fragment}")
        assert (activity, RDF.type, URIRef("http://www.w3.org/ns/prov#Activity")) in graph, fragment
        assert len(set(graph.predicate_objects(activity))) >= 4, fragment


@pytest.mark.parametrize(("asked", "sent_to"), [
    ("/downloads", "/download/"), ("/cities/", "/cities"), ("/page/city/JAKARTA", "/page/city/jakarta"),
    ("/page/city/jakarta/", "/page/city/jakarta"), ("/Cities?lang=ko", "/cities?lang=ko"),
])
def test_an_address_nearly_right_is_sent_on(client: FlaskClient, asked: str, sent_to: str) -> None:
    answer = client.get(asked)
    assert (answer.status_code, answer.headers.get("Location")) == (301, sent_to)
    assert client.get(sent_to).status_code == 200


@pytest.mark.parametrize("path", ["/nothing-here/", "/page/city/atlantis", "/PAGE/CITY/ATLANTIS"])
def test_an_address_near_nothing_stays_404(client: FlaskClient, path: str) -> None:
    answer = client.get(path, follow_redirects=True)
    assert answer.status_code == 404
