"""The places in the report that the statements on a page rest on, for all of them in one query.

The build links each subject of a report part's graph, in that graph, to every row,
paragraph or footnote (``ascn:Locator``) its statements there were transcribed from
(``prov:wasDerivedFrom``); a fact in ``graph/inferred`` that is not a class membership
links to the ``ascn:DerivationRule`` that gives it. So the places of a statement
(subject, property, value, graph) are those of its subject in its graph, and one
SELECT over the subjects a page shows finds them all, whatever the size of the graph.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rdflib import URIRef
from rdflib.namespace import PROV, RDF
from rdflib.term import Node

from ascn_kg.labels import IRI_PATTERN

PLACES_QUERY = """SELECT ?s ?g ?place WHERE {{
  VALUES ?s {{ {values} }}
  GRAPH ?g {{ ?s <{derived}> ?place }}
}}"""

Places = dict[tuple[str, str], list[URIRef]]


def places_of(store: Any, subjects: Iterable[Node], base: str) -> Places:
    """(subject, graph) → the locators or rules cited there, sorted; one query for all ``subjects``."""
    valid = sorted({str(s) for s in subjects if isinstance(s, URIRef) and IRI_PATTERN.match(str(s))})
    if not valid:
        return {}
    values = " ".join(URIRef(iri).n3() for iri in valid)
    kinds = (f"{base}id/locator/", f"{base}id/rule/")
    found: dict[tuple[str, str], set[URIRef]] = {}
    for row in store.select(PLACES_QUERY.format(values=values, derived=PROV.wasDerivedFrom)):
        place = row["place"]
        if isinstance(place, URIRef) and str(place).startswith(kinds):
            found.setdefault((str(row["s"]), str(row["g"])), set()).add(place)
    return {key: sorted(value, key=str) for key, value in found.items()}


def sources_of(places: Places, subject: Node, prop: Node, value: Node, graph: Node) -> list[Node]:
    """What a statement's sources cell shows: its places, else its graph (class memberships the
    reasoner inferred, statements of the ontology, the sources and the notes graphs). A link to a
    place is its own source."""
    if str(graph).endswith("/graph/inferred") and prop == RDF.type:
        return [graph]
    cited = places.get((str(subject), str(graph)), [])
    if prop == PROV.wasDerivedFrom and value in cited:
        return [value]
    return list(cited) or [graph]
