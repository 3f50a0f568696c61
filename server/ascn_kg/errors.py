"""The base of every refusal the server answers with its own HTTP status.

A refusal is the client's mistake or a limit the client ran into (a malformed request, an
update on the read-only endpoint, an oversized body): it carries the status to answer with,
a message written for the client, and a short ``reason`` that the metrics count by. The
safety gate's :class:`~ascn_kg.store.safety.QueryRefused`, the protocol layer's
:class:`~ascn_kg.sparql.request.ProtocolError` and the permalinks' errors derive from it, so
one mapping turns any of them into a response.
"""

from __future__ import annotations

import math


class Refusal(Exception):
    """A request refused with ``status``; ``str()`` and ``message`` are for the client."""

    status: int = 400

    def __init__(self, message: str, status: int | None = None, reason: str = "other") -> None:
        super().__init__(message)
        self.message = message
        if status is not None:
            self.status = status
        self.reason = reason  # update, service, nesting, size, syntax, encoding, client, busy or other


class LimitReached(Refusal):
    """A limit that lifts with time: the client's own share (429) or the server's capacity (503).

    ``retry_after`` is the whole number of seconds after which trying again can succeed; the
    answer carries it as ``Retry-After``.
    """

    status = 429

    def __init__(self, message: str, retry_after: float, status: int | None = None, reason: str = "client") -> None:
        super().__init__(message, status, reason)
        self.retry_after = max(1, math.ceil(retry_after))
