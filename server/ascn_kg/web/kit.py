"""The page kit: what every page module uses, in one place.

The running app's settings and store, values cached per dataset version, the interface
language and strings of a request, links from IRIs to this server's routes, rendering,
SPARQL through the store with the project's prefixes, labels in the page language
(:class:`Labeller`), number formatting and cacheable pages (ETag on the dataset version).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from flask import Response, current_app, g, redirect, render_template, request

from ascn_kg import labels
from ascn_kg.config import Settings
from ascn_kg.iris import page_path
from ascn_kg.namespaces import prologue
from ascn_kg.ops import app_state
from ascn_kg.ops.headers import conditional, etag_for
from ascn_kg.request_language import lang_from_request
from ascn_kg.store.protocol import Store
from ascn_kg.web.near_miss import near_miss
from ascn_kg.web.text import TERM_LABELS, TEXT

CACHE_KEY = "ascn_pages_cache"
_CACHE_LOCK = threading.Lock()


def settings() -> Settings:
    """The settings of the running app."""
    return app_state.settings()


def store() -> Store:
    """The store of the running app (503 through ``StoreMissing`` when there is none)."""
    return app_state.store()


def cached(name: str, factory: Callable[[], Any]) -> Any:
    """A value computed once per dataset version and process (the dataset is immutable)."""
    cache = current_app.extensions.setdefault(CACHE_KEY, {})
    key = (name, store().version())
    with _CACHE_LOCK:
        lock = cache.setdefault(("lock", name), threading.Lock())
    with lock:
        if key not in cache:
            for old in [k for k in cache if k[0] == name]:
                del cache[old]
            cache[key] = factory()
        return cache[key]


def base_iri() -> str:
    return settings().base_iri


def page_lang() -> str:
    """The language of this request (cached per request), by :func:`lang_from_request`."""
    if "ascn_page_lang" not in g:
        g.ascn_page_lang = lang_from_request()
    return g.ascn_page_lang


def t(key: str, **values: Any) -> str:
    """An interface string in the page language; for a count ``n`` of 1, its ``KEY_one`` form if any."""
    if values.get("n") == 1 and f"{key}_one" in TEXT:
        key = f"{key}_one"
    en, ko = TEXT.get(key, (key, key))
    text = ko if page_lang() == "ko" else en
    return text.format(**values) if values else text


def root() -> str:
    return request.script_root


def local_path(iri: str) -> str | None:
    """The path on this server that documents ``iri`` (HTML), or None if it is not ours."""
    path = page_path(iri, base_iri())
    return None if path is None else f"{root()}{path}"


def href(iri: str) -> str | None:
    """A link for ``iri``: a local page for IRIs under the base, else the IRI (http/https only)."""
    local = local_path(iri)
    if local is not None:
        return local
    return iri if iri.startswith(("http://", "https://")) else None


def render(template: str, status: int = 200, **context: Any) -> Response:
    """Render a page in the page language, with the shared context."""
    body = render_template(template, **context)
    return Response(body, status=status, mimetype="text/html")


def not_found_page(message: str | None = None) -> Response:
    """404, unless the address nearly names a page (:mod:`ascn_kg.web.near_miss`): then 301 there."""
    nearly = near_miss()
    if nearly is not None:
        return redirect(nearly, code=301)
    return render("error.html", status=404, title=t("not_found"), message=message or t("not_found_text"))


def page(template: str, build: Callable[[str], dict[str, Any]], *parts: Any) -> Response:
    """A cacheable page: ETag on dataset version, language, the query string and ``parts``."""
    lang = page_lang()
    return conditional(etag_for(template, lang, request.query_string, *parts),
                       lambda: render(template, **build(lang)), vary=("Accept-Language", "Cookie"))


def select(query: str, bindings: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """A SELECT through the store, with every prefix of the project declared."""
    return store().select(prologue(base_iri()) + query, bindings)


def number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value)) if value is not None else None
    except InvalidOperation:
        return None


def fmt(value: Decimal | None, places: int | None = None) -> str:
    """A figure with thousands separators; with ``places``, that many decimals, as a column of
    the report prints them (GDP per capita: 2,989.0, which the store keeps as 2989)."""
    if value is None:
        return "—"
    if places is not None:
        return f"{value:,.{places}f}"
    return f"{value:,.0f}" if value == value.to_integral_value() else f"{value:,}"


GDP_PLACES = 1  # Annex 3 prints every GDP per capita with one decimal


class Labeller:
    """Labels of many IRIs in the page language, fetched in one query."""

    def __init__(self, iris: set[str], lang: str) -> None:
        self.lang = lang
        found = labels.label_map(store(), sorted(iris), lang)
        void_graph = f"{base_iri()}graph/void"
        for iri, text in found.items():
            if iri in TERM_LABELS and text == labels.local_name(iri):
                found[iri] = TERM_LABELS[iri][1 if lang == "ko" else 0]
            elif iri == void_graph and text == "void":
                found[iri] = "Dataset description (VoID)" if lang == "en" else "데이터셋 설명 (VoID)"
        self.labels = found

    def __call__(self, iri: Any) -> str:
        key = str(iri)
        return self.labels.get(key) or labels.local_name(key)


def link(iri: Any, label: Labeller) -> dict[str, Any]:
    """A link for a template: the label, the local page and the IRI."""
    return {"text": label(iri), "href": href(str(iri)), "iri": str(iri)}
