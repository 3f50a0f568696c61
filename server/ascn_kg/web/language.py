"""The interface language of a request, and ``/lang/<code>`` to choose it.

:func:`lang_from_request`: ``?lang=``, then the ``lang`` cookie, then Accept-Language,
then English (the languages are those of :mod:`ascn_kg.labels`). ``GET /lang/<code>?next=/path``
stores the choice in a cookie; responses that depended on the language vary on it.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Flask, Response, abort, g, redirect, request

from ascn_kg.labels import LANGUAGES, supported

DEFAULT_LANG = "en"
COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 60 * 60
_USED = "ascn_lang_used"


def lang_from_request() -> str:
    """The language of this request: ``?lang=``, cookie, Accept-Language, else English.

    Marks the request so the response gets ``Vary: Accept-Language, Cookie``.
    """
    g.setdefault(_USED, True)
    chosen = supported(request.args.get("lang")) or supported(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES)
    return supported(best) or DEFAULT_LANG


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
    if g.get(_USED):
        response.vary.update(("Accept-Language", "Cookie"))
    return response


def init_app(app: Flask) -> None:
    """Register ``/lang/<code>`` and the ``Vary`` hook for language-dependent responses."""
    app.register_blueprint(bp)
    app.after_request(_vary_on_language)
