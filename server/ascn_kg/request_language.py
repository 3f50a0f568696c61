"""The interface language of a request: ``?lang=``, the ``lang`` cookie, Accept-Language, English.

The languages are those of :mod:`ascn_kg.labels`. Used by the pages and by the SPARQL
endpoint's error messages; the cookie is set by ``/lang/<code>`` (:mod:`ascn_kg.web.language`).
"""

from __future__ import annotations

from flask import g, request

from ascn_kg.labels import LANGUAGES, supported

DEFAULT_LANG = "en"
COOKIE = "lang"
USED = "ascn_lang_used"  # marks a request whose answer depended on its language


def lang_from_request() -> str:
    """The language of this request: ``?lang=``, cookie, Accept-Language, else English.

    Marks the request so the response gets ``Vary: Accept-Language, Cookie``.
    """
    g.setdefault(USED, True)
    chosen = supported(request.args.get("lang")) or supported(request.cookies.get(COOKIE))
    if chosen:
        return chosen
    best = request.accept_languages.best_match(LANGUAGES)
    return supported(best) or DEFAULT_LANG
