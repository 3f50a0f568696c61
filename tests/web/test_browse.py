"""Browse pages, the typology chart, the governance diagram, the query page, downloads and
the ontology documentation, through the Flask test client on the real build."""

from __future__ import annotations

import gzip
import re
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree

import pyoxigraph as ox
import pytest
from flask.testing import FlaskClient
from rdflib import Graph, URIRef
from rdflib.compare import isomorphic

from ascn_kg.build.pipeline import BuildResult
from support import BASE

SVG = "{http://www.w3.org/2000/svg}"


def html(client: FlaskClient, path: str) -> str:
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200, path
    assert answer.mimetype == "text/html"
    return answer.get_data(as_text=True)


def svg_of(page: str, css_class: str) -> ElementTree.Element:
    match = re.search(rf'<svg [^>]*class="{css_class}".*?</svg>', page, re.S)
    assert match, f"no svg.{css_class}"
    return ElementTree.fromstring(match.group(0))


def test_home_counts_what_the_dataset_holds(client: FlaskClient) -> None:
    page = html(client, "/")
    assert "<title>The ASEAN Smart Cities Network knowledge graph — ASCN-KG</title>" in page
    assert "<strong>10</strong> <span>member states</span>" in page
    assert "<strong>26</strong> <span>pilot cities</span>" in page
    for link in ("/cities", "/states", "/typology", "/governance", "/query", "/download/", "/def/ascn"):
        assert f'href="{link}"' in page


def test_member_states(client: FlaskClient) -> None:
    page = html(client, "/states")
    assert page.count('href="/page/state/') == 10
    row = re.search(r'<tr>\s*<th scope="row"><a href="/page/state/mys">Malaysia</a>.*?</tr>', page, re.S).group(0)
    assert "Kuala Lumpur" in row and "Johor Bahru" in row and "9,944.9" in row
    philippines = re.search(r'<tr>\s*<th scope="row"><a href="/page/state/phl">.*?</tr>', page, re.S).group(0)
    assert "2,989.0" in philippines  # Annex 3 prints every GDP per capita with one decimal; the store keeps 2989
    thailand = re.search(r'<tr>\s*<th scope="row"><a href="/page/state/tha">.*?</tr>', page, re.S).group(0)
    assert re.findall(r'href="/page/person/([a-z-]+)"', thailand) == ["ajarin-pattanapanchai", "chaiwat-thongkamkoon"]


def city_order(page: str) -> list[str]:
    return re.findall(r'<th scope="row"><a href="/page/city/([a-z-]+)">', page)


def test_pilot_cities_table_sorts_without_javascript(client: FlaskClient) -> None:
    page = html(client, "/cities")
    cities = city_order(page)
    assert len(cities) == 26 and cities[0] == "bandar-seri-begawan"
    for column in ("State", "Density (/km²)", "GDP per capita (USD)", "Typology class", "Focus areas",
                   "Chief Smart City Officer(s)", "Capital"):
        assert column in page
    assert 'href="?sort=density"' in page
    dense = city_order(html(client, "/cities?sort=-density"))
    assert dense[0] == "manila"  # 42,857 per km²
    sparse = city_order(html(client, "/cities?sort=density"))
    assert sparse == list(reversed(dense)) or sparse[0] == "siem-reap"
    by_gdp = city_order(html(client, "/cities?sort=-gdp"))
    assert by_gdp[0] == "singapore"
    assert city_order(html(client, "/cities?sort=nonsense")) == cities
    kl = re.search(r'<th scope="row"><a href="/page/city/kuala-lumpur">.*?</tr>', page, re.S).group(0)
    assert "Malaysia" in kl and "6,890" in kl and "Dense city in an emerging economy" in kl
    assert "Waste management" in kl and "/page/person/" in kl


def test_projects_by_focus_area(client: FlaskClient) -> None:
    page = html(client, "/projects")
    section = re.search(r'<section id="fa-waste-management".*?</section>', page, re.S).group(0)
    assert "Kuala Lumpur" in section
    assert "Sustainable Municipal Solid Waste Management" in section


def test_people_by_post(client: FlaskClient) -> None:
    page = html(client, "/people")
    assert "Chief Smart City Officer" in page and "National Representative" in page
    assert page.count('href="/page/person/') >= 30


def test_timeline_is_in_date_order(client: FlaskClient) -> None:
    page = html(client, "/timeline")
    dates = re.findall(r'<p class="when"><time>([0-9-]+)</time>', page)
    assert len(dates) >= 10
    assert dates == sorted(dates)


def test_governance_diagram_comes_from_the_reporting_chain(client: FlaskClient) -> None:
    page = html(client, "/governance")
    svg = svg_of(page, "governance")
    boxes = {a.get("href") for a in svg.iter(f"{SVG}a")}
    assert {"/page/organisation/ascn", "/page/organisation/jcm", "/page/organisation/asean-summit"} <= boxes
    edges = [line for line in svg.iter(f"{SVG}line")]
    assert any("monitors" in (e.get("class") or "") for e in edges)
    assert sum("reports" in (e.get("class") or "") for e in edges) >= 5


def test_typology_chart_has_26_linked_points_and_thresholds(client: FlaskClient) -> None:
    page = html(client, "/typology")
    svg = svg_of(page, "chart chart-wide")
    points = [a for a in svg.iter(f"{SVG}a") if a.get("class") == "point"]
    assert len(points) == 26
    assert all(a.get("href", "").startswith("/page/city/") and a.get("aria-label") for a in points)
    assert all(a.find(f"{SVG}title") is not None for a in points)
    singapore = next(a for a in points if a.get("aria-label") == "Singapore")
    assert singapore.get("href") == "/page/city/singapore"
    thresholds = [line for line in svg.iter(f"{SVG}line") if "threshold" in (line.get("class") or "")]
    assert len(thresholds) == 2
    texts = "".join(svg.itertext())
    assert "18,535" in texts and "4,179" in texts
    quadrants = [t.get("aria-label") for t in svg.iter(f"{SVG}text") if t.get("class") == "quadrant"]
    assert sorted(quadrants) == sorted(["Dense city in a developed economy", "Dense city in an emerging economy",
                                        "Low-density city in a developed economy",
                                        "Low-density city in an emerging economy"])


def test_singapore_sits_in_the_dense_developed_quadrant(client: FlaskClient) -> None:
    svg = svg_of(html(client, "/typology"), "chart chart-wide")
    lines = {line.get("class"): line for line in svg.iter(f"{SVG}line") if "threshold" in (line.get("class") or "")}
    x_cut, y_cut = float(lines["threshold x"].get("x1")), float(lines["threshold y"].get("y1"))
    point = next(a for a in svg.iter(f"{SVG}a") if a.get("aria-label") == "Singapore").find(f"{SVG}circle")
    assert float(point.get("cx")) > x_cut and float(point.get("cy")) < y_cut  # right of and above


def test_typology_chart_in_korean_and_as_svg(client: FlaskClient) -> None:
    page = html(client, "/typology?lang=ko")
    assert "인구밀도가 높은 선진국형 도시" in page
    assert 'aria-label="싱가포르"' in page
    answer = client.get("/typology.svg")
    assert answer.mimetype == "image/svg+xml"
    root = ElementTree.fromstring(answer.data)
    assert len([a for a in root.iter(f"{SVG}a") if a.get("class") == "point"]) == 26


def test_query_page_runs_every_catalogue_query_by_clicking(client: FlaskClient) -> None:
    page = html(client, "/query")
    links = re.findall(r'<a href="(/query\?name=[a-z0-9-]+&amp;run=1)"', page)
    assert len(links) >= 20
    for link in links:
        answer = client.get(link.replace("&amp;", "&"))
        body = answer.get_data(as_text=True)
        assert answer.status_code == 200, (link, body[:500])
        assert 'role="alert"' not in body, link
        assert 'class="results"' in body, link


def test_query_page_labels_results_and_offers_downloads(client: FlaskClient) -> None:
    page = html(client, "/query?name=pilot-cities&run=1")
    rows = re.findall(r"<tr><td ", page)
    assert len(rows) == 26
    assert '<a href="/page/city/kuala-lumpur" title="https://kg.ascn.example/id/city/kuala-lumpur">Kuala Lumpur</a>' \
        in page
    found = re.findall(r'<a href="(/sparql\?[^"]+)" download="ascn-kg-results\.([a-z]+)" data-format="([a-z]+)">', page)
    assert [(extension, name) for _, extension, name in found] == [(n, n) for n in ("json", "xml", "csv", "tsv")]
    downloads = {name: url for url, _, name in found}
    assert set(downloads) == {"json", "xml", "csv", "tsv"}
    query = parse_qs(urlsplit(downloads["csv"].replace("&amp;", "&")).query)
    answer = client.get("/sparql", query_string={"query": query["query"][0], "format": "csv"})
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert answer.get_data(as_text=True).count("\n") == 27


def test_query_page_is_titled_by_the_example_it_names(client: FlaskClient) -> None:
    assert "<h1>Query</h1>" in html(client, "/query")
    named = html(client, "/query?name=pilot-cities")
    assert "<h1>The 26 pilot cities</h1>" in named


def test_query_page_parameters(client: FlaskClient) -> None:
    page = html(client, "/query?name=city-projects&run=1&city=Singapore")
    assert 'value="Singapore"' in page
    assert "<tr><td " in page
    default = html(client, "/query?name=city-projects&run=1")
    assert "KL Urban Observatory" in default


def test_query_page_says_when_a_name_or_a_parameter_names_nothing(client: FlaskClient) -> None:
    unknown = client.get("/query?name=city-projetcs&run=1")
    assert unknown.status_code == 404
    assert "The closest: city-projects, city-posts, project-counts." in unknown.get_data(as_text=True)
    misspelt = html(client, "/query?name=city-projects&run=1&city=Kuala+Lumpor")
    assert "city = “Kuala Lumpor” names nothing in the graph" in misspelt
    assert '<a href="?name=city-projects&amp;city=Kuala+Lumpur&amp;run=1">Kuala Lumpur</a>' in misspelt
    hanoi = html(client, "/query?name=city-projects&run=1&city=Hanoi")  # the report's own spelling
    assert "names nothing" not in hanoi and "Intelligent Operations Center" in hanoi
    permalink = client.get("/q/city-projetcs")
    assert permalink.status_code == 404 and "name like it: city-projects" in permalink.get_data(as_text=True)


def test_query_page_runs_free_text_and_reports_errors(client: FlaskClient) -> None:
    page = html(client, "/query?run=1&query=" + "ASK%20%7B%20%3Fs%20%3Fp%20%3Fo%20%7D")
    assert '<p class="boolean"><strong>yes</strong></p>' in page
    bad = client.get("/query?run=1&query=SELEC%20nonsense")
    assert bad.status_code == 400
    assert 'role="alert"' in bad.get_data(as_text=True)
    update = client.get("/query?run=1&query=" + "DELETE%20WHERE%20%7B%3Fs%20%3Fp%20%3Fo%7D")
    assert update.status_code == 400


def test_permalinks_land_on_the_query_page(client: FlaskClient) -> None:
    answer = client.post("/q", data={"query": "SELECT * WHERE { ?s a <https://kg.ascn.example/def/ascn#City> }"})
    assert answer.status_code == 303
    target = client.get(answer.headers["Location"])
    assert target.status_code == 303
    page = html(client, target.headers["Location"])
    assert "<tr><td " in page


@pytest.mark.parametrize("name,media", [
    ("ascn.trig", "application/trig"), ("ascn.nq", "application/n-quads"), ("ascn.ttl", "text/turtle"),
    ("ascn.nt", "application/n-triples"), ("ascn.jsonld", "application/ld+json"), ("ascn.rdf", "application/rdf+xml"),
    ("ontology.ttl", "text/turtle"), ("shapes.ttl", "text/turtle"), ("shacl-report.ttl", "text/turtle"),
    ("void.ttl", "text/turtle"),
])
def test_downloads(client: FlaskClient, built: BuildResult, name: str, media: str) -> None:
    answer = client.get(f"/download/{name}")
    assert answer.status_code == 200
    assert answer.mimetype == media
    body = answer.data
    assert body == (built.dist / name).read_bytes()
    assert int(answer.headers["Content-Length"]) == len(body)
    assert built.version in answer.headers["ETag"]
    again = client.get(f"/download/{name}", headers={"If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("name", ["ascn.nq", "ascn.ttl", "ascn.jsonld"])
def test_dumps_travel_gzipped_to_clients_that_accept_it(client: FlaskClient, built: BuildResult, name: str) -> None:
    packed = client.get(f"/download/{name}", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.status_code == 200 and packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == (built.dist / name).read_bytes()
    assert len(packed.data) * 5 < (built.dist / name).stat().st_size
    assert "Accept-Encoding" in packed.headers["Vary"]
    plain = client.get(f"/download/{name}", headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers and "Accept-Encoding" in plain.headers["Vary"]
    assert plain.headers["ETag"] != packed.headers["ETag"]  # one tag per coding
    again = client.get(f"/download/{name}",
                       headers={"Accept-Encoding": "gzip", "If-None-Match": packed.headers["ETag"]})
    assert again.status_code == 304


@pytest.mark.parametrize("path", ["/download/VERSION", "/download/store", "/download/..%2Fpyproject.toml",
                                  "/download/../pyproject.toml", "/download/%2e%2e/etc/passwd", "/download/ascn.TTL"])
def test_downloads_are_allow_listed(client: FlaskClient, path: str) -> None:
    assert client.get(path).status_code == 404


def test_download_index_and_void(client: FlaskClient) -> None:
    page = html(client, "/download/")
    assert len(re.findall(r'href="/download/[a-z]', page)) == 10
    void = client.get("/.well-known/void")
    assert void.mimetype == "text/turtle"
    graph = Graph().parse(data=void.data, format="turtle")
    assert (URIRef(f"{BASE}dataset"), URIRef("http://rdfs.org/ns/void#triples"), None) in graph
    assert "Accept" in void.headers["Vary"]


@pytest.mark.parametrize(("accept", "media"), [
    ("application/ld+json", "application/ld+json"),
    ("application/rdf+xml", "application/rdf+xml"),
    ("application/n-triples;q=1, text/turtle;q=0.5", "application/n-triples"),
    ("text/html,application/xhtml+xml,*/*;q=0.8", "text/turtle"),
])
def test_the_void_description_negotiates(client: FlaskClient, accept: str, media: str) -> None:
    """/.well-known/void says the same in every RDF format (the file's Turtle by default)."""
    def graph(body: bytes, media_type: str) -> Graph:
        triples = ox.parse(body, format=ox.RdfFormat.from_media_type(media_type))
        return Graph().parse(data=ox.serialize(triples, format=ox.RdfFormat.N_TRIPLES), format="nt")

    turtle = graph(client.get("/.well-known/void").data, "text/turtle")
    answer = client.get("/.well-known/void", headers={"Accept": accept})
    assert answer.status_code == 200 and answer.mimetype == media and "Accept" in answer.headers["Vary"]
    assert len(turtle) > 50 and isomorphic(graph(answer.data, media), turtle)
    again = client.get("/.well-known/void", headers={"Accept": accept, "If-None-Match": answer.headers["ETag"]})
    assert again.status_code == 304
    fallback = client.get("/.well-known/void", headers={"Accept": "text/html"})  # no RDF format named: the file
    assert fallback.status_code == 200 and fallback.mimetype == "text/turtle"


def test_ontology_documentation(client: FlaskClient) -> None:
    page = html(client, "/def/ascn")
    for text in ("City", "도시", "is located in", "소재 국가", "Links a city to the country it lies in.",
                 "도시를 그 도시가 속한 국가와 연결한다."):
        assert text in page
    assert 'id="PilotCity"' in page and 'id="isLocatedIn"' in page
    located = re.search(r'<article class="term" id="isLocatedIn">.*?</article>', page, re.S).group(0)
    assert "Domain" in located and 'href="/def/ascn/City"' in located and 'href="/def/ascn/Country"' in located
    svg = re.search(r"<svg .*?</svg>", page, re.S).group(0)
    tree = ElementTree.fromstring(svg)
    assert len(list(tree.iter(f"{SVG}circle"))) >= 15
    assert len(list(tree.iter(f"{SVG}path"))) >= 20
    assert "is located in" in "".join(tree.itertext())


def test_without_a_store_pages_answer_503_not_500(make_app) -> None:
    client = make_app(base_iri=BASE).test_client()
    for path in ("/", "/page/city/kuala-lumpur", "/id/city/kuala-lumpur", "/api/search?q=Kua", "/typology",
                 "/download/ascn.ttl", "/def/ascn", "/query"):
        answer = client.get(path, headers={"Accept": "text/html"})
        assert answer.status_code == 503, path
        assert answer.headers["Retry-After"]


def test_the_sparql_pages_speak_korean(client: FlaskClient) -> None:
    korean = {"Accept": "text/html", "Accept-Language": "ko"}
    form = client.get("/sparql", headers=korean).get_data(as_text=True)
    assert "<h1>SPARQL 질의</h1>" in form and ">질의 실행</button>" in form and "결과 형식" in form
    answer = client.get("/sparql", query_string={"query": "ASK {}"}, headers=korean).get_data(as_text=True)
    assert "<h1>SPARQL 질의 결과</h1>" in answer and "답: <strong>예</strong>" in answer
    error = client.get("/sparql", query_string={"query": "SELECT ?x WHERE {"}, headers=korean).get_data(as_text=True)
    assert "Run query" not in error and '<html lang="ko">' in error


def test_the_query_page_speaks_korean(client: FlaskClient) -> None:
    page = client.get("/query?name=city-projects", headers={"Accept-Language": "ko"}).get_data(as_text=True)
    assert "<h1>도시별 우선 프로젝트</h1>" in page
    assert "특정 시범도시가 제안한 우선 프로젝트는 무엇인가?" in page and "(첨부 1)" in page
    assert "도시 키 또는 영문이나 국문 이름(대소문자 무시)" in page
    assert '<small class="muted">첨부 1</small>' in page  # the catalogue list, in Korean too
    assert '<small class="muted">Annex 1</small>' not in page


def test_a_value_of_the_wrong_form_is_said_so(client: FlaskClient) -> None:
    page = html(client, "/query?name=events-in-month&run=1&month=hello")
    assert "parameter &#39;month&#39; must be a month as YYYY-MM (given &#39;hello&#39;)" in page
    assert "names nothing in the graph" not in page and "Dell" not in page
    answer = client.get("/api/queries/events-in-month?month=2018-13", headers={"Accept": "application/json"})
    assert answer.status_code == 400 and "must be a month as YYYY-MM" in answer.get_data(as_text=True)
    assert client.get("/api/queries/events-in-month?month=2018-07").status_code == 200
