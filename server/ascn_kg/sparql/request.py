"""Reading a SPARQL Protocol request strictly: parameters, body size, encodings, graph IRIs.

Werkzeug decodes leniently (bad bytes become U+FFFD); here malformed UTF-8 or
percent-encoding is refused with 400, an over-large body with 413, and any other POST
body type with 415, before anything looks at the query.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl

from flask import request
from werkzeug.wsgi import get_current_url

from ascn_kg.config import Settings
from ascn_kg.errors import Refusal
from ascn_kg.store.safety import UPDATE_MESSAGE, QueryRefused

_BAD_PERCENT = re.compile(rb"%(?![0-9A-Fa-f]{2})")
_IRI = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:[^\s<>\"{}|\\^`]*")
# A request IRI fit to be a query's base: http(s), a plain host, a path of URL characters.
_REQUEST_IRI = re.compile(r"https?://[A-Za-z0-9.\-]+(?::[0-9]{1,5})?(?:/[A-Za-z0-9._~!$&'()*+,;=:@%/-]*)?")


class ProtocolError(Refusal):
    """A request the protocol layer refuses, with its HTTP status."""


def read_params(settings: Settings) -> dict[str, list[str]]:
    """Parameters from the query string and body, decoded strictly (no replacement chars)."""
    params = decode_form(request.query_string, "query string")
    if request.method != "POST":
        return params
    body = read_body(settings.max_body_bytes)
    kind = request.mimetype
    if kind == "application/x-www-form-urlencoded":
        for name, values in decode_form(body, "form body").items():
            params.setdefault(name, []).extend(values)
    elif kind == "application/sparql-query":
        params.setdefault("query", []).append(decode_utf8(body, "query body"))
    elif kind == "application/sparql-update":
        raise QueryRefused(UPDATE_MESSAGE, 400, "update")
    else:
        raise ProtocolError(
            "POST needs application/x-www-form-urlencoded or application/sparql-query", 415
        )
    return params


def read_body(limit: int) -> bytes:
    """The request body, refused with 413 above ``limit`` bytes."""
    too_big = ProtocolError(f"request body larger than the {limit:,}-byte limit", 413, "size")
    if (request.content_length or 0) > limit:
        raise too_big
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise too_big
    return body


def decode_utf8(raw: bytes, where: str) -> str:
    """Strict UTF-8, or a 400 naming the place of the bad bytes."""
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(
            f"malformed UTF-8 in the {where} at byte {error.start}", 400, "encoding"
        ) from None


def decode_form(raw: bytes, where: str) -> dict[str, list[str]]:
    """``application/x-www-form-urlencoded`` decoded strictly."""
    text = decode_utf8(raw, where)
    bad = _BAD_PERCENT.search(raw)
    if bad:
        raise ProtocolError(
            f"malformed percent-encoding in the {where} at byte {bad.start()}", 400, "encoding"
        )
    try:
        pairs = parse_qsl(text, keep_blank_values=True, encoding="utf-8", errors="strict")
    except UnicodeDecodeError:
        raise ProtocolError(
            f"percent-encoded bytes in the {where} are not UTF-8", 400, "encoding"
        ) from None
    params: dict[str, list[str]] = {}
    for name, value in pairs:
        params.setdefault(name, []).append(value)
    return params


def graph_iris(params: dict[str, list[str]], name: str) -> tuple[str, ...]:
    """The IRIs of a ``default-graph-uri`` / ``named-graph-uri`` parameter, validated."""
    iris = tuple(params.get(name, []))
    for iri in iris:
        if not _IRI.fullmatch(iri):
            raise ProtocolError(f"{name} must be an absolute IRI, not {iri!r}")
    return iris


def request_iri(environ: dict, fallback: str) -> str:
    """The IRI a request was made to, without its query string: the base IRI of its query.

    SPARQL resolves relative IRIs against the base IRI, which for the Protocol is the
    request's own IRI (as Oxigraph server and Fuseki do). The Host header is the client's
    text, so an IRI that is not a plain http(s) URL gives way to ``fallback``.
    """
    iri = get_current_url(environ, strip_querystring=True)
    return iri if _REQUEST_IRI.fullmatch(iri) else fallback
