"""RDF documents of the linked-data pages: the formats by extension, 406 and 404, serialization.

The formats are the graph formats of :mod:`ascn_kg.negotiation` (the one table), keyed by
their file extension, in the server's order of preference.
"""

from __future__ import annotations

from typing import Any

import pyoxigraph as ox
from flask import Response, request
from rdflib import Literal, URIRef
from rdflib.term import Node

from ascn_kg import negotiation as neg
from ascn_kg.namespaces import used_prefixes
from ascn_kg.store.terms import to_oxigraph
from ascn_kg.web.kit import base_iri, not_found_page
from ascn_kg.web.near_miss import near_miss

HTML = "text/html"
DOCUMENT_FORMATS: dict[str, neg.Format] = {f.extension: f for f in neg.GRAPH_FORMATS if f.media_type != HTML}
EXTENSION_OF: dict[str, str] = {f.media_type: ext for ext, f in DOCUMENT_FORMATS.items()}
QUAD_EXTENSIONS = frozenset({"trig", "nq"})
PREFIXED_EXTENSIONS = frozenset({"ttl", "trig", "rdf", "jsonld"})


def rdf_format(ext: str) -> ox.RdfFormat:
    """pyoxigraph's serializer for a document extension."""
    return ox.RdfFormat.from_media_type(DOCUMENT_FORMATS[ext].media_type)


def wanted_media(offered: tuple[str, ...]) -> str | None:
    """The offered media type the request's ``Accept`` prefers, or None."""
    return neg.choose(request.headers.get("Accept"), offered)


def not_acceptable(offered: tuple[str, ...]) -> Response:
    body = "406 Not Acceptable: none of the accepted media types is offered; try " + ", ".join(offered) + "\n"
    response = Response(body, status=406, mimetype="text/plain")
    response.vary.add("Accept")
    return response


def missing(offered_media: str | None = None) -> Response:
    """404: an HTML page, or an empty document in the RDF format asked for (a 301 where the
    address nearly names a page, :func:`ascn_kg.web.kit.not_found_page`)."""
    if offered_media in EXTENSION_OF and near_miss() is None:
        body = ox.serialize([], format=rdf_format(EXTENSION_OF[offered_media])) or b""
        if offered_media == "text/turtle":
            body = b"# 404 Not Found: nothing is known about this IRI.\n" + body
        response = Response(body, status=404, mimetype=offered_media)
    else:
        response = not_found_page()
    response.vary.add("Accept")
    return response


def serialize(quads: list[tuple[Node, Node, Node, Node]], ext: str) -> bytes:
    """Quads as a document: with their graphs (TriG, N-Quads) or as sorted distinct triples."""
    if ext in QUAD_EXTENSIONS:
        items: list[Any] = [ox.Quad(*(to_oxigraph(x) for x in q)) for q in quads]
    else:
        items = list({ox.Triple(*(to_oxigraph(x) for x in q[:3])) for q in quads})
        items.sort(key=str)
    options: dict[str, Any] = {}
    if ext in PREFIXED_EXTENSIONS:  # the prefixes the document uses, no others
        iris = {str(x) for q in quads for x in q if isinstance(x, URIRef)}
        iris |= {str(x.datatype) for q in quads for x in q[:3] if isinstance(x, Literal) and x.datatype}
        options["prefixes"] = used_prefixes(iris, base_iri())
    return ox.serialize(items, format=rdf_format(ext), **options)
