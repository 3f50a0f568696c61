"""Addresses a person gets almost right: ``/cities/``, ``/page/city/JAKARTA``, ``/downloads``.

A GET or HEAD that would be a 404 is sent on (301) to the address it nearly names, when that
address is a route of the site: another name of a page (``/downloads``), without the trailing
slash, or in lower case (keys are lower case). Anything else stays a 404.
"""

from __future__ import annotations

from flask import current_app, request
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect

from ascn_kg.iris import is_valid_key

# Pages people call by another name.
ALIASES = {"/downloads": "/download/", "/download": "/download/", "/dumps": "/download/", "/home": "/",
           "/person": "/people", "/state": "/states", "/city": "/cities", "/project": "/projects"}


def _is_route(path: str) -> bool:
    adapter = current_app.url_map.bind_to_environ(request.environ)
    try:
        adapter.match(path, method="GET")
    except RequestRedirect:
        return True
    except HTTPException:
        return False
    return True


def _lowers(path: str) -> bool:
    """Whether ``path`` may be read in lower case: a page of the site (``/Cities``), or a thing
    whose key is a key once lower-cased (``/page/city/JAKARTA``); never ontology terms, which
    are CamelCase, nor permalinks."""
    parts = path.strip("/").split("/")
    if len(parts) == 1:
        return True
    key = parts[-1].rsplit(".", 1)[0].lower()
    return parts[0] in {"page", "id", "data", "graph"} and is_valid_key(key)


def near_miss() -> str | None:
    """The path (with the query string) this request nearly names, or None."""
    if request.method not in {"GET", "HEAD"}:
        return None
    path = request.path
    candidates = [ALIASES.get(path.rstrip("/") or "/")]
    if path != "/" and path.endswith("/"):
        candidates.append(path.rstrip("/"))
    if path != path.lower() and _lowers(path):
        candidates += [path.lower(), path.lower().rstrip("/") if path != "/" else None]
    for candidate in candidates:
        if candidate and candidate != path and _is_route(candidate):
            query = request.query_string.decode("latin-1")
            return f"{request.script_root}{candidate}" + (f"?{query}" if query else "")
    return None
