"""The vocabulary the query editor completes, as JSON: ``GET /api/vocabulary?lang=ko``.

Prefixes are the project's own (:func:`ascn_kg.namespaces.prefixes` for this base IRI);
terms are the classes and properties the ontology declares, with their label and
definition in the page language, and every class and property the dataset uses (so that
``rdfs:label`` or ``org:holds`` complete too). Nothing is listed by hand: a term added to
the ontology or the data is offered after the next build. Computed once per dataset
version and language; ETag and 304 like the pages.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, json
from rdflib import URIRef
from rdflib.namespace import OWL, SKOS

from ascn_kg.namespaces import prefixes
from ascn_kg.ops.headers import conditional, etag_for
from ascn_kg.web.kit import base_iri, cached, page_lang, store
from ascn_kg.web.ontology_doc import our_terms, term_label, text_in
from ascn_kg.web.ontology_view import ontology_graph

bp = Blueprint("vocabulary", __name__)

PROPERTY_KINDS = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
USED_CLASSES = "SELECT DISTINCT ?term WHERE { ?thing a ?term FILTER(isIRI(?term)) }"
USED_PROPERTIES = "SELECT DISTINCT ?term WHERE { ?s ?term ?o }"


def used(query: str) -> set[URIRef]:
    """The IRIs a ``SELECT DISTINCT ?term`` finds in the dataset."""
    return {row["term"] for row in store().select(query) if isinstance(row.get("term"), URIRef)}


def compact(iri: str, names: dict[str, str]) -> tuple[str, str] | None:
    """(prefix, local name) under the longest matching namespace, or None."""
    for prefix, namespace in sorted(names.items(), key=lambda item: -len(item[1])):
        local = iri[len(namespace):]
        if iri.startswith(namespace) and local and all(c.isalnum() or c in "-_." for c in local):
            return prefix, local
    return None


def vocabulary(lang: str) -> dict[str, Any]:
    """Prefixes and terms (class or property, label and definition in ``lang``)."""
    names = prefixes(base_iri())
    graph = ontology_graph()
    label = term_label(graph, lang)
    kinds = {term: "class" for term in set(our_terms(graph, (OWL.Class,))) | used(USED_CLASSES)}
    for term in set(our_terms(graph, PROPERTY_KINDS)) | used(USED_PROPERTIES):
        kinds.setdefault(term, "property")
    terms = []
    for term, kind in kinds.items():
        short = compact(str(term), names)
        if short is None:
            continue
        prefix, local = short
        terms.append({"iri": str(term), "curie": f"{prefix}:{local}", "prefix": prefix, "local": local,
                      "kind": kind, "label": label(term), "definition": text_in(graph, term, SKOS.definition, lang)})
    terms.sort(key=lambda t: (t["prefix"], t["local"].casefold()))
    return {"prefixes": names, "terms": terms}


@bp.get("/api/vocabulary")
def vocabulary_json() -> Response:
    lang = page_lang()

    def build() -> Response:
        body = cached(f"vocabulary-{lang}", lambda: json.dumps(vocabulary(lang), ensure_ascii=False))
        return Response(body, mimetype="application/json")

    return conditional(etag_for("vocabulary", lang), build, cache_control="public, max-age=300",
                       vary=("Accept-Language", "Cookie"))
