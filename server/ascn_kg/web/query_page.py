"""The query page ``/query``: an editor, the catalogue of example questions, labelled results.

``/query?name=NAME[&param=value…]&run=1`` runs a catalogue query (its parameters bound by
:func:`ascn_kg.catalogue_bind.render`); ``/query?query=TEXT&run=1`` runs any query (permalinks
``/q/<id>`` land here). Queries pass the same safety check and cache as ``/sparql``;
results are shown with labels in the page language and links to entity pages, and can be
downloaded in every format of the endpoint (links to ``/sparql?query=…&format=…``).
"""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, abort, g, request
from werkzeug.datastructures import MultiDict

from ascn_kg import labels
from ascn_kg.catalogue import CatalogueError, closest_names, load_catalogue
from ascn_kg.config import DEFAULT_BASE_IRI
from ascn_kg.errors import LimitReached
from ascn_kg.sparql.answer import query_base, record, run_cached
from ascn_kg.sparql.errors import classify, status_and_message
from ascn_kg.sparql.html import graph_rows
from ascn_kg.store.catalogue_bind import parameter_names, unmatched
from ascn_kg.store.catalogue_bind import render as render_query
from ascn_kg.store.protocol import JSON_RESULTS, N_TRIPLES, QueryRequest, StoreError
from ascn_kg.store.safety import Limits, QueryRefused, check
from ascn_kg.web.kit import Labeller, base_iri, cached, href, page_lang, render, root, settings, store, t
from ascn_kg.web.permalinks import resolve_permalink

bp = Blueprint("querypage", __name__)

SHOWN_ROWS = 500
XSD = "http://www.w3.org/2001/XMLSchema#"
PLAIN_DATATYPES = frozenset(XSD + name for name in ("integer", "decimal", "boolean", "double", "string"))
RESULT_DOWNLOADS = ("json", "xml", "csv", "tsv")
GRAPH_DOWNLOADS = ("ttl", "nt", "jsonld", "rdfxml")


def catalogue() -> tuple[list[Any], str | None]:
    """The catalogue entries (and an error message when the catalogue cannot be read)."""
    try:
        return load_catalogue(settings().queries_dir), None
    except (CatalogueError, OSError) as error:
        return [], f"{t('catalogue_missing')} ({error})"


def rebased(text: str) -> str:
    """A catalogue query with IRIs moved from the default base to this server's base."""
    base = base_iri()
    return text.replace(DEFAULT_BASE_IRI, base) if base != DEFAULT_BASE_IRI else text


def page_values() -> MultiDict[str, str]:
    """The page's parameters: the request's, with those of the permalink named by ``link`` (a
    stored query too long for a URL comes here by its id)."""
    if "ascn_page_values" not in g:
        values: MultiDict[str, str] = MultiDict(request.values.items(multi=True))
        link = values.get("link")
        if link:
            found = resolve_permalink(link)
            if found is None:
                abort(404, description="No query is stored under this permalink.")
            query, params = found
            values.setlist("query", [query])
            for key, value in params.items():
                values.setlist(key, [value] if isinstance(value, str) else list(value))
        g.ascn_page_values = values
    return g.ascn_page_values


def chosen_entry(entries: list[Any]) -> Any:
    """The catalogue entry named by ``name``; the first one when the page opens without a query."""
    name = page_values().get("name", "")
    if not name and "query" not in page_values():
        return entries[0] if entries else None
    return next((e for e in entries if e.name == name), None)


def entry_view(entry: Any, lang: str) -> dict[str, Any]:
    return {"name": entry.name, "title": entry.titled(lang), "question": entry.question(lang),
            "reproduces": entry.where(lang), "href": f"{root()}/query?{urlencode({'name': entry.name, 'run': '1'})}",
            "params": [{"name": p.name, "description": p.described(lang), "default": p.default,
                        "value": page_values().get(p.name, p.default)} for p in entry.params]}


def editor_strings() -> dict[str, str]:
    """The words the editor script shows, in the page language."""
    keys = {"previous": "previous", "next": "next", "page_of": "page_of", "rows_per_page": "rows_per_page",
            "all": "all_rows", "sort": "sort_column", "pages": "result_pages"}
    return {name: t(key) for name, key in keys.items()}


def run(text: str) -> dict[str, Any]:
    """Check and run a query; the outcome as table rows, or an error message."""
    started = time.perf_counter()
    try:
        checked = check(text, Limits.from_settings(settings()))
        media = JSON_RESULTS if checked.form in {"SELECT", "ASK"} else N_TRIPLES
        job = QueryRequest(checked, media, max_rows=settings().max_result_rows,
                           base_iri=query_base(checked, request.environ, settings()),
                           max_bytes=settings().max_result_bytes)
        outcome, was_cached = run_cached(store(), job)
    except LimitReached as error:  # the client's share is taken: the page says so, with the wait
        record(started, text, *classify(error), error=error)
        raise
    except (QueryRefused, StoreError) as error:
        outcome_name, _, reason = classify(error)
        record(started, text, outcome_name, None, reason, error=error)
        _, message, problem = status_and_message(error, text, page_lang())
        return {"problem": problem} if problem is not None else {"error": message}
    record(started, text, "ok", outcome.rows, cached=was_cached, truncated=outcome.truncated)
    return tabulate(checked.form, outcome)


def unmatched_params(entry: Any, values: MultiDict[str, str]) -> list[dict[str, Any]]:
    """For a catalogue query that found nothing: its parameters whose value names nothing in the
    graph, each with the closest names (the one rule of :func:`ascn_kg.store.catalogue_bind.unmatched`)."""
    given = {p.name: values[p.name] for p in entry.params if values.get(p.name)}
    names = cached("parameter-names", lambda: parameter_names(store()))
    return [{"name": name, "value": given[name], "closest": close}
            for name, close in unmatched(names, given).items()]


def tabulate(form: str, outcome: Any) -> dict[str, Any]:
    if form == "ASK":
        return {"form": form, "boolean": json.loads(outcome.body)["boolean"], "count": 1}
    if form == "SELECT":
        document = json.loads(outcome.body)
        columns = document["head"]["vars"]
        bindings = document["results"]["bindings"][:SHOWN_ROWS]
        raw = [[b.get(v) for v in columns] for b in bindings]
    else:
        columns = ["subject", "predicate", "object"]
        raw = [[{"type": "uri" if c["href"] else "literal", "value": c["text"]} for c in row]
               for row in graph_rows(outcome.body)[:SHOWN_ROWS]]
    iris = {c["value"] for row in raw for c in row if c and c["type"] == "uri"}
    label = Labeller(iris, page_lang())
    rows = [[cell(c, label) for c in row] for row in raw]
    return {"form": form, "columns": columns, "rows": rows, "count": outcome.rows,
            "truncated": outcome.truncated, "shown": len(rows)}


def cell(term: dict[str, Any] | None, label: Labeller) -> dict[str, Any]:
    if term is None:
        return {"text": "", "href": None, "note": "", "iri": ""}
    value = term["value"]
    if term["type"] == "uri":
        return {"text": label(value), "href": href(value), "note": "", "iri": value}
    if term["type"] == "bnode":
        return {"text": f"_:{value}", "href": None, "note": "", "iri": ""}
    datatype = term.get("datatype", "")
    note = f"@{term['xml:lang']}" if "xml:lang" in term else \
        "" if datatype in PLAIN_DATATYPES or not datatype else labels.local_name(datatype)
    return {"text": value, "href": None, "note": note, "iri": "", "lang": term.get("xml:lang")}


def downloads(text: str, form: str | None) -> list[tuple[str, str, str]]:
    """(format name, link to /sparql answering in it, file name) for the query's form."""
    names = GRAPH_DOWNLOADS if form in {"CONSTRUCT", "DESCRIBE"} else RESULT_DOWNLOADS
    if form == "ASK":
        names = ("json", "xml")
    extensions = {"rdfxml": "rdf"}
    return [(name, f"{root()}/sparql?{urlencode({'query': text, 'format': name})}",
             f"ascn-kg-results.{extensions.get(name, name)}") for name in names]


@bp.route("/query", methods=["GET", "POST"])
def query_page() -> Response:
    """The page: GET for links and the form, POST for queries too long for a URL."""
    lang = page_lang()
    entries, problem = catalogue()
    entry = chosen_entry(entries)
    values = page_values()
    text, error = values.get("query", ""), None
    if not text and entry is not None:
        params = {p.name: values.get(p.name, p.default) for p in entry.params}
        try:
            text = rebased(render_query(entry, params))
        except ValueError as problem_:
            error = str(problem_)
    status = 200
    if entry is None and values.get("name"):  # a catalogue name that names nothing: say which are close
        close = closest_names(values["name"], settings().queries_dir)
        error, status = t("unknown_query", name=values["name"], closest=", ".join(close)), 404
    result = run(text) if text.strip() and values.get("run") and error is None else None
    if result is not None and ("error" in result or "problem" in result):
        status = 400
    elif result is not None and entry is not None and not result.get("count"):
        result["unmatched"] = unmatched_params(entry, values)
    context = {
        # the page's own title when it opens on the first example, the example's when one is named
        "title": entry.titled(lang) if entry and values.get("name") else t("query"),
        "query": text, "problem": problem, "error": error,
        "entries": [entry_view(e, lang) for e in entries], "entry": entry_view(entry, lang) if entry else None,
        "result": result, "downloads": downloads(text, (result or {}).get("form")) if text.strip() else [],
        "strings": editor_strings(), "shown_rows": SHOWN_ROWS,
    }
    return render("query.html", status=status, **context)

