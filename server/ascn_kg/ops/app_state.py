"""What an application holds for every request: its settings and its store, reached one way.

The store is opened once per process by :func:`attach_store`. When it cannot be opened the
app still starts (``/healthz`` answers, ``/readyz`` says why with 503); :func:`store` then
raises :class:`~ascn_kg.store.protocol.StoreMissing` carrying the reason, which every surface
turns into a 503.

Under ``ascn-kg serve`` a worker reopens the store in place on ``SIGHUP``
(:func:`start_serving`): requests arriving afterwards are answered from the build ``dist``
points to now, requests in flight finish on the old one (closed once the time limit has
passed), and a build that cannot be opened leaves the last good one in service.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Callable

from flask import Flask, current_app

from ascn_kg.config import Settings
from ascn_kg.memory_release import return_large_blocks
from ascn_kg.store.backend import open_store
from ascn_kg.store.protocol import Store, StoreError, StoreMissing

SETTINGS_KEY = "SETTINGS"
STORE_KEY = "ascn_store"
STORE_ERROR_KEY = "ascn_store_error"
ON_NEW_STORE_KEY = "ascn_on_new_store"
CLOSE_MARGIN_S = 5.0  # after the time limit, a retired store's last query has surely ended

log = logging.getLogger(__name__)
_REOPEN_LOCK = threading.Lock()


def settings(app: Flask | None = None) -> Settings:
    """The settings of ``app`` (default: the running app)."""
    return (app or current_app).config[SETTINGS_KEY]


def attach_store(app: Flask, settings_: Settings, store_: Store | None = None) -> None:
    """Open the store the settings name (or take ``store_``) and keep it on ``app``."""
    if store_ is None:
        try:
            store_ = open_store(settings_)
        except StoreError as error:
            app.extensions[STORE_ERROR_KEY] = str(error)
    app.extensions[STORE_KEY] = store_


def store(app: Flask | None = None) -> Store:
    """The store of ``app``; :class:`StoreMissing` (a 503) with the reason when it has none."""
    extensions = (app or current_app).extensions
    found: Store | None = extensions.get(STORE_KEY)
    if found is None:
        reason = extensions.get(STORE_ERROR_KEY) or "no store is configured"
        raise StoreMissing(f"the dataset is not available: {reason}")
    return found


def has_store(app: Flask | None = None) -> bool:
    """Whether ``app`` has an open store."""
    return (app or current_app).extensions.get(STORE_KEY) is not None


def on_new_store(app: Flask, callback: Callable[[], None]) -> None:
    """Call ``callback`` after ``app`` has opened a new build (to drop what was derived from the old)."""
    app.extensions.setdefault(ON_NEW_STORE_KEY, []).append(callback)


def reopen_store(app: Flask) -> bool:
    """Open the build ``dist`` points to now and serve it; keep the old store if it cannot be opened."""
    with _REOPEN_LOCK:
        settings_ = settings(app)
        try:
            fresh = open_store(settings_)
        except StoreError as error:
            log.error("reload refused, the last good build stays in service: %s", error)
            return False
        old: Store | None = app.extensions.get(STORE_KEY)
        fresh.warm()
        app.extensions[STORE_KEY] = fresh
        app.extensions.pop(STORE_ERROR_KEY, None)
        for callback in app.extensions.get(ON_NEW_STORE_KEY, []):
            callback()
        log.info("serving dataset version %s", fresh.version() or "unknown")
        if old is not None:  # queries in flight on the old store end within the time limit
            closer = threading.Timer(settings_.query_timeout + CLOSE_MARGIN_S, old.close)
            closer.daemon = True
            closer.start()
        return True


def start_serving(app: Flask) -> None:
    """In a server's worker (``serving``): start the store's query process and reopen the store
    when this process gets ``SIGHUP``.

    Only the main thread may set a signal handler; the handler hands the work to a thread.
    """
    if not settings(app).serving or threading.current_thread() is not threading.main_thread():
        return
    return_large_blocks()  # the memory of a large answer goes back once it is sent
    if has_store(app):
        store(app).warm()

    def handle(*_: object) -> None:
        threading.Thread(target=reopen_store, args=(app,), name="ascn-reload", daemon=True).start()

    signal.signal(signal.SIGHUP, handle)
