"""Documentation of the ontology at ``/def/ascn``, generated from the ontology graph.

``/def/ascn`` negotiates: HTML documentation (classes and properties with domain, range,
labels and definitions in English and Korean, and an SVG diagram of the classes and object
properties) or the ontology in any RDF format (also at ``/def/ascn.{ext}``). The ontology
graph is ``ontology/ascn.ttl`` as the build loaded it into ``{base}graph/ontology``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from flask import Blueprint, Response
from rdflib import Graph, Literal, URIRef
from rdflib.namespace import OWL, RDF, RDFS, SKOS
from rdflib.term import Node

from ascn_kg import labels
from ascn_kg.namespaces import prefixes
from ascn_kg.ops.headers import conditional, etag_for
from ascn_kg.web.kit import base_iri, href, not_found_page, page_lang, render, root
from ascn_kg.web.ontology_view import manchester, ontology_graph
from ascn_kg.web.rdf_document import DOCUMENT_FORMATS, QUAD_EXTENSIONS, not_acceptable, serialize, wanted_media
from ascn_kg.web.text import TERM_LABELS

bp = Blueprint("ontology_doc", __name__)

HTML = "text/html"


def namespace() -> str:
    return f"{base_iri()}def/ascn#"


def text_in(graph: Graph, subject: Node, prop: URIRef, lang: str) -> str:
    values = [o for o in graph.objects(subject, prop) if isinstance(o, Literal) and o.language == lang]
    return str(sorted(values)[0]) if values else ""


def term_label(graph: Graph, lang: str) -> Callable[[Any], str]:
    def label(node: Any) -> str:
        found = [o for o in graph.objects(node, RDFS.label) if isinstance(o, Literal)]
        if not found:
            pair = TERM_LABELS.get(str(node))
            if pair:
                return pair[1 if lang == "ko" else 0]
        return labels.choose_label(found, lang, str(node))

    return label


def link(node: Node, label: Callable[[Any], str], graph: Graph) -> dict[str, Any]:
    if isinstance(node, URIRef):
        return {"text": label(node), "href": href(str(node)), "curie": curie(str(node))}
    return {"text": manchester(node, graph, label), "href": None, "curie": ""}


def curie(iri: str) -> str:
    for prefix, ns in sorted(prefixes(base_iri()).items(), key=lambda kv: -len(kv[1])):
        if iri.startswith(ns) and prefix.isalpha():
            return f"{prefix}:{iri[len(ns):]}"
    return iri


def describe_term(graph: Graph, term: URIRef, label: Callable[[Any], str]) -> dict[str, Any]:
    local = str(term)[len(namespace()):]
    kinds = [label(k) for k in graph.objects(term, RDF.type) if k != OWL.NamedIndividual]
    return {
        "local": local, "iri": str(term), "page": f"{root()}/def/ascn/{local}",
        "label": label(term), "label_en": text_in(graph, term, RDFS.label, "en"),
        "label_ko": text_in(graph, term, RDFS.label, "ko"),
        "definition_en": text_in(graph, term, SKOS.definition, "en"),
        "definition_ko": text_in(graph, term, SKOS.definition, "ko"),
        "kinds": sorted(kinds),
        "supers": [link(x, label, graph) for x in graph.objects(term, RDFS.subClassOf)]
        + [link(x, label, graph) for x in graph.objects(term, RDFS.subPropertyOf)],
        "equivalent": [link(x, label, graph) for x in graph.objects(term, OWL.equivalentClass)],
        "domain": [link(x, label, graph) for x in graph.objects(term, RDFS.domain)],
        "range": [link(x, label, graph) for x in graph.objects(term, RDFS.range)],
    }


def our_terms(graph: Graph, kinds: tuple[URIRef, ...]) -> list[URIRef]:
    found = {s for k in kinds for s in graph.subjects(RDF.type, k)
             if isinstance(s, URIRef) and str(s).startswith(namespace())}
    return sorted(found, key=str)


def doc_context(lang: str) -> dict[str, Any]:
    graph = ontology_graph()
    label = term_label(graph, lang)
    ontology = URIRef(f"{base_iri()}def/ascn")
    classes = [describe_term(graph, c, label) for c in our_terms(graph, (OWL.Class,))]
    props = [describe_term(graph, p, label) for p in our_terms(
        graph, (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty))]
    return {
        "title": text_in(graph, ontology, RDFS.label, lang) or "ASCN-KG ontology",
        "definition": text_in(graph, ontology, SKOS.definition, lang),
        "version_info": str(graph.value(ontology, OWL.versionInfo) or ""),
        "classes": classes, "properties": props, "diagram": diagram(graph, label),
        "formats": [(ext, media, f"{root()}/def/ascn.{ext}") for ext, media in formats()],
    }


def formats() -> list[tuple[str, str]]:
    """The RDF formats of the ontology document (triples only: it is one graph)."""
    return [(ext, f.media_type) for ext, f in DOCUMENT_FORMATS.items() if ext not in QUAD_EXTENSIONS]


# --- the diagram -----------------------------------------------------------------------------


def diagram(graph: Graph, label: Callable[[Any], str]) -> dict[str, Any]:
    """The classes linked by object properties (domain → range), placed by a force layout."""
    ns = namespace()
    props = our_terms(graph, (OWL.ObjectProperty,))
    edges = [(d, r, p) for p in props for d in graph.objects(p, RDFS.domain)
             for r in graph.objects(p, RDFS.range) if isinstance(d, URIRef) and isinstance(r, URIRef)]
    classes = sorted({x for d, r, _ in edges for x in (d, r)}, key=str)
    subs = [(c, s) for c in classes for s in graph.objects(c, RDFS.subClassOf) if s in classes]
    width, height = 1160.0, 860.0
    pos = force_layout(classes, [(d, r) for d, r, _ in edges] + subs, width, height)
    nodes = [{"x": round(x, 1), "y": round(y, 1), "label": label(c), "ours": str(c).startswith(ns),
              "href": f"{root()}/def/ascn/{str(c)[len(ns):]}" if str(c).startswith(ns) else None,
              "lx": round(x, 1), "ly": round(y - 11, 1), "anchor": "middle"} for c, (x, y) in pos.items()]
    seen: dict[tuple[Any, Any], int] = {}
    lines = []
    for d, r, p in edges:
        key = (min(d, r), max(d, r))
        seen[key] = seen.get(key, 0) + 1
        lines.append(curve(pos[d], pos[r], seen[key], label(p), "property"))
    lines += [curve(pos[c], pos[s], 0, "", "subclass") for c, s in subs]
    return {"nodes": nodes, "edges": lines, "width": int(width), "height": int(height)}


def force_layout(nodes: list[URIRef], links: list[tuple[URIRef, URIRef]], width: float,
                 height: float) -> dict[URIRef, tuple[float, float]]:
    """Fruchterman–Reingold, deterministic: start on a circle, 300 cooling steps, kept in the frame."""
    n = max(1, len(nodes))
    k = math.sqrt(width * height / n) * 0.6
    pos = {c: [width / 2 + width * 0.35 * math.cos(2 * math.pi * i / n),
               height / 2 + height * 0.35 * math.sin(2 * math.pi * i / n)] for i, c in enumerate(nodes)}
    pairs = [(a, b) for a, b in links if a != b]
    for step in range(300):
        shift = {c: [0.0, 0.0] for c in nodes}
        for i, a in enumerate(nodes):
            for b in nodes[i + 1:]:
                dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
                dist = max(1.0, math.hypot(dx, dy))
                force = k * k / dist
                shift[a][0] += dx / dist * force
                shift[a][1] += dy / dist * force
                shift[b][0] -= dx / dist * force
                shift[b][1] -= dy / dist * force
        for a, b in pairs:
            dx, dy = pos[a][0] - pos[b][0], pos[a][1] - pos[b][1]
            dist = max(1.0, math.hypot(dx, dy))
            force = dist * dist / k
            shift[a][0] -= dx / dist * force
            shift[a][1] -= dy / dist * force
            shift[b][0] += dx / dist * force
            shift[b][1] += dy / dist * force
        limit = 60.0 * (1 - step / 300) + 1
        for c in nodes:  # gravity keeps separate groups of classes in the frame
            shift[c][0] += (width / 2 - pos[c][0]) * 0.6
            shift[c][1] += (height / 2 - pos[c][1]) * 0.6
            dx, dy = shift[c]
            dist = max(1e-9, math.hypot(dx, dy))
            pos[c][0] = min(width - 110, max(110, pos[c][0] + dx / dist * min(dist, limit)))
            pos[c][1] = min(height - 30, max(40, pos[c][1] + dy / dist * min(dist, limit)))
    return fit({c: (x, y) for c, (x, y) in pos.items()}, width, height)


def fit(pos: dict[URIRef, tuple[float, float]], width: float, height: float) -> dict[URIRef, tuple[float, float]]:
    """Stretch the layout to fill the frame, leaving room for the labels."""
    xs, ys = [p[0] for p in pos.values()], [p[1] for p in pos.values()]
    if not xs:
        return pos
    sx = (width - 220) / max(1.0, max(xs) - min(xs))
    sy = (height - 90) / max(1.0, max(ys) - min(ys))
    return {c: (110 + (x - min(xs)) * sx, 60 + (y - min(ys)) * sy) for c, (x, y) in pos.items()}


def curve(a: tuple[float, float], b: tuple[float, float], nth: int, text: str, kind: str) -> dict[str, Any]:
    """A path from a to b (bent more for each further edge between the same two classes), label in the middle."""
    if a == b:  # a property from a class to itself: a loop above the node
        x, y = a
        path = f"M{x - 6:.1f},{y - 6:.1f} C{x - 40:.1f},{y - 60:.1f} {x + 40:.1f},{y - 60:.1f} {x + 6:.1f},{y - 6:.1f}"
        return {"d": path, "text": text, "tx": round(x, 1), "ty": round(y - 50 - 12 * nth, 1), "kind": kind}
    dx, dy = b[0] - a[0], b[1] - a[1]
    length = max(1.0, math.hypot(dx, dy))
    bend = 0 if nth <= 1 else 28 * ((nth // 2) * (1 if nth % 2 == 0 else -1))
    nx, ny = -dy / length * bend, dx / length * bend
    # stop short of the target's dot so the arrowhead shows
    end = (b[0] - dx / length * 8, b[1] - dy / length * 8)
    qx, qy = (a[0] + end[0]) / 2 + nx, (a[1] + end[1]) / 2 + ny
    path = f"M{a[0]:.1f},{a[1]:.1f} Q{qx:.1f},{qy:.1f} {end[0]:.1f},{end[1]:.1f}"
    tx, ty = 0.25 * a[0] + 0.5 * qx + 0.25 * end[0], 0.25 * a[1] + 0.5 * qy + 0.25 * end[1]
    return {"d": path, "text": text, "tx": round(tx, 1), "ty": round(ty, 1), "kind": kind}


# --- routes ----------------------------------------------------------------------------------


def rdf_response(ext: str) -> Response:
    def build() -> Response:
        graph_iri = URIRef(f"{base_iri()}graph/ontology")
        quads = [(s, p, o, graph_iri) for s, p, o in ontology_graph()]
        return Response(serialize(quads, ext), mimetype=dict(formats())[ext])

    return conditional(etag_for("ontology", ext), build, cache_control="public, max-age=300")


@bp.get("/def/ascn")
def documentation() -> Response:
    offered = (HTML, *(media for _, media in formats()))
    media = wanted_media(offered)
    if media is None:
        return not_acceptable(offered)
    if media == HTML:
        lang = page_lang()
        response = conditional(etag_for("ontology-doc", lang),
                               lambda: render("ontology.html", **doc_context(lang)),
                               vary=("Accept-Language", "Cookie"))
    else:
        ext = {m: e for e, m in formats()}[media]
        response = rdf_response(ext)
        response.headers["Content-Location"] = f"{root()}/def/ascn.{ext}"
    response.vary.add("Accept")
    return response


@bp.get("/def/ascn.<ext>")
def documentation_file(ext: str) -> Response:
    if ext not in dict(formats()):
        return not_found_page()
    return rdf_response(ext)
