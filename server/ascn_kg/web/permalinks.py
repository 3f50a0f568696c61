"""Query permalinks: short, stable ids for a query text and its parameters.

An id is the first 12 characters of the base32 SHA-256 of the normalised query and
parameters, so the same query always gets the same link (a rare collision lengthens it).
Links live in a SQLite file (WAL, so the server's workers write safely) under
``settings.permalink_folder`` (by default ``instance/permalinks`` beside ``dist/``, so that
they survive rebuilds). With an external backend they live in the backend store instead
(:mod:`ascn_kg.web.permalinks_backend`), so that every web node in front of it shares them.
The id rules are in :mod:`ascn_kg.web.permalink_ids`.

Routes: ``POST /q`` (form field ``query``, other fields kept as parameters) answers 303 to
``/q/<id>``, which answers 303 to the query page ``/query?query=…&run=1``, or, when that URL
would be longer than :data:`MAX_LOCATION_BYTES`, to ``/query?link=<id>&run=1`` (the page
reads the link itself): no answer carries a header longer than a normal URL. A catalogue
query has a short link by its name too: ``/q/capital-cities`` answers 303 to
``/query?name=…&run=1``.

Bounded: a link holds at most ``permalink_max_bytes`` (413 past it), one client makes at
most ``permalink_rate`` links a minute (429 with ``Retry-After``), and the SQLite file (with
its write-ahead log) stays within ``permalink_store_bytes``: past it, 507, and the links
already made keep working.
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

from ascn_kg.catalogue import NAME as CATALOGUE_NAME
from ascn_kg.catalogue import CatalogueError, UnknownQuery, closest_names, resolve
from ascn_kg.config import Settings
from ascn_kg.ops.app_state import settings as app_settings
from ascn_kg.ops.client_limits import rate_limiter
from ascn_kg.ops.clients import client_of
from ascn_kg.web.permalink_ids import (
    RESERVED,
    Params,
    ParamValue,
    PermalinkStoreFull,
    candidate_ids,
    encode_params,
    is_valid_id,
    prepare,
)
from ascn_kg.web.permalinks_backend import BackendPermalinks

DB_NAME = "permalinks.sqlite3"
EXTENSION_KEY = "ascn_permalinks"
QUERY_PAGE = "/query"
MAX_LOCATION_BYTES = 2_000  # a redirect longer than a URL every client and proxy takes goes by id
PAGE_BYTES = 4096  # SQLite's page
SCHEMA = """
CREATE TABLE IF NOT EXISTS permalink (
    id      TEXT PRIMARY KEY,
    query   TEXT NOT NULL,
    params  TEXT NOT NULL,
    created TEXT NOT NULL
)
"""


class PermalinkStore:
    """The SQLite file of permalinks; one short connection per call, safe across processes.

    Its size on disk (the file, its write-ahead log and index) stays within ``max_store_bytes``:
    the log is checkpointed and cut back while small against that budget, and a link is added
    only when it fits (:meth:`_check_room`, inside the write transaction, so that workers
    adding at once cannot overshoot together).
    """

    def __init__(self, directory: Path, max_query_length: int, max_bytes: int = 32_000,
                 max_store_bytes: int = 100_000_000) -> None:
        self.directory = Path(directory)
        self.path = self.directory / DB_NAME
        self.max_query_length = max_query_length
        self.max_bytes, self.max_store_bytes = max_bytes, max_store_bytes
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
            log_budget = max(PAGE_BYTES * 16, self.max_store_bytes // 8)  # the write-ahead log's share
            connection.execute(f"PRAGMA journal_size_limit = {log_budget}")
            connection.execute(f"PRAGMA wal_autocheckpoint = {min(1000, log_budget // PAGE_BYTES)}")
            if not self._ready:
                connection.execute("PRAGMA journal_mode = WAL")
                connection.execute(SCHEMA)
                self._ready = True
            yield connection
        finally:
            connection.close()

    def make(self, query_text: str, extra_params: Mapping[str, ParamValue] | None = None) -> str:
        """Store the query (idempotently) and return its id; :class:`PermalinkStoreFull` when a new
        link does not fit."""
        query, params, digest = prepare(query_text, extra_params, self.max_query_length, self.max_bytes)
        encoded = encode_params(params)
        with self._connect() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                link_id = self._insert(db, query, encoded, digest)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return link_id

    def _insert(self, db: sqlite3.Connection, query: str, encoded: str, digest: str) -> str:
        for link_id in candidate_ids(digest):
            row = db.execute("SELECT query, params FROM permalink WHERE id = ?", (link_id,)).fetchone()
            if row is None:
                self._check_room(len(query.encode("utf-8")) + len(encoded.encode("utf-8")))
                now = datetime.now(UTC).isoformat(timespec="seconds")
                db.execute("INSERT INTO permalink (id, query, params, created) VALUES (?,?,?,?)",
                           (link_id, query, encoded, now))
                return link_id
            if (row[0], row[1]) == (query, encoded):
                return link_id
        raise RuntimeError("permalink id space exhausted")  # needs a full SHA-256 collision

    def disk_bytes(self) -> int:
        """The store's size on disk: the file, its write-ahead log and its shared index."""
        total = 0
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                total += (self.directory / f"{DB_NAME}{suffix}").stat().st_size
        return total

    def _check_room(self, row_bytes: int) -> None:
        """Refuse a new link that could take the store past its size (the row, its index entry and
        the log frames writing them, counted generously)."""
        if self.disk_bytes() + 2 * row_bytes + 4 * PAGE_BYTES > self.max_store_bytes:
            raise PermalinkStoreFull(self.max_store_bytes)

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
    """Store the posted query; 303 to its permalink (413, 429 or 507 when it cannot be made)."""
    settings = app_settings()
    limiter = rate_limiter(current_app, EXTENSION_KEY, settings.permalink_rate, "permalinks made")
    limiter.count(client_of(request.environ, settings.trusted_proxies))
    query = request.form.get("query", "")
    params = {k: request.form.getlist(k) for k in request.form if k not in RESERVED}
    link_id = make_permalink(query, params)
    return redirect(f"{request.script_root}/q/{link_id}", code=303)


@bp.get("/q/<link_id>")
def follow(link_id: str) -> Response:
    """303 to the query page with the stored query (or the catalogue query of that name), run at once."""
    found = resolve_permalink(link_id)
    if found is not None:
        target = query_page_url(*found)
        if len(target.encode("utf-8")) > MAX_LOCATION_BYTES:  # the page reads the link by its id instead
            target = f"{request.script_root}{QUERY_PAGE}?{urlencode({'link': link_id, 'run': '1'})}"
    elif is_catalogue_name(link_id):
        target = f"{request.script_root}{QUERY_PAGE}?{urlencode({'name': link_id, 'run': '1'})}"
    else:
        close = closest_names(link_id, app_settings().queries_dir) if CATALOGUE_NAME.match(link_id) else []
        hint = f" Example questions with a name like it: {', '.join(close)}." if close else ""
        abort(404, description=f"No query is stored under this permalink.{hint}")
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
        store = PermalinkStore(settings.permalink_folder, settings.max_query_length, settings.permalink_max_bytes,
                               settings.permalink_store_bytes)
    app.extensions[EXTENSION_KEY] = store
    app.register_blueprint(bp)
    return store
