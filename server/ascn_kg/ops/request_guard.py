"""The front door: requests that no route should see are answered here, before any body is read.

The outermost WSGI middleware. It refuses, with a one-line plain-text answer and no traceback:

- a body announced larger than ``max_body_bytes`` (413), on every route, before a byte of it
  is read (the connection is closed, so the rest is never taken in);
- a body sent with ``Transfer-Encoding`` (chunked) instead of ``Content-Length`` (400):
  granian hands a WSGI application the bytes of a chunked body up to a framing error as if
  the body had ended there, so a malformed upload cannot be told from a complete one, and the
  server would act on a request the client did not send;
- an HTTP/1.1 request without exactly one well-formed ``Host`` (400, RFC 9112 section 3.2);
- a header named like a server variable (``SCRIPT_NAME``, ``PATH_INFO``, ``REMOTE_ADDR`` …),
  which some servers copy into the request's environment (400).

Flask's ``MAX_CONTENT_LENGTH`` is set to the same limit, for bodies read past this door.
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Callable, Iterable
from typing import Any

from flask import request

from ascn_kg.config import Settings
from ascn_kg.ops.bookkeeping import EXTENSION_KEY, Ops
from ascn_kg.ops.clients import client_of
from ascn_kg.ops.headers import security_headers

log = logging.getLogger(__name__)

# Server variables of CGI and WSGI that a header must not be able to name.
SERVER_VARIABLES = ("SCRIPT_NAME", "PATH_INFO", "QUERY_STRING", "REQUEST_METHOD", "REQUEST_URI", "SERVER_NAME",
                    "SERVER_PORT", "SERVER_PROTOCOL", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_USER",
                    "CONTENT_TYPE", "CONTENT_LENGTH", "GATEWAY_INTERFACE", "AUTH_TYPE")
_SPOOFED = tuple(f"HTTP_{name}" for name in SERVER_VARIABLES)
# A host name (letters, digits, dots, hyphens, underscores), an IPv4 address or a bracketed IPv6
# address, with an optional port.
_HOST = re.compile(r"(?:[A-Za-z0-9_][A-Za-z0-9_.-]{0,252}|\[[0-9A-Fa-f:.]{2,45}\])(?::[0-9]{1,5})?")
PATH_CHARS = 200


def problem_of(environ: dict[str, Any], max_body_bytes: int) -> tuple[int, str, str] | None:
    """Why this request is refused here (status, message, reason), or None to let it in."""
    if environ.get("HTTP_TRANSFER_ENCODING"):
        return 400, ("a request body must be sent with Content-Length: chunked uploads are not accepted "
                     "(a malformed chunk could not be told from the end of the body)"), "framing"
    length = environ.get("CONTENT_LENGTH") or "0"
    if not length.isdigit():
        return 400, "the Content-Length header is not a number", "framing"
    if int(length) > max_body_bytes:
        return 413, f"request body larger than the {max_body_bytes:,}-byte limit", "size"
    host = environ.get("HTTP_HOST", "")
    if environ.get("SERVER_PROTOCOL") == "HTTP/1.1" and not host:
        return 400, "an HTTP/1.1 request needs a Host header", "host"
    if host and not _HOST.fullmatch(host):
        return 400, "the Host header must be one host name or address, with an optional port", "host"
    spoofed = next((name for name in _SPOOFED if name in environ), None)
    if spoofed is not None:
        return 400, f"the request header {spoofed[5:]} names a server variable", "header"
    return None


class RequestGuard:
    """WSGI middleware refusing what :func:`problem_of` finds (see the module docstring)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], flask_app: Any, settings: Settings) -> None:
        self.wsgi_app, self.flask_app = wsgi_app, flask_app
        self.max_body_bytes = settings.max_body_bytes
        self.proxies = settings.trusted_proxies

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        started = time.perf_counter()
        problem = problem_of(environ, self.max_body_bytes)
        if problem is None:
            return self.wsgi_app(environ, start_response)
        status, message, reason = problem
        body = (message + "\n").encode("utf-8")
        start_response(f"{status} {'Content Too Large' if status == 413 else 'Bad Request'}", [
            ("Content-Type", "text/plain; charset=utf-8"), ("Content-Length", str(len(body))),
            ("Connection", "close"), *security_headers("text/plain", status)])
        path = environ.get("PATH_INFO", "")[:PATH_CHARS]
        log.info("refused %s %s from %s: %s (%s)", status, path, client_of(environ, self.proxies), message, reason)
        ops: Ops | None = self.flask_app.extensions.get(EXTENSION_KEY)
        if ops is not None:
            ops.finish(environ, (None, environ.get("REQUEST_METHOD", ""), status, time.perf_counter() - started))
        return [body]


def read_out_body(_: BaseException | None = None) -> None:
    """``teardown_request``: read what a view left unread of the request body (at most
    ``max_body_bytes``: no more got past the guard), so that a kept-alive connection can carry
    the next request instead of being closed under a client that was refused early."""
    exhaust = getattr(request.stream, "exhaust", None)  # werkzeug's LimitedStream, for a body with a length
    if exhaust is not None:
        exhaust()


def init_app(app: Any, settings: Settings) -> None:
    """Put the guard in front of everything (call last), and give Flask the same body limit."""
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.teardown_request(read_out_body)
    app.wsgi_app = RequestGuard(app.wsgi_app, app, settings)
