"""Entity pages: labels in both languages, property labels, links, provenance, inferred facts,
data-quality notes, embedded JSON-LD, paging, and the language switch."""

from __future__ import annotations

import json
import re
import warnings

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient
from rdflib import Graph, URIRef

from ascn_kg.store.terms import to_rdflib
from ascn_kg.web import entity
from support import BASE

JSONLD = re.compile(r'<script type="application/ld\+json">(.*?)</script>', re.S)


def html(client: FlaskClient, path: str, **headers: str) -> str:
    answer = client.get(path, headers={"Accept": "text/html", **headers})
    assert answer.status_code == 200, path
    return answer.get_data(as_text=True)


def test_city_page_shows_labels_facts_and_links(client: FlaskClient) -> None:
    page = html(client, "/page/city/kuala-lumpur")
    assert "<h1>Kuala Lumpur</h1>" in page
    assert "쿠알라룸푸르" in page
    assert '<a href="/page/state/mys">Malaysia</a>' in page  # a link by label, not by IRI
    assert ">is located in</a>" in page  # the property's rdfs:label
    assert "6,890" in page and "9,944.9" in page  # density and the state's GDP per capita
    assert "Dense city in an emerging economy" in page
    assert "/page/person/" in page  # the chief smart city officer
    # each statement's source is its row in the part (Chart 3 numbers Kuala Lumpur 12; the Korean names
    # come from the Korean Annex 1, row 12), no longer only the part's named graph
    assert '<a href="/page/locator/chart-3-row-12">Chart 3, row 12</a>' in page
    assert '<a href="/page/locator/annex-1-row-12">Annex 1, row 12</a>' in page
    for ext in ("ttl", "nt", "jsonld", "rdf", "trig", "nq"):
        assert f'href="/data/city/kuala-lumpur.{ext}"' in page


def test_inferred_facts_are_marked(client: FlaskClient) -> None:
    page = html(client, "/page/city/kuala-lumpur")
    rows = re.findall(r'<tr class="inferred">(.*?)</tr>', page, re.S)
    assert rows, "no inferred row"
    assert any("Pilot city" in row and "inferred" in row for row in rows)
    assert "Class memberships inferred by the HermiT reasoner" in page


def test_data_quality_notes_are_shown_prominently(client: FlaskClient) -> None:
    page = html(client, "/page/city/ho-chi-minh-city")
    notes = page.index('class="notes"')
    assert notes < page.index("<h2 id=\"st-h\">")  # before the statements
    assert "Ho Chi Minh City marked as a capital" in page
    assert "Correct reading" in page


def test_inbound_links_are_listed(client: FlaskClient) -> None:
    page = html(client, "/page/state/mys")
    inbound = page[page.index('id="in-h"'):]
    assert "Kuala Lumpur" in inbound and "nominated by" in inbound


def test_embedded_json_ld_parses_to_the_entity_statements(client: FlaskClient, store: ox.Store) -> None:
    page = html(client, "/page/city/kuala-lumpur")
    blocks = JSONLD.findall(page)
    assert len(blocks) == 1
    document = json.loads(blocks[0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        graph = Graph().parse(data=json.dumps(document), format="json-ld")
    iri = ox.NamedNode(f"{BASE}id/city/kuala-lumpur")
    expected = {tuple(to_rdflib(x) for x in (q.subject, q.predicate, q.object))
                for q in store.quads_for_pattern(iri, None, None)}
    assert set(graph) == expected


def test_language_switch_is_remembered(client: FlaskClient) -> None:
    answer = client.get("/lang/ko?next=/page/city/kuala-lumpur")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/page/city/kuala-lumpur"
    page = html(client, "/page/city/kuala-lumpur")
    assert "<h1>쿠알라룸푸르</h1>" in page
    assert '<html lang="ko">' in page
    assert ">소재 국가</a>" in page  # is located in, in Korean
    assert ">말레이시아</a>" in page
    assert "추론됨" in page
    other = html(client, "/cities")  # every page honours the cookie
    assert "시범도시" in other and "말레이시아" in other
    client.get("/lang/en?next=/")
    assert "<h1>Kuala Lumpur</h1>" in html(client, "/page/city/kuala-lumpur")


def test_lang_parameter_and_accept_language(client: FlaskClient) -> None:
    assert "<h1>말레이시아</h1>" in html(client, "/page/state/mys?lang=ko")
    assert "<h1>말레이시아</h1>" in html(client, "/page/state/mys", **{"Accept-Language": "ko-KR,ko;q=0.9"})
    answer = client.get("/page/state/mys", headers={"Accept": "text/html"})
    assert "Accept-Language" in answer.headers["Vary"] and "Cookie" in answer.headers["Vary"]


def test_long_lists_are_paged(client: FlaskClient, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(entity, "PAGE_SIZE", 5)
    first = html(client, "/page/organisation/ascn")
    assert 'rel="next" href="?in=2"' in first
    assert "Showing 1–5 of" in first
    second = html(client, "/page/organisation/ascn?in=2")
    assert "Showing 6–10 of" in second
    assert 'rel="prev" href="?in=1"' in second
    monkeypatch.setattr(entity, "SORT_LIMIT", 0)  # index order, as for entities with thousands of links
    assert "Showing 6–10 of" in html(client, "/page/organisation/ascn?in=2&page=x")


@pytest.mark.parametrize("sort_limit", [entity.SORT_LIMIT, 0])
def test_paged_statements_are_each_shown_once_grouped_by_property(
    app: Flask, monkeypatch: pytest.MonkeyPatch, sort_limit: int,
) -> None:
    """Pages of 7 cover the ASCN's inbound and outbound statements exactly once; sorted lists keep a
    property's statements together from page to page, and each page is sorted whole."""
    monkeypatch.setattr(entity, "PAGE_SIZE", 7)
    monkeypatch.setattr(entity, "SORT_LIMIT", sort_limit)
    iri = URIRef(f"{BASE}id/organisation/ascn")
    with app.test_request_context("/"):
        for direction, pattern in ((entity.inbound, "?s ?p ?this"), (entity.outbound, "?this ?p ?s")):
            everything = entity.store().select(f"SELECT ?p ?s ?g WHERE {{ GRAPH ?g {{ {pattern} }} }}", {"this": iri})
            total = len(everything)
            assert total > 3 * 7
            pages = [direction(iri, offset, total) for offset in range(0, total, 7)]
            shown = [row for page in pages for row in page]
            assert sorted(shown) == sorted((r["p"], r["s"], r["g"]) for r in everything)
            assert all(page == sorted(page, key=lambda r: tuple(map(str, r))) for page in pages)
            if sort_limit:
                assert [str(p) for p, _, _ in shown] == sorted(str(p) for p, _, _ in shown)


def test_a_citys_gdp_is_its_states_printed_as_the_report_does(client: FlaskClient) -> None:
    page = re.sub(r"\s+", " ", html(client, "/page/city/manila"))
    assert '<dt>GDP per capita of its state (USD)</dt><dd><span class="literal">2,989.0</span>' in page
    korean = re.sub(r"\s+", " ", html(client, "/page/city/manila?lang=ko"))
    assert "소속 국가의 1인당 GDP (USD)" in korean


def test_a_derivation_does_not_cite_itself(client: FlaskClient) -> None:
    """The places a subject is derived from are the values of prov:wasDerivedFrom; their source
    column stays empty instead of repeating them."""
    page = re.sub(r"\s+", " ", html(client, "/page/city/manila"))
    rows = re.findall(r'<td><a href="/page/locator/([a-z0-9-]+)">[^<]*</a></td> <td class="src">([^<]*)</td>', page)
    assert ("annex-3-row-19", "") in rows and all(cell == "" for _, cell in rows)


def test_pages_are_validated_with_etags(client: FlaskClient) -> None:
    first = client.get("/page/city/kuala-lumpur")
    assert first.headers["ETag"]
    again = client.get("/page/city/kuala-lumpur", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_ontology_term_and_graph_pages(client: FlaskClient) -> None:
    term = html(client, "/def/ascn/isLocatedIn")
    assert "is located in" in term and "소재 국가" in term
    assert "Links a city to the country it lies in." in term
    graph = html(client, "/page/graph/inferred")
    assert "Class memberships inferred by the HermiT reasoner" in graph


def test_pages_have_strict_security_headers(client: FlaskClient) -> None:
    answer = client.get("/page/city/kuala-lumpur")
    policy = answer.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "style-src 'self'" in policy
    body = answer.get_data(as_text=True)
    assert " style=" not in body and "<style" not in body
    scripts = re.findall(r"<script([^>]*)>", body)
    assert all("src=" in attrs or 'type="application/ld+json"' in attrs for attrs in scripts)


def test_links_on_pages_use_labels_not_iris(client: FlaskClient) -> None:
    page = html(client, "/page/organisation/ascn")
    anchors = re.findall(r'<a href="(/page/[^"]+)">([^<]*)</a>', page)
    assert anchors
    assert not [text for _, text in anchors if text.startswith("http")]

