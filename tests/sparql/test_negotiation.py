"""Content negotiation: q-values, wildcards, specificity, aliases."""

from __future__ import annotations

import pytest

from ascn_kg.negotiation import GRAPH_FORMATS, RESULT_FORMATS, choose, media_type_for, media_types

RESULTS = media_types(RESULT_FORMATS)


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (None, "application/sparql-results+json"),
        ("", "application/sparql-results+json"),
        ("*/*", "application/sparql-results+json"),
        ("text/csv", "text/csv"),
        ("text/csv;q=0.5, application/sparql-results+xml", "application/sparql-results+xml"),
        ("text/*;q=0.9, */*;q=0.1", "text/csv"),
        ("text/*, text/csv;q=0", "text/tab-separated-values"),
        ("application/json", "application/sparql-results+json"),
        ("application/xml;q=0.8, text/html;q=0.7", "application/sparql-results+xml"),
        ("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "text/html"),
        ("image/png", None),
        ("*/*;q=0", None),
        ("garbage, ,;;", "application/sparql-results+json"),
        ("text/csv;q=abc, text/tab-separated-values", "text/tab-separated-values"),
    ],
)
def test_choose(accept: str | None, expected: str | None) -> None:
    assert choose(accept, RESULTS) == expected


def test_ties_go_to_the_server_preference() -> None:
    assert choose("text/csv, application/sparql-results+json", RESULTS) == RESULTS[0]
    assert choose("*/*", ("text/turtle", "application/n-triples")) == "text/turtle"


def test_nothing_offered_is_none() -> None:
    assert choose("*/*", ()) is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [("json", "application/sparql-results+json"), ("TTL", "text/turtle"),
     ("jsonld", "application/ld+json"), ("rdfxml", "application/rdf+xml"),
     ("application/json", "application/sparql-results+json"), ("bogus", None)],
)
def test_format_names(name: str, expected: str | None) -> None:
    assert media_type_for(name) == expected


def test_generic_names_mean_graph_formats_for_graphs() -> None:
    graphs = media_types(GRAPH_FORMATS)
    assert media_type_for("json", graphs) == "application/ld+json"
    assert media_type_for("xml", graphs) == "application/rdf+xml"
    assert media_type_for("json-ld", graphs) == "application/ld+json"
    assert media_type_for("json", RESULTS) == "application/sparql-results+json"
