"""The listening socket: one for all workers, with a send timeout every connection inherits.

granian does not time out a client that stops reading: the connection, and what is queued
for it, would stay as long as the client keeps it open. Linux does, with ``TCP_USER_TIMEOUT``:
once the client's receive window has stayed shut (or data has gone unacknowledged) for that
long, the kernel drops the connection, granian's write fails, and everything held for it is
freed. A reader that is slow but still reading keeps its connection. Set on the listening
socket, the option is inherited by every accepted connection, so no connection is ever
without it.

On Linux granian lets each worker bind its own socket; :func:`share_listener` makes the master
bind one instead (granian's own way on other systems) and set the option on it before any
worker starts. It relies on granian's server internals (``_init_shared_socket``), so the
granian version is pinned in ``pyproject.toml``.
"""

from __future__ import annotations

import socket
from typing import Any


def user_timeout_supported() -> bool:
    """Whether this system has ``TCP_USER_TIMEOUT`` (Linux)."""
    return hasattr(socket, "TCP_USER_TIMEOUT")


def set_send_timeout(sock: socket.socket, seconds: float) -> None:
    """Drop connections of ``sock`` (or accepted from it) whose peer reads nothing for ``seconds``."""
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_USER_TIMEOUT, max(1, round(seconds * 1000)))


def share_listener(server: Any, send_timeout: float) -> bool:
    """Make granian's master bind one listening socket with the send timeout (False: left as it was,
    on a system without ``TCP_USER_TIMEOUT``, a Unix socket, or no timeout)."""
    if send_timeout <= 0 or not user_timeout_supported() or server.bind_uds:
        return False
    from granian.net import SocketSpec

    def bind_once() -> None:
        holder = SocketSpec(server.bind_addr, server.bind_port, server.backlog).build()
        listener = socket.socket(fileno=holder.get_fd())
        listener.set_inheritable(True)
        set_send_timeout(listener, send_timeout)
        server._ssp, server._shd, server._sfd, server._sso = None, holder, listener.fileno(), listener

    server._init_shared_socket = bind_once
    return True
