"""An OpenAPI 3.1 description of the HTTP API, served at ``/openapi.json``.

The document is made from the application's own URL map, so it never names a route the
server does not have: every registered rule becomes a path, and the operations we know
(the SPARQL protocol, search, pages, probes…) carry their parameters and answers from
the table :data:`OPERATIONS`. A route missing from the table is still listed, with its
path parameters, so that a fuzzer reaches it too. ``init_app(app)`` registers the route.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, Response, current_app, json

from ascn_kg.iris import KINDS
from ascn_kg.negotiation import GRAPH_FORMATS, RESULT_FORMATS
from ascn_kg.ops.headers import dataset_version
from ascn_kg.web.query_api import openapi_paths

EXTENSION_KEY = "ascn_openapi"
OPENAPI_VERSION = "3.1.0"
SKIPPED_ENDPOINTS = frozenset({"static", "openapi.document"})
_RULE_PART = re.compile(r"<(?:(?P<converter>[a-zA-Z_]+)(?:\([^)]*\))?:)?(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)>")
TEXT = {"text/plain": {"schema": {"type": "string"}}}
ANY = {"*/*": {"schema": {}}}
ERROR = {"description": "A client error, with a message saying what was wrong.", "content": TEXT}
FORMAT_NAMES = sorted({f.name for f in RESULT_FORMATS + GRAPH_FORMATS})


def _param(name: str, where: str = "query", description: str = "", **schema: Any) -> dict[str, Any]:
    return {"name": name, "in": where, "required": where == "path", "description": description,
            "schema": schema or {"type": "string"}}


def _answers(description: str, content: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    ok: dict[str, Any] = {"description": description}
    if content is not None:
        ok["content"] = content
    responses = {"200": ok, "400": ERROR, "404": {"description": "Not found."},
                 "default": {"description": "Any other answer (see the message)."}}
    responses.update(more)
    return responses


SPARQL_PARAMS = [
    _param("query", description="A SPARQL 1.1 query (SELECT, ASK, CONSTRUCT or DESCRIBE)."),
    _param("default-graph-uri", description="An absolute IRI: a graph of the default graph."),
    _param("named-graph-uri", description="An absolute IRI: a named graph of the dataset."),
    _param("format", description="Answer format, overriding Accept.", enum=FORMAT_NAMES),
]
SPARQL_RESULTS = {
    "application/sparql-results+json": {"schema": {"type": "object"}},
    **{f.media_type: {"schema": {"type": "string"}} for f in RESULT_FORMATS + GRAPH_FORMATS
       if f.media_type != "application/sparql-results+json"},
}
SPARQL_ANSWERS = _answers(
    "Query results, the service description (no query), or the query form for browsers.",
    SPARQL_RESULTS,
    **{"304": {"description": "Not modified (If-None-Match matched the ETag)."},
       "406": ERROR, "413": ERROR, "415": ERROR,
       "503": {"description": "All query workers are busy; retry.", "content": TEXT},
       "504": {"description": "The query was stopped at the time limit.", "content": TEXT}},
)
KIND_PARAM = _param("kind", "path", "Kind of thing.", enum=list(KINDS))
KEY_PARAM = _param("key", "path", "Key of the thing (lower-case words joined by hyphens).")
LANG_PARAM = _param("lang", description="Interface language.", enum=["en", "ko"])

OPERATIONS: dict[str, dict[str, dict[str, Any]]] = {
    "/sparql": {
        "get": {"summary": "SPARQL 1.1 Protocol query (GET)", "tags": ["sparql"],
                "parameters": SPARQL_PARAMS, "responses": SPARQL_ANSWERS},
        "post": {
            "summary": "SPARQL 1.1 Protocol query (POST)", "tags": ["sparql"],
            "requestBody": {"content": {
                "application/x-www-form-urlencoded": {"schema": {
                    "type": "object",
                    "properties": {p["name"]: {"type": "string"} for p in SPARQL_PARAMS},
                }},
                "application/sparql-query": {"schema": {"type": "string"}},
            }},
            "responses": SPARQL_ANSWERS,
        },
    },
    "/healthz": {"get": {"summary": "Liveness probe", "tags": ["operations"],
                         "responses": {"200": {"description": "The process answers.",
                                               "content": {"application/json": {"schema": {
                                                   "type": "object"}}}}}}},
    "/readyz": {"get": {"summary": "Readiness probe: the store answers", "tags": ["operations"],
                        "responses": {"200": {"description": "Ready, with the dataset version.",
                                              "content": {"application/json": {"schema": {
                                                  "type": "object"}}}},
                                      "503": {"description": "Not ready, with the reason."}}}},
    "/metrics": {"get": {"summary": "Prometheus metrics", "tags": ["operations"],
                         "responses": {"200": {"description": "Prometheus text format.",
                                               "content": TEXT}}}},
    "/q": {"post": {
        "summary": "Make a permalink for a query", "tags": ["sparql"],
        "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
            "type": "object", "properties": {"query": {"type": "string"}}}}}},
        "responses": _answers("Never: a 303 to the link.",
                              **{"303": {"description": "See the permalink."}}),
    }},
    "/q/{link_id}": {"get": {
        "summary": "Follow a query permalink", "tags": ["sparql"],
        "parameters": [_param("link_id", "path", "The permalink id.")],
        "responses": _answers("Never: a 303 to the query page.",
                              **{"303": {"description": "See the query page."}}),
    }},
    "/id/{kind}/{key}": {"get": {
        "summary": "A thing's IRI: redirects to its page or data by Accept", "tags": ["linked data"],
        "parameters": [KIND_PARAM, KEY_PARAM],
        "responses": _answers("Never: a 303.", **{"303": {"description": "See the document."}}),
    }},
    "/page/{kind}/{key}": {"get": {
        "summary": "A thing's HTML page (statements and inbound links, paged)", "tags": ["linked data"],
        "parameters": [KIND_PARAM, KEY_PARAM, LANG_PARAM,
                       _param("page", description="Page of statements.", type="integer", minimum=1)],
        "responses": _answers("The page.", {"text/html": {"schema": {"type": "string"}}}),
    }},
    "/search": {"get": {
        "summary": "Search labels (HTML)", "tags": ["search"],
        "parameters": [_param("q", description="Search terms (prefix match)."), LANG_PARAM],
        "responses": _answers("The results page.", {"text/html": {"schema": {"type": "string"}}}),
    }},
    "/api/search": {"get": {
        "summary": "Search labels (JSON)", "tags": ["search"],
        "parameters": [_param("q", description="Search terms (prefix match)."), LANG_PARAM,
                       _param("limit", description="Most results.", type="integer", minimum=1)],
        "responses": _answers("Matches, best first.", {"application/json": {"schema": {}}}),
    }},
    "/api/queries": {"get": {
        "summary": "The query catalogue: every query with its parameters (JSON)", "tags": ["catalogue"],
        "responses": _answers("The catalogue.", {"application/json": {"schema": {"type": "array"}}}),
    }},
    "/query": {
        "get": {
            "summary": "The query page (catalogue and editor)", "tags": ["sparql"],
            "parameters": [_param("query"), _param("run"), _param("name", description="A catalogue query.")],
            "responses": _answers("The page.", {"text/html": {"schema": {"type": "string"}}}),
        },
        "post": {
            "summary": "The query page for a query too long for a URL", "tags": ["sparql"],
            "requestBody": {"content": {"application/x-www-form-urlencoded": {"schema": {
                "type": "object", "properties": {"query": {"type": "string"}, "run": {"type": "string"}}}}}},
            "responses": _answers("The page.", {"text/html": {"schema": {"type": "string"}}}),
        },
    },
    "/api/vocabulary": {"get": {
        "summary": "Prefixes, classes and properties for query completion (JSON)", "tags": ["sparql"],
        "parameters": [LANG_PARAM],
        "responses": _answers("Prefixes and terms with labels.", {"application/json": {"schema": {
            "type": "object"}}}),
    }},
    "/openapi.json": {"get": {"summary": "This description", "tags": ["operations"],
                              "responses": {"200": {"description": "OpenAPI 3.1 JSON.",
                                                    "content": {"application/json": {"schema": {
                                                        "type": "object"}}}}}}},
}


def openapi_path(rule: str) -> tuple[str, list[str]]:
    """A Flask rule (``/page/<kind>/<path:key>``) as an OpenAPI path and its parameter names."""
    names = [m.group("name") for m in _RULE_PART.finditer(rule)]
    return _RULE_PART.sub(lambda m: "{" + m.group("name") + "}", rule), names


def _generic(methods: set[str], names: list[str], endpoint: str) -> dict[str, Any]:
    operations = {}
    for method in sorted(methods - {"HEAD", "OPTIONS"}):
        operations[method.lower()] = {
            "summary": f"{endpoint}", "operationId": f"{endpoint}.{method.lower()}",
            "parameters": [_param(n, "path") for n in names],
            "responses": _answers("The resource.", ANY),
        }
    return operations


def document(app: Flask) -> dict[str, Any]:
    """The OpenAPI document of ``app``'s routes."""
    paths: dict[str, dict[str, Any]] = {}
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.endpoint in SKIPPED_ENDPOINTS or rule.endpoint.endswith(".static"):
            continue
        if rule.endpoint == "query_api.answer":  # one path per catalogue query, with its parameters
            paths.update(openapi_paths(app))
            continue
        path, names = openapi_path(rule.rule)
        known = OPERATIONS.get(path)
        methods = set(rule.methods or ()) - {"HEAD", "OPTIONS"}
        found = paths.setdefault(path, {})
        for method in sorted(methods):
            if method.lower() in found:
                continue
            if known and method.lower() in known:
                found[method.lower()] = dict(known[method.lower()])
            else:
                found.update(_generic({method}, names, rule.endpoint))
    if "/openapi.json" not in paths:
        paths["/openapi.json"] = OPERATIONS["/openapi.json"]
    settings = app.config.get("SETTINGS")
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "ASCN-KG",
            "version": _version(app),
            "description": "The ASEAN Smart Cities Network knowledge graph: linked-data pages, "
            "search and a read-only, time-limited SPARQL 1.1 endpoint.",
        },
        "servers": [{"url": "/"}],
        "externalDocs": {"url": f"{settings.base_iri}" if settings else "/"},
        "paths": dict(sorted(paths.items())),
    }


def _version(app: Flask) -> str:
    return dataset_version(app) or "unknown"


def openapi_view() -> Response:
    """``GET /openapi.json``."""
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    body = app.extensions.get(EXTENSION_KEY)
    if body is None:
        body = app.extensions[EXTENSION_KEY] = json.dumps(document(app), indent=1).encode()
    response = Response(body, mimetype="application/json")
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


def init_app(app: Flask) -> None:
    """Serve the description at ``/openapi.json`` (built on first request, from the routes then)."""
    app.add_url_rule("/openapi.json", "openapi.document", openapi_view, methods=["GET"])
