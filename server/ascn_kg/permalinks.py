"""Query permalinks: short, stable ids for a query text and its parameters.

An id is the first 12 characters of the base32 SHA-256 of the normalised query and
parameters, so the same query always gets the same link (a rare collision lengthens it).
Links live in a SQLite file (WAL, so gunicorn workers write safely) under
``settings.permalink_dir``, by default ``instance/permalinks`` outside ``dist/`` so that
they survive rebuilds. With an external backend they live in the backend store instead
(:mod:`ascn_kg.permalinks_backend`), so that every web node in front of it shares them.

Routes: ``POST /q`` (form field ``query``, other fields kept as parameters) answers 303 to
``/q/<id>``, which answers 303 to the query page ``/query?query=…&run=1``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import quote, urlencode

from flask import Blueprint, Flask, Response, abort, current_app, jsonify, redirect, request
from markupsafe import escape
from werkzeug.exceptions import HTTPException

from .config import PROJECT_ROOT, Settings
from .sparql import error_status
from .store import StoreError

if TYPE_CHECKING:
    from .permalinks_backend import BackendPermalinks

ParamValue = str | Sequence[str]
Params = dict[str, str | list[str]]

ID_LENGTH = 12
ID_PATTERN = re.compile(r"^[a-z2-7]{12,52}$")
PARAM_KEY = re.compile(r"^[a-z][a-z0-9_-]{0,39}$")
MAX_PARAMS = 16
MAX_PARAM_VALUES = 16
MAX_PARAM_CHARS = 2_000
RESERVED = frozenset({"query", "run"})
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


class PermalinkError(ValueError):
    """The query or its parameters cannot be stored (empty, malformed); HTTP 400."""

    status = 400


class QueryTooLong(PermalinkError):
    """The query is longer than ``settings.max_query_length``; HTTP 413."""

    status = 413


def default_dir() -> Path:
    """``instance/permalinks`` in the project, outside ``dist/``."""
    return PROJECT_ROOT / "instance" / "permalinks"


def normalise_query(text: str) -> str:
    """Line endings as LF, outer whitespace removed: the same query gets the same id."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def _is_text(value: str) -> bool:
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def normalise_params(params: Mapping[str, ParamValue] | None) -> Params:
    """Check keys and values; a single value stays a string, several become a list."""
    clean: Params = {}
    for key, value in (params or {}).items():
        if not isinstance(key, str) or not PARAM_KEY.match(key) or key in RESERVED:
            raise PermalinkError(f"parameter name not allowed: {key!r}")
        values = [value] if isinstance(value, str) else list(value)
        if not values or len(values) > MAX_PARAM_VALUES:
            raise PermalinkError(f"parameter {key!r} needs 1 to {MAX_PARAM_VALUES} values")
        for item in values:
            if not isinstance(item, str) or len(item) > MAX_PARAM_CHARS or not _is_text(item):
                raise PermalinkError(f"parameter {key!r}: value too long or not text")
        clean[key] = values[0] if len(values) == 1 else values
    if len(clean) > MAX_PARAMS:
        raise PermalinkError(f"at most {MAX_PARAMS} parameters")
    return dict(sorted(clean.items()))


def _digest(query: str, params: Params) -> str:
    canonical = json.dumps([query, params], ensure_ascii=False, separators=(",", ":"))
    raw = hashlib.sha256(canonical.encode("utf-8")).digest()
    return base64.b32encode(raw).decode("ascii").lower().rstrip("=")


def prepare(
    query_text: str, extra_params: Mapping[str, ParamValue] | None, max_query_length: int
) -> tuple[str, Params, str]:
    """The normalised query and parameters of a new link, and their digest; PermalinkError if
    they cannot be stored. Every permalink store calls this, so ids agree across stores."""
    query = normalise_query(query_text)
    if not query:
        raise PermalinkError("empty query")
    if len(query) > max_query_length:
        raise QueryTooLong(f"query longer than {max_query_length} characters")
    if not _is_text(query):
        raise PermalinkError("query is not valid Unicode text")
    params = normalise_params(extra_params)
    return query, params, _digest(query, params)


def encode_params(params: Params) -> str:
    """Parameters as the compact JSON text stored with a link."""
    return json.dumps(params, ensure_ascii=False, separators=(",", ":"))


def candidate_ids(digest: str) -> Iterator[str]:
    """The ids a link may get, shortest first (a longer one only after a collision)."""
    for length in range(ID_LENGTH, len(digest) + 1, 4):
        yield digest[:length]


def is_valid_id(link_id: str) -> bool:
    """Ids are 12 to 52 lower-case base32 characters."""
    return bool(ID_PATTERN.match(link_id))


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


@bp.errorhandler(HTTPException)
def _error(error: HTTPException) -> Response:
    code = error.code or 500
    message = error.description or error.name
    if request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json":
        response = jsonify(error=error.name, message=message)
    else:
        title = f"{code} {escape(error.name)}"
        response = Response(
            f"<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{title}</title></head><body><h1>{title}</h1><p>{escape(message)}</p>"
            f"</body></html>\n",
            mimetype="text/html",
        )
    response.status_code = code
    return response


@bp.post("/q")
def create() -> Response:
    """Store the posted query; 303 to its permalink."""
    query = request.form.get("query", "")
    params = {k: request.form.getlist(k) for k in request.form if k not in RESERVED}
    try:
        link_id = make_permalink(query, params)
    except PermalinkError as error:
        abort(error.status, description=str(error))
    except StoreError as error:
        abort(error_status(error), description=str(error))
    return redirect(f"{request.script_root}/q/{link_id}", code=303)


@bp.get("/q/<link_id>")
def follow(link_id: str) -> Response:
    """303 to the query page with the stored query, run at once."""
    try:
        found = resolve_permalink(link_id)
    except StoreError as error:
        abort(error_status(error), description=str(error))
    if found is None:
        abort(404, description="No query is stored under this permalink.")
    response = redirect(query_page_url(*found), code=303)
    response.headers["Cache-Control"] = "public, max-age=86400"
    return response


def init_app(app: Flask, settings: Settings) -> PermalinkStore | BackendPermalinks:
    """Register the routes and the store: in the backend with ``backend_url`` (shared by every
    web node), else the SQLite file (the folder is created on first use)."""
    store: PermalinkStore | BackendPermalinks
    if settings.backend_url:
        from .permalinks_backend import BackendPermalinks

        store = BackendPermalinks(app.extensions.get("ascn_store"), settings)
    else:
        store = PermalinkStore(settings.permalink_dir or default_dir(), max_query_length=settings.max_query_length)
    app.extensions[EXTENSION_KEY] = store
    app.register_blueprint(bp)
    return store
