"""The SPARQL 1.1 Service Description of /sparql (``sd:`` vocabulary), linking the VoID."""

from __future__ import annotations

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID

from .config import Settings
from .namespaces import SD, prefixes
from .store import Store

FORMATS = "http://www.w3.org/ns/formats/"
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG", "N-Quads",
)
# Turtle is valid TriG and N-Triples valid N-Quads: the description has no named graphs.
RDFLIB_FORMATS = {
    "text/turtle": "turtle",
    "application/n-triples": "nt",
    "application/ld+json": "json-ld",
    "application/rdf+xml": "xml",
    "application/trig": "turtle",
    "application/n-quads": "nt",
}


def void_iri(settings: Settings) -> URIRef:
    """Where the VoID description of the dataset is published."""
    return URIRef(f"{settings.base_iri}.well-known/void")


def build(store: Store, settings: Settings) -> Graph:
    """The description as a graph: endpoint, features, formats, the dataset and its graphs."""
    graph = Graph()
    for prefix, namespace in prefixes(settings.base_iri).items():
        graph.bind(prefix, namespace)
    endpoint = URIRef(f"{settings.base_iri}sparql")
    service, dataset, default = BNode(), BNode(), BNode()
    graph.add((service, RDF.type, SD.Service))
    graph.add((service, SD.endpoint, endpoint))
    graph.add((service, SD.supportedLanguage, SD.SPARQL11Query))
    graph.add((service, SD.feature, SD.UnionDefaultGraph))
    if settings.service_allowlist:
        graph.add((service, SD.feature, SD.BasicFederatedQuery))
    for name in RESULT_FORMATS:
        graph.add((service, SD.resultFormat, URIRef(FORMATS + name)))
    graph.add((service, SD.defaultDataset, dataset))
    graph.add((service, RDFS.seeAlso, void_iri(settings)))
    graph.add((dataset, RDF.type, SD.Dataset))
    graph.add((dataset, RDF.type, VOID.Dataset))
    graph.add((dataset, RDFS.seeAlso, void_iri(settings)))
    graph.add((dataset, VOID.sparqlEndpoint, endpoint))
    graph.add((dataset, SD.defaultGraph, default))
    graph.add((default, RDF.type, SD.Graph))
    graph.add((default, DCTERMS.description,
               Literal("the union of all named graphs", lang="en")))
    if store.version():
        graph.add((dataset, DCTERMS.identifier, Literal(store.version())))
    for name in store.graphs():
        named = BNode()
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
    return graph


def service_description(store: Store, settings: Settings, media_type: str) -> bytes:
    """The description serialized in ``media_type`` (one of the graph formats)."""
    return build(store, settings).serialize(format=RDFLIB_FORMATS[media_type], encoding="utf-8")
