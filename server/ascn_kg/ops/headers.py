"""Response headers: the dataset version, security headers, CORS, and ETag / 304 helpers.

Every response carries ``X-ASCN-Dataset-Version`` and ``X-Content-Type-Options``, and every
answer to a GET or HEAD (and every answer of /sparql) allows any origin to read it: the data
is public and no answer depends on credentials. HTML
responses also get a strict Content-Security-Policy (no inline script or style),
``X-Frame-Options``, ``Referrer-Policy`` and ``Cross-Origin-Opener-Policy``. A view may set
its own value of any of these deliberately; the hook only fills in what is missing.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable

from flask import Flask, Response, make_response, request
from flask.typing import ResponseReturnValue

from ascn_kg.ops.app_state import has_store, store

VERSION_HEADER = "X-ASCN-Dataset-Version"
TRUNCATED_HEADER = "X-ASCN-Truncated"
ROWS_HEADER = "X-ASCN-Rows"
# CORS: the origin allowed, and the headers a script of another origin may read.
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Expose-Headers": f"ETag, Retry-After, {VERSION_HEADER}, {TRUNCATED_HEADER}, {ROWS_HEADER}",
}
HTML_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Other responses (JSON, RDF, CSV…) never need to load anything when opened directly.
OTHER_CSP = "default-src 'none'; frame-ancestors 'none'"
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
HTML_HEADERS = (
    ("Content-Security-Policy", HTML_CSP),
    ("X-Frame-Options", "DENY"),
    ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ("Cross-Origin-Opener-Policy", "same-origin"),
)
DEFAULT_CACHE_CONTROL = "no-cache"

log = logging.getLogger(__name__)


def dataset_version(app: Flask | None = None) -> str | None:
    """The version of the dataset being served; None when unknown, missing or failing."""
    if not has_store(app):
        return None
    try:
        return store(app).version() or None
    except Exception as error:  # a failing store must not break every response
        log.warning("store.version() failed: %s: %s", type(error).__name__, error)
        return None


def add_version_header(response: Response) -> Response:
    """``after_request``: name the dataset version on every response."""
    version = dataset_version()
    if version is not None:
        response.headers[VERSION_HEADER] = version
    return response


def security_headers(mimetype: str, status: int) -> tuple[tuple[str, str], ...]:
    """The security headers a response of this type and status gets (the one rule).

    nosniff everywhere; CSP and framing rules on HTML, a closed CSP on anything else.
    A 304 gets no policy: caches merge its headers into the stored response, and a 304
    has no body type to choose the policy by.
    """
    if status == 304:
        return (("X-Content-Type-Options", "nosniff"),)
    if mimetype in HTML_TYPES:
        return (("X-Content-Type-Options", "nosniff"), *HTML_HEADERS)
    return (("X-Content-Type-Options", "nosniff"), ("Content-Security-Policy", OTHER_CSP))


def add_security_headers(response: Response) -> Response:
    """``after_request``: :func:`security_headers`, keeping any value a view set itself."""
    for name, value in security_headers(response.mimetype or "", response.status_code):
        response.headers.setdefault(name, value)
    return response


def add_cors_headers(response: Response) -> Response:
    """``after_request``: :data:`CORS_HEADERS` on the answer to every GET and HEAD."""
    if request.method in {"GET", "HEAD"}:
        for name, value in CORS_HEADERS.items():
            response.headers.setdefault(name, value)
    return response


def etag_for(*parts: object, app: Flask | None = None) -> str | None:
    """An entity tag (unquoted) for a response made from ``parts`` of the current dataset.

    Pass everything the body depends on besides the dataset (query text, negotiated
    format, language…). None when the dataset version is unknown: a tag that could
    outlive a rebuild would serve stale answers, so such responses get no tag.
    """
    version = dataset_version(app)
    if version is None:
        return None
    digest = hashlib.sha256(version.encode("utf-8", "surrogatepass"))
    for part in parts:
        digest.update(b"\x1f")
        digest.update(str(part).encode("utf-8", "surrogatepass"))
    return digest.hexdigest()[:32]


def conditional(
    etag: str | None,
    build: Callable[[], ResponseReturnValue],
    *,
    cache_control: str | None = DEFAULT_CACHE_CONTROL,
    vary: Iterable[str] = (),
) -> Response:
    """A 304 when the request's ``If-None-Match`` matches ``etag``, else ``build()``'s response.

    ``build`` runs only when needed. Only GET and HEAD are answered with 304. The tag,
    ``Cache-Control`` and ``Vary`` are set on both answers (304 must repeat them). With
    no tag (``etag_for`` gave None) the response is built and left as it is.
    """
    if (
        etag is not None
        and request.method in ("GET", "HEAD")
        and request.if_none_match.contains_weak(etag)
    ):
        response = Response(status=304)
    else:
        response = make_response(build())
        if etag is None or response.status_code != 200:
            return response
    response.set_etag(etag)
    if cache_control is not None:
        response.headers["Cache-Control"] = cache_control
    for header in vary:
        response.vary.add(header)
    return response


def init_app(app: Flask) -> None:
    """Install the header hooks."""
    app.after_request(add_version_header)
    app.after_request(add_security_headers)
    app.after_request(add_cors_headers)
