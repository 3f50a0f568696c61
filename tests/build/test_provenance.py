"""Statement-level provenance: every statement of a part's graph cites a row or paragraph of that
part, every place lies inside its part in both editions, and pages show the places in their language."""

from __future__ import annotations

import re
import urllib.request
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from ascn_kg.build.locators import labels, lies_within, parse_ranges
from support import BASE, key, select
from liveserver import running_server

PROV = "http://www.w3.org/ns/prov#"
DCT = "http://purl.org/dc/terms/"
ASCN = f"{BASE}def/ascn#"


def part_graphs(store: ox.Store) -> dict[str, str]:
    """Named graph → the report part it was transcribed from (graph/provenance)."""
    rows = select(store, f"""SELECT ?g ?part WHERE {{ GRAPH <{BASE}graph/provenance> {{
        ?g <{PROV}wasDerivedFrom> ?part }} ?part a ascn:ReportPart }}""")
    return {r["g"]: r["part"] for r in rows}


def first_statement_without_a_place(store: ox.Store) -> tuple[str, int]:
    """Walk every statement of every part's graph; name the first whose subject cites no place of
    that part in that graph ("" when there is none), and the number of statements walked."""
    graphs = part_graphs(store)
    place_part = {r["l"]: r["part"] for r in select(store, f"""SELECT ?l ?part WHERE {{
        ?l a ascn:Locator ; <{DCT}isPartOf> ?part }}""")}
    cited: dict[tuple[str, str], set[str]] = {}
    for q in store.quads_for_pattern(None, ox.NamedNode(f"{PROV}wasDerivedFrom"), None, None):
        cited.setdefault((q.subject.value, q.graph_name.value), set()).add(q.object.value)
    walked = 0
    for graph in sorted(graphs):
        for q in sorted(store.quads_for_pattern(None, None, None, ox.NamedNode(graph)), key=str):
            walked += 1
            places = {p for p in cited.get((q.subject.value, graph), ()) if place_part.get(p) == graphs[graph]}
            if not places:
                return f"{q.subject} {q.predicate} {q.object} in <{graph}>", walked
    return "", walked


def test_every_statement_of_a_part_cites_a_place_more_precise_than_the_part(store):
    missing, walked = first_statement_without_a_place(store)
    assert missing == "", f"first statement without a row, paragraph or footnote of its part: {missing}"
    # 22 parts (sources.csv) less Illustrations 1, 2 and 3, which only data-quality claims cite: 19 graphs
    assert len(part_graphs(store)) == 19
    assert walked > 3000


def test_the_walk_names_a_statement_that_lost_its_place(built):
    """The walk above can fail: drop Vilayvone Chanthalaty's link to Annex 2, row 14 and it names her."""
    doctored = ox.Store()
    doctored.bulk_load(path=str(built.dist / "ascn.nq"), format=ox.RdfFormat.N_QUADS)
    person, graph = ox.NamedNode(f"{BASE}id/person/vilayvone-chanthalaty"), ox.NamedNode(f"{BASE}graph/annex-2")
    doctored.remove(ox.Quad(person, ox.NamedNode(f"{PROV}wasDerivedFrom"),
                            ox.NamedNode(f"{BASE}id/locator/annex-2-row-14"), graph))
    missing, _ = first_statement_without_a_place(doctored)
    assert missing.startswith(f"<{BASE}id/person/vilayvone-chanthalaty> ")
    assert missing.endswith(f"in <{BASE}graph/annex-2>")


def test_every_place_lies_inside_its_part_in_both_editions(store):
    rows = select(store, f"""SELECT ?l ?part ?le ?lk ?pe ?pk WHERE {{ ?l a ascn:Locator ; <{DCT}isPartOf> ?part .
        OPTIONAL {{ ?l ascn:linesEnglish ?le }} OPTIONAL {{ ?l ascn:linesKorean ?lk }}
        OPTIONAL {{ ?part ascn:linesEnglish ?pe }} OPTIONAL {{ ?part ascn:linesKorean ?pk }} }}""")
    assert len(rows) == 221  # the rows of locators.csv
    for r in rows:
        assert r["le"] or r["lk"], r["l"]
        for inner, outer in ((r["le"], r["pe"]), (r["lk"], r["pk"])):
            assert inner is None or (outer and lies_within(inner, outer)), f"{r['l']}: {inner} not in {outer}"


def test_every_claim_lies_inside_its_part_in_both_editions(store):
    rows = select(store, f"""SELECT ?claim ?text ?part ?le ?lk ?pe ?pk WHERE {{
        ?claim a ascn:SourceClaim ; ascn:claimText ?text ; ascn:claimSource ?part ; <{PROV}wasDerivedFrom> ?l .
        ?l <{DCT}isPartOf> ?part .
        OPTIONAL {{ ?l ascn:linesEnglish ?le }} OPTIONAL {{ ?l ascn:linesKorean ?lk }}
        ?part ascn:linesEnglish ?pe ; ascn:linesKorean ?pk }}""")
    claims = select(store, "SELECT ?c WHERE { ?c a ascn:SourceClaim }")
    assert len({r["claim"] for r in rows}) == len(claims) == 120  # every claim of note_claims.csv
    english = english_claims(store)
    for r in rows:
        lang = "en" if r["claim"] in english else "ko"
        own = r["le"] if lang == "en" else r["lk"]
        assert own, f"{r['claim']}: a {lang} claim cites a place the {lang} edition does not print"
        for inner, outer in ((r["le"], r["pe"]), (r["lk"], r["pk"])):
            assert inner is None or lies_within(inner, outer), f"{r['claim']}: {inner} outside {outer}"


def english_claims(store: ox.Store) -> set[str]:
    return {r["c"] for r in select(store, """SELECT ?c WHERE { ?c ascn:claimText ?t FILTER(LANG(?t) = "en") }""")}


def test_the_korean_ranges_of_charts_1_and_3_hold_their_claims(store):
    """Issue 15, correction 4: 표 1 runs to l.1722 and 표 3 to l.1930, where the claims point."""
    parts = {key(r["p"]): r["lk"] for r in select(store, """SELECT ?p ?lk WHERE { ?p a ascn:ReportPart ;
        ascn:linesKorean ?lk }""")}
    assert parts["chart-1"] == "1672-1722"
    assert parts["chart-3"] == "1843-1930"
    # the adoption of the action plans (l.1718), the ACC (l.1722), Ho Chi Minh City's unmarked row (l.1928)
    for line in ("1718", "1720", "1722"):
        assert lies_within(line, parts["chart-1"])
    assert lies_within("1928", parts["chart-3"])
    assert not lies_within("1716-1720", "1672-1712") and not lies_within("1928", "1843-1900")  # the old ranges


def test_line_ranges_and_locator_names():
    assert parse_ranges("244-305,316") == [(244, 305), (316, 316)]
    assert lies_within("300-304", "244-305,316") and not lies_within("306", "244-305,316")
    with pytest.raises(ValueError, match="runs backwards"):
        parse_ranges("20-10")
    with pytest.raises(ValueError, match="not a line range"):
        parse_ranges("l.304")
    assert labels("row", "Annex 2", "첨부 2", "14", "14") == ("Annex 2, row 14", "첨부 2, 14행")
    assert labels("row", "Annex 3", "첨부 3", "10-13", "10-13") == ("Annex 3, rows 10–13", "첨부 3, 10–13행")
    assert labels("paragraph", "Rationale and outline", "건설 배경", "2", "3") == (
        "Rationale and outline, paragraph 2 (Korean edition: paragraph 3)", "건설 배경, 3문단 (영문판 2문단)")
    assert labels("footnote", "Analysis", "유형 분석", None, "5") == (
        "Analysis, footnote 5 of the Korean edition", "유형 분석, 주석 5 (국문판)")
    assert labels("source-note", "Annex 3", "첨부 3", None, None) == ("Annex 3, source note", "첨부 3, 출처 표기")


def test_locators_are_named_in_both_languages(store):
    rows = select(store, """SELECT ?en ?ko WHERE { <https://kg.ascn.example/id/locator/annex-2-row-14>
        rdfs:label ?en , ?ko FILTER(LANG(?en) = "en" && LANG(?ko) = "ko") }""")
    assert rows == [{"en": "Annex 2, row 14", "ko": "첨부 2, 14행"}]


# --- pages -------------------------------------------------------------------------------------


def sources_cells(page: str, prop_label: str) -> list[str]:
    """The sources cells of the rows of one property in a page's statements table."""
    table = page[page.index('id="st-h"'):page.index('id="in-h"')]
    rows = re.findall(r"<tr[^>]*>(.*?)</tr>", table, re.S)
    cells, inside = [], False
    for row in rows:
        header = re.search(r'<th scope="row"[^>]*>(.*?)</th>', row, re.S)
        if header:
            inside = prop_label in re.sub(r"<[^>]+>", "", header.group(1))
        if inside:
            cells.append(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", re.findall(r'<td class="src">(.*?)</td>', row,
                                                                             re.S)[0])).strip())
    return cells


def test_a_persons_statements_cite_annex_2_row_14(client: FlaskClient):
    page = client.get("/page/person/vilayvone-chanthalaty", headers={"Accept": "text/html"}).get_data(as_text=True)
    assert sources_cells(page, "job title") == ["Annex 2, row 14"]
    assert sources_cells(page, "holds post") == ["Annex 2, row 14"]
    assert '<a href="/page/locator/annex-2-row-14">Annex 2, row 14</a>' in page


@pytest.fixture(scope="module")
def server(built) -> Iterator[str]:
    with running_server(built.dist, base_iri=BASE) as url:
        yield url


def fetch(url: str, language: str) -> str:
    request = urllib.request.Request(url, headers={"Accept": "text/html", "Accept-Language": language})
    with urllib.request.urlopen(request, timeout=10) as answer:
        assert answer.status == 200
        return answer.read().decode("utf-8")


@pytest.mark.slow
def test_the_sources_column_speaks_the_page_language(server: str):
    english = fetch(f"{server}/page/person/vilayvone-chanthalaty", "en")
    korean = fetch(f"{server}/page/person/vilayvone-chanthalaty", "ko-KR,ko;q=0.9")
    assert sources_cells(english, "job title") == ["Annex 2, row 14"]
    assert sources_cells(korean, "직함") == ["첨부 2, 14행"]
    assert "첨부 2, 14행" not in english and "Annex 2, row 14" not in korean
    # a paragraph the two editions number differently, and a fact derived by a rule
    summit = fetch(f"{server}/page/organisation/asean-summit", "ko")
    assert "건설 배경, 3문단 (영문판 2문단)" in summit  # its other Korean name, 아세안 정상회의
    chair = fetch(f"{server}/page/person/khoo-teng-chye", "en")
    assert "Khoo Teng Chye holds the post of Chair of the ASCN" in chair  # the rule, in the sources column


class CountingStore:
    """The app's store, counting the queries a page sends."""

    def __init__(self, inner) -> None:
        self.inner, self.queries = inner, 0

    def __getattr__(self, name: str):
        attribute = getattr(self.inner, name)
        if name in {"select", "ask", "construct"}:
            def counted(*args, **kwargs):
                self.queries += 1
                return attribute(*args, **kwargs)
            return counted
        return attribute


def queries_for(app: Flask, path: str) -> int:
    app.test_client().get(path, headers={"Accept": "text/html"})  # what is cached per dataset version
    counting = CountingStore(app.extensions["ascn_store"])
    app.extensions["ascn_store"] = counting
    try:
        answer = app.test_client().get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 200
    finally:
        app.extensions["ascn_store"] = counting.inner
    return counting.queries


def test_places_cost_one_query_however_many_statements_a_page_shows(app: Flask):
    """Places are fetched for all the statements a page shows in one query: the network, with some
    hundred statements pointing at it from a dozen graphs, costs as many queries as the IMD with a few."""
    hub = queries_for(app, "/page/organisation/ascn")
    small = queries_for(app, "/page/organisation/imd")
    assert hub == small <= 11
