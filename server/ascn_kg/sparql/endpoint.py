"""The /sparql blueprint: the SPARQL 1.1 Protocol for queries.

GET ``query=``, POST form and POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri``; results negotiated by ``Accept`` (q-values) or ``format=``. Without a
query: the service description (RDF) or, for browsers, a query form. Every query passes
:func:`ascn_kg.store.safety.check` first, then the store's killable ``execute``; answers are
cached in memory and validated with ETags keyed on the dataset version.
"""

from __future__ import annotations

import time

from flask import Blueprint, Flask, Response, current_app, request

from ascn_kg import negotiation as neg
from ascn_kg.config import Settings
from ascn_kg.errors import LimitReached, Refusal
from ascn_kg.ops.answer_stream import answer_body
from ascn_kg.ops.app_state import settings as app_settings
from ascn_kg.ops.app_state import store
from ascn_kg.ops.bookkeeping import REQUEST_START
from ascn_kg.ops.clients import client_of
from ascn_kg.ops.headers import CORS_HEADERS
from ascn_kg.request_language import lang_from_request
from ascn_kg.sparql import answer as answering
from ascn_kg.sparql.answer import (
    cache_headers,
    negotiate,
    not_modified,
    outcome_headers,
    plan_query,
    record,
    run_cached,
)
from ascn_kg.sparql.errors import classify, status_and_message
from ascn_kg.sparql.html import render_error, render_form, render_results
from ascn_kg.sparql.request import ProtocolError, read_params
from ascn_kg.sparql.service_description import service_description
from ascn_kg.store.protocol import QueryOutcome, StoreError
from ascn_kg.store.safety import UPDATE_MESSAGE, QueryRefused

bp = Blueprint("sparql", __name__)
LANE_ERROR = "ascn_kg.lane_error"  # an error the WSGI lane met, for this view to report
# CORS (:data:`ascn_kg.ops.headers.CORS_HEADERS`) on every answer, POST included; what a
# preflight asks (methods, request headers, how long to remember) is answered on OPTIONS.
PREFLIGHT_HEADERS = {
    "Allow": "GET, POST, OPTIONS",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match",
    "Access-Control-Max-Age": "86400",
}
@bp.after_request
def _cors(response: Response) -> Response:
    response.headers.update(CORS_HEADERS)
    return response


@bp.route("/sparql", methods=["OPTIONS"], provide_automatic_options=False)
def preflight() -> Response:
    """CORS preflight."""
    return Response(status=204, headers=PREFLIGHT_HEADERS)


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol for queries."""
    settings = app_settings()
    started = request.environ.get(REQUEST_START) or time.perf_counter()
    query = None
    try:
        params = read_params(settings)
        if "update" in params:
            raise QueryRefused(UPDATE_MESSAGE, 400, "update")
        queries = params.get("query", [])
        if len(queries) > 1:
            raise ProtocolError("give exactly one query parameter")
        if not queries:
            return describe(params, settings) if request.method == "GET" else no_query(params)
        query = queries[0]
        handed_over = request.environ.pop(LANE_ERROR, None)
        if handed_over is not None:  # met by the lane in front (sparql.lane): report it here
            raise handed_over
        response, outcome, cached = answer(query, params, settings)
        record(started, query, "ok", outcome.rows if outcome else None, cached=cached,
               truncated=bool(outcome and outcome.truncated))
        return response
    except (Refusal, StoreError) as error:
        response = error_response(error, query)
        record(started, query or "", *classify(error), error=error)
        return response




def answer(
    query: str, params: dict[str, list[str]], settings: Settings
) -> tuple[Response, QueryOutcome | None, bool]:
    """Plan, then answer with a 304, or from the cache or the store (and say which)."""
    plan = plan_query(query, params, request.headers.get("Accept"), settings, environ=request.environ)
    if not_modified(plan, request.method, request.headers.get("If-None-Match")):
        response = Response(status=304)
        response.headers.extend(cache_headers(plan, settings))
        return response, None, True
    outcome, cached = run_cached(store(), plan.job)
    body = render_results(plan.checked, outcome, settings.max_result_bytes).encode() if plan.html else outcome.body
    client = client_of(request.environ, settings.trusted_proxies)
    response = Response(answer_body(body, current_app, client), mimetype=plan.media_type, direct_passthrough=True)
    response.headers["Content-Length"] = str(len(body))
    response.headers.extend(outcome_headers(outcome, settings.max_result_bytes) + cache_headers(plan, settings))
    return response, outcome, cached


def no_query(params: dict[str, list[str]]) -> Response:
    """A request that carries no query where one is needed: 400 saying where it goes."""
    others = sorted(name for name in params if name not in {"format", "default-graph-uri", "named-graph-uri"})
    found = f"; this request has {', '.join(others)}" if others else ""
    raise ProtocolError(
        "no query: give it in the query parameter (GET, or a form POST), or as the body of a POST of "
        f"type application/sparql-query{found}", 400)


def describe(params: dict[str, list[str]], settings: Settings) -> Response:
    """No query: the service description, or the query form for a browser; a client that wants
    neither (it asks for query results) forgot its query: 400."""
    try:
        media_type = negotiate(params, neg.GRAPH_FORMATS, request.headers.get("Accept"))
    except ProtocolError:
        return no_query(params)
    if media_type == "text/html":
        return Response(render_form(), mimetype="text/html", headers={"Vary": "Accept"})
    body = service_description(store(), settings, media_type)
    return Response(body, mimetype=media_type, headers={"Vary": "Accept"})


def error_response(error: Exception, query: str | None) -> Response:
    """The one mapping from an error to a response (plain text, or HTML for browsers).

    A malformed or refused query is explained in plain words in the request's language,
    with its line, column and a caret.
    """
    status, message, problem = status_and_message(error, query, lang_from_request())
    if status >= 500 and not isinstance(error, LimitReached):  # overload is in the query log, once a second
        current_app.logger.warning("sparql %s: %s", status, message)
    wants = neg.choose(request.headers.get("Accept"), ("text/plain", "text/html"))
    if wants == "text/html":
        response = Response(render_error(message, query, problem), status=status, mimetype="text/html")
    else:
        response = Response(message + "\n", status=status, mimetype="text/plain")
    response.vary.add("Accept")  # the body's format, and its language, follow the request
    response.vary.add("Accept-Language")
    if isinstance(error, LimitReached) or status == 503:
        response.headers["Retry-After"] = str(getattr(error, "retry_after", 1))
    return response


def init_app(app: Flask, settings: Settings) -> None:
    """Register /sparql and its result cache."""
    answering.init_app(app, settings)
    app.register_blueprint(bp)
