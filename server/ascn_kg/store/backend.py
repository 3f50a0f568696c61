"""The one place that chooses the store backend for a configuration."""

from __future__ import annotations

from ascn_kg.config import Settings
from ascn_kg.store.embedded import EmbeddedStore
from ascn_kg.store.protocol import Store
from ascn_kg.store.remote import RemoteStore


def open_store(settings: Settings) -> Store:
    """The backend the settings ask for: a remote endpoint if ``backend_url`` is set."""
    if settings.backend_url:
        return RemoteStore(settings)
    return EmbeddedStore(settings)
