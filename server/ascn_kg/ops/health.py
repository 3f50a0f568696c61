"""Health probes: ``/healthz`` (the process answers) and ``/readyz`` (the store answers).

Readiness runs one trivial ASK through the store interface; it does not count triples
(a full scan on pyoxigraph). Both answers are JSON and never cached.
"""

from __future__ import annotations

import logging
import time

from flask import Blueprint, Response, jsonify

from ascn_kg.ops.app_state import store
from ascn_kg.store.protocol import StoreMissing

READY_QUERY = "ASK { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }"
REASON_CHARS = 200

bp = Blueprint("health", __name__)
log = logging.getLogger(__name__)


def _answer(code: int, **body: object) -> Response:
    response = jsonify(body)
    response.status_code = code
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/healthz")
def healthz() -> Response:
    """The process is up and serving requests."""
    return _answer(200, status="ok")


def _not_ready(reason: str) -> Response:
    log.warning("not ready: %s", reason)
    return _answer(503, status="unavailable", reason=reason)


@bp.get("/readyz")
def readyz() -> Response:
    """The store is open, answers a query and holds data; 503 with a reason otherwise."""
    try:
        opened = store()
    except StoreMissing as missing:
        return _not_ready(str(missing)[:REASON_CHARS])
    started = time.perf_counter()
    try:
        version = opened.version()
        has_data = opened.ask(READY_QUERY)
    except Exception as error:
        return _not_ready(f"store query failed: {type(error).__name__}: {error}"[:REASON_CHARS])
    elapsed_ms = round((time.perf_counter() - started) * 1000.0, 3)
    if not has_data:
        return _not_ready("store is empty")
    return _answer(200, status="ok", dataset_version=version, check_ms=elapsed_ms)
