"""Search across labels in English and Korean: ``/search?q=`` (HTML) and ``/api/search`` (JSON).

The label index (:mod:`ascn_kg.label_index`) is loaded once per dataset version and process
from the file the build wrote next to the store, or built from the store when there is
none (an external backend, an older dist).

Ranking: exact label > prefix of a label > prefix of a word > substring; within each,
pilot cities and member states first, then the main kinds of things, then the rest
(indicators, posts, notes …); then shorter labels first.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from rdflib import URIRef

from ascn_kg.store.label_index import INDEX_FILE, LabelIndex, build_index, kind_of, load_index
from ascn_kg.web.kit import Labeller, base_iri, cached, href, page_lang, render, select, settings, store, t

bp = Blueprint("search", __name__)
log = logging.getLogger(__name__)

KIND_TEXT = {
    "city": ("city", "도시"), "state": ("state", "국가"), "person": ("person", "인물"), "post": ("post", "직위"),
    "organisation": ("organisation", "기관"), "project": ("project", "프로젝트"),
    "focus-area": ("focus area", "중점 분야"), "event": ("event", "행사"), "indicator": ("indicator", "지표"),
    "note": ("data-quality note", "데이터 품질 메모"), "source": ("report part", "보고서 부분"),
    "element": ("core element", "핵심요소"), "partnership": ("partnership", "협력 사업"),
    "initiative": ("initiative", "이니셔티브"), "role": ("role", "역할"), "scheme": ("scheme", "체계"),
    "figure": ("stated figure", "언급된 수치"), "threshold": ("threshold", "기준값"),
    "def": ("ontology term", "온톨로지 용어"), "graph": ("named graph", "이름 있는 그래프"),
    "locator": ("place in the report", "보고서 내 위치"), "rule": ("derivation rule", "도출 규칙"),
    "theme": ("theme", "분야"),
}


MAX_LIMIT = 50


def load_or_build_index() -> LabelIndex:
    """The index the build saved for this dataset version, else one built from the store."""
    saved = load_index(Path(settings().dist_dir) / INDEX_FILE, store().version())
    if saved is not None and saved.base == base_iri():
        return saved
    return build_index(store().select, base_iri())


def search_index() -> LabelIndex:
    return cached("search-index", load_or_build_index)


MATCHES = ("exact", "prefix", "word", "substring", "similar")
# What tells apart things of one name (two cities' "Intelligent Operations Center"): their city or state.
CONTEXT_QUERY = """SELECT ?s ?context WHERE {
  ?s ascn:isProjectOf|ascn:forCity|ascn:forCountry|ascn:isLocatedIn|ascn:concernsCity ?context
} ORDER BY ?s ?context"""


def results(query: str, lang: str, limit: int) -> list[dict[str, Any]]:
    index = search_index()
    base = base_iri()
    out = []
    for hit in index.search(query, limit):
        label = index.label(hit.iri, lang, hit.matched)
        kind = kind_of(hit.iri, base)
        kind_text = KIND_TEXT.get(kind, (kind, kind))[1 if lang == "ko" else 0]
        out.append({"iri": hit.iri, "label": label, "matched": hit.matched, "kind": kind, "kind_label": kind_text,
                    "url": href(hit.iri), "match": MATCHES[hit.rank[0]], "context": None})
    add_contexts(out, lang)
    return out


def add_contexts(found: list[dict[str, Any]], lang: str) -> None:
    """Give results that share a label and kind the label of their city or state."""
    seen: dict[tuple[str, str], int] = {}
    for r in found:
        seen[r["label"], r["kind"]] = seen.get((r["label"], r["kind"]), 0) + 1
    alike = [r for r in found if seen[r["label"], r["kind"]] > 1]
    if not alike:
        return
    rows = select(CONTEXT_QUERY.replace("?s ascn:", "VALUES ?s { " + " ".join(f"<{r['iri']}>" for r in alike)
                                        + " } ?s ascn:", 1))
    contexts: dict[str, list[str]] = {}
    for row in rows:
        contexts.setdefault(str(row["s"]), []).append(str(row["context"]))
    label = Labeller({c for values in contexts.values() for c in values}, lang)
    for r in alike:
        names = [label(URIRef(c)) for c in contexts.get(r["iri"], [])]
        r["context"] = ", ".join(dict.fromkeys(names)) or None


def limit_arg(default: int) -> int:
    value = request.args.get("limit", "")
    return max(1, min(int(value), MAX_LIMIT)) if value.isdigit() else default


@bp.get("/api/search")
def api() -> Response:
    query = request.args.get("q", "")[:200]
    lang = page_lang()
    found = results(query, lang, limit_arg(10))
    response = jsonify({"query": query, "lang": lang, "results": found})
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/search")
def page() -> Response:
    query = request.args.get("q", "")[:200]
    lang = page_lang()
    found = results(query, lang, limit_arg(MAX_LIMIT)) if query.strip() else []
    return render("search.html", title=t("search"), search_q=query, query=query, results=found)


def _warm(app: Flask) -> None:
    try:
        with app.app_context():
            search_index()
    except Exception:  # a failing warm-up only means the first search builds the index
        log.exception("building the search index in the background failed")


WARM_DELAY_S = 1.0  # let the process start answering before loading the index


def init_app(app: Flask) -> None:
    """Load (or build) the label index in the background, shortly after the app starts.

    A search arriving before that loads it itself (the other requests never wait for it).
    """
    timer = threading.Timer(WARM_DELAY_S, _warm, args=(app,))
    timer.name, timer.daemon = "ascn-search-index", True
    timer.start()
