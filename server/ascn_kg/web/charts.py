"""The typology chart: GDP per capita against population density of the pilot cities.

Rendered by the server as SVG (log–log axes) from one SPARQL query over the graph: the
density of each pilot city (``ascn:populationDensityPerKm2``), the GDP per capita of the
state it lies in (``ascn:gdpPerCapitaUSD``), its inferred typology class (graph/inferred),
and the two thresholds (``ascn:Threshold``). Each point is a link to the city's page.
``/typology`` is the page (chart and table), ``/typology.svg`` the chart alone.
"""

from __future__ import annotations

import math
from typing import Any

from flask import Blueprint, Response, render_template
from rdflib import URIRef

from ascn_kg.ops.headers import conditional, etag_for
from ascn_kg.web.kit import Labeller, base_iri, fmt, link, number, page, page_lang, select, t

bp = Blueprint("charts", __name__)

W, H = 820, 580
LEFT, RIGHT, TOP, BOTTOM = 84, 24, 24, 64
# Quadrant of each typology class: (dense?, developed?) and its colour.
QUADRANTS = {
    "DenseDevelopedEconomyCity": (True, True, "#7b3294"),
    "DenseEmergingEconomyCity": (True, False, "#d7191c"),
    "LowDensityDevelopedEconomyCity": (False, True, "#2c7bb6"),
    "LowDensityEmergingEconomyCity": (False, False, "#1a9641"),
}

POINTS_QUERY = """SELECT ?city ?density ?gdp ?state ?class WHERE {
  ?city a ascn:PilotCity ; ascn:populationDensityPerKm2 ?density ; ascn:isLocatedIn ?state .
  ?state ascn:gdpPerCapitaUSD ?gdp .
  OPTIONAL { GRAPH <%s> { ?city a ?class } ?class a ascn:TypologyClass }
}"""
THRESHOLD_QUERY = """SELECT ?threshold ?value ?measure WHERE {
  ?threshold a ascn:Threshold ; ascn:value ?value ; ascn:appliesToMeasure ?measure }"""


class LogScale:
    """A base-10 logarithmic scale from the data range (whole decades) onto pixels."""

    def __init__(self, values: list[float], low_px: float, high_px: float) -> None:
        positive = [v for v in values if v > 0] or [1.0, 10.0]
        self.lo = math.floor(math.log10(min(positive)))
        self.hi = math.ceil(math.log10(max(positive)))
        if self.hi == self.lo:
            self.hi += 1
        self.low_px, self.high_px = low_px, high_px

    def __call__(self, value: float) -> float:
        share = (math.log10(max(value, 1e-9)) - self.lo) / (self.hi - self.lo)
        return round(self.low_px + share * (self.high_px - self.low_px), 1)

    def ticks(self) -> list[tuple[float, str, bool]]:
        """(value, text, major) for 1, 2 and 5 times each power of ten in range."""
        out = []
        for power in range(self.lo, self.hi + 1):
            for step in (1, 2, 5):
                value = step * 10**power
                if 10**self.lo <= value <= 10**self.hi:
                    out.append((value, f"{value:,}", step == 1))
        return out


def chart_data(lang: str) -> dict[str, Any]:
    ns = f"{base_iri()}def/ascn#"
    rows = select(POINTS_QUERY % f"{base_iri()}graph/inferred")
    thresholds = select(THRESHOLD_QUERY)
    iris = {str(r[k]) for rs in (rows, thresholds) for r in rs for k in r if isinstance(r[k], URIRef)}
    iris |= {ns + name for name in QUADRANTS}
    label = Labeller(iris, lang)
    cities: dict[Any, dict[str, Any]] = {}
    for r in rows:
        entry = cities.setdefault(r["city"], {"city": link(r["city"], label), "state": link(r["state"], label),
                                              "density": number(r["density"]), "gdp": number(r["gdp"]),
                                              "class": None})
        if "class" in r:
            entry["class"] = str(r["class"])[len(ns):]
    x_cut = y_cut = None
    for r in thresholds:
        measure = str(r["measure"])[len(ns):]
        if measure == "GdpPerCapita":
            x_cut = number(r["value"])
        elif measure == "PopulationDensity":
            y_cut = number(r["value"])
    return {"cities": sorted(cities.values(), key=lambda c: c["city"]["text"].casefold()),
            "x_cut": x_cut, "y_cut": y_cut, "label": label, "ns": ns}


def svg_context(lang: str) -> dict[str, Any]:
    data = chart_data(lang)
    cities, label = data["cities"], data["label"]
    xs = [float(c["gdp"]) for c in cities] + ([float(data["x_cut"])] if data["x_cut"] else [])
    ys = [float(c["density"]) for c in cities] + ([float(data["y_cut"])] if data["y_cut"] else [])
    x, y = LogScale(xs, LEFT, W - RIGHT), LogScale(ys, H - BOTTOM, TOP)
    points = []
    for c in cities:
        colour = QUADRANTS.get(c["class"] or "", (None, None, "#555555"))[2]
        name = c["city"]["text"]
        px, py = x(float(c["gdp"])), y(float(c["density"]))
        points.append({
            "x": px, "y": py, "href": c["city"]["href"], "name": name, "colour": colour,
            "title": f"{name} ({c['state']['text']}): {t('density')} {fmt(c['density'])}, {t('gdp')} {fmt(c['gdp'])}",
            "anchor": "end" if px > W - RIGHT - 120 else "start", "lx": px - 9 if px > W - RIGHT - 120 else px + 9,
        })
    xc = x(float(data["x_cut"])) if data["x_cut"] else None
    yc = y(float(data["y_cut"])) if data["y_cut"] else None
    quadrants = []
    for name, (dense, developed, colour) in QUADRANTS.items():
        quadrants.append({
            "text": label(data["ns"] + name), "colour": colour,
            "x": (W - RIGHT - 8) if developed else LEFT + 8, "anchor": "end" if developed else "start",
            "y": TOP + 18 if dense else H - BOTTOM - 10,
        })
    return {
        "w": W, "h": H, "left": LEFT, "right": W - RIGHT, "top": TOP, "bottom": H - BOTTOM,
        "points": points, "quadrants": quadrants, "xc": xc, "yc": yc,
        "x_cut": fmt(data["x_cut"]) if data["x_cut"] else "", "y_cut": fmt(data["y_cut"]) if data["y_cut"] else "",
        "xticks": [(x(v), text, major) for v, text, major in x.ticks()],
        "yticks": [(y(v), text, major) for v, text, major in y.ticks()],
        "x_title": t("gdp") + " — log", "y_title": t("density") + " — log",
        "chart_title": t("typology"),
    }


def typology_context(lang: str) -> dict[str, Any]:
    data = chart_data(lang)
    rows = [{**c, "density_text": fmt(c["density"]), "gdp_text": fmt(c["gdp"]),
             "class_text": data["label"](data["ns"] + c["class"]) if c["class"] else "—"} for c in data["cities"]]
    return {"title": t("typology"), "svg": svg_context(lang), "rows": rows,
            "x_cut": fmt(data["x_cut"]) if data["x_cut"] else "—",
            "y_cut": fmt(data["y_cut"]) if data["y_cut"] else "—", "count": len(rows)}


@bp.get("/typology")
def typology() -> Response:
    return page("typology.html", typology_context)


@bp.get("/typology.svg")
def typology_svg() -> Response:
    lang = page_lang()

    def build() -> Response:
        body = render_template("typology_chart.svg", standalone=True, **svg_context(lang))
        return Response(body, mimetype="image/svg+xml")

    return conditional(etag_for("typology.svg", lang), build, vary=("Accept-Language", "Cookie"))

