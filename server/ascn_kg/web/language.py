"""Choosing the interface language: ``/lang/<code>``, and ``Vary`` where the language was used.

``GET /lang/<code>?next=/path`` stores the choice in a cookie, which
:func:`ascn_kg.request_language.lang_from_request` reads; responses that depended on the
language vary on it. A page opened with ``?lang=`` remembers that choice too, so the links
on it keep the language; the switcher drops ``?lang=`` from the page it returns to.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import Blueprint, Flask, Response, abort, g, redirect, request

from ascn_kg.labels import LANGUAGES, supported
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


def without_lang(target: str) -> str:
    """``target`` without its ``lang`` query parameter, which would override the cookie."""
    parts = urlsplit(target)
    pairs = parse_qsl(parts.query, keep_blank_values=True)
    if all(k != "lang" for k, _ in pairs):
        return target
    return urlunsplit(parts._replace(query=urlencode([(k, v) for k, v in pairs if k != "lang"])))


bp = Blueprint("lang", __name__)


@bp.get("/lang/<code>")
def set_language(code: str) -> Response:
    """Remember the interface language in a cookie for a year; 303 back to ``next``."""
    lang = code.lower()
    if lang not in LANGUAGES:
        abort(404)
    response = redirect(without_lang(safe_next(request.args.get("next"))), code=303)
    remember(response, lang)
    response.headers["Cache-Control"] = "no-store"
    return response


def remember(response: Response, lang: str) -> None:
    """Keep ``lang`` in the cookie for a year."""
    response.set_cookie(
        COOKIE, lang, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True,
        secure=request.is_secure,
    )


def _after_language_use(response: Response) -> Response:
    """``Vary`` on what chose the language; a page opened with ``?lang=`` remembers it."""
    if g.get(USED):
        response.vary.update(("Accept-Language", "Cookie"))
        chosen = supported(request.args.get("lang"))
        if chosen and response.mimetype == "text/html" and chosen != request.cookies.get(COOKIE):
            remember(response, chosen)  # a page asked for in a language: its links keep it
            response.cache_control.public = False  # no shared cache may hand the cookie on
            response.cache_control.private = True
    return response


def init_app(app: Flask) -> None:
    """Register ``/lang/<code>`` and the ``Vary`` hook for language-dependent responses."""
    app.register_blueprint(bp)
    app.after_request(_after_language_use)
