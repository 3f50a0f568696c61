"""Wiring of the web application: the store, then one blueprint or extension per surface."""

from __future__ import annotations

from flask import Flask

from .config import Settings


def init_app(app: Flask, settings: Settings) -> None:
    """Open the store and install every surface of the server, in one place."""
    from . import ops, permalinks, sparql
    from .store import open_store

    app.extensions["ascn_store"] = open_store(settings)
    ops.init_app(app, settings)
    sparql.init_app(app, settings, app.extensions["ascn_store"])
    permalinks.init_app(app, settings)
    # pages, search, charts and the catalogue register below (see pages.init_app).
    _init_browsing(app, settings)


def _init_browsing(app: Flask, settings: Settings) -> None:
    """Linked-data pages, search, chart, query page and downloads."""
    from importlib.util import find_spec

    if find_spec("ascn_kg.pages") is not None:
        from . import pages

        pages.init_app(app, settings)
