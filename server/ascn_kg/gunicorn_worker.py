"""The gunicorn worker class of ``ascn-kg serve``: gthread, keeping busy connections on their thread.

gunicorn's gthread worker hands every request across threads twice: the poller wakes, a
pool thread answers, and the kept-alive connection goes back to the poller for the next
one. For a client sending queries back to back (a SPARQL client, a notebook, a crawler),
those handoffs cost more than answering a cached query. Here the thread that has just
answered waits a moment (:data:`LINGER_S`) for the same client's next request and, when
it comes, answers it at once. Anything else is gthread's own behaviour: a connection
that stays quiet goes back to the poller, slow clients are deferred, shutdown is graceful.
"""

from __future__ import annotations

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


class LingeringThreadWorker(ThreadWorker):
    """gthread, answering a connection's back-to-back requests on the same thread."""

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
