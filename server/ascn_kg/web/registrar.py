"""The page registrar: every web surface of the app, and the hooks they share.

Registers the language switch, the page blueprints (entity, browse, search, charts, query
page, downloads, ontology documentation), permalinks and the OpenAPI document; gives every
template the page language and its strings; answers HTTP errors with HTML pages for
browsers and JSON for JSON clients; and answers 503 on the browsing surface while the
dataset is not available.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, redirect, request
from werkzeug.exceptions import HTTPException, InternalServerError, NotFound, default_exceptions

from ascn_kg.config import Settings
from ascn_kg.errors import LimitReached, Refusal
from ascn_kg.ops.app_state import has_store, store
from ascn_kg.sparql.errors import status_and_message
from ascn_kg.store.protocol import StoreError, StoreMissing
from ascn_kg.web import (
    browse,
    charts,
    downloads,
    entity,
    language,
    ontology_doc,
    openapi,
    permalinks,
    query_api,
    query_page,
    search,
    vocabulary,
)
from ascn_kg.web.kit import href, page_lang, render, root, t
from ascn_kg.web.near_miss import near_miss

PAGE_MODULES = (entity, browse, search, charts, query_page, downloads, ontology_doc, vocabulary)
BLUEPRINTS = frozenset(module.bp.name for module in PAGE_MODULES)


def _context() -> dict[str, Any]:
    if not request:
        return {}
    lang = page_lang()
    here = request.full_path if request.query_string else request.path
    here = here[len(root()):] if root() and here.startswith(root()) else here
    return {
        "t": t, "lang": lang, "other_lang": "ko" if lang == "en" else "en", "href": href,
        "here": language.safe_next(root() + here), "root": root(),
    }


def error_title(error: HTTPException, status: int) -> str:
    """The heading of an error page, in the page language where the interface has it."""
    if isinstance(error, NotFound):
        return t("not_found")
    name = t(f"http_{status}")
    return f"{status} {error.name if name == f'http_{status}' else name}"


def error_text(error: HTTPException, status: int) -> str:
    """What the view said; Werkzeug's stock explanation is replaced by ours, in the page language."""
    stock = type(error).description
    if error.description and error.description != stock:
        return error.description
    text = t(f"http_{status}_text")
    return "" if text == f"http_{status}_text" else text


def _http_error(error: HTTPException) -> Response | HTTPException:
    """Every HTTP error of the site: an HTML page for browsers, JSON for JSON clients, else
    Werkzeug's plain answer; the message is the one the view gave."""
    status = error.code or 500
    nearly = near_miss() if status == 404 else None
    if nearly is not None:
        return redirect(nearly, code=301)
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "text/plain"])
    if best == "application/json":
        response = jsonify(error=error.name, message=error.description or error.name)
        response.status_code = status
    elif best != "text/html":
        return error
    else:
        response = render("error.html", status=status, title=error_title(error, status),
                          message=error_text(error, status))
    allowed = dict(error.get_headers()).get("Allow")  # a 405 names the methods that work
    if allowed:
        response.headers["Allow"] = allowed
    return response


def _store_failed(error: StoreError) -> Response:
    """A page whose store failed (a backend down, slow or refusing): the status /sparql gives."""
    status, message, _ = status_and_message(error)
    current_app.logger.warning("page %s: %s", status, message)
    response = _http_error(default_exceptions.get(status, InternalServerError)(description=message))
    if isinstance(response, HTTPException):  # neither HTML nor JSON wanted: plain text
        response = Response(message + "\n", status=status, mimetype="text/plain")
    response.status_code = status
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


def _refused(error: Refusal) -> Response:
    """A refusal that reached no view's own handling (a client past its share, a full permalink
    store): its status and message, and ``Retry-After`` for a limit that lifts with time."""
    exception = default_exceptions[error.status](description=error.message) \
        if error.status in default_exceptions else HTTPException(description=error.message)
    exception.code = error.status
    response = _http_error(exception)
    if isinstance(response, HTTPException):  # neither HTML nor JSON wanted: plain text
        response = Response(error.message + "\n", status=error.status, mimetype="text/plain")
    response.status_code = error.status
    if isinstance(error, LimitReached):
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _need_store() -> Response | None:
    """``before_request``: without a store, the browsing surface answers 503 (not 500)."""
    if request.blueprint not in BLUEPRINTS:
        return None
    try:
        store()
    except StoreMissing as missing:
        response = render("error.html", status=503, title="503 Service Unavailable", message=str(missing))
        response.headers["Retry-After"] = "30"
        return response
    return None


def init_app(app: Flask, settings: Settings) -> None:
    """Register every web surface on ``app``."""
    language.init_app(app)
    app.context_processor(_context)
    for module in PAGE_MODULES:
        app.register_blueprint(module.bp)
    permalinks.init_app(app, settings)
    query_api.init_app(app)  # the catalogue as an API, in grlc's convention
    openapi.init_app(app)
    app.before_request(_need_store)
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(StoreError, _store_failed)
    app.register_error_handler(Refusal, _refused)
    if has_store(app):
        search.init_app(app)
