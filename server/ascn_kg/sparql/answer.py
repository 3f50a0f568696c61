"""Answering a public query: plan it (check, negotiate, tag), run it (cached), report it.

The Protocol view (:mod:`ascn_kg.sparql.endpoint`), its WSGI lane (:mod:`ascn_kg.sparql.lane`)
and the query page all answer through these functions, so they agree byte for byte.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from flask import Flask, current_app, request
from werkzeug.http import parse_etags, quote_etag

from ascn_kg import negotiation as neg
from ascn_kg.bounded_cache import BoundedCache, text_bytes
from ascn_kg.config import Settings
from ascn_kg.namespaces import prefixes
from ascn_kg.ops.app_state import on_new_store
from ascn_kg.ops.app_state import settings as app_settings
from ascn_kg.ops.app_state import store as app_store
from ascn_kg.ops.bookkeeping import EXTENSION_KEY, record_query
from ascn_kg.ops.client_limits import query_gate
from ascn_kg.ops.clients import client_of
from ascn_kg.ops.headers import ROWS_HEADER, TRUNCATED_HEADER, etag_for
from ascn_kg.sparql.request import ProtocolError, graph_iris, request_iri
from ascn_kg.store.protocol import JSON_RESULTS, N_TRIPLES, QueryOutcome, QueryRequest, Store
from ascn_kg.store.safety import CheckedQuery, Limits, check

RESULT_CACHE_KEY = "ascn_result_cache"


def init_app(app: Flask, settings: Settings) -> None:
    """Give ``app`` its result cache (bounded in entries and bytes)."""
    cache = app.extensions[RESULT_CACHE_KEY] = BoundedCache(settings.result_cache_size,
                                                            settings.cache_budgets["results"])
    on_new_store(app, cache.clear)  # answers of the build served before (keyed by version anyway)


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
    store = app_store(app)
    html = media_type == "text/html"
    job = QueryRequest(
        checked,
        (JSON_RESULTS if checked.form in {"SELECT", "ASK"} else N_TRIPLES) if html else media_type,
        graph_iris(params, "default-graph-uri"),
        graph_iris(params, "named-graph-uri"),
        settings.max_result_rows,
        prefix_pairs(settings.base_iri),
        query_base(checked, environ, settings),
        settings.max_result_bytes,
    )
    tag = None
    if store.version() and checked.repeatable:  # a NOW() or RAND() answer is never reused
        tag = etag_for(checked.text, media_type, job.default_graphs, job.named_graphs,
                       job.max_rows, job.base_iri, job.max_bytes, app=app)
    return Plan(checked, media_type, job, tag)


def query_base(checked: CheckedQuery, environ: dict[str, Any] | None, settings: Settings) -> str | None:
    """The base IRI of a query with relative IRIs: the request's IRI (None: no relative IRI)."""
    if not checked.relative:
        return None
    fallback = f"{settings.base_iri}sparql"
    return request_iri(environ, fallback) if environ is not None else fallback


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


def outcome_headers(outcome: QueryOutcome, max_bytes: int) -> list[tuple[str, str]]:
    """The row count of an answer, and the truncation notice when the row cap or the byte
    limit (``max_bytes``) cut it."""
    headers = [(ROWS_HEADER, str(outcome.rows))]
    if outcome.cut_at == "bytes":
        headers.append((TRUNCATED_HEADER, f"bytes={max_bytes}, rows={outcome.rows}"))
    elif outcome.truncated:
        headers.append((TRUNCATED_HEADER, f"rows={outcome.rows}"))
    return headers


def run_cached(store: Store, job: QueryRequest, app: Any = None,
               environ: dict[str, Any] | None = None) -> tuple[QueryOutcome, bool]:
    """The store's answer, from the in-memory cache when the same version answered it, else
    evaluated within the client's share (:func:`execute_fairly`)."""
    app = app or current_app
    cache: BoundedCache[QueryOutcome] = app.extensions[RESULT_CACHE_KEY]
    version = store.version()
    key = (version, job)
    reusable = bool(version) and job.query.repeatable
    if reusable:
        hit = cache.get(key)
        if hit is not None:
            return hit, True
    outcome = execute_fairly(store, job, app, environ if environ is not None else request.environ)
    if reusable:
        cache.put(key, outcome, text_bytes(outcome.body, job.query.text, job.base_iri))
    return outcome, False


def execute_fairly(store: Store, job: QueryRequest, app: Any, environ: dict[str, Any]) -> QueryOutcome:
    """Evaluate ``job`` holding one of its client's query shares, and charge the client the time
    it took (:class:`~ascn_kg.ops.client_limits.QueryGate`; 429 or 503 when there is no share)."""
    gate = query_gate(app)
    if gate is None:
        return store.execute(job)
    ticket = gate.enter(client_of(environ, app_settings(app).trusted_proxies))
    started = time.perf_counter()
    try:
        return store.execute(job)
    finally:
        ticket.release(time.perf_counter() - started)


def record(
    started: float, query: str, outcome: str, rows: int | None, reason: str | None = None,
    *, cached: bool = False, truncated: bool = False, error: BaseException | None = None,
) -> None:
    """Report the request to the operations layer, when the app has one."""
    if EXTENSION_KEY not in current_app.extensions:  # an app without the operations layer
        return
    record_query(outcome, time.perf_counter() - started, rows, query, reason=reason,
                 cached=cached, truncated=truncated, error=error if outcome == "error" else None)


@lru_cache(maxsize=8)
def prefix_pairs(base_iri: str) -> tuple[tuple[str, str], ...]:
    """The prefixes answers are serialized with, as a hashable tuple (part of a job's key)."""
    return tuple(prefixes(base_iri).items())
