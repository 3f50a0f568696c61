"""Dereferencing and entity pages.

One strategy everywhere: a thing's IRI (``/id/{kind}/{key}``, a named graph's
``/graph/{name}``, the dataset's ``/dataset``) answers ``303 See Other`` to its HTML page
(``/page/…``) or to its data document (``/data/….{ttl,nt,jsonld,rdf,trig,nq}``), chosen by
``Accept`` with q-values (:func:`ascn_kg.negotiation.choose`), with ``Vary: Accept``.
Ontology terms (hash IRIs ``/def/ascn#Term``) are documented at ``/def/ascn/Term`` (HTML,
or RDF by ``Accept`` or extension); ``/def/ascn`` itself negotiates (ontology_doc).

A data document holds, from all named graphs, every triple with the entity as subject
(plus the blank-node closure of OWL descriptions) and every triple with it as object (at
most ``max_result_rows``); TriG and N-Quads keep the named graph of each statement.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, redirect, request
from rdflib import BNode, Graph, Literal, URIRef
from rdflib.namespace import PROV, RDF
from rdflib.term import Node

from ascn_kg import labels
from ascn_kg.iris import ACTIVITY_FRAGMENTS, KINDS, activity, is_valid_key
from ascn_kg.namespaces import prologue
from ascn_kg.ops.headers import conditional, etag_for
from ascn_kg.web.kit import GDP_PLACES, Labeller, base_iri, fmt, href, page_lang, render, root, settings, store, t
from ascn_kg.web.ontology_view import manchester, ontology_graph
from ascn_kg.web.rdf_document import (
    DOCUMENT_FORMATS,
    EXTENSION_OF,
    HTML,
    missing,
    not_acceptable,
    serialize,
    wanted_media,
)
from ascn_kg.web.statement_places import places_of, sources_of

bp = Blueprint("entity", __name__)

PAGE_SIZE = 100
SORT_LIMIT = 2000  # longer lists of statements are paged in index order


# --- IRIs and documents ---------------------------------------------------------------------


def thing_iri(kind: str, key: str) -> URIRef | None:
    """The IRI a ``/page/{kind}/{key}`` document is about, or None for an impossible one."""
    if not is_valid_key(key):
        return None
    if kind == "graph":
        return URIRef(f"{base_iri()}graph/{key}")
    if kind in KINDS:
        return URIRef(f"{base_iri()}id/{kind}/{key}")
    return None


def exists(iri: URIRef) -> bool:
    """True when some statement has ``iri`` as subject or object."""
    query = "ASK { { GRAPH ?g { ?this ?p ?o } } UNION { GRAPH ?g { ?s ?p ?this } } }"
    return store().ask(query, {"this": iri})


def see_other(page: str, data_stem: str) -> Response:
    """303 to the HTML page or the data document the client prefers; 406 if neither."""
    offered = (HTML, *EXTENSION_OF)
    media = wanted_media(offered)
    if media is None:
        return not_acceptable(offered)
    target = page if media == HTML else f"{data_stem}.{EXTENSION_OF[media]}"
    response = redirect(target, code=303)
    response.vary.add("Accept")
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


def dereference(iri: URIRef, page: str, data_stem: str) -> Response:
    if not exists(iri):
        media = wanted_media((HTML, *EXTENSION_OF))
        return missing(media if media != HTML else None)
    return see_other(page, data_stem)


@bp.get("/id/<kind>/<key>")
def thing(kind: str, key: str) -> Response:
    iri = thing_iri(kind, key) if kind in KINDS else None
    if iri is None:
        return missing()
    return dereference(iri, f"{root()}/page/{kind}/{key}", f"{root()}/data/{kind}/{key}")


@bp.get("/graph/<name>")
def graph(name: str) -> Response:
    iri = thing_iri("graph", name)
    if iri is None:
        return missing()
    return dereference(iri, f"{root()}/page/graph/{name}", f"{root()}/data/graph/{name}")


@bp.get("/dataset")
def dataset() -> Response:
    return dereference(URIRef(f"{base_iri()}dataset"), f"{root()}/page/dataset", f"{root()}/data/dataset")


@bp.get("/page/<kind>/<key>")
def page(kind: str, key: str) -> Response:
    iri = thing_iri(kind, key)
    if iri is None:
        return missing()
    return entity_page(iri, f"{root()}/data/{kind}/{key}")


@bp.get("/page/dataset")
def dataset_page() -> Response:
    return entity_page(URIRef(f"{base_iri()}dataset"), f"{root()}/data/dataset")


@bp.get("/data/<kind>/<name>")
def data(kind: str, name: str) -> Response:
    key, dot, ext = name.rpartition(".")
    if not dot:
        key, ext = name, ""
    iri = thing_iri(kind, key)
    if iri is None or (ext and ext not in DOCUMENT_FORMATS):
        return missing()
    return data_or_negotiate(iri, f"{root()}/data/{kind}/{key}", ext)


@bp.get("/data/<name>")
def dataset_data(name: str) -> Response:
    stem, _, ext = name.partition(".")
    if stem != "dataset" or (ext and ext not in DOCUMENT_FORMATS):
        return missing()
    return data_or_negotiate(URIRef(f"{base_iri()}dataset"), f"{root()}/data/dataset", ext)


@bp.get("/def/ascn/<name>")
def term(name: str) -> Response:
    """An ontology term's page (or, by ``Accept`` or extension, its data)."""
    local, dot, ext = name.partition(".")
    if not local.isidentifier() or (dot and ext not in DOCUMENT_FORMATS):
        return missing()
    iri = URIRef(f"{base_iri()}def/ascn#{local}")
    stem = f"{root()}/def/ascn/{local}"
    if ext:
        return data_document(iri, ext)
    media = wanted_media((HTML, *EXTENSION_OF))
    if media is None:
        return not_acceptable((HTML, *EXTENSION_OF))
    if media in EXTENSION_OF:
        response = data_document(iri, EXTENSION_OF[media])
        response.headers["Content-Location"] = f"{stem}.{EXTENSION_OF[media]}"
    else:
        response = entity_page(iri, stem)
    response.vary.add("Accept")
    return response


def data_or_negotiate(iri: URIRef, stem: str, ext: str) -> Response:
    if ext:
        return data_document(iri, ext)
    media = wanted_media(tuple(EXTENSION_OF))
    if media is None:
        return not_acceptable(tuple(EXTENSION_OF))
    if not exists(iri):
        return missing(media)
    response = redirect(f"{stem}.{EXTENSION_OF[media]}", code=303)
    response.vary.add("Accept")
    return response


# --- data documents ---------------------------------------------------------------------------


def describe(iri: URIRef, limit: int) -> tuple[list[tuple[Node, Node, Node, Node]], bool]:
    """Quads about ``iri``: outbound (with the blank-node closure, and the statements of its
    hash IRIs, ``iri#…``) and inbound (at most ``limit``)."""
    out = store().select("SELECT ?p ?o ?g WHERE { GRAPH ?g { ?this ?p ?o } }", {"this": iri})
    quads = [(iri, r["p"], r["o"], r["g"]) for r in out]
    if iri.startswith(f"{base_iri()}graph/"):  # one query for the activities under a graph's IRI
        parts = " ".join(f"<{activity(iri, fragment)}>" for fragment in ACTIVITY_FRAGMENTS)
        rows = store().select(f"SELECT ?s ?p ?o ?g WHERE {{ VALUES ?s {{ {parts} }} GRAPH ?g {{ ?s ?p ?o }} }}")
        quads += [(r["s"], r["p"], r["o"], r["g"]) for r in rows]
    if any(isinstance(q[2], BNode) for q in quads):
        quads += blank_closure([q[2] for q in quads if isinstance(q[2], BNode)])
    rows = store().select(
        f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p ?this }} }} LIMIT {limit + 1}", {"this": iri}
    )
    truncated = len(rows) > limit
    quads += [(r["s"], r["p"], iri, r["g"]) for r in rows[:limit]]
    return quads, truncated


def blank_closure(nodes: list[Node]) -> list[tuple[Node, Node, Node, Node]]:
    """Triples of the blank nodes (OWL descriptions, RDF lists) reached from ``nodes``.

    Blank nodes cannot be bound in a query, so they are looked up in the ontology graph,
    the one graph that has them (loaded once per dataset version)."""
    graph, graph_iri = ontology_graph(), URIRef(f"{base_iri()}graph/ontology")
    seen: set[Node] = set()
    todo, found = list(nodes), []
    while todo:
        node = todo.pop()
        if node in seen:
            continue
        seen.add(node)
        for _, p, o in graph.triples((node, None, None)):
            found.append((node, p, o, graph_iri))
            if isinstance(o, BNode):
                todo.append(o)
    return found


def data_document(iri: URIRef, ext: str) -> Response:
    media = DOCUMENT_FORMATS[ext].media_type
    if not exists(iri):
        return missing(media)

    def build() -> Response:
        quads, truncated = describe(iri, settings().max_result_rows)
        response = Response(serialize(quads, ext), mimetype=media)
        if truncated:
            response.headers["X-ASCN-Truncated"] = f"inbound={settings().max_result_rows}"
        return response

    response = conditional(etag_for("data", iri, ext), build, cache_control="public, max-age=300")
    response.headers["Link"] = f'<{iri}>; rel="describes"'
    return response


# --- the entity page ---------------------------------------------------------------------------


@dataclass
class Statement:
    """One (property, value) of a page, with the graphs stating it."""

    prop: Node
    value: Node
    graphs: list[Node] = field(default_factory=list)

    @property
    def inferred(self) -> bool:
        return any(str(g).endswith("/graph/inferred") for g in self.graphs)


def group(rows: list[tuple[Node, Node, Node]]) -> list[Statement]:
    """(property, value, graph) rows, sorted by property and value, merged per (property, value)."""
    merged: dict[tuple[Node, Node], Statement] = {}
    for prop, value, graph_ in rows:
        merged.setdefault((prop, value), Statement(prop, value)).graphs.append(graph_)
    return list(merged.values())


def page_number(param: str = "page") -> int:
    """A positive page number from the query string (1 when absent or malformed)."""
    value = request.args.get(param, "1")
    return max(1, min(int(value), 1_000_000)) if value.isdigit() else 1


def count(query: str, iri: URIRef) -> int:
    rows = store().select(query, {"this": iri})
    return int(rows[0]["n"]) if rows else 0


def order(total: int) -> str:
    """ORDER BY for a list longer than a page: by property, so that a property's statements stay
    together from page to page. Each page is then sorted whole (:func:`sorted_page`). Sorting by
    every column would cost pyoxigraph about 60 ms for 1,500 statements, and a list longer than
    ``SORT_LIMIT`` is paged in the read-only store's index order, stable between requests."""
    return "ORDER BY ?p" if PAGE_SIZE < total <= SORT_LIMIT else ""


def sorted_page(rows: Iterable[tuple[Node, Node, Node]]) -> list[tuple[Node, Node, Node]]:
    """A page of (property, value, graph) rows by property, then value, then graph."""
    return sorted(rows, key=lambda row: (str(row[0]), str(row[1]), str(row[2])))


def outbound(iri: URIRef, offset: int, total: int) -> list[tuple[Node, Node, Node]]:
    rows = store().select(
        f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ ?this ?p ?o }} }} {order(total)} LIMIT {PAGE_SIZE} OFFSET {offset}",
        {"this": iri},
    )
    return sorted_page((r["p"], r["o"], r["g"]) for r in rows)


def inbound(iri: URIRef, offset: int, total: int) -> list[tuple[Node, Node, Node]]:
    rows = store().select(
        f"SELECT ?s ?p ?g WHERE {{ GRAPH ?g {{ ?s ?p ?this }} }} {order(total)} LIMIT {PAGE_SIZE} OFFSET {offset}",
        {"this": iri},
    )
    return sorted_page((r["p"], r["s"], r["g"]) for r in rows)


NOTES_QUERY = """SELECT ?note ?category ?reading ?claim ?text ?place ?about WHERE {{
  {pattern}
  OPTIONAL {{ ?note ascn:noteCategory ?category }}
  OPTIONAL {{ ?note ascn:correctReading ?reading }}
  OPTIONAL {{ ?note ascn:hasClaim ?claim . ?claim ascn:claimText ?text .
             OPTIONAL {{ ?claim prov:wasDerivedFrom ?place }} OPTIONAL {{ ?claim ascn:claimConcerns ?about }} }}
}} ORDER BY ?note ?claim"""


def notes_about(iri: URIRef, own: bool = False) -> list[dict[str, Any]]:
    """The data-quality notes that concern ``iri`` (or, ``own``, the note ``iri`` itself with all its
    claims), with the claims about it and where each is printed.

    A claim that names the entities it is about (``ascn:claimConcerns``) shows only on their
    pages; the note's other claims are counted, and one link away on the note's page."""
    pattern = "BIND(?this AS ?note) ?note a ascn:DataQualityNote ." if own else "?note ascn:concerns ?this ."
    rows = store().select(prologue(base_iri(), ("ascn", "prov")) + NOTES_QUERY.format(pattern=pattern),
                          {"this": iri})
    notes: dict[Node, dict[str, Any]] = {}
    claims: dict[Node, dict[str, Any]] = {}
    for row in rows:
        note = notes.setdefault(row["note"], {"iri": row["note"], "category": row.get("category"),
                                              "readings": set(), "claims": {}})
        if "reading" in row:
            note["readings"].add(row["reading"])
        if "text" in row:
            claim = claims.setdefault(row["claim"], {"text": row["text"], "places": set(), "about": set()})
            note["claims"][row["claim"]] = claim
            claim["places"] |= {row["place"]} if "place" in row else set()
            claim["about"] |= {row["about"]} if "about" in row else set()
    lang = page_lang()
    for note in notes.values():  # the reading in the page language, by the one language rule
        readings = sorted(note.pop("readings"), key=str)
        chosen = labels.choose_label(readings, lang, "") if readings else ""
        note["reading"] = next((r for r in readings if str(r) == chosen), None)
        everything = [note["claims"][k] for k in sorted(note["claims"], key=str)]
        note["claims"] = [c for c in everything if own or not c["about"] or iri in c["about"]]
        note["elsewhere"] = len(everything) - len(note["claims"])
        for claim in note["claims"]:
            claim["places"] = sorted(claim["places"], key=str)
    return list(notes.values())


def own_labels(iri: URIRef) -> dict[str, str]:
    rows = store().select(
        "SELECT ?l WHERE { GRAPH ?g { ?this <http://www.w3.org/2000/01/rdf-schema#label>"
        "|<http://www.w3.org/2004/02/skos/core#prefLabel> ?l } }", {"this": iri},
    )
    found = [r["l"] for r in rows if isinstance(r["l"], Literal)]
    return {lang: labels.choose_label([x for x in found if x.language == lang], lang, "") for lang in ("en", "ko")}


def term_view(node: Node, label: Labeller, ontology: Graph | None = None) -> dict[str, Any]:
    """A value for a template: a link with a label, a literal, or a described blank node."""
    if isinstance(node, URIRef):
        return {"kind": "iri", "text": label(node), "href": href(str(node)), "iri": str(node)}
    if isinstance(node, BNode):
        return {"kind": "bnode", "text": manchester(node, ontology, label) if ontology is not None else "…"}
    assert isinstance(node, Literal)
    note = f"@{node.language}" if node.language else ""
    if node.datatype is not None:
        note = labels.local_name(str(node.datatype))
    return {"kind": "literal", "text": str(node), "note": note, "lang": node.language}


FACT_PLACES = {"gdp": GDP_PLACES, "state_gdp": GDP_PLACES}  # decimals a fact is printed with in the report


def fact_view(node: Node, label: Labeller, places: int | None = None) -> dict[str, Any]:
    """A key fact: numbers with thousands separators (and ``places`` decimals), no datatype note."""
    view = term_view(node, label)
    if isinstance(node, Literal) and isinstance(node.toPython(), int | float | Decimal):
        view["text"] = fmt(Decimal(str(node.toPython())), places)
        view["note"] = ""
    return view


def pager(total: int, current: int, param: str) -> dict[str, Any]:
    pages = max(1, -(-total // PAGE_SIZE))
    start = (current - 1) * PAGE_SIZE
    return {"total": total, "page": current, "pages": pages, "param": param,
            "start": min(total, start + 1), "end": min(total, start + PAGE_SIZE)}


EMBEDDED_JSONLD_LIMIT = 300  # a hub's full data is one link away (/data/…); the page embeds a sample


def jsonld_of(iri: URIRef) -> Any:
    """The entity's own statements as a JSON-LD document (embedded in its page; capped)."""
    out = store().select(f"SELECT ?p ?o ?g WHERE {{ GRAPH ?g {{ ?this ?p ?o }} }} LIMIT {EMBEDDED_JSONLD_LIMIT}",
                         {"this": iri})
    quads = [(iri, r["p"], r["o"], r["g"]) for r in out]
    quads += blank_closure([q[2] for q in quads if isinstance(q[2], BNode)])
    return json.loads(serialize(quads, "jsonld"))


# Key facts shown first on the pages of some kinds: (interface text, pattern binding ?x, inferred?).
KEY_FACTS: dict[str, tuple[tuple[str, str, bool], ...]] = {
    "city": (
        ("state", "?this ascn:isLocatedIn ?x", False),
        ("density", "?this ascn:populationDensityPerKm2 ?x", False),
        ("state_gdp", "?this ascn:isLocatedIn ?s . ?s ascn:gdpPerCapitaUSD ?x", False),
        ("typology_class", "GRAPH ?inferred { ?this a ?x } ?x a ascn:TypologyClass", True),
        ("officers", "?post ascn:forCity ?this ; a ascn:ChiefSmartCityOfficerPost . ?x org:holds ?post", False),
        ("focus_areas", "?this ascn:hasFocusArea ?x", False),
        ("projects", "?x ascn:isProjectOf ?this", False),
    ),
    "state": (
        ("capital", "?x ascn:isCapitalOf ?this", False),
        ("pilot_cities", "?x ascn:nominatedBy ?this", False),
        ("gdp", "?this ascn:gdpPerCapitaUSD ?x", False),
        ("representative", "?post ascn:forCountry ?this ; a ascn:NationalRepresentativePost . ?x org:holds ?post",
         False),
    ),
    "person": (("post", "?this org:holds ?x", False),),
}


def key_facts(iri: URIRef) -> list[tuple[str, list[Node], bool]]:
    """The key facts of a city, state or person: (interface text key, values, inferred)."""
    ref = str(iri)[len(base_iri()):].split("/")
    specs = KEY_FACTS.get(ref[1], ()) if len(ref) == 3 and ref[0] == "id" else ()
    head = prologue(base_iri(), ("ascn", "org", "rdfs"))
    out = []
    for text, pattern, inferred in specs:
        query = head + f"SELECT DISTINCT ?x WHERE {{ {pattern} }} ORDER BY ?x LIMIT 50"
        bindings = {"this": iri, "inferred": URIRef(f"{base_iri()}graph/inferred")} if inferred else {"this": iri}
        values = [r["x"] for r in store().select(query, bindings) if "x" in r]
        if values:
            out.append((text, values, inferred))
    return out


def entity_page(iri: URIRef, data_stem: str) -> Response:
    if not exists(iri):
        return missing()
    lang = page_lang()

    def build() -> Response:
        return render("entity.html", **page_context(iri, data_stem, lang))

    return conditional(etag_for("page", iri, lang, request.query_string), build,
                       cache_control="no-cache", vary=("Accept-Language", "Cookie"))


def page_context(iri: URIRef, data_stem: str, lang: str) -> dict[str, Any]:
    out_page, in_page = page_number("page"), page_number("in")
    out_total = count("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?this ?p ?o } }", iri)
    in_total = count("SELECT (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?this } }", iri)
    out_rows = outbound(iri, (out_page - 1) * PAGE_SIZE, out_total)
    in_rows = inbound(iri, (in_page - 1) * PAGE_SIZE, in_total)
    types = store().select("SELECT DISTINCT ?type ?g WHERE { GRAPH ?g { ?this a ?type } }", {"this": iri})
    is_note = any(str(r["type"]) == f"{base_iri()}def/ascn#DataQualityNote" for r in types)
    notes = notes_about(iri, own=is_note)
    places = places_of(store(), {iri} | {row[1] for row in in_rows}, base_iri())
    wanted = {str(iri)} | {str(x) for row in out_rows + in_rows for x in row if isinstance(x, URIRef)}
    wanted |= {str(r["type"]) for r in types} | {str(r["g"]) for r in types}
    wanted |= {str(place) for cited in places.values() for place in cited}
    facts = key_facts(iri)
    wanted |= {str(v) for _, values, _ in facts for v in values if isinstance(v, URIRef)}
    wanted |= {str(n["iri"]) for n in notes} | {str(p) for n in notes for c in n["claims"] for p in c["places"]}
    label = Labeller(wanted, lang)
    ontology = ontology_graph()
    own = own_labels(iri)
    type_rows = group([(RDF.type, r["type"], r["g"]) for r in types])
    return {
        "iri": str(iri), "title": label(iri), "label_en": own["en"], "label_ko": own["ko"],
        "types": [{"value": term_view(s.value, label), "inferred": s.inferred} for s in type_rows],
        "notes": [{"title": label(n["iri"]), "href": term_view(n["iri"], label)["href"],
                   "category": n["category"], "reading": n["reading"], "elsewhere": n["elsewhere"],
                   "claims": [{"text": c["text"], "lang": c["text"].language,
                               "places": [term_view(p, label) for p in c["places"]]}
                              for c in n["claims"]]} for n in notes],
        "facts": [{"label": t(text), "values": [fact_view(v, label, FACT_PLACES.get(text)) for v in values],
                   "inferred": inferred} for text, values, inferred in facts],
        "statements": statement_groups(group(out_rows), label, ontology,
                                       lambda st, g: sources_of(places, iri, st.prop, st.value, g)),
        "inbound": statement_groups(group(in_rows), label, ontology,
                                    lambda st, g: sources_of(places, st.value, st.prop, iri, g)),
        "out_pager": pager(out_total, out_page, "page"), "in_pager": pager(in_total, in_page, "in"),
        "formats": [(ext, f.media_type, f"{data_stem}.{ext}") for ext, f in DOCUMENT_FORMATS.items()],
        "jsonld": jsonld_of(iri) if out_total else None,
    }


def statement_groups(
    statements: list[Statement], label: Labeller, ontology: Graph,
    cite: Callable[[Statement, Node], list[Node]] | None = None,
) -> list[dict[str, Any]]:
    """Statements grouped by property, for the property tables; ``cite`` gives a statement's sources
    in one of its graphs (the rows or paragraphs it rests on), else the graph is shown."""
    groups: dict[Node, dict[str, Any]] = {}
    for s in statements:
        entry = groups.setdefault(s.prop, {"prop": term_view(s.prop, label), "values": []})
        # a derivation's value is its source: the column would only repeat it
        sources = [] if s.prop == PROV.wasDerivedFrom else [x for g in s.graphs for x in (cite(s, g) if cite else [g])]
        entry["values"].append({
            "value": term_view(s.value, label, ontology),
            "inferred": s.inferred,
            "sources": [term_view(x, label) for x in dict.fromkeys(sources)],
        })
    return sorted(groups.values(), key=lambda e: e["prop"]["text"].casefold())

