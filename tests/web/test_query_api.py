"""The catalogue as an API in grlc's convention, and its headers read by grlc's own parser.

grlc (the ``grlc`` package on PyPI) pins versions of Flask, rdflib and gunicorn other than
ours, so it lives in a separate environment (``make grlc-env`` makes ``.venv-grlc``, or name
its Python in ``ASCN_KG_GRLC_PYTHON``) and ``tests/grlc_parse.py`` runs there in a subprocess.
The API answers are checked against the catalogue's expected answers on a real server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from ascn_kg.build.pipeline import BuildResult
from ascn_kg.catalogue import FIELDS, load_catalogue
from liveserver import running_server
from support import REPO
from test_catalogue import assert_same, expected

QUERIES = REPO / "queries"
ENTRIES = load_catalogue(QUERIES)
NAMES = [entry.name for entry in ENTRIES]
TESTS_DIR = Path(__file__).resolve().parent


def grlc_python() -> Path | None:
    """The Python of the environment that has grlc, or None."""
    named = os.environ.get("ASCN_KG_GRLC_PYTHON")
    path = Path(named) if named else REPO / ".venv-grlc" / "bin" / "python"
    return path if path.exists() else None


@pytest.fixture(scope="module")
def grlc_spec(tmp_path_factory: pytest.TempPathFactory) -> dict:
    python = grlc_python()
    if python is None:
        pytest.skip("grlc's environment is missing: run `make grlc-env` (or set ASCN_KG_GRLC_PYTHON)")
    done = subprocess.run([str(python), str(REPO / "tests" / "grlc_parse.py"), str(QUERIES)], capture_output=True,
                          text=True, timeout=300, check=False, cwd=tmp_path_factory.mktemp("grlc"))
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_grlc_finds_every_query_with_its_parameters(grlc_spec: dict) -> None:
    assert sorted(grlc_spec) == sorted(NAMES) and len(NAMES) >= 25
    for entry in ENTRIES:
        item = grlc_spec[entry.name]
        assert (item["call_name"], item["method"]) == (f"/{entry.name}", "get")
        assert (item["summary"], item["description"], item["tags"]) == (
            entry.title, entry.question_en, list(entry.tags))
        assert (item["question_ko"], item["reproduces"]) == (entry.question_ko, entry.reproduces)
        params = [p for p in item["params"] if p["name"] != "endpoint"]  # grlc's own, to pick an endpoint
        assert params == [{"name": p.name, "required": True, "type": "string", "default": p.default,
                           "enum": list(p.choices) or None, "in": "query"} for p in entry.params], entry.name
        assert set(item["decorators"]) <= set(FIELDS)  # grlc reads the header we read
    assert sum(len(e.params) for e in ENTRIES) >= 9  # the nine queries that take a parameter


# --- the API on a real server -------------------------------------------------------------


@pytest.fixture(scope="module")
def server(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_server(built.dist, permalink_dir=str(tmp_path_factory.mktemp("links"))) as url:
        yield url


def get(url: str, accept: str | None = None, headers: dict | None = None) -> tuple[int, dict, bytes]:
    request = urllib.request.Request(url, headers={**({"Accept": accept} if accept else {}), **(headers or {})})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def json_rows(body: bytes) -> tuple[list[str], list[list[str]]]:
    document = json.loads(body)
    head = document["head"]["vars"]
    return head, [[b.get(v, {}).get("value", "") for v in head] for b in document["results"]["bindings"]]


@pytest.mark.parametrize("name", NAMES)
def test_every_query_answers_as_json_and_csv(server: str, name: str) -> None:
    status, headers, body = get(f"{server}/api/queries/{name}")
    assert (status, headers["Content-Type"]) == (200, "application/json"), body[:300]
    assert_same(name, json_rows(body), expected(name))
    status, headers, body = get(f"{server}/api/queries/{name}", "text/csv")
    assert (status, headers["Content-Type"].split(";")[0]) == (200, "text/csv")
    header, *rows = list(csv.reader(io.StringIO(body.decode("utf-8"))))
    assert_same(name, (header, rows), expected(name))


def test_parameters_come_from_the_query_string(server: str) -> None:
    url = f"{server}/api/queries/city-projects?{urllib.parse.urlencode({'city': '하노이'})}"
    _, _, body = get(url, "application/sparql-results+json")
    _, rows = json_rows(body)
    # Annex 1: Ha Noi's three priority projects
    assert [(r[0], r[1], r[2]) for r in rows][:1] == [("Ha Noi", "1", "Intelligent Operations Center")]
    assert len(rows) == 3
    _, _, body = get(f"{server}/api/queries/events-in-month?month=2018-11", "text/csv")
    events = sorted(row[1] for row in csv.reader(io.StringIO(body.decode())) if row[0] != "start")
    # the 33rd Summit and the ASCN's official launch at it (the abstract), the Connectivity Forum
    assert events == ["33rd ASEAN Summit", "6th ASEAN Connectivity Forum", "Official launch of the ASCN"]
    injection = urllib.parse.urlencode({"city": 'x" } ; DROP ALL #'})
    status, _, body = get(f"{server}/api/queries/city-projects?{injection}")
    assert status == 200 and json_rows(body)[1] == []


@pytest.mark.parametrize(("path", "accept", "status", "message"), [
    ("/api/queries/city-projects?town=x", None, 400, b"has no parameter 'town' (it accepts: city)"),
    ("/api/queries/city-projects?city=a&city=b", None, 400, b"give parameter 'city' once"),
    ("/api/queries/city-projects?city=back%5Cslash", None, 400, b"backslash"),
    ("/api/queries/no-such-query", None, 404, b"no catalogue query named 'no-such-query'"),
    ("/api/queries/city-projetcs", None, 404, b"the closest are city-projects, city-posts, project-counts"),
    ("/api/queries/timeline", "text/html", 406, b"application/json or text/csv"),
])
def test_bad_requests_say_why(server: str, path: str, accept: str | None, status: int, message: bytes) -> None:
    got, _, body = get(f"{server}{path}", accept)
    assert got == status and message in body, body[:300]


def test_answers_carry_an_etag(server: str) -> None:
    status, headers, _ = get(f"{server}/api/queries/timeline", "text/csv")
    assert status == 200 and headers["ETag"]
    assert get(f"{server}/api/queries/timeline", "text/csv", {"If-None-Match": headers["ETag"]})[0] == 304
    assert get(f"{server}/api/queries/timeline", "application/json", {"If-None-Match": headers["ETag"]})[0] == 200


def test_the_index_and_the_openapi_description_list_every_query(server: str) -> None:
    status, _, body = get(f"{server}/api/queries")
    index = json.loads(body)
    assert status == 200 and [q["name"] for q in index] == NAMES
    projects = next(q for q in index if q["name"] == "city-projects")
    assert projects["parameters"] == [{"name": "city",
                                       "description": "city key or any English or Korean name of it (case is ignored)",
                                       "description_ko": "도시 키 또는 영문이나 국문 이름(대소문자 무시)",
                                       "default": "kuala-lumpur"}]
    assert projects["question_ko"] == "특정 시범도시가 제안한 우선 프로젝트는 무엇인가?"
    assert (projects["summary_ko"], projects["reproduces_ko"]) == ("도시별 우선 프로젝트", "첨부 1")
    document = json.loads(get(f"{server}/openapi.json")[2])
    for entry in ENTRIES:
        operation = document["paths"][f"/api/queries/{entry.name}"]["get"]
        assert operation["summary"] == entry.title
        assert [(p["name"], p["in"], p["schema"]["default"]) for p in operation["parameters"]] == [
            (p.name, "query", p.default) for p in entry.params]
        assert set(operation["responses"]["200"]["content"]) == {"application/json", "text/csv"}
    assert "/api/queries/{name}" not in document["paths"] and "/api/queries" in document["paths"]
