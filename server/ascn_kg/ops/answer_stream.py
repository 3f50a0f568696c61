"""Sending answers: small ones in one piece, large ones in chunks on a bounded buffer.

granian takes a one-piece body (a list) whole and frees the thread at once, but then keeps
its own copy of the body until the client has read it. A larger answer is handed over in
:data:`CHUNK_BYTES` chunks instead: granian queues at most a few chunks per connection and
the thread waits while the client reads, so a slow reader pins a few hundred KB and one
thread, never a copy of the answer. That thread is one of the client's query shares
(:class:`~ascn_kg.ops.client_limits.QueryGate`), released when the answer has been handed
over or the connection is gone; a client that stops reading altogether is dropped by the
send timeout (:mod:`ascn_kg.ops.listener`), which ends the wait.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from ascn_kg.ops.client_limits import Ticket, query_gate

CHUNK_BYTES = 64 * 1024
ONE_PIECE_BYTES = 256 * 1024  # up to this size an answer leaves in one piece


class ChunkedAnswer:
    """A WSGI body yielding ``body`` in chunks; :meth:`close` releases the sender's share."""

    def __init__(self, body: bytes, ticket: Ticket | None) -> None:
        self.body, self.ticket = body, ticket

    def __iter__(self) -> Iterator[bytes]:
        view = memoryview(self.body)
        for start in range(0, len(view), CHUNK_BYTES):
            yield bytes(view[start:start + CHUNK_BYTES])

    def close(self) -> None:
        self.body = b""
        if self.ticket is not None:
            self.ticket.release()
            self.ticket = None


def answer_body(body: bytes, app: Any, client: str) -> Iterable[bytes]:
    """The WSGI body for an answer: a one-piece list, or chunks sent under one of the client's
    query shares (:class:`~ascn_kg.errors.LimitReached` when it has none left)."""
    if len(body) <= ONE_PIECE_BYTES:
        return [body] if body else []
    gate = query_gate(app)
    return ChunkedAnswer(body, gate.enter(client) if gate is not None else None)
