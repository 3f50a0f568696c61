"""Run the application under gunicorn: ``ascn-kg serve`` or ``python -m ascn_kg.serve``.

:func:`serve` checks that there is something to serve, passes the settings to the
workers through ``ASCN_KG_*`` variables and replaces the process with gunicorn. Each
gunicorn worker builds its own app (no preloading), so each opens the read-only store and
its own query pool after the fork. This module is also gunicorn's configuration module
(``-c python:ascn_kg.serve``): its ``on_starting`` and ``child_exit`` hooks set up the
multiprocess metrics.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any, NoReturn

from .config import Settings, load_settings

DEFAULT_APP = "ascn_kg:create_app()"
GUNICORN_THREADS = 16  # pages and search must not queue behind queries waiting for the pool
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
    from .ports import port_problem

    if not settings.backend_url:
        if not settings.store_dir.is_dir():
            return f"no store at {settings.store_dir}: run `ascn-kg build` first"
        from .store import StoreError, open_store

        try:
            open_store(settings).close()
        except StoreError as error:
            return str(error)
    return port_problem(settings.host, settings.port)


def gunicorn_argv(settings: Settings, app: str = DEFAULT_APP) -> list[str]:
    """The gunicorn command line for these settings."""
    return [
        sys.executable, "-m", "gunicorn",
        "--config", "python:ascn_kg.serve",
        "--bind", f"{settings.host}:{settings.port}",
        "--workers", str(max(1, settings.workers)),
        "--worker-class", "ascn_kg.gunicorn_worker.LingeringThreadWorker",
        "--threads", str(GUNICORN_THREADS),
        "--no-control-socket",
        "--timeout", str(int(max(30, settings.query_timeout * 3))),
        "--graceful-timeout", "5",
        "--log-level", settings.log_level.lower(),
        app,
    ]


def serve(settings: Settings, app: str = DEFAULT_APP) -> NoReturn:
    """Replace this process with gunicorn serving ``app``; exit 2 if there is nothing to serve."""
    problem = preflight(settings)
    if problem:
        print(f"ascn-kg serve: {problem}", file=sys.stderr)
        sys.exit(EXIT_ENVIRONMENT)
    if "ASCN_KG_BOOKKEEPING_THREAD" not in os.environ:
        settings = settings.with_overrides(bookkeeping_thread=True)
    env = {**os.environ, **settings_env(settings)}
    sys.stdout.flush()
    sys.stderr.flush()
    argv = gunicorn_argv(settings, app)
    os.execve(argv[0], argv, env)


def on_starting(server: Any) -> None:
    """gunicorn hook, in the master before any app import: multiprocess metrics."""
    from .multiproc import ENV_VAR, prepare_multiprocess

    prepare_multiprocess(os.environ.get(ENV_VAR) or None)


def child_exit(server: Any, worker: Any) -> None:
    """gunicorn hook: forget a dead worker's live metrics."""
    from .multiproc import mark_process_dead

    mark_process_dead(worker.pid)


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """``python -m ascn_kg.serve [--host H] [--port P] [--workers N] [--backend URL]``."""
    parser = argparse.ArgumentParser(prog="python -m ascn_kg.serve", description=__doc__)
    parser.add_argument("--config", help="TOML settings file")
    parser.add_argument("--host")
    parser.add_argument("--port", type=int)
    parser.add_argument("--workers", type=int)
    parser.add_argument("--dist-dir", type=Path)
    parser.add_argument("--backend", dest="backend_url", help="a SPARQL endpoint to use")
    parser.add_argument("--app", default=DEFAULT_APP, help="gunicorn app (factory) to run")
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
