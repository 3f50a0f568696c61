"""Search: prefix matching in English and Korean, ranking, the JSON API, the HTML page, speed."""

from __future__ import annotations

import json
import random

import pytest
from flask.testing import FlaskClient

from ascn_kg.store.label_index import INDEX_FILE, LabelIndex, load_index, normalize
from support import BASE

KL = f"{BASE}id/city/kuala-lumpur"
LABEL = "http://www.w3.org/2000/01/rdf-schema#label"
ALT = "http://www.w3.org/2004/02/skos/core#altLabel"


def search(client: FlaskClient, q: str, **params: str) -> list[dict]:
    answer = client.get("/api/search", query_string={"q": q, **params})
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    return answer.json["results"]


@pytest.mark.parametrize("query", ["Kua", "kua", "KUALA", "쿠알", "쿠알라", "Kuala Lumpur", "쿠알라룸푸르"])
def test_prefixes_in_both_languages_find_kuala_lumpur_first(client: FlaskClient, query: str) -> None:
    assert search(client, query)[0]["iri"] == KL


def test_results_carry_label_kind_and_page(client: FlaskClient) -> None:
    first = search(client, "쿠알")[0]
    assert first == {"iri": KL, "label": "Kuala Lumpur", "matched": "쿠알라룸푸르", "kind": "city",
                     "kind_label": "city", "url": "/page/city/kuala-lumpur", "match": "prefix", "context": None}
    korean = search(client, "Kua", lang="ko")[0]
    assert korean["label"] == "쿠알라룸푸르" and korean["kind_label"] == "도시"


def test_ranking_exact_then_prefix_then_word_then_substring(client: FlaskClient) -> None:
    results = search(client, "singapore", limit="20")
    assert [r["match"] for r in results] == sorted((r["match"] for r in results),
                                                   key=["exact", "prefix", "word", "substring"].index)
    assert {results[0]["kind"], results[1]["kind"]} == {"state", "city"}  # exact matches of major things first
    lumpur = search(client, "lumpur")
    assert lumpur[0]["iri"] == KL and lumpur[0]["match"] == "word"
    inner = search(client, "umpu")
    assert inner and all(r["match"] == "substring" for r in inner)


def test_pilot_cities_and_states_come_before_minor_things(client: FlaskClient) -> None:
    results = search(client, "Kuala", limit="10")
    kinds = [r["kind"] for r in results]
    assert kinds[0] == "city"
    assert kinds.index("indicator") > kinds.index("organisation") if "indicator" in kinds else True


def test_alternative_and_hidden_labels_are_searched(client: FlaskClient) -> None:
    alt = search(client, "쿠알라룸프르")  # a skos:altLabel: the Korean report's misspelling
    assert alt[0]["iri"] == KL and alt[0]["matched"] == "쿠알라룸프르"
    assert search(client, "Brunei")[0]["iri"] == f"{BASE}id/state/brn"  # skos:altLabel of Brunei Darussalam


@pytest.mark.parametrize(("query", "found"), [("Kuala Lumpor", "city/kuala-lumpur"), ("Bankok", "city/bangkok"),
                                             ("kualalumpur", "city/kuala-lumpur"), ("Phnom Phen", "city/phnom-penh"),
                                             # Korean: the standard and common spellings, one letter off
                                             ("호찌민", "city/ho-chi-minh-city"), ("비엔티안", "city/vientiane"),
                                             ("싱가폴", "state/sgp"), ("푸놈펜", "city/phnom-penh"),
                                             ("자카르트", "city/jakarta"), ("방곡", "city/bangkok")])
def test_a_misspelt_name_gets_names_spelt_alike(client: FlaskClient, query: str, found: str) -> None:
    results = search(client, query)
    assert results[0]["iri"] == f"{BASE}id/{found}" and results[0]["match"] == "similar"
    assert "Names spelt alike" in client.get("/search", query_string={"q": query}).get_data(as_text=True)
    assert search(client, "xyzzyq") == []


def test_names_spelt_alike_come_closest_first(client: FlaskClient) -> None:
    assert [r["label"] for r in search(client, "ministry of interor")[:2]] == ["Ministry of Interior",
                                                                              "Ministry of Energy"]


def test_things_of_one_name_are_told_apart_by_their_city(client: FlaskClient) -> None:
    centres = search(client, "Intelligent Operations Center")
    assert [(r["label"], r["context"]) for r in centres[:2]] == [
        ("Intelligent Operations Center", "Ha Noi"), ("Intelligent Operations Center", "Ho Chi Minh City")]
    page = client.get("/search", query_string={"q": "Intelligent Operations Center"}).get_data(as_text=True)
    assert "— Ha Noi</span>" in page and "— Ho Chi Minh City</span>" in page
    assert search(client, "Kuala Lumpur")[0]["context"] is None  # a name of its own needs no context
    # one measure cited in two parts: the second says where (its label, in both languages)
    assert [r["label"] for r in search(client, "Population density of Phnom Penh")[:2]] == [
        "Population density of Phnom Penh", "Population density of Phnom Penh, as cited in Analysis of the 26 cities"]


def test_limit_and_empty_queries(client: FlaskClient) -> None:
    assert len(search(client, "a", limit="3")) == 3
    assert len(search(client, "a", limit="999")) <= 50
    assert search(client, "") == []
    assert search(client, "   ") == []
    assert search(client, "zzzzqqq") == []


def test_accents_and_case_are_ignored() -> None:
    assert normalize("Đà Nẵng") == "da nang"
    assert normalize("  KUALA   Lumpur ") == "kuala lumpur"
    assert normalize("쿠알라룸푸르") == "쿠알라룸푸르"


def test_search_page_works_without_javascript(client: FlaskClient) -> None:
    answer = client.get("/search?q=Kua", headers={"Accept": "text/html"})
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert '<a href="/page/city/kuala-lumpur">Kuala Lumpur</a>' in page
    assert 'value="Kua"' in page
    assert "Nothing matches." in client.get("/search?q=zzzzqqq").get_data(as_text=True)
    assert client.get("/search").status_code == 200


def synthetic_index(size: int) -> LabelIndex:
    rng = random.Random(7)
    syllables = ["ka", "lu", "ma", "pur", "sin", "ga", "ne", "ban", "dar", "se", "ri", "to", "쿠", "알", "라", "룸"]
    rows = []
    for i in range(size):
        words = ["".join(rng.choice(syllables) for _ in range(rng.randint(2, 4))) for _ in range(rng.randint(1, 3))]
        iri = f"{BASE}id/{rng.choice(['city', 'person', 'indicator', 'post'])}/x-{i}"
        rows.append((iri, LABEL, " ".join(words).title(), "en"))
        if i % 3 == 0:
            rows.append((iri, ALT, words[0], "ko"))
    return LabelIndex(rows, {f"{BASE}id/city/x-{i}" for i in range(0, size, 50)}, BASE)


def test_prefix_search_on_a_large_index_finds_prefixes_first() -> None:
    """Correctness at scale (speed is measured by ``make bench``, never asserted here)."""
    index = synthetic_index(150_000)
    for query in ["Ka", "Lu", "Singa", "Ban", "쿠알", "dar se", "pur", "x", "Kalu", "Ma"]:
        results = index.search(query, 10)
        assert len(results) <= 10
        assert [h.rank for h in results] == sorted(h.rank for h in results)
    hits = index.search("Singa", 10)
    assert len(hits) == 10
    assert all(h.matched.casefold().startswith("singa") or " singa" in h.matched.casefold() for h in hits)


def test_saved_index_loads_identically_and_refuses_objects(tmp_path) -> None:
    import pickle
    from pathlib import Path

    from ascn_kg.store.label_index import load_index, save_index

    index = synthetic_index(2_000)
    path = tmp_path / "index.pickle"
    save_index(index, path, "v1")
    loaded = load_index(path, "v1")
    assert loaded is not None
    for query in ["Ka", "쿠알", "dar se", "ri"]:
        assert loaded.search(query, 10) == index.search(query, 10)
    some = index.entities[3]
    assert loaded.label(some, "ko", "?") == index.label(some, "ko", "?")
    assert load_index(path, "v2") is None  # another dataset version: rebuilt, not trusted
    path.write_bytes(pickle.dumps({"format": 1, "version": "v1", "x": Path("/")}))
    assert load_index(path, "v1") is None  # a class in the file is refused, not instantiated


@pytest.mark.slow
def test_search_and_paging_on_a_large_graph_through_http(tmp_path_factory: pytest.TempPathFactory) -> None:
    """A 300,000-triple synthetic graph behind a real server: search answers from the index the
    dist carries, and the hub entity (tens of thousands of inbound links) is paged. Speed is
    measured by ``make bench``."""
    import urllib.parse
    import urllib.request

    from benchmarks.synthetic import write_dist

    from liveserver import running_server

    dist = write_dist(tmp_path_factory.mktemp("large") / "dist", triples=300_000)
    with running_server(dist.path, workers=1, permalink_dir=tmp_path_factory.mktemp("links")) as base:
        with urllib.request.urlopen(base + "/api/search?q=a", timeout=60) as response:  # the index is ready
            assert response.status == 200
        saved = load_index(dist.path / INDEX_FILE, dist.version)
        assert saved is not None and len(saved) > 10_000
        for query in {text[:4] for text in saved.label_text[::5_000]}:
            url = base + "/api/search?" + urllib.parse.urlencode({"q": query, "limit": 10})
            with urllib.request.urlopen(url, timeout=10) as response:
                found = json.loads(response.read())["results"]
            assert 1 <= len(found) <= 10
            assert all(query.casefold() in hit["matched"].casefold() for hit in found)
        hub = dist.hub[len(BASE):].replace("id/", "page/", 1)
        with urllib.request.urlopen(f"{base}/{hub}?in=3", timeout=30) as response:
            page = response.read().decode()
        assert "Showing 201–300 of" in page


def test_a_damaged_or_unversioned_index_file_is_rebuilt_not_trusted(tmp_path) -> None:
    import pickle

    from ascn_kg.store.label_index import load_index, save_index

    path = tmp_path / "index.pickle"
    for junk in ([1, 2], "text", b"\x80\x05garbage"):
        path.write_bytes(junk if isinstance(junk, bytes) else pickle.dumps(junk))
        assert load_index(path, "v1") is None
    save_index(synthetic_index(100), path, "")
    assert load_index(path, "") is None  # an unknown dataset version matches nothing
