"""The typology chart: GDP per capita against population density of the pilot cities.

Rendered by the server as SVG (log–log axes) from one SPARQL query over the graph: the
density of each pilot city (``ascn:populationDensityPerKm2``), the GDP per capita of the
state it lies in (``ascn:gdpPerCapitaUSD``), its inferred typology class (graph/inferred),
and the two thresholds (``ascn:Threshold``). Each point is a link to the city's page.
``/typology`` is the page (chart and table), ``/typology.svg`` the chart alone.

The page carries two drawings, one wide and one 340 units wide for phones (CSS shows one),
each with its labels placed by :mod:`ascn_kg.chart_labels`: no two texts overlap, crowded
points get leader lines, and quadrant titles wrap by words to fit their quadrant.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Response, render_template
from rdflib import URIRef

from ascn_kg.ops.headers import conditional, etag_for
from ascn_kg.web.chart_labels import (
    FONT_FAMILY,
    Box,
    Label,
    Segment,
    around_point,
    block_box,
    fixed_places,
    place,
    wrap_words,
)
from ascn_kg.web.kit import GDP_PLACES, Labeller, base_iri, cached, fmt, link, number, page, page_lang, select, t

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


@dataclass(frozen=True)
class Layout:
    """The geometry of one rendering of the chart: the wide one, and one for phones."""

    name: str
    w: int
    h: int
    left: int
    right: int
    top: int
    bottom: int
    radius: float
    label: float  # font sizes
    tick: float
    quadrant: float
    axis: float
    name_width: float  # a longer city name wraps (by words) onto a second line


WIDE = Layout("wide", W, H, LEFT, RIGHT, TOP, BOTTOM, 7, 11, 12, 13, 13, 200)
# 340 px is the figure's width in a 390 px wide window: drawn at its own size, text stays legible.
NARROW = Layout("narrow", 340, 780, 64, 10, 16, 58, 5.5, 10, 9.5, 10.5, 11, 80)


def tick_labels(ticks: list[tuple[float, str, bool]], scale: LogScale, size: float, horizontal: bool,
                at: float, width: float) -> list[tuple[float, str, bool, str]]:
    """(position, text, major, anchor) of the ticks whose labels fit: every major one, minor ones
    only where there is room; a label that would leave the drawing is aligned to its tick's side."""
    def placed(value: float, text: str) -> tuple[Box, str]:
        position = scale(value)
        if not horizontal:
            return block_box(at, position + size * 0.35, [text], size, anchor="end"), "end"
        box = block_box(position, at, [text], size, anchor="middle")
        anchor = "end" if box.x1 > width - 1 else "start" if box.x0 < 1 else "middle"
        return block_box(position, at, [text], size, anchor=anchor), anchor

    kept: list[tuple[float, str, bool, str]] = []
    boxes: list[Box] = []
    for value, text, major in sorted(ticks, key=lambda tick: not tick[2]):  # majors first
        box, anchor = placed(value, text)
        if major or not any(box.overlaps(other, 6) for other in boxes):
            kept.append((scale(value), text, major, anchor))
            boxes.append(box)
    return sorted(kept)


def region(plot: Box, xc: float | None, yc: float | None, dense: bool, developed: bool) -> Box:
    """The part of the plot a typology class covers (its quadrant)."""
    x_mid = plot.x0 + (plot.x1 - plot.x0) / 2 if xc is None else xc
    y_mid = plot.y0 + (plot.y1 - plot.y0) / 2 if yc is None else yc
    return Box(x_mid if developed else plot.x0, plot.y0 if dense else y_mid,
               plot.x1 if developed else x_mid, y_mid if dense else plot.y1)


def quadrant_label(key: str, text: str, area: Box, dense: bool, developed: bool, size: float) -> Label:
    """A quadrant title, wrapped by words to its quadrant, placed in one of its corners
    (the outer one first)."""
    inner = Box(area.x0 + 5, area.y0 + 5, area.x1 - 5, area.y1 - 5)
    label = Label(key, wrap_words(text, size, inner.x1 - inner.x0, bold=True), size, [], bold=True)
    w, h = label.size_box()
    corners = [(inner.x1 - w if right else inner.x0, inner.y0 if upper else inner.y1 - h)
               for upper in (dense, not dense) for right in (developed, not developed)]
    label.candidates = fixed_places(label, [(x0, y0, i * 2.0) for i, (x0, y0) in enumerate(corners)], inner)
    return label


def threshold_labels(plot: Box, xc: float | None, yc: float | None, x_text: str, y_text: str,
                     size: float) -> list[Label]:
    """The thresholds' values, beside their lines: GDP low on its line, density at its left."""
    out = []
    if xc is not None:
        label = Label("threshold-x", [x_text], size, [])
        w, h = label.size_box()
        steps = int((plot.y1 - plot.y0 - h - 8) // 8)
        starts = [(x0, plot.y1 - 4 - h - 8 * i, i * 0.5 + side) for i in range(steps + 1)
                  for x0, side in ((xc + 4, 0.0), (xc - 4 - w, 1.0))]
        label.candidates = fixed_places(label, starts, plot)
        out.append(label)
    if yc is not None:
        label = Label("threshold-y", [y_text], size, [])
        w, h = label.size_box()
        steps = int((plot.x1 - plot.x0 - w - 8) // 10)
        starts = [(plot.x0 + 4 + 10 * i, y0, i * 0.5 + side) for i in range(steps + 1)
                  for y0, side in ((yc - 3 - h, 0.0), (yc + 3, 1.0))]
        label.candidates = fixed_places(label, starts, plot)
        out.append(label)
    return out


def svg_context(lang: str, layout: Layout = WIDE) -> dict[str, Any]:
    """Everything the SVG template draws, with every label placed (computed once per dataset
    version, language and layout)."""
    return cached(f"typology-svg-{lang}-{layout.name}", lambda: layout_chart(lang, layout))


def layout_chart(lang: str, layout: Layout) -> dict[str, Any]:
    data = chart_data(lang)
    cities, label = data["cities"], data["label"]
    xs = [float(c["gdp"]) for c in cities] + ([float(data["x_cut"])] if data["x_cut"] else [])
    ys = [float(c["density"]) for c in cities] + ([float(data["y_cut"])] if data["y_cut"] else [])
    plot = Box(layout.left, layout.top, layout.w - layout.right, layout.h - layout.bottom)
    x, y = LogScale(xs, plot.x0, plot.x1), LogScale(ys, plot.y1, plot.y0)
    xc = x(float(data["x_cut"])) if data["x_cut"] else None
    yc = y(float(data["y_cut"])) if data["y_cut"] else None
    x_cut = fmt(data["x_cut"]) if data["x_cut"] else ""
    y_cut = fmt(data["y_cut"]) if data["y_cut"] else ""
    lines: list[Segment] = []
    if xc is not None:
        lines.append(((xc, plot.y0), (xc, plot.y1)))
    if yc is not None:
        lines.append(((plot.x0, yc), (plot.x1, yc)))
    dots, labels, points = [], [], []
    for c in cities:
        colour = QUADRANTS.get(c["class"] or "", (None, None, "#555555"))[2]
        name = c["city"]["text"]
        px, py = x(float(c["gdp"])), y(float(c["density"]))
        dots.append((px, py, layout.radius))
        city = Label(c["city"]["iri"], wrap_words(name, layout.label, layout.name_width), layout.label, [],
                     point=(px, py, layout.radius))
        city.candidates = around_point(city, plot)
        labels.append(city)
        points.append({
            "x": px, "y": py, "href": c["city"]["href"], "name": name, "colour": colour, "label": city,
            "title": f"{name} ({c['state']['text']}): {t('density')} {fmt(c['density'])}, "
                     f"{t('gdp')} {fmt(c['gdp'], GDP_PLACES)}",
        })
    quadrants = []
    for name, (dense, developed, colour) in QUADRANTS.items():
        text = label(data["ns"] + name)
        title = quadrant_label(name, text, region(plot, xc, yc, dense, developed), dense, developed,
                               layout.quadrant)
        labels.append(title)
        quadrants.append({"text": text, "colour": colour, "label": title})
    thresholds = threshold_labels(plot, xc, yc, f"{x_cut} USD", f"{y_cut} /km²", layout.tick)
    x_tick_baseline = plot.y1 + layout.tick * 1.75  # below the corner's lowest density label
    place([*labels, *thresholds], dots, lines)
    placed = {lab.key: lab for lab in thresholds}
    return {
        "layout": layout.name, "w": layout.w, "h": layout.h, "left": plot.x0, "right": plot.x1, "top": plot.y0,
        "bottom": plot.y1, "radius": layout.radius, "font": FONT_FAMILY, "sizes": layout,
        "points": points, "quadrants": quadrants, "xc": xc, "yc": yc, "x_cut": x_cut, "y_cut": y_cut,
        "x_label": placed.get("threshold-x"), "y_label": placed.get("threshold-y"),
        "x_tick_baseline": x_tick_baseline,
        "xticks": tick_labels(x.ticks(), x, layout.tick, True, x_tick_baseline, layout.w),
        "yticks": tick_labels(y.ticks(), y, layout.tick, False, plot.x0 - 6, layout.w),
        "x_title": t("log_scale", axis=t("gdp")), "y_title": t("log_scale", axis=t("density")),
        "chart_title": t("typology"),
    }


def typology_context(lang: str) -> dict[str, Any]:
    data = chart_data(lang)
    rows = [{**c, "density_text": fmt(c["density"]), "gdp_text": fmt(c["gdp"], GDP_PLACES),
             "class_text": data["label"](data["ns"] + c["class"]) if c["class"] else "—"} for c in data["cities"]]
    return {"title": t("typology"), "svgs": [svg_context(lang, WIDE), svg_context(lang, NARROW)], "rows": rows,
            "x_cut": fmt(data["x_cut"]) if data["x_cut"] else "—",
            "y_cut": fmt(data["y_cut"]) if data["y_cut"] else "—", "count": len(rows)}


@bp.get("/typology")
def typology() -> Response:
    return page("typology.html", typology_context)


@bp.get("/typology.svg")
def typology_svg() -> Response:
    lang = page_lang()

    def build() -> Response:
        body = render_template("typology_chart.svg", standalone=True, s=svg_context(lang))
        return Response(body, mimetype="image/svg+xml")

    return conditional(etag_for("typology.svg", lang), build, vary=("Accept-Language", "Cookie"))

