"""Whether the server's address is free, checked before anything slow or noisy starts.

Given a port in use, gunicorn retries for five seconds and stops with ``Can't connect to
('127.0.0.1', 8080)``. This check says at once which port is taken and how to choose
another. ``ascn-kg serve`` runs it first (:func:`ascn_kg.serve.preflight`); ``make run`` runs
this file before installing or building anything, with the system's Python
(``python3 server/ascn_kg/ports.py --host H --port P``), so it imports nothing but the
standard library. Exit status 2 (an environment error) when the port cannot be used.
"""

from __future__ import annotations

import argparse
import errno
import socket
import sys

EXIT_ENVIRONMENT = 2


def port_problem(host: str, port: int) -> str | None:
    """Why the server cannot listen on ``host:port`` (one line naming the way out), or None."""
    other = 8081 if port != 8081 else 8082
    how = f"choose another port: make run PORT={other} (or ascn-kg serve --port {other})"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0]
    except socket.gaierror as error:
        return f"cannot listen on {host}:{port}: the address does not resolve ({error.strerror})"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return f"port {port} on {host} is already in use (is another server running there?); " \
                       f"stop that server, or {how}"
            if error.errno == errno.EACCES:
                return f"port {port} on {host} needs more privileges than this user has; {how}"
            return f"cannot listen on {host}:{port}: {error.strerror}"
    return None


def main(argv: list[str] | None = None) -> int:
    """``python3 server/ascn_kg/ports.py --host H --port P``: 0 if free, else 2 with the reason."""
    parser = argparse.ArgumentParser(description="Check that the server's port is free.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8080)
    args = parser.parse_args(argv)
    problem = port_problem(args.host, args.port)
    if problem:
        print(f"ascn-kg: {problem}", file=sys.stderr)
        return EXIT_ENVIRONMENT
    return 0


if __name__ == "__main__":
    sys.exit(main())
