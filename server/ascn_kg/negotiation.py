"""Content negotiation: ``Accept`` parsing with q-values, and the tables of formats we serve.

:func:`choose` is the one place that decides a media type; the linked-data pages reuse it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ascn_kg.bounded_cache import BoundedCache, text_bytes


@dataclass(frozen=True)
class Format:
    """A serialization we offer: short name (``format=`` parameter) and media type."""

    name: str
    media_type: str
    extension: str


# Result sets (SELECT) and booleans (ASK), server preference first.
RESULT_FORMATS: tuple[Format, ...] = (
    Format("json", "application/sparql-results+json", "srj"),
    Format("xml", "application/sparql-results+xml", "srx"),
    Format("csv", "text/csv", "csv"),
    Format("tsv", "text/tab-separated-values", "tsv"),
    Format("html", "text/html", "html"),
)
BOOLEAN_FORMATS: tuple[Format, ...] = tuple(
    f for f in RESULT_FORMATS if f.name in {"json", "xml", "html"}
)
# Graphs (CONSTRUCT, DESCRIBE, service description), server preference first.
GRAPH_FORMATS: tuple[Format, ...] = (
    Format("ttl", "text/turtle", "ttl"),
    Format("nt", "application/n-triples", "nt"),
    Format("jsonld", "application/ld+json", "jsonld"),
    Format("rdfxml", "application/rdf+xml", "rdf"),
    Format("trig", "application/trig", "trig"),
    Format("nq", "application/n-quads", "nq"),
    Format("html", "text/html", "html"),
)
# Other names clients send for the same thing.
ALIASES: dict[str, str] = {
    "application/json": "application/sparql-results+json",
    "application/xml": "application/sparql-results+xml",
    "text/xml": "application/sparql-results+xml",
    "text/plain": "application/n-triples",
    "application/x-turtle": "text/turtle",
    "application/json+ld": "application/ld+json",
    "text/n3": "text/turtle",  # Turtle is N3 without its extensions: SPARQLWrapper's N3 asks for it
    "text/rdf+n3": "text/turtle",
}
FORMAT_NAMES: dict[str, str] = {f.name: f.media_type for f in RESULT_FORMATS + GRAPH_FORMATS} | {
    "turtle": "text/turtle",
    "n3": "text/turtle",
    "ntriples": "application/n-triples",
    "rdf": "application/rdf+xml",
    "nquads": "application/n-quads",
    "srj": "application/sparql-results+json",
    "srx": "application/sparql-results+xml",
    "json-ld": "application/ld+json",
    "rdf+xml": "application/rdf+xml",
    "n-triples": "application/n-triples",
    "n-quads": "application/n-quads",
}
# What generic names mean for a graph (CONSTRUCT/DESCRIBE): SPARQLWrapper sends these.
GRAPH_NAMES: dict[str, str] = {"json": "application/ld+json", "xml": "application/rdf+xml"}
# ... and generic media types, when the answer is a graph (an entity's data, CONSTRUCT).
GRAPH_ALIASES: dict[str, str] = {"application/json": "application/ld+json",
                                 "application/xml": "application/rdf+xml", "text/xml": "application/rdf+xml"}


@dataclass(frozen=True)
class MediaRange:
    """One entry of an ``Accept`` header."""

    type: str
    subtype: str
    q: float
    as_graph: str | None = None  # what the range means when a graph is offered (GRAPH_ALIASES)

    def specificity(self, media_type: str) -> int:
        """-1 if this range does not match ``media_type``, else 0 (*/*), 1 (type/*) or 2."""
        if media_type == self.as_graph:
            return 2
        main, _, sub = media_type.partition("/")
        if self.type == "*":
            return 0
        if self.type != main:
            return -1
        if self.subtype == "*":
            return 1
        return 2 if self.subtype == sub else -1


# Parsed headers by text: at most 512 (a header is a client's text: the cache is bounded in bytes too).
_PARSED: BoundedCache[tuple[MediaRange, ...]] = BoundedCache(512, 1_000_000)


def parse_accept(header: str) -> tuple[MediaRange, ...]:
    """Parse an ``Accept`` header leniently: malformed entries are skipped."""
    parsed = _PARSED.get(header)
    if parsed is None:
        parsed = _parse_accept(header)
        _PARSED.put(header, parsed, text_bytes(header) + 100 * len(parsed))
    return parsed


def _parse_accept(header: str) -> tuple[MediaRange, ...]:
    ranges = []
    for item in header.split(","):
        kind, *params = (part.strip() for part in item.split(";"))
        main, slash, sub = kind.lower().partition("/")
        if not slash or not main or not sub:
            continue
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = min(max(float(value.strip()), 0.0), 1.0)
                except ValueError:
                    q = 0.0
        named = f"{main}/{sub}"
        media = ALIASES.get(named, named)
        main, _, sub = media.partition("/")
        ranges.append(MediaRange(main, sub, q, GRAPH_ALIASES.get(named)))
    return tuple(ranges)


def quality(ranges: tuple[MediaRange, ...], media_type: str) -> float:
    """The q-value the client gives ``media_type``: that of the most specific matching range."""
    best, best_q = -1, 0.0
    for media_range in ranges:
        spec = media_range.specificity(media_type)
        if spec > best:
            best, best_q = spec, media_range.q
    return best_q


def choose(accept_header: str | None, offered: tuple[str, ...] | list[str]) -> str | None:
    """The offered media type the client prefers most, or None if none is acceptable.

    No (or an empty) ``Accept`` header accepts anything: the first offered type wins.
    Ties go to the earlier offered type, so ``offered`` lists the server's preference.
    """
    if not offered:
        return None
    if not accept_header or not accept_header.strip():
        return offered[0]
    ranges = parse_accept(accept_header)
    if not ranges:
        return offered[0]
    best, best_q = None, 0.0
    for media_type in offered:
        q = quality(ranges, media_type)
        if q > best_q:
            best, best_q = media_type, q
    return best


def media_type_for(name: str, offered: tuple[str, ...] = ()) -> str | None:
    """The media type a ``format=`` value (short name or media type) asks for, or None.

    Among ``offered`` types, generic names resolve for graphs too (``json`` → JSON-LD).
    """
    name = name.strip().lower()
    if "/" in name:
        return ALIASES.get(name, name)
    media_type = FORMAT_NAMES.get(name)
    if offered and media_type not in offered and GRAPH_NAMES.get(name) in offered:
        return GRAPH_NAMES[name]
    return media_type


def media_types(formats: tuple[Format, ...]) -> tuple[str, ...]:
    """The media types of a format table, in order."""
    return tuple(f.media_type for f in formats)
