"""The one language rule: which label to show, which language a request wants."""

from __future__ import annotations

import warnings

import pyoxigraph
import pytest
from rdflib import Dataset, Literal, URIRef
from rdflib.namespace import RDFS, SKOS

from ascn_kg.config import load_settings
from ascn_kg.labels import choose_label, label_map, label_query, local_name

BASE = "https://kg.ascn.example/id/city/"
KL, SEJONG, DANANG, LUANG = (BASE + k for k in ("kuala-lumpur", "sejong", "da-nang",
                                                  "luang-prabang"))
WASTE = "https://kg.ascn.example/id/focus-area/waste-management"
GRAPH = "https://kg.ascn.example/graph/annex"
TRIPLES = [
    (KL, RDFS.label, Literal("Kuala Lumpur", lang="en"), None),
    (KL, RDFS.label, Literal("쿠알라룸푸르", lang="ko"), None),
    (SEJONG, RDFS.label, Literal("세종", lang="ko"), None),  # Korean only
    (DANANG, RDFS.label, Literal("Da Nang", lang="en"), GRAPH),  # English only, named graph
    (WASTE, SKOS.prefLabel, Literal("Waste management", lang="en"), GRAPH),
    (WASTE, SKOS.altLabel, Literal("쓰레기", lang="ko"), GRAPH),  # not a display label
    # LUANG has no label at all
]


class OxigraphStore:
    """The embedded backend's rows: pyoxigraph QuerySolutions."""

    def __init__(self) -> None:
        self.store = pyoxigraph.Store()
        for s, p, o, g in TRIPLES:
            self.store.add(pyoxigraph.Quad(
                pyoxigraph.NamedNode(s), pyoxigraph.NamedNode(str(p)),
                pyoxigraph.Literal(str(o), language=o.language),
                pyoxigraph.NamedNode(g) if g else pyoxigraph.DefaultGraph(),
            ))
        self.queries: list[str] = []

    def select(self, query: str):
        self.queries.append(query)
        return list(self.store.query(query))


class RdflibStore:
    """A remote-style backend's rows: rdflib ResultRows (default graph = union, as Fuseki)."""

    def __init__(self) -> None:
        self.dataset = Dataset(default_union=True)
        for s, p, o, g in TRIPLES:
            target = self.dataset.graph(URIRef(g)) if g else self.dataset.default_graph
            target.add((URIRef(s), p, o))
        self.queries: list[str] = []

    def select(self, query: str):
        self.queries.append(query)
        with warnings.catch_warnings():  # rdflib 7.6's Dataset.query uses its own deprecated API
            warnings.simplefilter("ignore", DeprecationWarning)
            return list(self.dataset.query(query))


def embedded_store(root):
    """The project's embedded backend (rows are dicts of rdflib terms) over TRIPLES."""
    from ascn_kg.store.embedded import EmbeddedStore

    dist = root / "dist"
    dist.mkdir()
    writer = OxigraphStore().store
    on_disk = pyoxigraph.Store(str(dist / "store"))
    on_disk.extend(writer)
    on_disk.flush()
    del on_disk
    store = EmbeddedStore(load_settings(dist_dir=dist))
    queries: list[str] = []
    select = store.select

    def counted(query: str, bindings=None):
        queries.append(query)
        return select(query, bindings)

    store.select = counted  # type: ignore[method-assign]
    store.queries = queries  # type: ignore[attr-defined]
    return store


# --- choose_label -------------------------------------------------------------------------

EN = Literal("Kuala Lumpur", lang="en")
KO = Literal("쿠알라룸푸르", lang="ko")


@pytest.mark.parametrize(
    ("found", "lang", "expected"),
    [
        ([EN, KO], "en", "Kuala Lumpur"),
        ([EN, KO], "ko", "쿠알라룸푸르"),
        ([KO], "en", "쿠알라룸푸르"),  # the other of English and Korean
        ([EN], "ko", "Kuala Lumpur"),
        ([Literal("Kuala Lumpur", lang="en-GB")], "en", "Kuala Lumpur"),  # primary subtag
        ([EN, KO], "EN", "Kuala Lumpur"),
        ([Literal("Kuala Lumpur", lang="ms"), KO], "fr", "쿠알라룸푸르"),  # fr, then en, ko
        ([Literal("B", lang="ms"), Literal("A", lang="th")], "en", "B"),  # sorted by language
        ([Literal("Zeta"), Literal("Alpha", lang="ms")], "ko", "Zeta"),  # untagged before tags
        ([Literal("Beta", lang="ms"), Literal("Alpha", lang="ms")], "en", "Alpha"),
        ([Literal("   ", lang="en"), KO], "en", "쿠알라룸푸르"),  # blank labels skipped
        ([URIRef("https://x/not-a-literal")], "en", "kuala lumpur"),
        ([], "en", "kuala lumpur"),
    ],
)
def test_choose_label(found, lang: str, expected: str) -> None:
    assert choose_label(found, lang, KL) == expected


def test_choice_does_not_depend_on_order() -> None:
    found = [Literal("B", lang="ms"), Literal("A", lang="ms"), Literal("C", lang="th")]
    assert {choose_label(order, "en", KL) for order in (found, found[::-1])} == {"A"}


@pytest.mark.parametrize(
    ("iri", "expected"),
    [
        (KL, "kuala lumpur"),
        ("https://kg.ascn.example/def/ascn#PilotCity", "PilotCity"),
        ("https://example.org/id/caf%C3%A9-du-monde", "café du monde"),
        ("https://example.org/things/", "things"),
        ("urn:x", "urn:x"),
    ],
)
def test_local_name(iri: str, expected: str) -> None:
    assert local_name(iri) == expected


# --- label_map ----------------------------------------------------------------------------

@pytest.mark.parametrize("backend", ["oxigraph", "rdflib", "embedded"])
@pytest.mark.parametrize(
    ("lang", "expected"),
    [
        ("en", {KL: "Kuala Lumpur", SEJONG: "세종", DANANG: "Da Nang",
                LUANG: "luang prabang", WASTE: "Waste management"}),
        ("ko", {KL: "쿠알라룸푸르", SEJONG: "세종", DANANG: "Da Nang",
                LUANG: "luang prabang", WASTE: "Waste management"}),
    ],
)
def test_label_map_one_query_both_languages(
    backend: str, lang: str, expected: dict, tmp_path
) -> None:
    store = {"oxigraph": OxigraphStore, "rdflib": RdflibStore}.get(backend)
    store = store() if store else embedded_store(tmp_path)
    assert label_map(store, [KL, SEJONG, DANANG, LUANG, WASTE], lang) == expected
    assert len(store.queries) == 1


def test_label_map_binds_iris_and_never_splices_raw_input() -> None:
    store = OxigraphStore()
    hostile = 'https://x.example/a> } ; DROP ALL ; SELECT * { <b'
    result = label_map(store, [KL, hostile, "not an iri", KL], "en")
    assert result == {
        KL: "Kuala Lumpur", hostile: "a> } ; DROP ALL ; SELECT * { <b", "not an iri": "not an iri"
    }
    [query] = store.queries
    assert "DROP" not in query and "not an iri" not in query
    assert f"VALUES ?s {{ <{KL}> }}" in query


def test_label_map_without_valid_iris_asks_nothing() -> None:
    store = OxigraphStore()
    assert label_map(store, ["no iri here"], "ko") == {"no iri here": "no iri here"}
    assert label_map(store, [], "ko") == {}
    assert store.queries == []


def test_label_query_is_deterministic() -> None:
    assert label_query([SEJONG, KL, SEJONG]) == label_query([KL, SEJONG])
