"""What tests share besides fixtures: the checkout, one way to make an app, one fake store."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from flask import Flask

from ascn_kg import create_app
from ascn_kg.namespaces import prologue
from ascn_kg.ops.app_state import attach_store

REPO = Path(__file__).resolve().parents[1]
BASE = "https://kg.ascn.example/"
CLI = [sys.executable, "-m", "ascn_kg.cli"]
BUILD_TIMEOUT = 180


def new_app(scratch: Path, store: Any = None, **settings: Any) -> Flask:
    """The application as ``create_app`` makes it, with test settings in ``scratch``.

    Without ``dist_dir`` the app has no dataset (its store is missing); a ``store`` (a
    :class:`FakeStore`) then takes the place of the real one.
    """
    settings.setdefault("permalink_dir", scratch / "permalinks")
    settings.setdefault("dist_dir", scratch / "no-dist")
    app = create_app(settings)
    if store is not None:
        attach_store(app, app.config["SETTINGS"], store)
    return app


class FakeStore:
    """The store methods the operations layer uses, with failures and calls to inspect."""

    def __init__(self, version: str = "2026-11-25-abc123", triples: int = 1234, has_data: bool = True) -> None:
        self._version = version
        self.triples = triples
        self.has_data = has_data
        self.fail: Exception | None = None  # raised by version() and ask()
        self.asked: list[str] = []
        self.counts = 0

    def version(self) -> str:
        if self.fail:
            raise self.fail
        return self._version

    def ask(self, query: str, bindings: Any = None) -> bool:
        self.asked.append(query)
        if self.fail:
            raise self.fail
        return self.has_data

    def triple_count(self) -> int:
        self.counts += 1
        return self.triples

    def close(self) -> None:
        """Nothing to release."""


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    """Run a SELECT over the union graph, with the project's prefixes; values as plain strings."""
    results = store.query(prologue(BASE) + query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [
        {n: (row[n].value if row[n] is not None else None) for n in names} for row in results
    ]


def key(iri: str) -> str:
    """The key (last path segment) of an entity IRI."""
    return iri.rsplit("/", 1)[-1]


def cli_build(data_dir: Path, dist: Path) -> subprocess.CompletedProcess[str]:
    """``ascn-kg build`` of ``data_dir`` into ``dist``, as a user runs it."""
    return subprocess.run([*CLI, "--data-dir", str(data_dir), "--dist-dir", str(dist), "build"],
                          capture_output=True, text=True, timeout=BUILD_TIMEOUT)
