"""Wiring of the web application: the store, then one blueprint or extension per surface."""

from __future__ import annotations

from flask import Flask

from ascn_kg.config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Open the store and install every surface of the server, in one place.

    A missing or unreadable store does not stop the app: /healthz answers, /readyz
    reports the reason with 503 (``ascn-kg serve`` refuses to start in that case).
    """
    from ascn_kg import labels
    from ascn_kg.web import openapi
    from ascn_kg.ops import bookkeeping as ops
    from ascn_kg.web import kit as pages
    from ascn_kg.web import permalinks
    from ascn_kg.sparql import endpoint as sparql
    from ascn_kg.sparql import lane as sparql_lane
    from ascn_kg.store.protocol import StoreError, open_store

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
    openapi.init_app(app)
    pages.init_app(app, settings)  # linked-data pages, search, chart, query page, downloads
    sparql_lane.init_app(app, settings)  # outermost
