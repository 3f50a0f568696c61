"""Wiring of the web application: the store, then one blueprint or extension per surface."""

from __future__ import annotations

from flask import Flask

from .config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Open the store and install every surface of the server, in one place.

    A missing or unreadable store does not stop the app: /healthz answers, /readyz
    reports the reason with 503 (``ascn-kg serve`` refuses to start in that case).
    """
    from . import labels, openapi, ops, pages, permalinks, query_api, sparql, sparql_lane
    from .store import StoreError, open_store

    try:
        store = open_store(settings)
    except StoreError as exc:
        store = None
        app.extensions["ascn_store_error"] = str(exc)
    app.extensions["ascn_store"] = store
    ops.init_app(app, settings)  # first: its request timer runs before every other hook
    labels.init_app(app, settings)
    app.register_blueprint(sparql.bp)
    permalinks.init_app(app, settings)
    query_api.init_app(app)  # the catalogue as an API, in grlc's convention
    openapi.init_app(app)
    pages.init_app(app, settings)  # linked-data pages, search, chart, query page, downloads
    sparql_lane.init_app(app, settings)  # outermost
