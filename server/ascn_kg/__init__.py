"""ASCN-KG: a linked-data knowledge graph of the ASEAN Smart Cities Network."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ascn_kg.config import Settings, load_settings

__all__ = ["create_app"]


def create_app(test_config: dict[str, Any] | Settings | None = None) -> Flask:
    """Flask application factory: settings, the store, then one blueprint per surface."""
    settings = test_config if isinstance(test_config, Settings) else load_settings(
        **(test_config or {})
    )
    app = Flask(__name__, instance_relative_config=True)
    app.config.from_mapping(settings.as_flask_config())
    from ascn_kg import app as web

    web.init_app(app, settings)
    return app
