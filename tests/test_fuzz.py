"""Property-based fuzzing of the HTTP API: no input gets a 500, every 4xx says why.

Hypothesis drives the Flask test client (fast, in-process) with random paths, query strings
(raw bytes included), Accept headers, methods and form bodies; schemathesis then fuzzes a
real server (granian) from its own ``/openapi.json`` (a bounded number of examples per
operation, only the ``not_a_server_error`` check: answers may be any documented status).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.synthetic import write_dist
from flask.testing import FlaskClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ascn_kg.ops.app_state import store
from ascn_kg.ops.querylog import close_logging
from ascn_kg.web import openapi
from liveserver import running_server
from support import new_app

ROUTES = ["/", "/sparql", "/search", "/api/search", "/page/city/", "/page/state/", "/id/city/", "/data/city/",
          "/download/", "/query", "/q/", "/chart/", "/states", "/cities", "/def/ascn", "/graph/", "/healthz",
          "/readyz", "/openapi.json", "/lang/", "/page/organisation/ascn", "/data/", "/static/"]
PARAMS = ["query", "format", "q", "lang", "page", "limit", "default-graph-uri", "named-graph-uri", "run", "next",
          "update", "offset", "kind"]
MEDIA = ["*/*", "text/html", "application/json", "application/sparql-results+json", "text/csv", "text/turtle",
         "application/ld+json", "application/rdf+xml", "image/png", "text/*", "application/n-quads", ""]
QUERIES = ["ASK {}", "SELECT * WHERE { ?s ?p ?o } LIMIT 3", "CONSTRUCT WHERE { ?s ?p ?o } LIMIT 2",
           "DESCRIBE <https://kg.ascn.example/id/organisation/ascn>", "INSERT DATA {}", "SELECT", "{", "}}}"]
FUZZ = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                      HealthCheck.too_slow])


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_dist(tmp_path_factory.mktemp("fuzz") / "dist", triples=5_000).path


@pytest.fixture(scope="module")
def client(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[FlaskClient]:
    app = new_app(tmp_path_factory.mktemp("app"), dist_dir=dist, query_timeout=2.0, log_level="ERROR")
    yield app.test_client()
    store(app).close()
    close_logging()


def raw(query_string: bytes) -> dict[str, str]:
    """The WSGI query string as an HTTP server passes it: bytes outside printable ASCII
    percent-encoded (a raw one is refused before the app); bad escapes and bad UTF-8 stay."""
    text = "".join(chr(b) if 0x21 <= b < 0x7F and b != 0x23 else f"%{b:02X}" for b in query_string)
    return {"QUERY_STRING": text}


def check(response) -> None:
    """No 500; a 4xx carries a message."""
    status = response.status_code
    assert status < 500, (status, response.get_data()[:500])
    if 400 <= status < 500 and response.request.method != "HEAD":
        assert response.get_data().strip(), f"{status} without a message"


words = st.text(st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=40)
values = st.one_of(words, st.sampled_from(QUERIES), st.sampled_from(["json", "csv", "ttl", "html", "en", "ko", "0",
                                                                      "-1", "99999999999", "..", "%", "\r\n"]))
query_strings = st.one_of(
    st.binary(max_size=80),
    st.lists(st.tuples(st.sampled_from(PARAMS), values), max_size=4).map(
        lambda pairs: "&".join(f"{k}={urllib.parse.quote(v)}" for k, v in pairs).encode()),
)
header_text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60)
accepts = st.one_of(st.sampled_from(MEDIA), st.lists(st.sampled_from(MEDIA), max_size=5).map(", ".join), header_text)


@FUZZ
@given(route=st.sampled_from(ROUTES), tail=words, query_string=query_strings, accept=accepts)
def test_get_never_fails(client: FlaskClient, route: str, tail: str, query_string: bytes, accept: str) -> None:
    path = route + (urllib.parse.quote(tail, safe="/%;=") if route.endswith("/") else "")
    with client.get(path, headers={"Accept": accept}, environ_overrides=raw(query_string)) as response:
        check(response)


@FUZZ
@given(route=st.sampled_from(["/sparql", "/q", "/search", "/query", "/api/search"]),
       body=st.one_of(st.binary(max_size=200), query_strings),
       content_type=st.sampled_from(["application/x-www-form-urlencoded", "application/sparql-query",
                                     "application/sparql-update", "text/plain", "multipart/form-data", ""]),
       accept=accepts)
def test_post_never_fails(client: FlaskClient, route: str, body: bytes, content_type: str, accept: str) -> None:
    with client.post(route, data=body, headers={"Content-Type": content_type, "Accept": accept}) as response:
        check(response)


@FUZZ
@given(method=st.sampled_from(["HEAD", "OPTIONS", "PUT", "DELETE", "PATCH"]), route=st.sampled_from(ROUTES),
       query_string=query_strings)
def test_other_methods_never_fail(client: FlaskClient, method: str, route: str, query_string: bytes) -> None:
    with client.open(route, method=method, environ_overrides=raw(query_string)) as response:
        check(response)


def test_openapi_document_lists_only_real_routes(client: FlaskClient) -> None:
    with client.get("/openapi.json") as response:
        document = response.get_json()
    assert document["openapi"].startswith("3.")
    app = client.application
    rules = {openapi.openapi_path(r.rule)[0] for r in app.url_map.iter_rules()}
    # each catalogue query is described as a path of its own, an instance of /api/queries/{name}
    catalogue = {p for p in document["paths"] if p.startswith("/api/queries/")}
    assert "/api/queries/{name}" in rules and len(catalogue) >= 25
    assert set(document["paths"]) - catalogue <= rules
    assert {"/sparql", "/healthz", "/readyz", "/openapi.json"} <= set(document["paths"])
    assert "get" in document["paths"]["/sparql"] and "post" in document["paths"]["/sparql"]


@pytest.mark.slow
def test_schemathesis_finds_no_server_error(dist: Path, tmp_path: Path) -> None:
    binary = shutil.which("schemathesis", path=str(Path(sys.executable).parent))
    if binary is None:
        pytest.skip("schemathesis is not installed (pip install schemathesis)")
    with running_server(dist, workers=2, query_timeout=2,
                        permalink_dir=str(tmp_path / "links"), log_level="WARNING") as base:
        argv = [binary, "run", f"{base}/openapi.json", "--checks", "not_a_server_error", "--max-examples", "30",
                "--request-timeout", "15", "--seed", "2018", "--no-color", "--generation-deterministic",
                "--suppress-health-check", "all", "--phases", "examples,coverage,fuzzing"]
        done = subprocess.run(argv, capture_output=True, text=True, timeout=170, cwd=tmp_path)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]
