"""The application factory: the one place where the parts of the server are wired together."""

from __future__ import annotations

from typing import Any

from flask import Flask

from ascn_kg.config import Settings, load_settings
from ascn_kg.ops import bookkeeping, client_limits, request_guard
from ascn_kg.ops.app_state import attach_store, start_serving
from ascn_kg.sparql import endpoint, lane
from ascn_kg.web import registrar


def create_app(test_config: dict[str, Any] | Settings | None = None) -> Flask:
    """Settings, the store, then one blueprint or extension per surface.

    A missing or unreadable store does not stop the app: /healthz answers, /readyz reports
    the reason with 503 (``ascn-kg serve`` refuses to start in that case).
    """
    settings = test_config if isinstance(test_config, Settings) else load_settings(**(test_config or {}))
    app = Flask("ascn_kg", instance_relative_config=True)
    app.config.from_mapping(settings.as_flask_config())
    attach_store(app, settings)
    bookkeeping.init_app(app, settings)  # first: its request timer runs before every other hook
    client_limits.init_app(app, settings)  # each client's share of the query threads
    endpoint.init_app(app, settings)
    registrar.init_app(app, settings)  # language, pages, search, permalinks, OpenAPI
    lane.init_app(app, settings)
    request_guard.init_app(app, settings)  # outermost: bodies, framing, Host, before anything else
    start_serving(app)  # only in a worker of `ascn-kg serve`
    return app
