"""Repeated /sparql GETs are replayed in front of Flask: same bytes, 304s, still counted and logged."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest

from ascn_kg.sparql.lane import LANE_KEY, SparqlLane

QUERY = "SELECT ?s WHERE { ?s a <https://kg.ascn.example/def/ascn#MemberState> } ORDER BY ?s"
URL = f"/sparql?query={quote(QUERY)}"
JSON = {"Accept": "application/sparql-results+json"}


@pytest.fixture()
def app(built, make_app):
    return make_app(dist_dir=built.dist)


def metric(client, name: str, **labels: str) -> float:
    with client.get("/metrics") as response:
        text = response.get_data(as_text=True)
    want = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    for line in text.splitlines():
        if not line.startswith(f"{name}{{"):
            continue
        found = ",".join(sorted(line[line.index("{") + 1 : line.index("}")].split(",")))
        if found == want:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_second_request_is_replayed_with_the_same_answer(app):
    client = app.test_client()
    with client.get(URL, headers=JSON) as first:
        body, headers = first.data, dict(first.headers)
    replay: SparqlLane = app.extensions[LANE_KEY]
    assert len(replay.answers._items) == 1
    with client.get(URL, headers=JSON) as second:
        assert second.status_code == 200
        assert second.data == body
        assert dict(second.headers) == headers
    rows = json.loads(body)["results"]["bindings"]
    assert len(rows) == 10


def test_if_none_match_gets_304_from_the_replay(app):
    client = app.test_client()
    with client.get(URL, headers=JSON) as first:
        tag = first.headers["ETag"]
    with client.get(URL, headers={**JSON, "If-None-Match": tag}) as again:
        assert again.status_code == 304
        assert again.data == b""
        assert again.headers["ETag"] == tag
        assert "Content-Type" not in again.headers


def test_replays_are_counted_and_logged(app, capfd):
    client = app.test_client()
    before_ok = metric(client, "ascn_kg_http_requests_total", method="GET", route="/sparql", status="200")
    before_cached = metric(client, "ascn_kg_sparql_queries_total", outcome="cached")
    capfd.readouterr()
    for _ in range(3):
        with client.get(URL, headers=JSON):
            pass
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"sparql_query"' in line]
    assert metric(client, "ascn_kg_http_requests_total", method="GET", route="/sparql", status="200") == before_ok + 3
    assert metric(client, "ascn_kg_sparql_queries_total", outcome="cached") == before_cached + 2
    assert [line["outcome"] for line in logged] == ["ok", "cached", "cached"]
    assert {line["rows"] for line in logged} == {10}


def test_html_and_other_accepts_are_not_mixed(app):
    client = app.test_client()
    with client.get(URL, headers={"Accept": "text/html"}) as page:
        assert page.mimetype == "text/html"
    with client.get(URL, headers={"Accept": "text/csv"}) as csv:
        assert csv.mimetype == "text/csv"
    with client.get(URL, headers={"Accept": "text/csv"}) as again:
        assert again.data == csv.data
    replay: SparqlLane = app.extensions[LANE_KEY]
    assert [key[1] for key in replay.answers._items] == ["text/csv"]


def test_no_replay_when_the_cache_is_off(built, make_app):
    app = make_app(dist_dir=built.dist, result_cache_size=0)
    client = app.test_client()
    for _ in range(2):
        with client.get(URL, headers=JSON) as response:
            assert response.status_code == 200
    assert len(app.extensions[LANE_KEY].answers) == 0


IGNORED = {"date", "server", "content-length"}


def comparable(headers) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in IGNORED}


@pytest.mark.parametrize("accept", ["application/sparql-results+json", "text/csv",
                                    "application/sparql-results+xml", "text/tab-separated-values"])
def test_the_lane_answers_exactly_as_the_flask_view(app, accept):
    """GET goes through the WSGI lane; a POST form is answered by the Flask view: same answer."""
    client = app.test_client()
    with client.get(URL, headers={"Accept": accept}) as lane:
        lane_body, lane_headers = lane.data, comparable(lane.headers)
    with client.post("/sparql", data={"query": QUERY}, headers={"Accept": accept}) as view:
        assert view.status_code == 200
        assert view.data == lane_body
        assert comparable(view.headers) == lane_headers
    assert lane_headers["x-ascn-rows"] == "10"
    assert lane_headers["access-control-allow-origin"] == "*"
    assert lane_headers["x-content-type-options"] == "nosniff"


def test_an_error_met_by_the_lane_is_reported_once_by_the_view(app, capfd):
    client = app.test_client()
    broken = "SELECT ?s WHERE { ?s ?p }"
    before = metric(client, "ascn_kg_sparql_refused_total", reason="syntax")
    capfd.readouterr()
    with client.get(f"/sparql?query={quote(broken)}") as response:
        assert response.status_code == 400
        assert response.get_data(as_text=True).startswith("malformed query:")
        assert response.headers["Access-Control-Allow-Origin"] == "*"
    logged = [json.loads(line) for line in capfd.readouterr().err.splitlines() if '"sparql_query"' in line]
    assert [(line["outcome"], line["reason"]) for line in logged] == [("refused", "syntax")]
    assert metric(client, "ascn_kg_sparql_refused_total", reason="syntax") == before + 1


def test_browsers_services_descriptions_and_updates_still_reach_flask(app):
    client = app.test_client()
    with client.get(URL, headers={"Accept": "text/html"}) as page:
        assert page.status_code == 200 and "<table" in page.get_data(as_text=True)
    with client.get("/sparql", headers={"Accept": "text/turtle"}) as description:
        assert description.status_code == 200 and b"sd:Service" in description.data
    with client.get("/sparql?update=" + quote("CLEAR ALL")) as update:
        assert update.status_code == 400 and "read-only" in update.get_data(as_text=True)
    with client.get(URL + "&query=" + quote("ASK {}")) as two:
        assert two.status_code == 400


def test_a_replayed_304_is_the_same_as_a_first_304(app, make_app):
    client = app.test_client()
    with client.get(URL, headers=JSON) as first:
        tag = first.headers["ETag"]
    conditional = {**JSON, "If-None-Match": tag}
    fresh_app = make_app(dist_dir=app.config["SETTINGS"].dist_dir, result_cache_size=0)
    with fresh_app.test_client().get(URL, headers=conditional) as planned:  # nothing to replay there
        assert planned.status_code == 304
    with client.get(URL, headers=conditional) as replayed:
        assert replayed.status_code == 304
    assert comparable(replayed.headers) == comparable(planned.headers)
    assert "X-ASCN-Rows" not in replayed.headers and "Content-Type" not in replayed.headers


def test_volatile_queries_are_evaluated_every_time_and_never_cached(app):
    client = app.test_client()
    url = "/sparql?query=" + quote("SELECT (STRUUID() AS ?u) WHERE {}")
    bodies = []
    for _ in range(3):
        with client.get(url, headers=JSON) as response:
            assert response.status_code == 200
            assert "ETag" not in response.headers
            assert response.headers["Cache-Control"] == "no-cache"
            bodies.append(response.data)
    assert len(set(bodies)) == 3


def test_a_serializer_failure_is_a_clean_500_in_every_path(app):
    """A term JSON-LD cannot write (an RDF 1.2 triple term): the same 500 whether the query
    runs in the pool or in-process (after N-Triples proved it cheap)."""
    client = app.test_client()
    query = "CONSTRUCT { <urn:a> <urn:b> <<( <urn:a> <urn:b> <urn:c> )>> } WHERE {}"
    url = "/sparql?query=" + quote(query)
    for accept in ("application/n-triples", "application/n-triples", "application/ld+json",
                   "application/ld+json"):
        with client.get(url, headers={"Accept": accept}) as response:
            if accept == "application/n-triples":
                assert response.status_code == 200
                continue
            assert response.status_code == 500
            assert response.mimetype == "text/plain"
            assert "JSON-LD" in response.get_data(as_text=True)
            assert response.headers["Access-Control-Allow-Origin"] == "*"
