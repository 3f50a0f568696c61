"""The /sparql blueprint: the SPARQL 1.1 Protocol for queries.

GET ``query=``, POST form and POST ``application/sparql-query``; ``default-graph-uri`` and
``named-graph-uri``; results negotiated by ``Accept`` (q-values) or ``format=``. Without a
query: the service description (RDF) or, for browsers, a query form. Every query passes
:func:`ascn_kg.safety.check` first, then the store's killable ``execute``; answers are
cached in memory and validated with ETags keyed on the dataset version.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Generic, TypeVar

from flask import Blueprint, Response, current_app, request
from werkzeug.http import parse_etags, quote_etag

from . import negotiation as neg
from .config import Settings
from .headers import etag_for
from .safety import UPDATE_MESSAGE, CheckedQuery, Limits, QueryRefused, check
from .sparql_html import render_error, render_form, render_results
from .sparql_request import ProtocolError, graph_iris, read_params, request_iri
from .sparql_sd import service_description
from .store import (
    JSON_RESULTS,
    N_TRIPLES,
    BackendUnavailable,
    QueryFailed,
    QueryOutcome,
    QueryRequest,
    QuerySyntaxError,
    QueryTimeout,
    Store,
    StoreBusy,
    StoreError,
    StoreMissing,
)
from .store import query_base as base_for

bp = Blueprint("sparql", __name__)
V = TypeVar("V")

TRUNCATED_HEADER = "X-ASCN-Truncated"
REQUEST_START = "ascn_kg.request_start"  # perf_counter() when the request arrived (WSGI environ)
LANE_ERROR = "ascn_kg.lane_error"  # an error the WSGI lane met, for this view to report
# CORS: every answer names the allowed origin and the headers scripts may read; what a
# preflight asks (methods, request headers, how long to remember) is answered on OPTIONS.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": f"ETag, {TRUNCATED_HEADER}, X-ASCN-Rows",
}
PREFLIGHT_HEADERS = {
    "Allow": "GET, POST, OPTIONS",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match",
    "Access-Control-Max-Age": "86400",
}
# One table from error to HTTP status; messages are the errors' own, written for clients.
ERROR_STATUS: dict[type[Exception], int] = {
    QuerySyntaxError: 400,
    QueryTimeout: 504,
    StoreBusy: 503,
    StoreMissing: 503,
    BackendUnavailable: 502,
    QueryFailed: 500,
}


class ResultCache(Generic[V]):
    """A thread-safe LRU (of answers, or plans), bounded by entry count and total bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Any, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> V | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, value: V, size: int) -> None:
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (value, size)
            self._bytes += size
            while len(self._items) > self.max_entries or self._bytes > self.max_bytes:
                self._bytes -= self._items.popitem(last=False)[1][1]


def init_app(app: Any, settings: Settings, store: Store | None = None) -> None:
    """Open the store (unless given) and register the blueprint: for apps without web.py."""
    from .store import open_store

    app.extensions["ascn_store"] = store or open_store(settings)
    app.register_blueprint(bp)


@bp.record_once
def _setup(state: Any) -> None:
    settings: Settings = state.app.config["SETTINGS"]
    state.app.extensions["ascn_result_cache"] = ResultCache(
        settings.result_cache_size, settings.result_cache_bytes
    )


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
    settings: Settings = current_app.config["SETTINGS"]
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
            return describe(params, settings)
        query = queries[0]
        handed_over = request.environ.pop(LANE_ERROR, None)
        if handed_over is not None:  # met by the lane in front (sparql_lane): report it here
            raise handed_over
        response, outcome, cached = answer(query, params, settings)
        record(started, query, "ok", outcome.rows if outcome else None, cached=cached,
               truncated=bool(outcome and outcome.truncated))
        return response
    except (QueryRefused, ProtocolError, StoreError) as error:
        response = error_response(error, query)
        record(started, query or "", *classify(error), error=error)
        return response


# --- answering ---------------------------------------------------------------------------


def negotiate(
    params: dict[str, list[str]], offered: tuple[neg.Format, ...], accept: str | None
) -> str:
    """The media type to answer in: ``format=`` if given, else by ``Accept``; 406 if none."""
    types = neg.media_types(offered)
    if params.get("format"):  # a name, a media type or a list of them; the first usable wins
        for value in params["format"]:
            wanted = neg.choose(value, types) if "/" in value else neg.media_type_for(value, types)
            if wanted in types:
                return wanted
        names = ", ".join(f.name for f in offered)
        raise ProtocolError(f"format must be one of {names} for this request", 406)
    chosen = neg.choose(accept, types)
    if chosen is None:
        raise ProtocolError("none of the accepted media types is offered; try " +
                            ", ".join(types), 406)
    return chosen


def offered_formats(form: str) -> tuple[neg.Format, ...]:
    """The formats a query form can be answered in."""
    if form == "SELECT":
        return neg.RESULT_FORMATS
    if form == "ASK":
        return neg.BOOLEAN_FORMATS
    return neg.GRAPH_FORMATS


def require_store(app: Any = None) -> Store:
    """The app's store, or :class:`StoreMissing` (503) when it could not be opened."""
    extensions = (app or current_app).extensions
    store: Store | None = extensions.get("ascn_store")
    if store is None:
        reason = extensions.get("ascn_store_error", "no store is configured")
        raise StoreMissing(f"the dataset is not available: {reason}")
    return store


@dataclass(frozen=True)
class Plan:
    """A checked and negotiated query: the job for the store, and the answer's entity tag."""

    checked: CheckedQuery
    media_type: str  # negotiated; text/html for a browser
    job: QueryRequest
    etag: str | None  # None when the dataset version is unknown: nothing may be cached

    @property
    def html(self) -> bool:
        return self.media_type == "text/html"


def plan_query(
    query: str, params: dict[str, list[str]], accept: str | None, settings: Settings, app: Any = None,
    environ: dict[str, Any] | None = None,
) -> Plan:
    """Check the query, negotiate the format and make the store's job (no evaluation yet).

    A query with relative IRIs gets the request's IRI (from ``environ``) as its base.
    """
    checked = check(query, Limits.from_settings(settings))
    media_type = negotiate(params, offered_formats(checked.form), accept)
    store = require_store(app)
    html = media_type == "text/html"
    job = QueryRequest(
        checked,
        (JSON_RESULTS if checked.form in {"SELECT", "ASK"} else N_TRIPLES) if html else media_type,
        graph_iris(params, "default-graph-uri"),
        graph_iris(params, "named-graph-uri"),
        settings.max_result_rows,
        _prefixes(settings.base_iri),
        query_base(checked, environ, settings),
    )
    tag = None
    if store.version() and checked.repeatable:  # a NOW() or RAND() answer is never reused
        tag = etag_for(checked.text, media_type, job.default_graphs, job.named_graphs,
                       job.max_rows, job.base_iri, app=app)
    return Plan(checked, media_type, job, tag)


def query_base(checked: CheckedQuery, environ: dict[str, Any] | None, settings: Settings) -> str | None:
    """The base IRI of a query with relative IRIs: the request's IRI (None: no relative IRI)."""
    fallback = f"{settings.base_iri}sparql"
    if not checked.relative:
        return None
    return base_for(checked, request_iri(environ, fallback) if environ is not None else None, fallback)


def etag_matches(etag: str | None, if_none_match: str | None) -> bool:
    """Whether an ``If-None-Match`` header names ``etag`` (weakly, or by ``*``)."""
    return etag is not None and bool(if_none_match) and parse_etags(if_none_match).contains_weak(etag)


def not_modified(plan: Plan, method: str, if_none_match: str | None) -> bool:
    """Whether a GET or HEAD naming the answer's tag in ``If-None-Match`` gets a 304."""
    return method in ("GET", "HEAD") and etag_matches(plan.etag, if_none_match)


def cache_headers(plan: Plan, settings: Settings) -> list[tuple[str, str]]:
    """Validation and caching headers of an answer (and of its 304)."""
    if plan.etag is None:
        return [("Cache-Control", "no-cache")]
    return [("ETag", quote_etag(plan.etag)),
            ("Cache-Control", f"public, max-age={settings.result_max_age}"), ("Vary", "Accept")]


def outcome_headers(outcome: QueryOutcome) -> list[tuple[str, str]]:
    """The row count of an answer, and the truncation notice when the row cap was hit."""
    headers = [("X-ASCN-Rows", str(outcome.rows))]
    if outcome.truncated:
        headers.append((TRUNCATED_HEADER, f"rows={outcome.rows}"))
    return headers


def answer(
    query: str, params: dict[str, list[str]], settings: Settings
) -> tuple[Response, QueryOutcome | None, bool]:
    """Plan, then answer with a 304, or from the cache or the store (and say which)."""
    plan = plan_query(query, params, request.headers.get("Accept"), settings, environ=request.environ)
    if not_modified(plan, request.method, request.headers.get("If-None-Match")):
        response = Response(status=304)
        response.headers.extend(cache_headers(plan, settings))
        return response, None, True
    outcome, cached = run_cached(require_store(), plan.job)
    if plan.html:
        response = Response(render_results(plan.checked, outcome), mimetype="text/html")
    else:
        response = Response(outcome.body, mimetype=plan.media_type)
    response.headers.extend(outcome_headers(outcome) + cache_headers(plan, settings))
    return response, outcome, cached


def run_cached(store: Store, job: QueryRequest, app: Any = None) -> tuple[QueryOutcome, bool]:
    """The store's answer, from the in-memory cache when the same version answered it."""
    cache: ResultCache = (app or current_app).extensions["ascn_result_cache"]
    version = store.version()
    key = (version, job)
    reusable = bool(version) and job.query.repeatable
    if reusable:
        hit = cache.get(key)
        if hit is not None:
            return hit, True
    outcome = store.execute(job)
    if reusable:
        cache.put(key, outcome, len(outcome.body))
    return outcome, False


def describe(params: dict[str, list[str]], settings: Settings) -> Response:
    """No query: the service description, or the query form for a browser."""
    media_type = negotiate(params, neg.GRAPH_FORMATS, request.headers.get("Accept"))
    if media_type == "text/html":
        return Response(render_form(), mimetype="text/html")
    body = service_description(require_store(), settings, media_type)
    return Response(body, mimetype=media_type, headers={"Vary": "Accept"})


def error_status(error: Exception) -> int:
    """The HTTP status of a store error (the one table, :data:`ERROR_STATUS`)."""
    return next((s for k, s in ERROR_STATUS.items() if isinstance(error, k)), 500)


def error_response(error: Exception, query: str | None) -> Response:
    """The one mapping from an error to a response (plain text, or HTML for browsers)."""
    if isinstance(error, QueryRefused | ProtocolError):
        status, message = error.status, error.message
    else:
        status = error_status(error)
        message = str(error)
        if isinstance(error, QuerySyntaxError):
            message = f"malformed query: {shorten(message)}"
    if status >= 500:
        current_app.logger.warning("sparql %s: %s", status, message)
    wants = neg.choose(request.headers.get("Accept"), ("text/plain", "text/html"))
    if wants == "text/html":
        return Response(render_error(message, query), status=status, mimetype="text/html")
    headers = {"Retry-After": "1"} if status == 503 else {}
    return Response(message + "\n", status=status, mimetype="text/plain", headers=headers)


def shorten(message: str, limit: int = 300) -> str:
    """A parser message on one line, cut after ``limit`` characters."""
    flat = " ".join(message.split())
    return flat if len(flat) <= limit else flat[:limit].rstrip() + " …"


def classify(error: Exception) -> tuple[str, int | None, str | None]:
    """Outcome, rows and reason of a failed request, as the operations log counts them."""
    if isinstance(error, QueryRefused | ProtocolError):
        return "refused", None, error.reason
    if isinstance(error, QuerySyntaxError):
        return "refused", None, "syntax"
    if isinstance(error, QueryTimeout):
        return "timeout", None, None
    return "error", None, None


def record(
    started: float, query: str, outcome: str, rows: int | None, reason: str | None = None,
    *, cached: bool = False, truncated: bool = False, error: BaseException | None = None,
) -> None:
    """Report the request to the operations layer, when the app has one."""
    if "ascn_ops" not in current_app.extensions:
        return
    from .ops import record_query

    record_query(outcome, time.perf_counter() - started, rows, query, reason=reason,
                 cached=cached, truncated=truncated, error=error if outcome == "error" else None)


@lru_cache(maxsize=8)
def _prefixes(base_iri: str) -> tuple[tuple[str, str], ...]:
    from .namespaces import prefixes

    return tuple(prefixes(base_iri).items())

