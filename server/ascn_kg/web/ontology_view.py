"""The ontology as the pages see it: its graph from the store, and OWL expressions in words."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from rdflib import BNode, Graph, URIRef
from rdflib.collection import Collection
from rdflib.namespace import OWL
from rdflib.term import Node

from ascn_kg import labels
from ascn_kg.web.kit import base_iri, cached, store

FACETS = {"minInclusive": "≥", "maxInclusive": "≤", "minExclusive": ">", "maxExclusive": "<"}


def ontology_graph() -> Graph:
    """The ontology graph of the store (parsed once per dataset version)."""

    def load() -> Graph:
        query = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH ?g { ?s ?p ?o } }"
        return store().construct(query, {"g": URIRef(f"{base_iri()}graph/ontology")})

    return cached("ontology", load)


def manchester(node: Node, graph: Graph | None, label: Callable[[Any], str], depth: int = 0) -> str:
    """A readable (Manchester-like) text for an OWL class or datatype expression."""
    if not isinstance(node, BNode) or graph is None:
        return label(node) if isinstance(node, URIRef) else str(node)
    if depth > 8:
        return "…"

    def sub(x: Node) -> str:
        return manchester(x, graph, label, depth + 1)

    for op, word in ((OWL.intersectionOf, " and "), (OWL.unionOf, " or ")):
        items = graph.value(node, op)
        if items is not None:
            return "(" + word.join(sub(x) for x in Collection(graph, items)) + ")"
    if (graph.value(node, OWL.complementOf)) is not None:
        return "not " + sub(graph.value(node, OWL.complementOf))
    prop = graph.value(node, OWL.onProperty)
    if prop is not None:
        for kind, word in ((OWL.someValuesFrom, "some"), (OWL.allValuesFrom, "only"), (OWL.hasValue, "value")):
            filler = graph.value(node, kind)
            if filler is not None:
                return f"({label(prop)} {word} {sub(filler)})"
        return f"({label(prop)} …)"
    base = graph.value(node, OWL.onDatatype)
    if base is not None:
        facets = []
        restrictions = graph.value(node, OWL.withRestrictions)
        for facet in Collection(graph, restrictions) if restrictions is not None else []:
            for p, o in graph.predicate_objects(facet):
                facets.append(f"{FACETS.get(labels.local_name(str(p)), str(p))} {o}")
        return f"{labels.local_name(str(base))}[{', '.join(facets)}]"
    return "…"
