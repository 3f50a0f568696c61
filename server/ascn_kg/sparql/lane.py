"""The WSGI front of /sparql: a lean lane for GET queries, and replay of repeated answers.

A query from a client that has no share left (:mod:`ascn_kg.ops.client_limits`), by GET or
POST, is answered here at once with 429 (or 503 when every query thread is taken), before its
request is read or planned, so that a flooding client costs next to nothing.

A GET on /sparql with a query is the endpoint's hot path. The lane answers it without
Flask's routing, hooks and response objects, through the same functions the Flask view
uses (:mod:`ascn_kg.sparql.answer`: plan, run, headers; :mod:`ascn_kg.ops.headers`), so both
give the same answer byte for byte. Everything else (POST, the HTML results table, the
service description, every error) goes on to Flask; an error met here is handed over in
the environ for the view to report, so no query is evaluated twice.

With the result cache on, complete answers are also kept by raw query string and
``Accept`` header, and later identical requests are replayed without parsing, checking or
serializing anything (a 304 when ``If-None-Match`` names the ETag). Plans and answers are
kept within the byte budgets of the settings (``cache_budgets``). A large answer leaves in
chunks under one of the client's query shares (:mod:`ascn_kg.ops.answer_stream`). The dataset a process
serves does not change until it is reloaded, so a replay is always the current answer.
Every request is still counted in the metrics and written to the query log (by the
bookkeeping thread under ``ascn-kg serve``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

from werkzeug.utils import get_content_type

from ascn_kg.bounded_cache import BoundedCache, text_bytes
from ascn_kg.config import Settings
from ascn_kg.errors import LimitReached
from ascn_kg.ops.answer_stream import answer_body
from ascn_kg.ops.app_state import on_new_store, store
from ascn_kg.ops.bookkeeping import EXTENSION_KEY, REQUEST_START, Ops, queue_query
from ascn_kg.ops.client_limits import query_gate
from ascn_kg.ops.clients import client_of
from ascn_kg.ops.headers import CORS_HEADERS, VERSION_HEADER, security_headers
from ascn_kg.sparql.answer import (
    Plan,
    cache_headers,
    etag_matches,
    not_modified,
    outcome_headers,
    plan_query,
    run_cached,
)
from ascn_kg.sparql.endpoint import LANE_ERROR
from ascn_kg.sparql.request import decode_form
from ascn_kg.store.safety import UPDATE_MESSAGE, QueryRefused

PATH = ROUTE = "/sparql"
CORS = tuple(CORS_HEADERS.items())
PLAN_CACHE_SIZE = 2048
LANE_KEY = "ascn_sparql_lane"
DRAINED_BYTES = 64 * 1024  # a refused request's body up to this size is read out; past it the connection closes


@dataclass(frozen=True)
class Answer:
    """A complete answer, with what its query log line needs."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    query: str
    rows: int | None
    truncated: bool
    cached: bool  # the store's answer came from a cache
    etag: str | None
    common: list[tuple[str, str]]  # the headers its 304 repeats


def lane_key(environ: dict[str, Any]) -> tuple[str, str, str]:
    """What a GET answer depends on: the raw query string, ``Accept``, and the host (the base
    IRI of a query with relative IRIs is the request's IRI)."""
    return environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""), environ.get("HTTP_HOST", "")


def not_modified_answer(query: str, common: list[tuple[str, str]]) -> Answer:
    """The 304 to a request whose client has the answer: its common headers, no body."""
    return Answer("304 NOT MODIFIED", [*common, *security_headers("", 304)], b"", query, None, False, True,
                  None, common)


class SparqlLane:
    """WSGI middleware answering GET /sparql queries (see the module docstring)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], flask_app: Any, settings: Settings) -> None:
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app
        self.settings = settings
        budgets = settings.cache_budgets
        self.answers: BoundedCache[Answer] = BoundedCache(settings.result_cache_size, budgets["answers"])
        self.plans: BoundedCache[tuple[Plan, list[tuple[str, str]]]] = BoundedCache(PLAN_CACHE_SIZE,
                                                                                    budgets["plans"])
        on_new_store(flask_app, self.forget)

    def forget(self) -> None:
        """Drop every plan and answer: they name the build served before."""
        self.answers.clear()
        self.plans.clear()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if method not in ("GET", "POST") or environ.get("PATH_INFO") != PATH:
            return self.wsgi_app(environ, start_response)
        started = environ[REQUEST_START] = time.perf_counter()
        if method == "POST":
            refusal = self.early_refusal(environ)
            if refusal is None:
                return self.wsgi_app(environ, start_response)
            return self.refuse(refusal, environ, start_response, started)
        key = lane_key(environ)
        answer = self.answers.get(key)
        replayed = answer is not None
        if answer is None and "query=" in key[0]:
            refusal = self.early_refusal(environ)
            if refusal is not None:
                return self.refuse(refusal, environ, start_response, started)
        try:
            if answer is None:
                answer = self.answer(environ)
                if answer is None:
                    return self.wsgi_app(environ, start_response)
                if answer.etag is not None and answer.status.startswith("200"):
                    self.answers.put(key, answer, text_bytes(answer.body, answer.query, *key))
            if replayed and etag_matches(answer.etag, environ.get("HTTP_IF_NONE_MATCH")):
                answer = not_modified_answer(answer.query, answer.common)
            body = answer_body(answer.body, self.flask_app, client_of(environ, self.settings.trusted_proxies))
        except Exception as error:  # refusals, limits, store errors, and any bug: the view reports it
            environ[LANE_ERROR] = error
            return self.wsgi_app(environ, start_response)
        return self.send(answer, body, replayed, environ, start_response, started)

    def early_refusal(self, environ: dict[str, Any]) -> LimitReached | None:
        """The refusal a query of this client would meet (past its share, or no query thread free),
        found before its request is read or planned: a flooding client costs next to nothing."""
        gate = query_gate(self.flask_app)
        try:
            if gate is not None:
                gate.check(client_of(environ, self.settings.trusted_proxies))
        except LimitReached as refusal:
            return refusal
        return None

    def refuse(self, refusal: LimitReached, environ: dict[str, Any], start_response: Callable[..., Any],
               started: float) -> Iterable[bytes]:
        """429 (or 503) with ``Retry-After``, in plain text, counted and logged like any refused query."""
        body = (refusal.message + "\n").encode("utf-8")
        headers = [("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
                   ("Retry-After", str(refusal.retry_after)), *CORS, *security_headers("text/plain", refusal.status)]
        unread = int(environ.get("CONTENT_LENGTH") or 0)  # the request guard let at most max_body_bytes in
        if unread <= DRAINED_BYTES:
            environ["wsgi.input"].read(unread)  # read out, so that the connection serves the next request
        else:
            headers.append(("Connection", "close"))
        start_response(f"{refusal.status} {HTTPStatus(refusal.status).phrase}", headers)
        ops: Ops | None = self.flask_app.extensions.get(EXTENSION_KEY)
        if ops is not None:
            duration = time.perf_counter() - started
            queue_query(environ, "refused", duration, None, "", refusal.reason, proxies=self.settings.trusted_proxies)
            ops.finish(environ, (ROUTE, environ.get("REQUEST_METHOD", ""), refusal.status, duration))
        return [body]

    def answer(self, environ: dict[str, Any]) -> Answer | None:
        """The answer to a GET query, or None to let the Flask view answer it."""
        planned = self.planned(environ)
        if planned is None:
            return None
        plan, common = planned
        if not_modified(plan, "GET", environ.get("HTTP_IF_NONE_MATCH")):
            return not_modified_answer(plan.checked.text, common)
        outcome, cached = run_cached(store(self.flask_app), plan.job, self.flask_app, environ)
        headers = [("Content-Type", get_content_type(plan.media_type, "utf-8")),
                   ("Content-Length", str(len(outcome.body))),
                   *outcome_headers(outcome, self.settings.max_result_bytes), *common,
                   *security_headers(plan.media_type, 200)]
        return Answer("200 OK", headers, outcome.body, plan.checked.text, outcome.rows, outcome.truncated,
                      cached, plan.etag, common)

    def planned(self, environ: dict[str, Any]) -> tuple[Plan, list[tuple[str, str]]] | None:
        """The request's plan and the headers every answer to it carries (None: for Flask).

        A plan depends only on the raw query string and ``Accept`` (the dataset of a process
        is fixed), so it is made once per distinct request and kept.
        """
        key = lane_key(environ)
        known = self.plans.get(key)
        if known is not None:
            return known
        params = decode_form(key[0].encode("latin-1"), "query string")
        if "update" in params:
            raise QueryRefused(UPDATE_MESSAGE, 400, "update")
        queries = params.get("query", [])
        if len(queries) != 1:
            return None
        app = self.flask_app
        plan = plan_query(queries[0], params, key[1] or None, self.settings, app, environ)
        if plan.html:
            return None
        version = store(app).version()
        common = [*cache_headers(plan, self.settings), *CORS,
                  *([(VERSION_HEADER, version)] if version else [])]
        self.plans.put(key, (plan, common), text_bytes(*key, plan.checked.text))
        return plan, common

    def send(self, answer: Answer, body: Iterable[bytes], replayed: bool, environ: dict[str, Any],
             start_response: Callable[..., Any], started: float) -> Iterable[bytes]:
        """Send ``answer`` with ``body`` (its bytes in one piece, or in chunks when large:
        :func:`~ascn_kg.ops.answer_stream.answer_body`); its bookkeeping is handed over just
        before (under ``ascn-kg serve`` only queued, for the bookkeeping thread).
        """
        start_response(answer.status, answer.headers)
        ops: Ops | None = self.flask_app.extensions.get(EXTENSION_KEY)
        if ops is not None:
            duration = time.perf_counter() - started
            queue_query(environ, "cached" if replayed or answer.cached else "ok", duration, answer.rows,
                        answer.query, truncated=answer.truncated, proxies=self.settings.trusted_proxies)
            ops.finish(environ, (ROUTE, "GET", int(answer.status.split(" ", 1)[0]), duration))
        return body


def init_app(app: Any, settings: Settings) -> SparqlLane:
    """Put the lane in front of the app's WSGI callable (only the request guard goes before it)."""
    lane = app.extensions[LANE_KEY] = app.wsgi_app = SparqlLane(app.wsgi_app, app, settings)
    return lane
