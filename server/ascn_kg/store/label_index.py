"""The label index behind search: every label of the graph, found by prefix or substring.

Labels (``rdfs:label``, ``skos:prefLabel``, ``skos:altLabel``, ``skos:hiddenLabel``) are
normalised (NFKC, case-folded, accents removed, Hangul kept whole) and laid end to end in
one string; sorted arrays of positions (label starts, word starts) are searched with
``bisect``, so a prefix lookup costs a few dozen string comparisons whatever the size of
the graph, and substrings are found with ``str.find`` over the one string.

``ascn-kg build`` writes the index next to the store (:func:`save_index`), so a server
process loads it in a fraction of a second (:func:`load_index`) instead of building it.
The file holds only strings, lists and byte strings, and is read by an unpickler that
refuses every class, so it cannot run code.
"""

from __future__ import annotations

import difflib
import io
import logging
import pickle
import re
import unicodedata
from array import array
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdflib import Literal, URIRef

from ascn_kg import labels
from ascn_kg.config import Settings
from ascn_kg.store.embedded import EmbeddedStore

log = logging.getLogger(__name__)

INDEX_FILE = "search-index.pickle"
FORMAT = 1
LabelRow = tuple[str, str, str, "str | None"]  # subject, property, text, language

WINDOW = 64  # positions examined per prefix range and priority
SUBSTRING_CAP = 400  # substring hits examined at most
SIMILAR_CAP = 20_000  # labels compared at most when nothing matches (spelling suggestions)
SIMILAR_CUTOFF = 0.8  # difflib's ratio a suggestion needs
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
WORD = re.compile(r"\w+")


def normalize(text: str) -> str:
    """Case-folded, NFKC, without accents (Hangul syllables stay whole), spaces collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold().replace("đ", "d").replace("\x00", " ")
    stripped = "".join(c for c in unicodedata.normalize("NFD", text) if not unicodedata.combining(c))
    return " ".join(unicodedata.normalize("NFC", stripped).split())


def jamo(text: str) -> str:
    """``text`` with each Hangul syllable taken apart into its letters (호찌민 and 호치민 then
    differ by one letter of seven), without spaces."""
    return unicodedata.normalize("NFD", text).replace(" ", "")


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

    def __init__(self, rows: Iterable[LabelRow], top: set[str], base: str) -> None:
        self.base = base
        self.entities: list[str] = []
        self.display: list[list[tuple[str, str | None]]] = []  # (text, language) of display labels
        self.priority = array("b")
        ids: dict[str, int] = {}
        raw: list[tuple[int, str, str]] = []  # (entity, normalised, original)
        seen: set[tuple[int, str]] = set()
        for subject, prop, text, language in rows:
            eid = ids.get(subject)
            if eid is None:
                eid = ids[subject] = len(self.entities)
                self.entities.append(subject)
                self.display.append([])
                kind = kind_of(subject, base)
                self.priority.append(0 if subject in top else 1 if kind in MAJOR_KINDS or kind == "def" else 2)
            if prop in DISPLAY:
                self.display[eid].append((text, language))
            norm = normalize(text)
            if norm and (eid, norm) not in seen:
                seen.add((eid, norm))
                raw.append((eid, norm, text))
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

    def _consider(self, found: dict[int, Hit], lid: int, tier: int, closeness: int = 0) -> None:
        """Keep ``lid``'s entity at its best rank: tier, then (for names spelt alike) how close
        the spelling is, then the kind's priority and the shorter name."""
        eid = self.label_entity[lid]
        text = self.label_text[lid]
        rank = (tier, closeness, self.priority[eid], len(text), text.casefold())
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
        if not found:
            self._similar(q, found, limit)
        return sorted(found.values(), key=lambda h: h.rank)[:limit]

    def _similar(self, q: str, found: dict[int, Hit], limit: int) -> None:
        """Labels of member states, pilot cities and the main kinds of things spelt like ``q``
        (``Kuala Lumpor``, ``Bankok``, ``kualalumpur``), for a search that found nothing else.

        At most ``SIMILAR_CAP`` labels are compared (difflib's quick bounds first), so a miss
        costs a bounded time on any graph."""
        candidates: dict[str, int] = {}
        for positions in self.label_pos[:2]:
            for pos in positions[:SIMILAR_CAP - len(candidates)]:
                candidates.setdefault(self._suffix(pos), self._label_of(pos))
        score: dict[str, float] = {}  # each label's best likeness under any of the forms
        forms = [(lambda text: text), (lambda text: text.replace(" ", ""))]
        if any("\uac00" <= c <= "\ud7a3" for c in q):
            forms.append(jamo)  # Korean: a syllable spelt apart differs by one letter, not one syllable
        for form in forms:
            variants = {form(norm): norm for norm in candidates}
            for variant in difflib.get_close_matches(form(q), list(variants), n=limit, cutoff=SIMILAR_CUTOFF):
                likeness = difflib.SequenceMatcher(None, form(q), variant).ratio()
                norm = variants[variant]
                score[norm] = max(score.get(norm, 0.0), likeness)
        for norm, likeness in score.items():
            self._consider(found, candidates[norm], 4, -round(likeness * 1000))

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
            literals = [Literal(text, lang=language) for text, language in self.display[eid]]
            return labels.choose_label(literals, lang, iri)
        return fallback


def label_rows(select: Callable[[str], list[dict[str, Any]]]) -> Iterable[LabelRow]:
    """The label statements of a store (its ``select``), as plain strings."""
    for row in select(LABELS_QUERY):
        subject, literal = row.get("s"), row.get("l")
        if isinstance(subject, URIRef) and isinstance(literal, Literal):
            yield str(subject), str(row["p"]), str(literal), literal.language


def build_index(select: Callable[[str], list[dict[str, Any]]], base: str) -> LabelIndex:
    """The index of every label in a store (reached through its ``select``)."""
    top = {str(r["s"]) for r in select(TOP_QUERY % (base, base))}
    index = LabelIndex(label_rows(select), top, base)
    log.info("search index: %d labels of %d things", len(index), len(index.entities))
    return index


def index_dist(folder: Path, base: str) -> LabelIndex:
    """Build the index of the store in a dist ``folder`` and save it there (the build's step)."""
    store = EmbeddedStore(Settings(dist_dir=folder, base_iri=base))
    try:
        index = build_index(store.select, base)
        save_index(index, folder / INDEX_FILE, store.version())
    finally:
        store.close()
    return index


_ARRAYS = ("priority", "label_entity", "starts")
_LISTS = ("entities", "display", "label_text", "big")


def save_index(index: LabelIndex, path: Path, version: str) -> None:
    """Write ``index`` for the dataset ``version`` (builtin types only)."""
    state: dict[str, Any] = {"format": FORMAT, "version": version, "base": index.base}
    state |= {name: (getattr(index, name).typecode, getattr(index, name).tobytes()) for name in _ARRAYS}
    state |= {name: getattr(index, name) for name in _LISTS}
    for name in ("label_pos", "word_pos"):
        state[name] = [positions.tobytes() for positions in getattr(index, name)]
    path.write_bytes(pickle.dumps(state, protocol=5))


class _DataOnly(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"the search index may hold no objects ({module}.{name})")


def load_index(path: Path, version: str) -> LabelIndex | None:
    """The index saved for ``version`` at ``path``; None when missing, stale or unreadable."""
    try:
        state = _DataOnly(io.BytesIO(path.read_bytes())).load()
        if not version or not isinstance(state, dict):
            return None
        if state.get("format") != FORMAT or state.get("version") != version:
            return None
        index = LabelIndex.__new__(LabelIndex)
        index.base = state["base"]
        for name in _ARRAYS:
            typecode, raw = state[name]
            setattr(index, name, _array(typecode, raw))
        for name in _LISTS:
            setattr(index, name, state[name])
        for name in ("label_pos", "word_pos"):
            setattr(index, name, [_array("q", raw) for raw in state[name]])
        index.ids = {iri: i for i, iri in enumerate(index.entities)}
    except (OSError, pickle.UnpicklingError, EOFError, KeyError, TypeError, ValueError, AttributeError) as error:
        if not isinstance(error, FileNotFoundError):
            log.warning("search index at %s is unreadable (%s); building it again", path, error)
        return None
    return index


def _array(typecode: str, raw: bytes) -> array:
    values = array(typecode)
    values.frombytes(raw)
    return values
