"""Query permalinks: short, stable ids for a query text and its parameters.

An id is the first 12 characters of the base32 SHA-256 of the normalised query and
parameters, so the same query always gets the same link (a rare collision lengthens it).
Links live in a SQLite file (WAL, so the server's workers write safely) under
``settings.permalink_folder`` (by default ``instance/permalinks`` beside ``dist/``, so that
they survive rebuilds). With an external backend they live in the backend store instead
(:mod:`ascn_kg.web.permalinks_backend`), so that every web node in front of it shares them.
The id rules are in :mod:`ascn_kg.web.permalink_ids`.

Routes: ``POST /q`` (form field ``query``, other fields kept as parameters) answers 303 to
``/q/<id>``, which answers 303 to the query page ``/query?query=…&run=1``. A catalogue query
has a short link by its name too: ``/q/capital-cities`` answers 303 to ``/query?name=…&run=1``.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import threading
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote, urlencode

from flask import Blueprint, Flask, Response, abort, current_app, redirect, request

from ascn_kg.catalogue import CatalogueError, UnknownQuery, resolve
from ascn_kg.config import Settings
from ascn_kg.ops.app_state import settings as app_settings
from ascn_kg.web.permalink_ids import (
    RESERVED,
    Params,
    ParamValue,
    PermalinkError,
    candidate_ids,
    encode_params,
    is_valid_id,
    prepare,
)
from ascn_kg.web.permalinks_backend import BackendPermalinks

DB_NAME = "permalinks.sqlite3"
EXTENSION_KEY = "ascn_permalinks"
QUERY_PAGE = "/query"
SCHEMA = """
CREATE TABLE IF NOT EXISTS permalink (
    id      TEXT PRIMARY KEY,
    query   TEXT NOT NULL,
    params  TEXT NOT NULL,
    created TEXT NOT NULL
)
"""


class PermalinkStore:
    """The SQLite file of permalinks; one short connection per call, safe across processes."""

    def __init__(self, directory: Path, max_query_length: int) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.max_query_length = max_query_length
        self._ready = False
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if not self._ready:
                self.directory.mkdir(parents=True, exist_ok=True)
        connection = sqlite3.connect(self.path, timeout=10.0, isolation_level=None)
        try:
            connection.execute("PRAGMA busy_timeout = 10000")
            if not self._ready:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(SCHEMA)
                self._ready = True
            yield connection
        finally:
            connection.close()

    def make(self, query_text: str, extra_params: Mapping[str, ParamValue] | None = None) -> str:
        """Store the query (idempotently) and return its id."""
        query, params, digest = prepare(query_text, extra_params, self.max_query_length)
        encoded = encode_params(params)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        with self._connect() as db:
            for link_id in candidate_ids(digest):
                db.execute(
                    "INSERT OR IGNORE INTO permalink (id, query, params, created) VALUES (?,?,?,?)",
                    (link_id, query, encoded, now),
                )
                row = db.execute(
                    "SELECT query, params FROM permalink WHERE id = ?", (link_id,)
                ).fetchone()
                if (row[0], row[1]) == (query, encoded):
                    return link_id
        raise RuntimeError("permalink id space exhausted")  # needs a full SHA-256 collision

    def resolve(self, link_id: str) -> tuple[str, Params] | None:
        """The query and parameters of an id, or None (also for malformed ids)."""
        if not is_valid_id(link_id) or not self.path.exists():
            return None
        with self._connect() as db:
            row = db.execute(
                "SELECT query, params FROM permalink WHERE id = ?", (link_id,)
            ).fetchone()
        return None if row is None else (row[0], json.loads(row[1]))


def _store() -> PermalinkStore | BackendPermalinks:
    return current_app.extensions[EXTENSION_KEY]


def make_permalink(query_text: str, extra_params: Mapping[str, ParamValue] | None = None) -> str:
    """The id of a query and its parameters, stored for the current app."""
    return _store().make(query_text, extra_params)


def resolve_permalink(link_id: str) -> tuple[str, Params] | None:
    """The query and parameters of an id in the current app's store, or None."""
    return _store().resolve(link_id)


def query_page_url(query: str, params: Mapping[str, ParamValue]) -> str:
    """``/query?query=…&…&run=1``, every value percent-encoded."""
    pairs: list[tuple[str, str]] = [("query", query)]
    for key, value in params.items():
        pairs.extend((key, item) for item in ([value] if isinstance(value, str) else value))
    pairs.append(("run", "1"))
    return f"{request.script_root}{QUERY_PAGE}?{urlencode(pairs, quote_via=quote)}"


bp = Blueprint("permalinks", __name__)


@bp.post("/q")
def create() -> Response:
    """Store the posted query; 303 to its permalink."""
    query = request.form.get("query", "")
    params = {k: request.form.getlist(k) for k in request.form if k not in RESERVED}
    try:
        link_id = make_permalink(query, params)
    except PermalinkError as error:
        abort(error.status, description=str(error))
    return redirect(f"{request.script_root}/q/{link_id}", code=303)


@bp.get("/q/<link_id>")
def follow(link_id: str) -> Response:
    """303 to the query page with the stored query (or the catalogue query of that name), run at once."""
    found = resolve_permalink(link_id)
    if found is not None:
        target = query_page_url(*found)
    elif is_catalogue_name(link_id):
        target = f"{request.script_root}{QUERY_PAGE}?{urlencode({'name': link_id, 'run': '1'})}"
    else:
        abort(404, description="No query is stored under this permalink.")
    response = redirect(target, code=303)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def is_catalogue_name(name: str) -> bool:
    """Whether ``name`` names a query of the catalogue (``/q/capital-cities``)."""
    try:
        resolve(name, app_settings().queries_dir)
    except (UnknownQuery, CatalogueError):
        return False
    return True


def init_app(app: Flask, settings: Settings) -> PermalinkStore | BackendPermalinks:
    """Register the routes and the store: in the backend with ``backend_url`` (shared by every
    web node), else the SQLite file (the folder is created on first use)."""
    store: PermalinkStore | BackendPermalinks
    if settings.backend_url:
        store = BackendPermalinks(app, settings)
    else:
        store = PermalinkStore(settings.permalink_folder, max_query_length=settings.max_query_length)
    app.extensions[EXTENSION_KEY] = store
    app.register_blueprint(bp)
    return store
