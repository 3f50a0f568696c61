"""The query catalogue as a web API, in grlc's convention: ``GET /api/queries/NAME?param=value``.

Each catalogue query answers at ``/api/queries/NAME``, its parameters taken from the query
string by name (as grlc does, with the header's defaults for those not given), as SPARQL JSON
results (``application/json`` or ``application/sparql-results+json``) or CSV (``text/csv``)
by ``Accept``. Values are bound as terms after parsing (:func:`ascn_kg.catalogue_bind.render`),
and the query then goes the way of every public query: the one safety gate, the store, its
limits, the result cache. ``/api/queries`` lists the catalogue; :func:`openapi_paths` gives
``/openapi.json`` one path per query with its parameters.
"""

from __future__ import annotations

import json
import time
from typing import Any

from flask import Blueprint, Flask, Response, current_app, request
from werkzeug.http import quote_etag

from ascn_kg import negotiation as neg
from ascn_kg.catalogue import CatalogueError, Entry, closest_names, load_catalogue
from ascn_kg.errors import Refusal
from ascn_kg.ops.answer_stream import answer_body
from ascn_kg.ops.app_state import store as require_store
from ascn_kg.ops.clients import client_of
from ascn_kg.ops.headers import etag_for
from ascn_kg.sparql.answer import etag_matches, outcome_headers, record, run_cached
from ascn_kg.sparql.endpoint import error_response
from ascn_kg.sparql.errors import classify
from ascn_kg.store.catalogue_bind import render
from ascn_kg.store.protocol import JSON_RESULTS, QueryRequest, StoreError
from ascn_kg.store.safety import Limits, check
from ascn_kg.web.query_page import rebased

bp = Blueprint("query_api", __name__)

EXTENSION_KEY = "ascn_query_api"
PREFIX = "/api/queries"
CSV = "text/csv"
OFFERED = ("application/json", JSON_RESULTS, CSV)  # the first is the answer to */* or no Accept


def entries(app: Flask | None = None) -> dict[str, Entry]:
    """The catalogue by name, read once per process (the build has checked every header)."""
    app = app or current_app
    found = app.extensions.get(EXTENSION_KEY)
    if found is None:
        found = {e.name: e for e in load_catalogue(app.config["SETTINGS"].queries_dir)}
        app.extensions[EXTENSION_KEY] = found
    return found


def _json(body: Any, status: int = 200) -> Response:
    return Response(json.dumps(body, ensure_ascii=False, indent=1), status=status, mimetype="application/json")


def describe(entry: Entry) -> dict[str, Any]:
    """A catalogue entry as the index lists it."""
    return {
        "name": entry.name, "url": f"{request.script_root}{PREFIX}/{entry.name}", "summary": entry.title,
        "summary_ko": entry.title_ko, "description": entry.question_en, "question_ko": entry.question_ko,
        "reproduces": entry.reproduces, "reproduces_ko": entry.reproduces_ko,
        "tags": list(entry.tags),
        "parameters": [{"name": p.name, "description": p.description, "description_ko": p.description_ko,
                        "default": p.default, **({"enum": list(p.choices)} if p.choices else {})}
                       for p in entry.params],
    }


@bp.get(PREFIX)
def index() -> Response:
    """Every catalogue query with its parameters."""
    try:
        return _json([describe(e) for e in entries().values()])
    except (CatalogueError, OSError) as error:
        return _json({"error": f"the query catalogue cannot be read: {error}"}, 503)


def arguments(entry: Entry) -> dict[str, str]:
    """The query string's parameters, one value each (ValueError otherwise)."""
    args: dict[str, str] = {}
    for name, values in request.args.lists():
        if len(values) != 1:
            raise ValueError(f"give parameter {name!r} once")
        args[name] = values[0]
    return args


@bp.get(f"{PREFIX}/<name>")
def answer(name: str) -> Response:
    """Run catalogue query ``name`` with the query string's parameters: JSON or CSV by Accept."""
    started = time.perf_counter()
    settings = current_app.config["SETTINGS"]
    try:
        entry = entries().get(name)
    except (CatalogueError, OSError) as error:
        return Response(f"the query catalogue cannot be read: {error}\n", status=503, mimetype="text/plain")
    if entry is None:
        close = closest_names(name, settings.queries_dir)
        hint = f"; the closest are {', '.join(close)}" if close else ""
        return Response(f"no catalogue query named {name!r}{hint}; the list is at {PREFIX}\n", status=404,
                        mimetype="text/plain")
    media_type = neg.choose(request.headers.get("Accept"), OFFERED)
    if media_type is None:
        return Response("answers are application/json or text/csv\n", status=406, mimetype="text/plain")
    text = ""
    try:
        text = rebased(render(entry, arguments(entry)))
        checked = check(text, Limits.from_settings(settings))
        store = require_store()
        wanted = CSV if media_type == CSV else JSON_RESULTS
        tag = etag_for(text, wanted, app=current_app) if store.version() else None
        if etag_matches(tag, request.headers.get("If-None-Match")):
            return Response(status=304, headers={"ETag": quote_etag(tag or "")})
        outcome, cached = run_cached(store, QueryRequest(checked, wanted, max_rows=settings.max_result_rows,
                                                         max_bytes=settings.max_result_bytes))
    except ValueError as error:
        return Response(f"{error}\n", status=400, mimetype="text/plain")
    except (Refusal, StoreError) as error:
        record(started, text, *classify(error), error=error)
        return error_response(error, None)
    record(started, text, "ok", outcome.rows, cached=cached, truncated=outcome.truncated)
    client = client_of(request.environ, settings.trusted_proxies)
    response = Response(answer_body(outcome.body, current_app, client), mimetype=media_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(len(outcome.body))
    response.headers.extend(outcome_headers(outcome, settings.max_result_bytes))
    response.headers["Vary"] = "Accept"
    if tag is not None:
        response.headers["ETag"] = quote_etag(tag)
    return response


# --- the OpenAPI description ---------------------------------------------------------------

ANSWERS = {
    "200": {"description": "The answer: SPARQL JSON results, or CSV.",
            "content": {"application/json": {"schema": {"type": "object"}}, CSV: {"schema": {"type": "string"}}}},
    "304": {"description": "Not modified (If-None-Match matched the ETag)."},
    "400": {"description": "An unknown parameter, or a value refused (with the reason).",
            "content": {"text/plain": {"schema": {"type": "string"}}}},
    "406": {"description": "Neither JSON nor CSV is acceptable."},
    "429": {"description": "The client's share is used up (queries at once, or query time in the last minute); "
                           "Retry-After says when to try again."},
    "502": {"description": "The SPARQL backend failed."},
    "503": {"description": "The store or the catalogue is not available, or every query worker is busy."},
    "504": {"description": "The query was stopped at the time limit."},
}


def operation(entry: Entry) -> dict[str, Any]:
    """The OpenAPI operation of one catalogue query."""
    parameters = []
    for param in entry.params:
        schema: dict[str, Any] = {"type": "string", "default": param.default}
        if param.choices:
            schema["enum"] = list(param.choices)
        parameters.append({"name": param.name, "in": "query", "required": False,
                           "description": param.description, "schema": schema})
    return {"get": {
        "summary": entry.title, "operationId": f"query_{entry.name.replace('-', '_')}",
        "description": f"{entry.question_en}\n\n{entry.question_ko}\n\nReproduces: {entry.reproduces}.",
        "tags": ["catalogue"], "parameters": parameters, "responses": ANSWERS,
    }}


def openapi_paths(app: Flask) -> dict[str, dict[str, Any]]:
    """One path per catalogue query (none if the catalogue cannot be read)."""
    try:
        return {f"{PREFIX}/{name}": operation(entry) for name, entry in entries(app).items()}
    except (CatalogueError, OSError):
        return {}


def init_app(app: Flask) -> None:
    """Register the API."""
    app.register_blueprint(bp)
