"""``make run`` with its port taken stops at once, names the port and says how to choose another."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import signal
import socket
import subprocess
from collections.abc import Iterator

import pytest

from ascn_kg.ops.ports import port_problem
from ascn_kg.ops.runner import preflight
from support import REPO

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@contextlib.contextmanager
def taken(port: int) -> Iterator[None]:
    """Hold ``port`` on 127.0.0.1 with a listening socket (or leave it to whoever holds it)."""
    holder = socket.socket()
    holder.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        holder.bind(("127.0.0.1", port))
        holder.listen()
    except OSError as error:
        holder.close()
        if error.errno != errno.EADDRINUSE:
            raise
        holder = None  # another server already listens there: the port is taken all the same
    try:
        yield
    finally:
        if holder is not None:
            holder.close()


def make(*args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCN_KG_", "MAKE"))}
    env.pop("PORT", None)
    process = subprocess.Popen(["make", "--no-print-directory", *args], cwd=REPO, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = process.communicate(timeout=120)
    except subprocess.TimeoutExpired:  # it went on to build and serve: stop all of it
        os.killpg(process.pid, signal.SIGKILL)
        out, err = process.communicate()
        pytest.fail(f"make {' '.join(args)} did not stop on a taken port:\n{out}\n{err}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


def test_make_run_stops_on_a_taken_port_with_a_way_out() -> None:
    with taken(8080):
        result = make("run")
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(
        "ascn-kg: port 8080 on 127.0.0.1 is already in use (is another server running there?); stop that "
        "server, or choose another port: make run PORT=8081 (or ascn-kg serve --port 8081)\n")
    assert "check-port] Error 2" in result.stderr
    assert "==> Building" not in result.stdout and "==> Installing" not in result.stdout  # nothing started


def test_make_run_port_names_the_port_it_was_given() -> None:
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = make("run", f"PORT={port}")
    assert result.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr


def test_serve_refuses_a_taken_port_before_starting_gunicorn(built) -> None:
    from ascn_kg.config import load_settings

    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        settings = load_settings(dist_dir=built.dist, port=port)
        assert preflight(settings) == port_problem("127.0.0.1", port)
        assert f"port {port} on 127.0.0.1 is already in use" in str(preflight(settings))
    assert port_problem("127.0.0.1", port) is None  # free again once its holder closed
