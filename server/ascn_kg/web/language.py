"""Choosing the interface language: ``/lang/<code>``, and ``Vary`` where the language was used.

``GET /lang/<code>?next=/path`` stores the choice in a cookie, which
:func:`ascn_kg.request_language.lang_from_request` reads; responses that depended on the
language vary on it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, g, redirect, request

from ascn_kg.labels import LANGUAGES
from ascn_kg.request_language import COOKIE, USED

COOKIE_MAX_AGE = 365 * 24 * 60 * 60


def safe_next(target: str | None) -> str:
    """``target`` when it is a path on this site, else ``/`` (no open redirects)."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        or any(ord(c) < 0x20 or ord(c) == 0x7F for c in target)
    ):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


bp = Blueprint("lang", __name__)


@bp.get("/lang/<code>")
def set_language(code: str) -> Response:
    """Remember the interface language in a cookie for a year; 303 back to ``next``."""
    lang = code.lower()
    if lang not in LANGUAGES:
        abort(404)
    response = redirect(safe_next(request.args.get("next")), code=303)
    response.set_cookie(
        COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
        secure=request.is_secure,
    )
    response.headers["Cache-Control"] = "no-store"
    return response


def _vary_on_language(response: Response) -> Response:
    if g.get(USED):
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    """Register ``/lang/<code>`` and the ``Vary`` hook for language-dependent responses."""
    app.register_blueprint(bp)
    app.after_request(_vary_on_language)
