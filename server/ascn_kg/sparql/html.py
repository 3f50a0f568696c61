"""HTML for /sparql: the query form, result tables and error pages (autoescaped Jinja)."""

from __future__ import annotations

import json
from typing import Any

import pyoxigraph as ox
from flask import current_app, render_template, request, url_for

from ascn_kg.iris import page_path
from ascn_kg.store.protocol import QueryOutcome
from ascn_kg.store.safety import CheckedQuery
from ascn_kg.store.terms import term_json

FORMAT_CHOICES = ("html", "json", "xml", "csv", "tsv", "ttl", "nt", "jsonld", "rdfxml")


def link_of(iri: str) -> str | None:
    """Where an IRI of a result links: its page on this server when it is ours (so that a local or
    test deployment browses itself), else the IRI itself (http and https only)."""
    local = page_path(iri, current_app.config["SETTINGS"].base_iri)
    if local is not None:
        return f"{request.script_root}{local}"
    return iri if iri.startswith(("http://", "https://")) else None


def cell(term: dict[str, Any] | None) -> dict[str, Any]:
    """A JSON-results term as a table cell: text, an optional link and a note."""
    if term is None:
        return {"text": "", "href": None, "note": ""}
    value = term["value"]
    if term["type"] == "uri":
        return {"text": value, "href": link_of(value), "note": ""}
    if term["type"] == "bnode":
        return {"text": f"_:{value}", "href": None, "note": ""}
    if term["type"] == "triple":
        parts = (cell(value[k])["text"] for k in ("subject", "predicate", "object"))
        return {"text": "<< " + " ".join(parts) + " >>", "href": None, "note": ""}
    note = f"@{term['xml:lang']}" if "xml:lang" in term else term.get("datatype", "")
    return {"text": value, "href": None, "note": note}


def graph_rows(body: bytes) -> list[list[dict[str, Any]]]:
    """Rows (subject, predicate, object) of an N-Triples answer."""
    return [
        [cell(term_json(q.subject)), cell(term_json(q.predicate)), cell(term_json(q.object))]
        for q in ox.parse(body, format=ox.RdfFormat.N_TRIPLES)
    ]


def render_results(checked: CheckedQuery, outcome: QueryOutcome, max_bytes: int) -> str:
    """The result table of a query (the outcome is JSON results or N-Triples, cut at the row cap
    or at ``max_bytes``)."""
    context: dict[str, Any] = {"query": checked.text, "form": checked.form, "truncated": outcome.truncated,
                               "cut_at": outcome.cut_at, "max_bytes": max_bytes, "count": outcome.rows,
                               "boolean": None, "columns": [], "rows": []}
    if checked.form == "ASK":
        context["boolean"] = json.loads(outcome.body)["boolean"]
    elif checked.form == "SELECT":
        document = json.loads(outcome.body)
        context["columns"] = document["head"]["vars"]
        context["rows"] = [[cell(b.get(v)) for v in context["columns"]]
                           for b in document["results"]["bindings"]]
    else:
        context["columns"] = ["subject", "predicate", "object"]
        context["rows"] = graph_rows(outcome.body)
    return render_template("sparql_results.html", action=url_for("sparql.endpoint"),
                           formats=FORMAT_CHOICES, **context)


def render_form(query: str = "", error: str | None = None, problem: Any = None) -> str:
    """The query form, with a query and an error message (or an explained query problem)."""
    return render_template("sparql_form.html", action=url_for("sparql.endpoint"),
                           query=query, error=error, problem=problem, formats=FORMAT_CHOICES)


def render_error(message: str, query: str | None, problem: Any = None) -> str:
    """An error page for browsers: the form again, with the message (explained if it can be)."""
    return render_form(query or "", message, problem)
