"""Browse pages: home, member states, pilot cities, projects, people, timeline, governance.

Every page is a few SPARQL SELECTs through the store seam; labels come from
:func:`ascn_kg.labels.label_map` (one query per page) in the page language.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from flask import Blueprint, Response, request
from rdflib import Literal, URIRef

from ascn_kg import labels
from ascn_kg.store.dataset_counts import dataset_counts
from ascn_kg.web.kit import GDP_PLACES, Labeller, base_iri, cached, fmt, href, link, number, page, select, store, t

bp = Blueprint("browse", __name__)


def grouped(rows: list[dict[str, Any]], key: str, var: str) -> dict[Any, list[Any]]:
    """The distinct values of ``var`` per value of ``key``, in row order."""
    out: dict[Any, list[Any]] = {}
    for row in rows:
        if var in row and row[var] not in out.setdefault(row[key], []):
            out[row[key]].append(row[var])
    return out


def text_in(rows: list[dict[str, Any]], var: str, lang: str) -> str:
    found = [r[var] for r in rows if isinstance(r.get(var), Literal)]
    return labels.choose_label(found, lang, "") if found else ""


# --- home ---------------------------------------------------------------------------------------

COUNTS = {
    "states": "?s a ascn:MemberState", "cities": "?s a ascn:PilotCity", "people": "?s a foaf:Person",
    "projects": "?s a ascn:PriorityProject", "focus_areas": "?s a skos:Concept",
    "organisations": "?s a ?class . FILTER(CONTAINS(STR(?s), '/id/organisation/'))",
    "events": "?s a ascn:Event", "notes": "?s a ascn:DataQualityNote",
}
COUNT_LABELS = {
    "states": ("member states", "회원국"), "cities": ("pilot cities", "시범도시"),
    "people": ("people", "인물"), "projects": ("priority projects", "우선 프로젝트"),
    "focus_areas": ("focus areas", "중점 분야"), "organisations": ("organisations", "기관"),
    "events": ("events", "행사"), "notes": ("data-quality notes", "데이터 품질 메모"),
}


def home_stats() -> dict[str, int]:
    def compute() -> dict[str, int]:
        stats = {}
        for key, pattern in COUNTS.items():
            rows = select(f"SELECT (COUNT(DISTINCT ?s) AS ?n) WHERE {{ {pattern} }}")
            stats[key] = int(rows[0]["n"]) if rows else 0
        counts = dataset_counts(store(), base_iri())
        stats["triples"], stats["graphs"] = counts.triples, counts.graphs
        stats["description_triples"] = counts.description_triples
        return stats

    return cached("home-stats", compute)


def home_context(lang: str) -> dict[str, Any]:
    stats = home_stats()
    counts = [{"n": stats[k], "label": COUNT_LABELS[k][1 if lang == "ko" else 0], "href": url}
              for k, url in (("states", "/states"), ("cities", "/cities"), ("people", "/people"),
                             ("projects", "/projects"), ("focus_areas", "/projects"),
                             ("organisations", "/governance"), ("events", "/timeline"), ("notes", None))]
    return {"title": t("tagline"), "counts": counts, "triples": stats["triples"], "graphs": stats["graphs"],
            "description_triples": stats["description_triples"], "version": store().version()}


@bp.get("/")
def home() -> Response:
    return page("home.html", home_context)


# --- member states ------------------------------------------------------------------------------


def states_context(lang: str) -> dict[str, Any]:
    states = select("""SELECT ?state ?gdp ?pos WHERE { ?state a ascn:MemberState .
        OPTIONAL { ?state ascn:gdpPerCapitaUSD ?gdp }
        OPTIONAL { ?state ascn:listPosition ?pos } }""")
    cities = select("SELECT ?state ?city ?pos WHERE { ?city ascn:nominatedBy ?state . "
                    "OPTIONAL { ?city ascn:listPosition ?pos } } ORDER BY ?pos")
    capitals = select("SELECT ?state ?city WHERE { ?city ascn:isCapitalOf ?state }")
    reps = select("SELECT ?state ?person WHERE { ?post a ascn:NationalRepresentativePost ; "
                  "ascn:forCountry ?state . ?person org:holds ?post ; foaf:name ?name } ORDER BY ?name")
    iris = {str(r[k]) for rows in (states, cities, capitals, reps) for r in rows for k in r if isinstance(r[k], URIRef)}
    label = Labeller(iris, lang)
    by_state = {name: grouped(rows, "state", var) for name, rows, var in
                (("cities", cities, "city"), ("capitals", capitals, "city"), ("reps", reps, "person"))}
    out = []
    for row in states:
        s = row["state"]
        out.append({
            "state": link(s, label), "gdp": fmt(number(row.get("gdp")), GDP_PLACES),
            "pos": int(row["pos"]) if "pos" in row else 99,
            **{name: [link(x, label) for x in groups.get(s, [])] for name, groups in by_state.items()},
        })
    out.sort(key=lambda r: (r["pos"], r["state"]["text"]))
    return {"title": t("states"), "states": out}


@bp.get("/states")
def states() -> Response:
    return page("states.html", states_context)


# --- pilot cities -------------------------------------------------------------------------------

CITY_SORTS = ("number", "name", "state", "capital", "density", "gdp", "typology", "projects")


def city_rows(lang: str) -> list[dict[str, Any]]:
    cities = select("""SELECT ?city ?state ?pos ?density ?gdp ?capital WHERE {
        ?city a ascn:PilotCity ; ascn:nominatedBy ?state .
        OPTIONAL { ?city ascn:listPosition ?pos } OPTIONAL { ?city ascn:populationDensityPerKm2 ?density }
        OPTIONAL { ?state ascn:gdpPerCapitaUSD ?gdp }
        BIND(EXISTS { ?city ascn:isCapitalOf ?any } AS ?capital) }""")
    typology = select(f"""SELECT ?city ?class WHERE {{ GRAPH <{base_iri()}graph/inferred> {{ ?city a ?class }}
        ?class a ascn:TypologyClass }}""")
    focus = select("SELECT ?city ?area WHERE { ?city a ascn:PilotCity ; ascn:hasFocusArea ?area }")
    projects = select("SELECT ?city (COUNT(?p) AS ?n) WHERE { ?p ascn:isProjectOf ?city } GROUP BY ?city")
    officers = select("""SELECT ?city ?person ?status WHERE { ?post a ascn:ChiefSmartCityOfficerPost ;
        ascn:forCity ?city . OPTIONAL { ?person org:holds ?post } OPTIONAL { ?post ascn:statusAsPrinted ?status } }""")
    rows = (cities, typology, focus, officers)
    iris = {str(r[k]) for rs in rows for r in rs for k in r if isinstance(r[k], URIRef)}
    label = Labeller(iris, lang)
    n_projects = {r["city"]: int(r["n"]) for r in projects}
    classes, areas = grouped(typology, "city", "class"), grouped(focus, "city", "area")
    people, status = grouped(officers, "city", "person"), grouped(officers, "city", "status")
    out = []
    for row in cities:
        c = row["city"]
        out.append({
            "city": link(c, label), "state": link(row["state"], label),
            "number": int(row["pos"]) if "pos" in row else 0,
            "capital": str(row.get("capital")).lower() == "true",
            "density": number(row.get("density")), "gdp": number(row.get("gdp")),
            "typology": [link(x, label) for x in classes.get(c, [])], "projects": n_projects.get(c, 0),
            "focus": sorted((link(x, label) for x in areas.get(c, [])), key=lambda x: x["text"]),
            "officers": [link(x, label) for x in people.get(c, [])],
            "officer_status": sorted({str(x) for x in status.get(c, [])}),
        })
    return out


def sort_key(name: str) -> Any:
    def key(row: dict[str, Any]) -> Any:
        value = {
            "number": row["number"], "name": row["city"]["text"].casefold(),
            "state": row["state"]["text"].casefold(), "capital": not row["capital"],
            "density": row["density"] if row["density"] is not None else Decimal(-1),
            "gdp": row["gdp"] if row["gdp"] is not None else Decimal(-1),
            "typology": " ".join(x["text"] for x in row["typology"]).casefold(),
            "projects": row["projects"],
        }[name]
        return (value, row["number"])

    return key


def cities_context(lang: str) -> dict[str, Any]:
    wanted = request.args.get("sort", "number")
    descending = wanted.startswith("-")
    name = wanted.lstrip("-")
    if name not in CITY_SORTS:
        name, descending = "number", False
    rows = sorted(city_rows(lang), key=sort_key(name), reverse=descending)
    for row in rows:
        row["density_text"], row["gdp_text"] = fmt(row["density"]), fmt(row["gdp"], GDP_PLACES)
    columns = [(key, t(text)) for key, text in (
        ("number", "#"), ("name", "city"), ("state", "state"), ("capital", "capital"), ("density", "density"),
        ("gdp", "gdp"), ("typology", "typology_class"), ("projects", "n_projects"))]
    sorts = {key: (f"-{key}" if key == name and not descending else key) for key in CITY_SORTS}
    return {"title": t("cities"), "rows": rows, "columns": columns, "sort": name, "descending": descending,
            "sorts": sorts}


@bp.get("/cities")
def cities() -> Response:
    return page("cities.html", cities_context)


# --- projects by focus area ---------------------------------------------------------------------


def projects_context(lang: str) -> dict[str, Any]:
    areas = select(f"SELECT ?area ?def WHERE {{ ?area a skos:Concept ; "
                   f"skos:inScheme <{base_iri()}id/scheme/focus-areas> . "
                   "OPTIONAL { ?area skos:definition ?def } }")
    focus = select("SELECT ?area ?city WHERE { ?city ascn:hasFocusArea ?area }")
    projects = select("SELECT ?project ?city ?pos WHERE { ?project ascn:isProjectOf ?city . "
                      "OPTIONAL { ?project ascn:listPosition ?pos } } ORDER BY ?city ?pos")
    iris = {str(r[k]) for rs in (areas, focus, projects) for r in rs for k in r if isinstance(r[k], URIRef)}
    label = Labeller(iris, lang)
    by_city: dict[Any, list[dict[str, Any]]] = {}
    for r in projects:
        by_city.setdefault(r["city"], []).append(link(r["project"], label))
    out = []
    for area in sorted({r["area"] for r in areas}, key=lambda a: label(a).casefold()):
        cities_ = sorted({r["city"] for r in focus if r["area"] == area}, key=lambda c: label(c).casefold())
        out.append({
            "area": link(area, label), "id": str(area).rsplit("/", 1)[-1],
            "definition": text_in([r for r in areas if r["area"] == area], "def", lang),
            "cities": [{"city": link(c, label), "projects": by_city.get(c, [])} for c in cities_],
        })
    return {"title": t("projects"), "areas": out, "total": len(projects)}


@bp.get("/projects")
def projects() -> Response:
    return page("projects.html", projects_context)


# --- people by post -----------------------------------------------------------------------------


def people_context(lang: str) -> dict[str, Any]:
    rows = select("""SELECT ?role ?post ?person ?status ?place ?org WHERE { ?post org:role ?role .
        OPTIONAL { ?person org:holds ?post } OPTIONAL { ?post ascn:statusAsPrinted ?status }
        OPTIONAL { ?post org:postIn ?org }
        OPTIONAL { { ?post ascn:forCity ?place } UNION { ?post ascn:forCountry ?place } } }""")
    iris = {str(r[k]) for r in rows for k in r if isinstance(r[k], URIRef)}
    label = Labeller(iris, lang)
    roles: dict[Any, dict[Any, dict[str, Any]]] = {}
    for r in rows:
        post = roles.setdefault(r["role"], {}).setdefault(r["post"], {
            "post": link(r["post"], label), "holders": [], "places": [], "status": "",
            "org": link(r["org"], label) if "org" in r else None})
        if "person" in r and link(r["person"], label) not in post["holders"]:
            post["holders"].append(link(r["person"], label))
        if "place" in r and link(r["place"], label) not in post["places"]:
            post["places"].append(link(r["place"], label))
        if "status" in r:
            post["status"] = str(r["status"])
    out = [{"role": link(role, label), "id": str(role).rsplit("/", 1)[-1],
            "posts": sorted(posts.values(), key=lambda p: p["post"]["text"].casefold())}
           for role, posts in roles.items()]
    out.sort(key=lambda r: (-len(r["posts"]), r["role"]["text"].casefold()))
    return {"title": t("people"), "roles": out}


@bp.get("/people")
def people() -> Response:
    return page("people.html", people_context)


# --- timeline -----------------------------------------------------------------------------------


def timeline_context(lang: str) -> dict[str, Any]:
    rows = select("""SELECT ?event ?start ?end ?pos ?place ?desc WHERE { ?event a ascn:Event .
        OPTIONAL { ?event schema:startDate ?start } OPTIONAL { ?event schema:endDate ?end }
        OPTIONAL { ?event ascn:listPosition ?pos } OPTIONAL { ?event schema:location ?place }
        OPTIONAL { ?event schema:description ?desc } }""")
    iris = {str(r[k]) for r in rows for k in r if isinstance(r[k], URIRef)}
    label = Labeller(iris, lang)
    events: dict[Any, dict[str, Any]] = {}
    for r in rows:
        e = events.setdefault(r["event"], {"event": link(r["event"], label), "start": str(r.get("start", "")),
                                           "end": str(r.get("end", "")), "chart": "pos" in r, "rows": [],
                                           "place": link(r["place"], label) if "place" in r else None})
        e["rows"].append(r)
    out = []
    for e in events.values():
        e["description"] = text_in(e.pop("rows"), "desc", lang)
        out.append(e)
    out.sort(key=lambda e: (e["start"] or "9999", e["event"]["text"]))
    years: dict[str, list[dict[str, Any]]] = {}
    for e in out:
        years.setdefault(e["start"][:4] or "—", []).append(e)
    return {"title": t("timeline"), "years": list(years.items())}


@bp.get("/timeline")
def timeline() -> Response:
    return page("timeline.html", timeline_context)


# --- governance ---------------------------------------------------------------------------------

BOX_W, BOX_H, GAP_X, GAP_Y, MARGIN = 210, 64, 40, 70, 20


def wrap(text: str, width: int = 24) -> list[str]:
    """Break a label into lines of about ``width`` characters (at most three)."""
    lines: list[str] = []
    for word in text.split():
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 3:
        lines = [*lines[:2], " ".join(lines[2:])[: width - 1] + "…"]
    return lines or [text]


def layers(reports: list[tuple[Any, Any]], monitors: list[tuple[Any, Any]]) -> dict[Any, int]:
    """Longest-path layering along ``reportsTo`` (bottom = 0); monitors sit beside their target."""
    layer: dict[Any, int] = {n: 0 for edge in reports for n in edge}
    for _ in range(len(layer) + 1):
        changed = False
        for a, b in reports:
            if layer[b] < layer[a] + 1:
                layer[b], changed = layer[a] + 1, True
        if not changed:
            break
    for a, b in monitors:
        layer.setdefault(b, 0)
        layer.setdefault(a, layer[b])
    return layer


def governance_diagram(reports: list[tuple[Any, Any]], monitors: list[tuple[Any, Any]],
                       label: Labeller) -> dict[str, Any]:
    layer = layers(reports, monitors)
    top = max(layer.values(), default=0)
    rows: dict[int, list[Any]] = {}
    for node in sorted(layer, key=lambda n: label(n).casefold()):
        rows.setdefault(layer[node], []).append(node)
    widest = max((len(r) for r in rows.values()), default=1)
    width = MARGIN * 2 + widest * BOX_W + (widest - 1) * GAP_X
    pos: dict[Any, tuple[float, float]] = {}
    for level, nodes in rows.items():
        span = len(nodes) * BOX_W + (len(nodes) - 1) * GAP_X
        x0 = (width - span) / 2
        for i, node in enumerate(nodes):
            pos[node] = (x0 + i * (BOX_W + GAP_X), MARGIN + (top - level) * (BOX_H + GAP_Y))
    boxes = [{"x": x, "y": y, "w": BOX_W, "h": BOX_H, "href": href(str(n)), "label": label(n),
              "lines": [{"text": line, "y": y + BOX_H / 2 + (i - (len(wrap(label(n))) - 1) / 2) * 16 + 5}
                        for i, line in enumerate(wrap(label(n)))], "cx": x + BOX_W / 2}
             for n, (x, y) in pos.items()]
    edges = []
    outgoing = spread([(a, b) for a, b in reports], pos)
    incoming = spread([(b, a) for a, b in reports], pos)
    for a, b in reports:
        (ax, ay), (bx, by) = pos[a], pos[b]
        up = by < ay
        edges.append({"kind": "reports", "x1": ax + outgoing[(a, b)], "y1": ay if up else ay + BOX_H,
                      "x2": bx + incoming[(b, a)], "y2": by + BOX_H if up else by})
    for a, b in monitors:
        (ax, ay), (bx, by) = pos[a], pos[b]
        if ay == by:
            x1, x2 = (ax + BOX_W, bx) if ax < bx else (ax, bx + BOX_W)
            edges.append({"kind": "monitors", "x1": x1, "y1": ay + BOX_H / 2, "x2": x2, "y2": by + BOX_H / 2})
        else:
            edges.append({"kind": "monitors", "x1": ax + BOX_W / 2, "y1": ay if by < ay else ay + BOX_H,
                          "x2": bx + BOX_W / 2, "y2": by + BOX_H if by < ay else by})
    height = MARGIN * 2 + (top + 1) * BOX_H + top * GAP_Y
    return {"boxes": boxes, "edges": edges, "width": width, "height": height}


def spread(pairs: list[tuple[Any, Any]], pos: dict[Any, tuple[float, float]]) -> dict[Any, float]:
    """Where each edge leaves its box: edges of one box spread along its side, ordered by the other end."""
    by_node: dict[Any, list[Any]] = {}
    for node, other in pairs:
        by_node.setdefault(node, []).append(other)
    out: dict[Any, float] = {}
    for node, others in by_node.items():
        others.sort(key=lambda o: pos[o][0])
        for i, other in enumerate(others):
            out[(node, other)] = BOX_W * (i + 1) / (len(others) + 1)
    return out


def governance_context(lang: str) -> dict[str, Any]:
    reports = [(r["a"], r["b"]) for r in select("SELECT ?a ?b WHERE { ?a ascn:reportsTo ?b }")]
    monitors = [(r["a"], r["b"]) for r in select("SELECT ?a ?b WHERE { ?a ascn:monitors ?b }")]
    comprises = select("SELECT ?a ?b WHERE { ?a ascn:comprises ?b }")
    elements = select("SELECT ?e ?pos ?def WHERE { ?net ascn:hasCoreElement ?e . "
                      "OPTIONAL { ?e ascn:listPosition ?pos } OPTIONAL { ?e skos:definition ?def } }")
    iris = {str(x) for edge in reports + monitors for x in edge}
    iris |= {str(r[k]) for rs in (comprises, elements) for r in rs for k in r if isinstance(r[k], URIRef)}
    label = Labeller(iris, lang)
    layer = layers(reports, monitors)
    reports.sort(key=lambda edge: (layer.get(edge[0], 0), layer.get(edge[1], 0), str(edge)))  # up the chain
    chain = [{"from": link(a, label), "to": link(b, label), "kind": t("reports_to")} for a, b in reports]
    chain += [{"from": link(a, label), "to": link(b, label), "kind": t("monitors")} for a, b in monitors]
    members: dict[Any, list[dict[str, Any]]] = {}
    for r in comprises:
        members.setdefault(r["a"], []).append(link(r["b"], label))
    core: dict[Any, dict[str, Any]] = {}
    for r in elements:
        entry = core.setdefault(r["e"], {"element": link(r["e"], label), "pos": int(r.get("pos", 0)), "rows": []})
        entry["rows"].append(r)
    core_list = sorted(core.values(), key=lambda e: e["pos"])
    for e in core_list:
        e["definition"] = text_in(e.pop("rows"), "def", lang)
    return {"title": t("governance"), "diagram": governance_diagram(reports, monitors, label), "chain": chain,
            "comprises": [{"body": link(k, label), "members": v} for k, v in members.items()],
            "elements": core_list}


@bp.get("/governance")
def governance() -> Response:
    return page("governance.html", governance_context)
