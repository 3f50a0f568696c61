"""Run the application under granian: ``ascn-kg serve`` or ``python -m ascn_kg.ops.runner``.

granian (a Rust HTTP server, hyper on tokio) reads requests with asynchronous I/O and hands
only complete requests to the Flask application's threads (its WSGI interface), so a client
that never finishes its request holds no Python thread; a connection that has not sent its
headers within ``header_timeout`` seconds is closed.

:func:`serve` checks that there is something to serve, passes the settings to the workers
through ``ASCN_KG_*`` variables, prepares the folder of the multiprocess metrics (removed at
shutdown) and runs granian in this process, which becomes its master: ``workers`` processes,
each building its own app (and opening the read-only store) and answering on ``threads``
threads. Nothing is imported from the folder the server is started in (:func:`located_target`),
and a client that stops reading is dropped after ``send_timeout`` (:mod:`ascn_kg.ops.listener`).
``SIGHUP`` makes every worker open the build ``dist`` points to now, in place: no
connection is dropped and no request fails (see :mod:`ascn_kg.ops.reload`). ``SIGTERM`` and
``SIGINT`` stop the server gracefully.
"""

from __future__ import annotations

import argparse
import importlib.util
import logging
import os
import shutil
import signal
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

from ascn_kg.config import Settings, load_settings
from ascn_kg.ops.clients import trusted_networks
from ascn_kg.ops.listener import share_listener
from ascn_kg.ops.multiproc import ENV_VAR, prepare_multiprocess
from ascn_kg.ops.ports import port_problem

DEFAULT_APP = "ascn_kg:create_app()"
EXIT_ENVIRONMENT = 2


def settings_env(settings: Settings) -> dict[str, str]:
    """The settings as ``ASCN_KG_*`` variables, which :func:`load_settings` reads back."""
    env: dict[str, str] = {}
    for spec in fields(settings):
        value = getattr(settings, spec.name)
        if spec.name == "extra" or value is None:
            continue
        if isinstance(value, tuple):
            value = ",".join(value)
        env[f"ASCN_KG_{spec.name.upper()}"] = str(value)
    return env


def preflight(settings: Settings) -> str | None:
    """Why the server cannot start (a one-line message), or None if it can."""
    try:
        trusted_networks(settings.trusted_proxies)
    except ValueError as error:
        return str(error)
    if not settings.backend_url:
        if not settings.store_dir.is_dir():
            return f"no store at {settings.store_dir}: run `ascn-kg build` first"
        # The master stays lean (its workers are forks of it): the store is opened to check it
        # in a child process that exits, not here.
        problem = _check_store_in_child(settings)
        if problem:
            return problem
    return port_problem(settings.host, settings.port)


def _check_store_in_child(settings: Settings) -> str | None:
    import subprocess

    code = ("import sys\nfrom ascn_kg.store.embedded import EmbeddedStore\nfrom ascn_kg.config import load_settings\n"
            "from ascn_kg.store.protocol import StoreError\n"
            "try:\n    EmbeddedStore(load_settings()).close()\nexcept StoreError as error:\n"
            "    print(error)\n    sys.exit(1)\n")
    env = {**os.environ, **settings_env(settings)}
    done = subprocess.run([sys.executable, "-P", "-c", code], env=env, capture_output=True, text=True, check=False)
    if done.returncode == 0:
        return None
    return done.stdout.strip() or done.stderr.strip().splitlines()[-1]


def granian_server(settings: Settings, app: str = DEFAULT_APP) -> Any:
    """The granian server for these settings (not started)."""
    from granian import Granian
    from granian.constants import HTTPModes, Interfaces, Loops
    from granian.http import HTTP1Settings

    target, factory = (app[:-2], True) if app.endswith("()") else (app, False)
    target, folder = located_target(target)
    server = Granian(
        target, factory=factory, interface=Interfaces.WSGI, address=settings.host, port=settings.port,
        workers=max(1, settings.workers), blocking_threads=max(1, settings.threads), http=HTTPModes.http1,
        http1_settings=HTTP1Settings(header_read_timeout=int(settings.header_timeout * 1000)),
        loop=Loops.asyncio, log_level=_log_level(settings.log_level), respawn_failed_workers=True,
        workers_kill_timeout=max(1, round(settings.query_timeout)) + 5, websockets=False, working_dir=folder,
    )
    share_listener(server, settings.send_timeout)
    return server


def located_target(target: str) -> tuple[str, Path]:
    """``module:attribute`` as granian's path form (``/abs/module.py:attribute``), and the folder
    its top package lies in.

    A worker loads the target by putting a folder first on its import path: the working folder
    unless told otherwise, where any ``http.py`` would shadow the standard library. Given the
    module's own file and folder it puts that folder there instead.
    """
    module, _, attribute = target.partition(":")
    spec = importlib.util.find_spec(module)
    if spec is None or not spec.origin or not spec.has_location:
        raise ValueError(f"cannot find the application module {module!r}")
    origin = Path(spec.origin).resolve()
    folder = origin.parents[module.count(".") + (origin.name == "__init__.py")]
    return f"{origin}:{attribute or 'app'}", folder


def drop_working_folder() -> None:
    """Take the working folder off the import path (``python -m`` puts it first): a server must
    not import from wherever it was started."""
    here = os.getcwd()
    sys.path[:] = [entry for entry in sys.path if entry and os.path.abspath(entry) != here]


def _log_level(name: str) -> Any:
    from granian.log import LogLevels

    return LogLevels(name.strip().lower()) if name.strip().lower() in {v.value for v in LogLevels} else LogLevels.info


def serve(settings: Settings, app: str = DEFAULT_APP) -> NoReturn:
    """Serve ``app`` under granian until SIGTERM or SIGINT; exit 2 if there is nothing to serve."""
    drop_working_folder()
    problem = preflight(settings)
    if problem:
        print(f"ascn-kg serve: {problem}", file=sys.stderr)
        sys.exit(EXIT_ENVIRONMENT)
    if "ASCN_KG_BOOKKEEPING_THREAD" not in os.environ:
        settings = settings.with_overrides(bookkeeping_thread=True)
    settings = settings.with_overrides(serving=True)
    os.environ.update(settings_env(settings))
    owned_metrics = ENV_VAR not in os.environ
    metrics_dir = prepare_multiprocess(os.environ.get(ENV_VAR) or None)
    server = granian_server(settings, app)
    logging.getLogger("_granian").addFilter(_quiet_about_threads)
    if owned_metrics:
        server.on_shutdown(lambda: shutil.rmtree(metrics_dir, ignore_errors=True))
    reload_workers_in_place(server)
    server.serve()
    sys.exit(0)


def _quiet_about_threads(record: logging.LogRecord) -> bool:
    """Drop granian's warning that ``threads`` exceeds twice the cores: our threads mostly wait
    (for a query process, or for a slow reader), and pages must never queue behind queries."""
    return not record.getMessage().startswith("Configuration allows spawning up to")


def reload_workers_in_place(server: Any) -> None:
    """Make the master's SIGHUP reach every worker instead of replacing the workers.

    granian's own reload starts new workers and stops the old ones, closing their kept-alive
    connections; a worker told by SIGHUP reopens the store in place (``ops.reload``) and every
    connection stays.
    """

    def forward(*_: Any) -> None:
        for worker in list(server.wrks):
            pid = worker._id()  # granian's worker handle: the process id
            if pid:
                os.kill(pid, signal.SIGHUP)

    server.signal_handler_reload = forward


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """``python -m ascn_kg.ops.runner [--host H] [--port P] [--workers N] [--backend URL]``."""
    parser = argparse.ArgumentParser(prog="python -m ascn_kg.ops.runner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", help="TOML settings file")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--dist-dir", type=Path)
    parser.add_argument("--backend", dest="backend_url", help="a SPARQL endpoint to use")
    parser.add_argument("--app", default=DEFAULT_APP, help="WSGI app (module:factory() or module:app) to run")
    args = vars(parser.parse_args(argv))
    app = args.pop("app")
    try:
        settings = load_settings(args.pop("config"), **args)
    except (OSError, ValueError, KeyError) as error:
        print(f"ascn-kg serve: bad settings: {error}", file=sys.stderr)
        sys.exit(EXIT_ENVIRONMENT)
    serve(settings, app)


if __name__ == "__main__":
    main()
