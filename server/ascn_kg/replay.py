"""Replay of complete /sparql answers: a WSGI layer in front of Flask for repeated queries.

The dataset a process serves does not change until it is reloaded, so a GET on /sparql
with the same raw query string and Accept header always gets the same answer. The first
such request goes through Flask (safety gate, worker pool, negotiation, headers); if its
answer is a cacheable 200 (public, with an ETag, not HTML, no cookie) the status, headers
and body are kept, and later identical requests are answered here without routing,
parsing or serializing anything — a 304 when If-None-Match names the ETag. Each replay is
still counted in the metrics and written to the query log, after the response is sent.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from .ops import _PENDING, EXTENSION_KEY, Ops
from .sparql import ResultCache

PATH = "/sparql"
ROUTE = "/sparql"
DROPPED_ON_304 = {"content-type", "content-length"}


@dataclass(frozen=True)
class Answer:
    """A complete answer to replay, with what its query log line needs."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str
    query: str
    rows: int | None
    truncated: bool


class _Sent:
    """The body of a replayed answer; its ``close`` does the bookkeeping."""

    def __init__(self, chunks: list[bytes], done: Callable[[], None]) -> None:
        self.chunks, self.done = chunks, done

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.chunks)

    def close(self) -> None:
        self.done()


class ReplayCache:
    """WSGI middleware replaying cacheable /sparql answers (see the module docstring)."""

    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]], flask_app: Any, max_entries: int,
                 max_bytes: int) -> None:
        self.wsgi_app = wsgi_app
        self.flask_app = flask_app
        self.answers = ResultCache(max_entries, max_bytes)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") != "GET" or environ.get("PATH_INFO") != PATH:
            return self.wsgi_app(environ, start_response)
        started = time.perf_counter()
        key = (environ.get("QUERY_STRING", ""), environ.get("HTTP_ACCEPT", ""))
        answer: Answer | None = self.answers.get(key)  # type: ignore[assignment]
        if answer is not None:
            return self._replay(answer, environ, start_response, started)
        return self._pass_through(key, environ, start_response)

    def _replay(self, answer: Answer, environ: dict[str, Any], start_response: Callable[..., Any],
                started: float) -> Iterable[bytes]:
        if answer.etag in environ.get("HTTP_IF_NONE_MATCH", ""):
            status = "304 NOT MODIFIED"
            start_response(status, [(k, v) for k, v in answer.headers if k.lower() not in DROPPED_ON_304])
            chunks: list[bytes] = []
        else:
            status = answer.status
            start_response(status, answer.headers)
            chunks = [answer.body]
        code = int(status.split(" ", 1)[0])

        def done() -> None:
            ops: Ops | None = self.flask_app.extensions.get(EXTENSION_KEY)
            if ops is None:
                return
            duration = time.perf_counter() - started
            environ[_PENDING] = [("cached", duration, answer.rows, answer.query, environ.get("REMOTE_ADDR"),
                                  None, answer.truncated, environ.get("HTTP_USER_AGENT"), None, time.time())]
            ops.finish(environ, (ROUTE, "GET", code, duration))

        return _Sent(chunks, done)

    def _pass_through(self, key: tuple[str, str], environ: dict[str, Any],
                      start_response: Callable[..., Any]) -> Iterable[bytes]:
        seen: dict[str, Any] = {}

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            seen["status"], seen["headers"] = status, headers
            return start_response(status, headers, exc_info)

        result = self.wsgi_app(environ, capture)
        headers = {k.lower(): v for k, v in seen.get("headers", [])}
        if not _cacheable(seen.get("status", ""), headers):
            return result
        pending = list(environ.get(_PENDING) or [])
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        entry = next((e for e in pending if e[0] in {"ok", "cached"}), None)
        if entry is not None:
            self.answers.put(key, Answer(seen["status"], seen["headers"], body, headers["etag"], entry[3],
                                         entry[2], entry[6]), len(body) + len(key[0]))
        return [body]


def _cacheable(status: str, headers: dict[str, str]) -> bool:
    return (
        status.startswith("200")
        and "etag" in headers
        and "public" in headers.get("cache-control", "")
        and "set-cookie" not in headers
        and not headers.get("content-type", "").startswith("text/html")
    )


def init_app(app: Any, max_entries: int, max_bytes: int) -> None:
    """Put the replay layer in front of the app's WSGI callable."""
    app.wsgi_app = ReplayCache(app.wsgi_app, app, max_entries, max_bytes)
