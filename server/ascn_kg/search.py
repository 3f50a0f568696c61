"""Search across labels in English and Korean: ``/search?q=`` (HTML) and ``/api/search`` (JSON).

The label index is built once per dataset version and process, in memory, from every
``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel`` and ``skos:hiddenLabel``. Labels are
normalised (NFKC, case-folded, accents removed, Hangul kept whole) and laid end to end in
one string; sorted arrays of positions (label starts, word starts) are searched with
``bisect``, so a prefix lookup costs a few dozen string comparisons whatever the size of
the graph, and substrings are found with ``str.find`` over the one string.

Ranking: exact label > prefix of a label > prefix of a word > substring; within each,
pilot cities and member states first, then the main kinds of things, then the rest
(indicators, posts, notes …); then shorter labels first.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from flask import Blueprint, Flask, Response, jsonify, request
from rdflib import Literal, URIRef

from . import labels
from .pages import base_iri, cached, href, page_lang, render, store, t

bp = Blueprint("search", __name__)
log = logging.getLogger(__name__)

WINDOW = 64  # positions examined per prefix range and priority
SUBSTRING_CAP = 400  # substring hits examined at most
MAX_LIMIT = 50
MAJOR_KINDS = frozenset({"city", "state", "organisation", "person", "project", "focus-area", "event", "role",
                         "initiative", "partnership", "element"})
LABEL_PROPERTIES = ("http://www.w3.org/2000/01/rdf-schema#label", "http://www.w3.org/2004/02/skos/core#prefLabel",
                    "http://www.w3.org/2004/02/skos/core#altLabel", "http://www.w3.org/2004/02/skos/core#hiddenLabel")
DISPLAY = frozenset(LABEL_PROPERTIES[:2])
# One branch per property (a UNION of constant patterns is read straight from the index;
# ``VALUES ?p`` or a filter on ?p would scan every triple).
LABELS_QUERY = "SELECT ?s ?p ?l WHERE { GRAPH ?g { " + " UNION ".join(
    f"{{ ?s <{p}> ?l BIND(<{p}> AS ?p) }}" for p in LABEL_PROPERTIES) + " } }"
TOP_QUERY = """SELECT DISTINCT ?s WHERE { VALUES ?c { <%sdef/ascn#PilotCity> <%sdef/ascn#MemberState> } ?s a ?c }"""
KIND_TEXT = {
    "city": ("city", "도시"), "state": ("state", "국가"), "person": ("person", "인물"), "post": ("post", "직위"),
    "organisation": ("organisation", "기관"), "project": ("project", "프로젝트"),
    "focus-area": ("focus area", "중점 분야"), "event": ("event", "행사"), "indicator": ("indicator", "지표"),
    "note": ("data-quality note", "데이터 품질 메모"), "source": ("report part", "보고서 부분"),
    "element": ("core element", "핵심요소"), "partnership": ("partnership", "협력 사업"),
    "initiative": ("initiative", "이니셔티브"), "role": ("role", "역할"), "scheme": ("scheme", "체계"),
    "figure": ("stated figure", "언급된 수치"), "threshold": ("threshold", "기준값"),
    "def": ("ontology term", "온톨로지 용어"), "graph": ("named graph", "이름 있는 그래프"),
}
WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Case-folded, NFKC, without accents (Hangul syllables stay whole), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d").replace("\x00", " ")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", stripped).split())


def kind_of(iri: str, base: str) -> str:
    rest = iri[len(base):] if iri.startswith(base) else ""
    if rest.startswith("id/"):
        return rest[3:].split("/", 1)[0]
    if rest.startswith("def/"):
        return "def"
    if rest.startswith("graph/"):
        return "graph"
    return "other"


@dataclass(frozen=True)
class Hit:
    iri: str
    matched: str
    rank: tuple[int, int, int, str]


class LabelIndex:
    """Every label of the graph, searchable by exact match, prefix, word prefix and substring."""

    def __init__(self, rows: Iterable[tuple[str, str, Literal]], top: set[str], base: str) -> None:
        self.base = base
        self.entities: list[str] = []
        self.display: list[list[Literal]] = []
        self.priority = array("b")
        ids: dict[str, int] = {}
        raw: list[tuple[int, str, str]] = []  # (entity, normalised, original)
        seen: set[tuple[int, str]] = set()
        for subject, prop, literal in rows:
            eid = ids.get(subject)
            if eid is None:
                eid = ids[subject] = len(self.entities)
                self.entities.append(subject)
                self.display.append([])
                kind = kind_of(subject, base)
                self.priority.append(0 if subject in top else 1 if kind in MAJOR_KINDS or kind == "def" else 2)
            if prop in DISPLAY:
                self.display[eid].append(literal)
            norm = normalize(str(literal))
            if norm and (eid, norm) not in seen:
                seen.add((eid, norm))
                raw.append((eid, norm, str(literal)))
        self.ids = ids
        raw.sort(key=lambda r: self.priority[r[0]])  # substring hits come in priority order
        self.label_entity = array("i", (r[0] for r in raw))
        self.label_text = [r[2] for r in raw]
        self.starts = array("q")
        parts, offset = [], 1
        for _, norm, _ in raw:
            self.starts.append(offset)
            parts.append(norm)
            offset += len(norm) + 1
        self.big = "\x00" + "\x00".join(parts) + "\x00"
        self.label_pos: list[array] = [array("q") for _ in range(3)]
        self.word_pos: list[array] = [array("q") for _ in range(3)]
        for lid, (eid, norm, _) in enumerate(raw):
            start, prio = self.starts[lid], self.priority[eid]
            self.label_pos[prio].append(start)
            for match in WORD.finditer(norm):
                if match.start() > 0:
                    self.word_pos[prio].append(start + match.start())
        for arrays in (self.label_pos, self.word_pos):
            for i, positions in enumerate(arrays):
                arrays[i] = array("q", sorted(positions, key=self._suffix))

    def __len__(self) -> int:
        return len(self.label_text)

    def _suffix(self, pos: int) -> str:
        return self.big[pos:self.big.index("\x00", pos)]

    def _label_of(self, pos: int) -> int:
        return bisect_right(self.starts, pos) - 1

    def _consider(self, found: dict[int, Hit], lid: int, tier: int) -> None:
        eid = self.label_entity[lid]
        text = self.label_text[lid]
        rank = (tier, self.priority[eid], len(text), text.casefold())
        old = found.get(eid)
        if old is None or rank < old.rank:
            found[eid] = Hit(self.entities[eid], text, rank)

    def search(self, query: str, limit: int = 10) -> list[Hit]:
        q = normalize(query)
        if not q:
            return []
        n = len(q)
        found: dict[int, Hit] = {}

        def key(pos: int) -> str:
            return self.big[pos:pos + n]

        for tier_arrays, word in ((self.label_pos, False), (self.word_pos, True)):
            for positions in tier_arrays:
                lo = bisect_left(positions, q, key=key)
                hi = bisect_right(positions, q, lo=lo, key=key)
                for pos in positions[lo:min(hi, lo + WINDOW + limit)]:
                    lid = self._label_of(pos)
                    exact = not word and self.big[pos + n] == "\x00"
                    self._consider(found, lid, 2 if word else 0 if exact else 1)
        if len(found) < limit:
            self._substrings(q, found)
        return sorted(found.values(), key=lambda h: h.rank)[:limit]

    def _substrings(self, q: str, found: dict[int, Hit]) -> None:
        pos, seen = self.big.find(q), 0
        while pos != -1 and seen < SUBSTRING_CAP:
            seen += 1
            lid = self._label_of(pos)
            if self.label_entity[lid] not in found:
                self._consider(found, lid, 3)
            pos = self.big.find(q, pos + 1)

    def label(self, iri: str, lang: str, fallback: str) -> str:
        """The display label of ``iri`` in ``lang`` (the labels.py rule), else ``fallback``."""
        eid = self.ids.get(iri)
        if eid is not None and self.display[eid]:
            return labels.choose_label(self.display[eid], lang, iri)
        return fallback


def build_index() -> LabelIndex:
    base = base_iri()
    rows = store().select(LABELS_QUERY)
    top = {str(r["s"]) for r in store().select(TOP_QUERY % (base, base))}
    triples = ((str(r["s"]), str(r["p"]), r["l"]) for r in rows
               if isinstance(r.get("s"), URIRef) and isinstance(r.get("l"), Literal))
    index = LabelIndex(triples, top, base)
    log.info("search index: %d labels of %d things", len(index), len(index.entities))
    return index


def search_index() -> LabelIndex:
    return cached("search-index", build_index)


def results(query: str, lang: str, limit: int) -> list[dict[str, Any]]:
    index = search_index()
    base = base_iri()
    out = []
    for hit in index.search(query, limit):
        label = index.label(hit.iri, lang, hit.matched)
        kind = kind_of(hit.iri, base)
        kind_text = KIND_TEXT.get(kind, (kind, kind))[1 if lang == "ko" else 0]
        out.append({"iri": hit.iri, "label": label, "matched": hit.matched, "kind": kind, "kind_label": kind_text,
                    "url": href(hit.iri), "match": ("exact", "prefix", "word", "substring")[hit.rank[0]]})
    return out


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
    response.headers["Access-Control-Allow-Origin"] = "*"
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


def init_app(app: Flask) -> None:
    """Build the label index in the background as soon as the app exists (one per process)."""
    threading.Thread(target=_warm, args=(app,), name="ascn-search-index", daemon=True).start()
