"""The browsing surface: dereferenceable IRIs, entity pages, browse pages, search, charts.

``init_app(app, settings)`` registers one blueprint per surface (entity, browse, search,
charts, query page, downloads, ontology documentation) and the shared page helpers:
the interface language (the rule of :mod:`ascn_kg.labels`), interface strings in English
and Korean, and the mapping from IRIs under the base onto this server's routes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from flask import Flask, Response, current_app, g, render_template, request
from werkzeug.exceptions import HTTPException, NotFound
from werkzeug.http import HTTP_STATUS_CODES

from . import labels
from .config import Settings
from .store import StoreError

SETTINGS_KEY = "SETTINGS"
CACHE_KEY = "ascn_pages_cache"
_CACHE_LOCK = threading.Lock()

# Interface strings: key → (English, Korean).
TEXT: dict[str, tuple[str, str]] = {
    "site": ("ASCN-KG", "ASCN-KG"),
    "tagline": ("The ASEAN Smart Cities Network knowledge graph", "아세안 스마트시티 네트워크 지식 그래프"),
    "home": ("Home", "홈"),
    "states": ("Member states", "회원국"),
    "cities": ("Pilot cities", "시범도시"),
    "projects": ("Projects", "프로젝트"),
    "people": ("People", "인물"),
    "timeline": ("Timeline", "일정"),
    "governance": ("Governance", "거버넌스"),
    "typology": ("Typology", "도시 유형"),
    "query": ("Query", "질의"),
    "downloads": ("Downloads", "내려받기"),
    "ontology": ("Ontology", "온톨로지"),
    "search": ("Search", "검색"),
    "search_placeholder": ("Search cities, people, projects…", "도시, 인물, 프로젝트 검색…"),
    "language": ("Language", "언어"),
    "type": ("Type", "유형"),
    "types": ("Types", "유형"),
    "inferred": ("inferred", "추론됨"),
    "inferred_title": ("Inferred by the HermiT reasoner (graph/inferred)",
                       "HermiT 추론기가 추론함 (graph/inferred)"),
    "property": ("Property", "속성"),
    "value": ("Value", "값"),
    "source": ("Source", "출처"),
    "statements": ("Statements", "진술"),
    "inbound": ("What points here", "이 항목을 가리키는 것"),
    "no_inbound": ("Nothing in the graph points here.", "이 항목을 가리키는 진술이 없습니다."),
    "no_statements": ("No statements have this as their subject.", "이 항목을 주어로 하는 진술이 없습니다."),
    "notes": ("Data-quality notes", "데이터 품질 메모"),
    "notes_intro": ("The report is inconsistent, misspelt or incomplete here; the notes say how the graph "
                    "reads it.",
                    "보고서의 이 부분에는 불일치, 철자 오류 또는 누락이 있습니다. 메모에 그래프의 해석이 있습니다."),
    "skip": ("Skip to content", "본문으로 건너뛰기"),
    "note_contradiction": ("contradiction", "모순"),
    "note_spelling": ("spelling", "철자"),
    "note_naming": ("naming", "명칭"),
    "note_figure": ("figure", "수치"),
    "note_omission": ("omission", "누락"),
    "note_exception": ("exception", "예외"),
    "note_reference": ("reference", "참조"),
    "note_translation": ("translation", "번역"),
    "note_adjustment": ("adjustment", "조정"),
    "correct_reading": ("Correct reading", "올바른 해석"),
    "category": ("Category", "분류"),
    "data_formats": ("This data as", "이 데이터 형식"),
    "iri": ("IRI", "IRI"),
    "page": ("Page", "쪽"),
    "previous": ("Previous", "이전"),
    "next": ("Next", "다음"),
    "showing": ("Showing {start}–{end} of {total}", "전체 {total} 건 중 {start}–{end}"),
    "count_statements": ("{n} statements", "진술 {n} 건"),
    "not_found": ("Not found", "찾을 수 없음"),
    "not_found_text": ("Nothing is known about this address.", "이 주소에 대해 알려진 것이 없습니다."),
    "error": ("Error", "오류"),
    "state": ("State", "국가"),
    "city": ("City", "도시"),
    "capital": ("Capital", "수도"),
    "density": ("Density (/km²)", "인구밀도 (/km²)"),
    "gdp": ("GDP per capita (USD)", "1 인당 GDP (USD)"),
    "typology_class": ("Typology class", "유형"),
    "focus_areas": ("Focus areas", "중점 분야"),
    "n_projects": ("Projects", "프로젝트 수"),
    "officers": ("Chief Smart City Officer(s)", "스마트시티 최고책임자"),
    "representative": ("National Representative", "국가대표"),
    "pilot_cities": ("Pilot cities", "시범도시"),
    "yes": ("yes", "예"),
    "no": ("no", "아니오"),
    "sort_by": ("Sort by", "정렬"),
    "date": ("Date", "날짜"),
    "event": ("Event", "행사"),
    "place": ("Place", "장소"),
    "post": ("Post", "직위"),
    "holder": ("Holder", "담당자"),
    "vacant": ("not filled", "공석"),
    "reports_to": ("reports to", "보고"),
    "monitors": ("monitors", "모니터링"),
    "comprises": ("comprises", "구성 기구"),
    "results": ("Results", "결과"),
    "no_results": ("Nothing matches.", "일치하는 항목이 없습니다."),
    "run": ("Run query", "질의 실행"),
    "catalogue": ("Example questions", "예시 질문"),
    "catalogue_missing": ("The query catalogue is not available.", "질의 목록을 사용할 수 없습니다."),
    "parameters": ("Parameters", "매개변수"),
    "download_results": ("Download the results as", "결과 내려받기"),
    "rows": ("{n} rows", "{n} 행"),
    "truncated": ("The answer was cut at the row limit.", "결과가 행 수 제한에서 잘렸습니다."),
    "file": ("File", "파일"),
    "media_type": ("Media type", "미디어 유형"),
    "size": ("Size", "크기"),
    "classes": ("Classes", "클래스"),
    "properties": ("Properties", "속성"),
    "domain": ("Domain", "정의역"),
    "range": ("Range", "치역"),
    "subclass_of": ("Subclass of", "상위 클래스"),
    "definition": ("Definition", "정의"),
    "diagram": ("Diagram", "도표"),
    "in_graph": ("Named graph", "이름 있는 그래프"),
    "n_graphs": ("{n} named graphs", "이름 있는 그래프 {n} 개"),
    "graph_triples": ("Triples in this graph", "이 그래프의 트리플"),
    "label_en": ("English", "영어"),
    "label_ko": ("Korean", "한국어"),
    "members": ("Members", "구성원"),
    "core_elements": ("Core elements of the network", "네트워크의 핵심요소"),
    "entry_points": ("Start here", "시작하기"),
    "holds": ("What the dataset holds", "데이터셋 구성"),
    "triples": ("triples", "트리플"),
    "version": ("Version", "버전"),
    "no_js": ("Works without JavaScript.", "자바스크립트 없이도 작동합니다."),
}


def settings() -> Settings:
    """The settings of the running app."""
    return current_app.config[SETTINGS_KEY]


def store() -> Any:
    """The store of the running app (the :class:`ascn_kg.store.Store` seam)."""
    return current_app.extensions["ascn_store"]


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
    """The language of this request (cached per request), by :func:`labels.lang_from_request`."""
    if "ascn_page_lang" not in g:
        g.ascn_page_lang = labels.lang_from_request()
    return g.ascn_page_lang


def t(key: str, **values: Any) -> str:
    """An interface string in the page language."""
    en, ko = TEXT.get(key, (key, key))
    text = ko if page_lang() == "ko" else en
    return text.format(**values) if values else text


def root() -> str:
    return request.script_root


def local_path(iri: str) -> str | None:
    """The path on this server that documents ``iri`` (HTML), or None if it is not ours."""
    base = base_iri()
    if not iri.startswith(base):
        return None
    rest = iri[len(base):]
    if rest.startswith("id/"):
        return f"{root()}/page/{rest[3:]}"
    if rest.startswith("def/ascn#") and len(rest) > 9:
        return f"{root()}/def/ascn/{quote(rest[9:])}"
    if rest.startswith("graph/"):
        return f"{root()}/page/graph/{rest[6:].split('#', 1)[0]}"
    return f"{root()}/{rest}"


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


def _context() -> dict[str, Any]:
    if not request:
        return {}
    lang = page_lang()
    here = request.full_path if request.query_string else request.path
    here = here[len(root()):] if root() and here.startswith(root()) else here
    return {
        "t": t, "lang": lang, "other_lang": "ko" if lang == "en" else "en", "href": href,
        "here": labels.safe_next(root() + here), "root": root(),
    }


def not_found_page(message: str | None = None) -> Response:
    return render("error.html", status=404, title=t("not_found"), message=message or t("not_found_text"))


def _http_error(error: HTTPException) -> Response | HTTPException:
    """HTML error pages for browsers; others keep Werkzeug's plain answer."""
    best = request.accept_mimetypes.best_match(["text/html", "application/json", "text/plain"])
    if best != "text/html":
        return error
    status = error.code or 500
    title = t("not_found") if isinstance(error, NotFound) else f"{status} {error.name}"
    return render("error.html", status=status, title=title, message=error.description or "")


def _store_failed(error: StoreError) -> Response:
    """A page whose store failed (a backend down, slow or refusing): the status /sparql gives."""
    from .sparql import error_status

    status = error_status(error)
    current_app.logger.warning("page %s: %s", status, error)
    response = render("error.html", status=status, title=f"{status} {HTTP_STATUS_CODES.get(status, '')}",
                      message=str(error))
    if status == 503:
        response.headers["Retry-After"] = "30"
    return response


def _need_store() -> Response | None:
    """``before_request``: without a store, the browsing surface answers 503 (not 500)."""
    if request.blueprint in BLUEPRINTS and current_app.extensions.get("ascn_store") is None:
        reason = current_app.extensions.get("ascn_store_error") or "the dataset is not available"
        response = render("error.html", status=503, title="503 Service Unavailable", message=reason)
        response.headers["Retry-After"] = "30"
        return response
    return None


BLUEPRINTS = frozenset({"entity", "browse", "search", "charts", "querypage", "downloads", "ontology_doc"})


def init_app(app: Flask, settings_: Settings) -> None:
    """Register every browsing surface on ``app``."""
    from . import browse, charts, downloads, entity, ontology_doc, querypage, search

    if "lang" not in app.blueprints:
        labels.init_app(app, settings_)
    app.context_processor(_context)
    for module in (entity, browse, search, charts, querypage, downloads, ontology_doc):
        app.register_blueprint(module.bp)
    app.before_request(_need_store)
    app.register_error_handler(404, _http_error)
    app.register_error_handler(405, _http_error)
    app.register_error_handler(StoreError, _store_failed)
    if app.extensions.get("ascn_store") is not None:
        search.init_app(app)
