"""The ontology and shapes files: every term used is declared, spelt right, and documented."""

from __future__ import annotations

from rdflib import Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from support import REPO
from support import select

ASCN = "https://kg.ascn.example/def/ascn#"
STRICT = {str(ns): ns for ns in (RDF, RDFS, OWL, SKOS, XSD, DCTERMS, PROV, DCAT, VOID)}


def terms(graph: Graph) -> set[URIRef]:
    return {t for triple in graph for t in triple if isinstance(t, URIRef)}


def declared() -> set[str]:
    ontology = Graph().parse(REPO / "ontology" / "ascn.ttl")
    return {
        str(s)
        for kind in (OWL.Class, OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
        for s in ontology.subjects(RDF.type, kind)
    }


def test_standard_vocabulary_terms_exist():
    """Catches misspellings such as rdfs:subClasOf, which parse fine and drop an axiom."""
    for name in ("ascn.ttl", "shapes.ttl"):
        graph = Graph().parse(REPO / "ontology" / name)
        for term in terms(graph):
            for prefix, namespace in STRICT.items():
                local = str(term)[len(prefix) :]
                if str(term).startswith(prefix) and local and "#" not in local and "/" not in local:
                    assert term in set(dir(namespace)), f"{name}: {term} is not a term of {prefix}"


def test_every_ascn_term_used_in_the_graph_is_declared(store):
    rows = select(store, "SELECT DISTINCT ?t WHERE { { ?s ?t ?o } UNION { ?s a ?t } }")
    used = {r["t"] for r in rows if r["t"].startswith(ASCN)}
    missing = used - declared()
    assert not missing, f"used but not declared: {sorted(missing)}"


def test_every_ascn_term_in_shapes_is_declared():
    shapes = Graph().parse(REPO / "ontology" / "shapes.ttl")
    used = {str(t) for t in terms(shapes) if str(t).startswith(ASCN) and str(t) != ASCN}
    assert used <= declared(), sorted(used - declared())


def test_terms_have_one_label_and_definition_per_language():
    ontology = Graph().parse(REPO / "ontology" / "ascn.ttl")
    for term in declared():
        if not term.startswith(ASCN):
            continue
        for prop in (RDFS.label, SKOS.definition):
            langs = sorted(o.language for o in ontology.objects(URIRef(term), prop))
            assert langs == ["en", "ko"], f"{term} {prop}: {langs}"
        assert (URIRef(term), RDFS.isDefinedBy, URIRef(ASCN[:-1])) in ontology


def test_property_names_follow_the_style():
    """Object properties begin with a verb-like word; classes are UpperCamelCase."""
    ontology = Graph().parse(REPO / "ontology" / "ascn.ttl")
    for cls in ontology.subjects(RDF.type, OWL.Class):
        if str(cls).startswith(ASCN):
            assert str(cls)[len(ASCN)][0].isupper(), cls
    for prop in ontology.subjects(RDF.type, OWL.ObjectProperty):
        if str(prop).startswith(ASCN):
            assert str(prop)[len(ASCN)][0].islower(), prop
