"""The SPARQL 1.1 Service Description of /sparql (``sd:`` vocabulary), linking the VoID."""

from __future__ import annotations

import pyoxigraph as ox
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import DCTERMS, RDF, RDFS, VOID

from ascn_kg.config import Settings
from ascn_kg.namespaces import SD, prefixes, used_prefixes
from ascn_kg.store.dataset_counts import dataset_counts
from ascn_kg.store.protocol import Store

FORMATS = "http://www.w3.org/ns/formats/"
RESULT_FORMATS = (
    "SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
    "Turtle", "N-Triples", "JSON-LD", "RDF_XML", "TriG", "N-Quads",
)


def void_iri(settings: Settings) -> URIRef:
    """Where the VoID description of the dataset is published."""
    return URIRef(f"{settings.base_iri}.well-known/void")


def build(store: Store, settings: Settings) -> Graph:
    """The description as a graph: endpoint, features, formats, the dataset and its graphs."""
    graph = Graph()
    for prefix, namespace in prefixes(settings.base_iri).items():
        graph.bind(prefix, namespace)
    endpoint = URIRef(f"{settings.base_iri}sparql")
    # Named nodes, not blank ones: the same document on every request, readable Turtle, and each
    # node resolves to this description (the VoID dataset is the one /.well-known/void describes).
    service, default = URIRef(f"{endpoint}#service"), URIRef(f"{endpoint}#default-graph")
    dataset = URIRef(f"{settings.base_iri}dataset")
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
    counts = dataset_counts(store, settings.base_iri)
    graph.add((dataset, VOID.triples, Literal(counts.triples)))
    graph.add((dataset, DCTERMS.description, Literal(
        f"{counts.triples} triples in {counts.graphs} named graphs, as in the dumps; the named graph "
        f"{counts.description_graph} holds this dataset's own description (VoID and DCAT, "
        f"{counts.description_triples} triples), served beside the data and counted apart.", lang="en")))
    described = [(counts.description_graph, counts.description_triples)] if counts.description_triples else []
    for name, triples in [*counts.per_graph, *described]:
        local = name.rsplit("/", 1)[-1]
        named, contents = URIRef(f"{endpoint}#named-graph-{local}"), URIRef(f"{endpoint}#graph-{local}")
        graph.add((dataset, SD.namedGraph, named))
        graph.add((named, RDF.type, SD.NamedGraph))
        graph.add((named, SD.name, URIRef(name)))
        graph.add((named, SD.graph, contents))
        graph.add((contents, RDF.type, SD.Graph))
        graph.add((contents, VOID.triples, Literal(triples)))
        if name == counts.description_graph:
            graph.add((contents, DCTERMS.description, Literal(
                "the dataset's own description (VoID and DCAT): not part of the dumps, not counted in "
                "the dataset's triples", lang="en")))
    return graph


def service_description(store: Store, settings: Settings, media_type: str) -> bytes:
    """The description serialized in ``media_type`` (one of the graph formats)."""
    triples = sorted(ox.parse(build(store, settings).serialize(format="nt", encoding="utf-8"),
                              format=ox.RdfFormat.N_TRIPLES), key=str)  # each node's statements together
    iris = {(term if isinstance(term, ox.NamedNode) else term.datatype).value
            for t in triples for term in t if isinstance(term, ox.NamedNode | ox.Literal)}
    return ox.serialize(triples, format=ox.RdfFormat.from_media_type(media_type),
                        prefixes=used_prefixes(iris, settings.base_iri))
