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
from typing import Any

from flask import Blueprint, Response, current_app, request

from . import negotiation as neg
from .config import Settings
from .headers import conditional, etag_for
from .safety import UPDATE_MESSAGE, Limits, QueryRefused, check
from .sparql_html import render_error, render_form, render_results
from .sparql_request import ProtocolError, graph_iris, read_params
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

bp = Blueprint("sparql", __name__)

TRUNCATED_HEADER = "X-ASCN-Truncated"
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, POST, OPTIONS",
    "Access-Control-Allow-Headers": "Accept, Content-Type, If-None-Match",
    "Access-Control-Expose-Headers": f"ETag, {TRUNCATED_HEADER}, X-ASCN-Rows",
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


class ResultCache:
    """A thread-safe LRU of answers, bounded by entry count and total body bytes."""

    def __init__(self, max_entries: int, max_bytes: int) -> None:
        self.max_entries, self.max_bytes = max_entries, max_bytes
        self._items: OrderedDict[Any, tuple[QueryOutcome, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def get(self, key: Any) -> QueryOutcome | None:
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def put(self, key: Any, outcome: QueryOutcome, size: int) -> None:
        if self.max_entries <= 0 or size > self.max_bytes // 4:
            return
        with self._lock:
            if key in self._items:
                return
            self._items[key] = (outcome, size)
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
    return Response(status=204, headers={"Allow": "GET, POST, OPTIONS"})


@bp.route("/sparql", methods=["GET", "POST"])
def endpoint() -> Response:
    """The SPARQL 1.1 Protocol for queries."""
    settings: Settings = current_app.config["SETTINGS"]
    started = time.perf_counter()
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
        response, outcome, cached = answer(query, params, settings)
        record(started, query, "ok", outcome.rows if outcome else None, cached=cached,
               truncated=bool(outcome and outcome.truncated))
        return response
    except (QueryRefused, ProtocolError, StoreError) as error:
        response = error_response(error, query)
        record(started, query or "", *classify(error), error=error)
        return response


# --- answering ---------------------------------------------------------------------------


def negotiate(params: dict[str, list[str]], offered: tuple[neg.Format, ...]) -> str:
    """The media type to answer in: ``format=`` if given, else by ``Accept``; 406 if none."""
    types = neg.media_types(offered)
    if params.get("format"):  # a name, a media type or a list of them; the first usable wins
        for value in params["format"]:
            wanted = neg.choose(value, types) if "/" in value else neg.media_type_for(value, types)
            if wanted in types:
                return wanted
        names = ", ".join(f.name for f in offered)
        raise ProtocolError(f"format must be one of {names} for this request", 406)
    chosen = neg.choose(request.headers.get("Accept"), types)
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


def require_store() -> Store:
    """The app's store, or :class:`StoreMissing` (503) when it could not be opened."""
    store: Store | None = current_app.extensions.get("ascn_store")
    if store is None:
        reason = current_app.extensions.get("ascn_store_error", "no store is configured")
        raise StoreMissing(f"the dataset is not available: {reason}")
    return store


def answer(
    query: str, params: dict[str, list[str]], settings: Settings
) -> tuple[Response, QueryOutcome | None, bool]:
    """Check, negotiate, then answer from the cache or the store (and say which)."""
    checked = check(query, Limits.from_settings(settings))
    media_type = negotiate(params, offered_formats(checked.form))
    html = media_type == "text/html"
    store = require_store()
    job = QueryRequest(
        checked,
        (JSON_RESULTS if checked.form in {"SELECT", "ASK"} else N_TRIPLES) if html else media_type,
        graph_iris(params, "default-graph-uri"),
        graph_iris(params, "named-graph-uri"),
        settings.max_result_rows,
        tuple(_prefixes(settings).items()),
    )
    ran: list[tuple[QueryOutcome, bool]] = []

    def build() -> Response:
        outcome, cached = run_cached(store, job)
        ran.append((outcome, cached))
        if html:
            response = Response(render_results(checked, outcome), mimetype="text/html")
        else:
            response = Response(outcome.body, mimetype=media_type)
        response.headers["X-ASCN-Rows"] = str(outcome.rows)
        if outcome.truncated:
            response.headers[TRUNCATED_HEADER] = f"rows={outcome.rows}"
        return response

    if not store.version():  # unknown dataset version: nothing may be cached
        response = build()
        response.headers["Cache-Control"] = "no-cache"
    else:
        tag = etag_for(checked.text, media_type, job.default_graphs, job.named_graphs,
                       job.max_rows)
        response = conditional(tag, build, vary=("Accept",),
                               cache_control=f"public, max-age={settings.result_max_age}")
    outcome, cached = ran[0] if ran else (None, True)  # nothing ran: answered 304
    return response, outcome, cached


def run_cached(store: Store, job: QueryRequest) -> tuple[QueryOutcome, bool]:
    """The store's answer, from the in-memory cache when the same version answered it."""
    cache: ResultCache = current_app.extensions["ascn_result_cache"]
    version = store.version()
    key = (version, job)
    if version:
        hit = cache.get(key)
        if hit is not None:
            return hit, True
    outcome = store.execute(job)
    if version:
        cache.put(key, outcome, len(outcome.body))
    return outcome, False


def describe(params: dict[str, list[str]], settings: Settings) -> Response:
    """No query: the service description, or the query form for a browser."""
    media_type = negotiate(params, neg.GRAPH_FORMATS)
    if media_type == "text/html":
        return Response(render_form(), mimetype="text/html")
    body = service_description(require_store(), settings, media_type)
    return Response(body, mimetype=media_type, headers={"Vary": "Accept"})


def error_response(error: Exception, query: str | None) -> Response:
    """The one mapping from an error to a response (plain text, or HTML for browsers)."""
    if isinstance(error, QueryRefused | ProtocolError):
        status, message = error.status, error.message
    else:
        status = next((s for k, s in ERROR_STATUS.items() if isinstance(error, k)), 500)
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


def _prefixes(settings: Settings) -> dict[str, str]:
    from .namespaces import prefixes

    return prefixes(settings.base_iri)

