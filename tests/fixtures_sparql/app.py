"""A minimal app for the endpoint's own tests: settings, operations layer and /sparql only."""

from __future__ import annotations

from flask import Flask

from ascn_kg import ops, sparql
from ascn_kg.config import load_settings


def create_app() -> Flask:
    """Like ``ascn_kg.create_app`` without the other surfaces."""
    settings = load_settings()
    app = Flask("ascn_kg")
    app.config.from_mapping(settings.as_flask_config())
    ops.init_app(app, settings)
    sparql.init_app(app, settings)
    return app
