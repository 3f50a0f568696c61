"""Prefixes used across the project, and the ontology namespace for a base IRI."""

from __future__ import annotations

from collections.abc import Iterable

from rdflib import Namespace
from rdflib.namespace import DCAT, DCTERMS, FOAF, OWL, PROV, RDF, RDFS, SKOS, VOID, XSD

from ascn_kg.config import DEFAULT_BASE_IRI

ORG = Namespace("http://www.w3.org/ns/org#")
SCHEMA = Namespace("https://schema.org/")
SH = Namespace("http://www.w3.org/ns/shacl#")
SD = Namespace("http://www.w3.org/ns/sparql-service-description#")
TIME = Namespace("http://www.w3.org/2006/time#")


def ascn_namespace(base_iri: str = DEFAULT_BASE_IRI) -> Namespace:
    """The ontology namespace (``ascn:``) under a base IRI."""
    return Namespace(f"{base_iri}def/ascn#")


ASCN = ascn_namespace()

STANDARD_PREFIXES: dict[str, str] = {
    "rdf": str(RDF),
    "rdfs": str(RDFS),
    "owl": str(OWL),
    "xsd": str(XSD),
    "skos": str(SKOS),
    "dcterms": str(DCTERMS),
    "dcat": str(DCAT),
    "void": str(VOID),
    "prov": str(PROV),
    "foaf": str(FOAF),
    "org": str(ORG),
    "schema": str(SCHEMA),
    "sh": str(SH),
    "sd": str(SD),
    "time": str(TIME),
}


def prefixes(base_iri: str = DEFAULT_BASE_IRI) -> dict[str, str]:
    """All prefixes for a base IRI: the standard ones plus ``ascn:`` and the entity kinds."""
    ours = {"ascn": str(ascn_namespace(base_iri))}
    ours.update({f"ascn{kind}": f"{base_iri}id/{kind}/" for kind in ("city", "state")})
    return STANDARD_PREFIXES | ours


def used_prefixes(iris: Iterable[str], base_iri: str = DEFAULT_BASE_IRI) -> dict[str, str]:
    """The prefixes of :func:`prefixes` that some of ``iris`` start with (a document declares
    only what it uses)."""
    spaces = {iri[: max(iri.rfind("#"), iri.rfind("/")) + 1] for iri in iris}
    return {name: ns for name, ns in prefixes(base_iri).items() if ns in spaces}


def prologue(base_iri: str = DEFAULT_BASE_IRI, names: tuple[str, ...] | None = None) -> str:
    """SPARQL ``PREFIX`` lines for ``names`` (default: every prefix of :func:`prefixes`)."""
    known = prefixes(base_iri)
    return "".join(f"PREFIX {name}: <{known[name]}>\n" for name in (names or tuple(known)))
