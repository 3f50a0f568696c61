"""Minting and parsing of IRIs: things, documents, graphs, ontology terms.

Things live at ``{base}id/{kind}/{key}``, their HTML page at ``{base}page/{kind}/{key}``
and their data at ``{base}data/{kind}/{key}.{ext}``; named graphs at ``{base}graph/{name}``.
Keys come from the source tables and are never recomputed from labels.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from rdflib import URIRef

from ascn_kg.config import DEFAULT_BASE_IRI

KINDS: tuple[str, ...] = (
    "state",
    "city",
    "person",
    "post",
    "organisation",
    "project",
    "focus-area",
    "event",
    "indicator",
    "note",
    "source",
    "element",
    "partnership",
    "initiative",
    "role",
    "scheme",
    "figure",
    "threshold",
    "theme",
    "locator",
    "rule",
)
KEY_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def is_valid_key(key: str) -> bool:
    """Keys are lower-case ASCII words joined by single hyphens."""
    return bool(KEY_PATTERN.match(key))


def thing(kind: str, key: str, base: str = DEFAULT_BASE_IRI) -> URIRef:
    """The IRI of a thing."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    if not is_valid_key(key):
        raise ValueError(f"invalid key {key!r}")
    return URIRef(f"{base}id/{kind}/{key}")


def graph(name: str, base: str = DEFAULT_BASE_IRI) -> URIRef:
    """The IRI of a named graph."""
    return URIRef(f"{base}graph/{name}")


# The build's activities, described in the provenance graph under its IRI: ``{graph}#{fragment}``.
# These are the only hash IRIs of the data; a graph's document describes them with it.
ACTIVITY_FRAGMENTS: tuple[str, ...] = ("conversion", "reasoning", "rule-application")


def activity(graph_iri: str, fragment: str) -> URIRef:
    """The IRI of one of the build's activities, a fragment of the graph that describes it."""
    if fragment not in ACTIVITY_FRAGMENTS:
        raise ValueError(f"unknown activity {fragment!r}")
    return URIRef(f"{graph_iri}#{fragment}")


def page_path(iri: str, base: str) -> str | None:
    """The path (below the server's root) that documents ``iri`` in HTML, or None if it is not ours:
    ``/page/{kind}/{key}`` for things and named graphs, ``/def/ascn/{Term}`` for ontology terms."""
    if not iri.startswith(base):
        return None
    rest = iri[len(base):]
    if rest.startswith("id/"):
        return f"/page/{rest[3:]}"
    if rest.startswith("def/ascn#") and len(rest) > 9:
        return f"/def/ascn/{quote(rest[9:])}"
    if rest.startswith("graph/"):
        return f"/page/graph/{rest[6:].split('#', 1)[0]}"
    return f"/{rest}"
