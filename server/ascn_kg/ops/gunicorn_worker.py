"""The gunicorn worker class of ``ascn-kg serve``: gthread, keeping busy connections on their thread.

gunicorn's gthread worker hands every request across threads twice: the poller wakes, a
pool thread answers, and the kept-alive connection goes back to the poller for the next
one. For a client sending queries back to back (a SPARQL client, a notebook, a crawler),
those handoffs cost more than answering a cached query. Here the thread that has just
answered waits a moment (:data:`LINGER_S`) for the same client's next request and, when
it comes, answers it at once. Anything else is gthread's own behaviour: a connection
that stays quiet goes back to the poller, slow clients are deferred, shutdown is graceful.

gunicorn also writes a response's head and body with separate calls, which costs a
packet and a wake-up of the client each time; here they leave in one call
(:class:`CoalescingSocket`).
"""

from __future__ import annotations

import contextlib
import select
from typing import Any

from gunicorn.workers.gthread import ThreadWorker

LINGER_S = 0.002  # how long a thread waits for the next request on its connection


def next_request_arrives(sock: Any, wait_s: float) -> bool:
    """Whether ``sock`` has bytes to read within ``wait_s`` seconds."""
    try:
        readable, _, _ = select.select([sock], [], [], wait_s)
    except (OSError, ValueError):  # closed meanwhile
        return False
    return bool(readable)


class CoalescingSocket:
    """A client socket whose ``sendall`` calls are joined until :meth:`flush` (or 64 KiB).

    Every other use goes to the socket itself, after what is pending: ``send`` (the
    ``100 Continue`` line), ``sendfile`` (file downloads) and the rest.
    """

    LIMIT = 64 * 1024

    def __init__(self, sock: Any) -> None:
        self.sock = sock
        self.pending: list[bytes] = []
        self.size = 0

    def sendall(self, data: bytes) -> None:
        self.pending.append(bytes(data))
        self.size += len(data)
        if self.size >= self.LIMIT:
            self.flush()

    def flush(self) -> None:
        """Send what is pending, in one call."""
        if self.pending:
            data, self.pending, self.size = b"".join(self.pending), [], 0
            self.sock.sendall(data)

    def send(self, data: bytes, *args: Any) -> int:
        self.flush()
        return self.sock.send(data, *args)

    def sendfile(self, *args: Any, **kwargs: Any) -> Any:
        self.flush()
        return self.sock.sendfile(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.sock, name)


class LingeringThreadWorker(ThreadWorker):
    """gthread, answering a connection's back-to-back requests on the same thread."""

    def handle_request(self, req: Any, conn: Any) -> Any:
        """gthread's, with the response written through a :class:`CoalescingSocket`."""
        sock = conn.sock
        conn.sock = out = CoalescingSocket(sock)
        try:
            keepalive = super().handle_request(req, conn)
        except BaseException:
            conn.sock = sock
            with contextlib.suppress(OSError):  # the connection is being dropped anyway
                out.flush()
            raise
        conn.sock = sock
        out.flush()
        return keepalive

    def handle(self, conn: Any) -> Any:
        """Answer requests while the client sends the next one within the linger time."""
        while True:
            keepalive = super().handle(conn)
            if keepalive is not True or not self.alive or conn.is_http2:
                return keepalive
            if conn.parser.unreader.buf.getvalue():  # already read ahead: the poller path handles it
                return keepalive
            if not next_request_arrives(conn.sock, LINGER_S):
                return keepalive
