"""What an application holds for every request: its settings and its store, reached one way.

The store is opened once per process by :func:`attach_store`. When it cannot be opened the
app still starts (``/healthz`` answers, ``/readyz`` says why with 503); :func:`store` then
raises :class:`~ascn_kg.store.protocol.StoreMissing` carrying the reason, which every surface
turns into a 503.
"""

from __future__ import annotations

from flask import Flask, current_app

from ascn_kg.config import Settings
from ascn_kg.store.backend import open_store
from ascn_kg.store.protocol import Store, StoreError, StoreMissing

SETTINGS_KEY = "SETTINGS"
STORE_KEY = "ascn_store"
STORE_ERROR_KEY = "ascn_store_error"


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
