"""Hostile input over HTTP, against a real server: what tests/test_sparql_*.py check in-process
(the safety gate, negotiation), checked here end to end, plus what only a live server shows:
a listening socket that must see no connection, the time limit and row cap under explosive
queries, the server surviving parser bombs, request-size limits, encodings, path traversal,
markup and header injection, and RDF parsing that must never fetch anything.
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import sys
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path

import pytest
from benchmarks.bench import Client
from benchmarks.synthetic import write_dist

from liveserver import running_server
from support import REPO

pytestmark = pytest.mark.slow
APP = "ascn_kg:create_app()"
SECRET = "TOP-SECRET-a1b2c3d4"
BIG = 3_000_000  # query length the hostile server accepts, so that the nesting gate is reached


class Listener:
    """A TCP socket on loopback that records every connection made to it."""

    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.connections: list[bytes] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            with conn:
                conn.settimeout(0.5)
                try:
                    self.connections.append(conn.recv(1024) or b"<connected>")
                except OSError:
                    self.connections.append(b"<connected>")

    def close(self) -> None:
        self._stop.set()
        self._thread.join(2)
        self.sock.close()


@pytest.fixture()
def listener() -> Iterator[Listener]:
    probe = Listener()
    yield probe
    probe.close()


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    (root / "secret.txt").write_text(SECRET)
    made = write_dist(root / "dist", triples=5_000).path
    (made / "ascn.nt").write_text("<urn:a> <urn:b> <urn:c> .\n")
    return made


@pytest.fixture(scope="module")
def base(dist: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    links = tmp_path_factory.mktemp("links")
    with running_server(dist, app=APP, workers=2, query_timeout=1, max_query_length=BIG,
                        max_body_bytes=5_000_000, max_result_rows=1_000, permalink_dir=str(links)) as url:
        yield url


def request(base: str, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    status, response_headers, data, _ = Client(base, timeout=30).request(method, path, headers, body)
    return status, response_headers, data


def sparql_get(base: str, query: str, **params: str) -> tuple[int, dict[str, str], bytes]:
    return request(base, "GET", "/sparql?" + urllib.parse.urlencode({"query": query, **params}))


def sparql_post(base: str, query: str) -> tuple[int, dict[str, str], bytes]:
    return request(base, "POST", "/sparql", query.encode(), {"Content-Type": "application/sparql-query"})


def raw_request(base: str, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
    """Send bytes as they are (for what http.client refuses to encode); status and raw response."""
    port = urllib.parse.urlsplit(base).port
    with socket.create_connection(("127.0.0.1", port), timeout=15) as sock:
        sock.sendall(head + body)
        chunks = []
        while True:
            data = sock.recv(65536)
            if not data:
                break
            chunks.append(data)
    raw = b"".join(chunks)
    return int(raw.split(b" ", 2)[1]), raw


def assert_alive(base: str) -> None:
    status, _, body = sparql_get(base, "ASK { ?s ?p ?o }")
    assert status == 200 and b"true" in body


# --- SERVICE and remote datasets: nothing leaves the machine ------------------------------------


SERVICE_TARGETS = [
    "http://127.0.0.1:{port}/sparql", "http://localhost:{port}/", "https://127.0.0.1:{port}/",
    "ftp://127.0.0.1:{port}/data", "file:///etc/passwd", "gopher://127.0.0.1:{port}/_x",
]


@pytest.mark.parametrize("target", SERVICE_TARGETS)
@pytest.mark.parametrize("how", ["get", "post", "silent", "prefixed"])
def test_service_never_reaches_the_target(base: str, listener: Listener, target: str, how: str) -> None:
    iri = target.format(port=listener.port)
    head, _, tail = iri.rpartition("/")
    query = {
        "get": f"SELECT * WHERE {{ SERVICE <{iri}> {{ ?s ?p ?o }} }}",
        "post": f"SELECT * WHERE {{ ?x ?y ?z . SERVICE <{iri}> {{ ?s ?p ?o }} }} LIMIT 1",
        "silent": f"ASK {{ SERVICE SILENT <{iri}> {{ ?s ?p ?o }} }}",
        "prefixed": f"PREFIX r: <{head}/> SELECT * WHERE {{ SERVICE r:{tail or 'x'} {{ ?s ?p ?o }} }}",
    }[how]
    status, _, body = sparql_post(base, query) if how == "post" else sparql_get(base, query)
    assert status == 400, body
    assert b"SERVICE" in body and b"not allowed" in body
    assert listener.connections == []


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_dataset_iris_are_never_fetched(base: str, listener: Listener, param: str) -> None:
    remote = f"http://127.0.0.1:{listener.port}/graph.ttl"
    status, _, _ = sparql_get(base, "SELECT * WHERE { ?s ?p ?o } LIMIT 1", **{param: remote})
    assert status == 200
    status, _, _ = sparql_get(base, f"SELECT * FROM <{remote}> WHERE {{ ?s ?p ?o }} LIMIT 1")
    assert status == 200
    status, _, _ = sparql_get(base, "LOAD <" + remote + ">")
    assert status == 400
    assert listener.connections == []


# --- explosive queries: stopped by the limits --------------------------------------------------

P = "<http://www.w3.org/2000/01/rdf-schema#label>"
EXPLOSIVE = {
    "cartesian product": "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }",
    "deep path closure": "SELECT (COUNT(*) AS ?n) WHERE { ?s (" + "/".join(["!<urn:x>"] * 6) + ")* ?o . ?x ?y ?z }",
    "long path sequence": "SELECT (COUNT(*) AS ?n) WHERE { ?s (" + "/".join(["(!<urn:x>|^!<urn:x>)"] * 300)
                          + ")* ?o }",
    "regex over a product": 'SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f '
                            'FILTER(REGEX(CONCAT(STR(?c), STR(?f), "!"), "(a+)+$")) }',
    "huge VALUES join": "SELECT (COUNT(*) AS ?n) WHERE { VALUES ?v { " + " ".join(str(i) for i in range(20_000))
                        + " } ?a ?b ?c . ?d ?e ?f }",
}


@pytest.mark.parametrize("name", list(EXPLOSIVE))
def test_explosive_queries_end_at_the_time_limit(base: str, name: str) -> None:
    status, _, body = sparql_post(base, EXPLOSIVE[name])
    assert status == 504, body[:300]
    assert b"time limit" in body
    assert_alive(base)


REGEX_BOMBS = {
    "nested quantifier on a long string": 'SELECT ?x WHERE { BIND(CONCAT("' + "a" * 30_000
                                          + '", "!") AS ?s) BIND(REGEX(?s, "(a+)+$") AS ?x) }',
    "pattern over the size limit": 'SELECT ?x WHERE { BIND(REGEX("aaa", "(a{1000}){1000}") AS ?x) }',
    "nested stars": 'SELECT ?x WHERE { BIND(REGEX("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "((((((a*)*)*)*)*)*)b") AS ?x) }',
    "alternation in REPLACE": 'SELECT ?x WHERE { BIND(REPLACE("' + "a" * 30_000 + '", "(a|aa)+$", "x") AS ?x) }',
}


@pytest.mark.parametrize("name", list(REGEX_BOMBS))
def test_regex_catastrophes_do_not_backtrack(base: str, name: str) -> None:
    """Oxigraph's regular expressions run in linear time: these answer at once, well inside the limit."""
    status, _, body = sparql_post(base, REGEX_BOMBS[name])
    assert status == 200, body[:300]
    assert_alive(base)


def test_huge_results_are_cut_at_the_row_cap(base: str) -> None:
    status, headers, body = sparql_get(base, "SELECT * WHERE { ?a ?b ?c . ?d ?e ?f }", format="csv")
    assert status == 200
    assert headers.get("x-ascn-truncated") == "rows=1000"
    assert body.count(b"\n") == 1_001  # header + rows


def test_huge_values_beyond_the_length_limit_is_413(base: str) -> None:
    values = " ".join(f'"{i}"' for i in range(400_000))
    status, _, body = sparql_post(base, f"SELECT * WHERE {{ VALUES ?v {{ {values} }} }}")
    assert status == 413, body[:200]


# --- parser bombs: 100,000 levels of every construct ----------------------------------------------

DEPTH = 100_000
NESTED = {
    "groups": "SELECT * WHERE " + "{" * DEPTH + "}" * DEPTH,
    "parentheses": "SELECT * WHERE { FILTER(" + "(" * DEPTH + "1" + ")" * DEPTH + ") }",
    "sub-selects": "SELECT * WHERE " + "{ SELECT * WHERE " * DEPTH + "{}" + " }" * DEPTH,
    "property paths": "PREFIX p: <urn:p:> SELECT * WHERE { ?s " + "(" * DEPTH + "p:a" + ")" * DEPTH + " ?o }",
    "blank-node lists": "PREFIX p: <urn:p:> SELECT * WHERE { ?s " + "[ p:a " * DEPTH + "]" * DEPTH + " }",
    "function calls": "SELECT * WHERE { BIND(" + "STR(" * DEPTH + "1" + ")" * DEPTH + " AS ?x) }",
    "unary operators": "SELECT * WHERE { FILTER(" + "!" * DEPTH + "true) }",
    "unary minus": "SELECT * WHERE { FILTER(" + "-" * DEPTH + "1) }",
    "inverse paths": "PREFIX p: <urn:p:> SELECT * WHERE { ?s " + "^(" * DEPTH + "p:a" + ")" * DEPTH + " ?o }",
    "path sequences": "PREFIX p: <urn:p:> SELECT * WHERE { ?s (" + "/".join(["(p:a"] * DEPTH) + ")" * DEPTH
                      + ")* ?o }",
    "long chains": "SELECT * WHERE { FILTER(" + "+".join(["1"] * DEPTH) + ") }",
}


@pytest.mark.parametrize("query", list(NESTED.values()), ids=list(NESTED))
def test_deep_nesting_is_refused_and_the_server_lives(base: str, query: str) -> None:
    status, _, body = sparql_post(base, query)
    assert status == 400, body[:300]
    assert body.strip(), "a refusal carries a message"
    form = urllib.parse.urlencode({"query": query}).encode()
    status, _, body = request(base, "POST", "/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400, body[:300]
    assert_alive(base)


def test_deep_nesting_in_a_url_is_refused(base: str) -> None:
    status, _, _ = request(base, "GET", "/sparql?query=" + urllib.parse.quote("{" * DEPTH))
    assert status in {400, 414}
    assert_alive(base)


# --- sizes and encodings -----------------------------------------------------------------------


def send_big(base: str, head: bytes, body: bytes) -> int:
    """Send a request whose body the server may refuse before reading it all; its status."""
    port = urllib.parse.urlsplit(base).port
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        try:
            sock.sendall(head)
            for start in range(0, len(body), 1 << 20):
                sock.sendall(body[start:start + (1 << 20)])
        except (BrokenPipeError, ConnectionResetError):
            pass  # refused early: the answer is waiting
        try:
            answer = sock.recv(4096)
        except ConnectionResetError:
            return 0
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/") else 0


@pytest.mark.parametrize("content_type", ["application/sparql-query", "application/x-www-form-urlencoded"])
def test_a_ten_megabyte_body_is_413(base: str, content_type: str) -> None:
    body = b"query=" + b"a" * 10_000_000 if "form" in content_type else b"#" * 10_000_000
    head = (f"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode()
    assert send_big(base, head, body) == 413
    assert_alive(base)


def test_a_ten_megabyte_chunked_body_is_refused_before_it_is_read(base: str) -> None:
    """Chunked uploads are refused whatever their size (a malformed chunk would look like the end of
    the body to the application): 400, naming Content-Length."""
    chunk = b"#" * 1_000_000
    body = (f"{len(chunk):x}\r\n".encode() + chunk + b"\r\n") * 10 + b"0\r\n\r\n"
    head = (b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
            b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
    assert send_big(base, head, body) == 400
    assert_alive(base)


BAD_QUERY_STRINGS = [
    b"query=%FF", b"query=%E2%82", b"query=%C0%AF", b"query=%ED%A0%80", b"query=%ZZ", b"query=%", b"query=%4",
    b"query=ASK%7B%7D&format=%FF",
]
RAW_BYTES_IN_THE_REQUEST_LINE = [b"query=\xff\xfe", b"query=ASK\xc0\xafx"]


@pytest.mark.parametrize("query_string", BAD_QUERY_STRINGS)
def test_malformed_query_strings_are_400(base: str, query_string: bytes) -> None:
    head = b"GET /sparql?" + query_string + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    status, raw = raw_request(base, head)
    assert status == 400, raw[:300]
    assert raw.split(b"\r\n\r\n", 1)[1].strip(), "a 400 carries a message"


@pytest.mark.parametrize("query_string", RAW_BYTES_IN_THE_REQUEST_LINE)
def test_raw_bytes_in_the_request_line_are_400_before_the_app(base: str, query_string: bytes) -> None:
    """Not HTTP at all (a request line is ASCII): the HTTP server refuses it before any of our code."""
    head = b"GET /sparql?" + query_string + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    status, raw = raw_request(base, head)
    assert status == 400, raw[:300]


@pytest.mark.parametrize("form", [b"query=%FF", b"query=%E2%82%", b"query=%G1", b"query=\xff", b"query=a%"])
def test_malformed_form_bodies_are_400(base: str, form: bytes) -> None:
    status, _, body = request(base, "POST", "/sparql", form, {"Content-Type": "application/x-www-form-urlencoded"})
    assert status == 400 and body.strip()


def test_malformed_utf8_in_a_sparql_query_body_is_400(base: str) -> None:
    status, _, body = request(base, "POST", "/sparql", b"ASK { \xff }", {"Content-Type": "application/sparql-query"})
    assert status == 400 and b"UTF-8" in body


@pytest.mark.parametrize("path", [b"/search?q=%FF", b"/api/search?q=%E2%82", b"/page/city/%FF", b"/id/city/%C0%AF",
                                  b"/data/city/%FF.ttl", b"/download/%FF", b"/query?query=%FF", b"/q/%FF",
                                  b"/%FF%FE", b"/search?q=\xff"])
def test_malformed_encodings_elsewhere_never_crash(base: str, path: bytes) -> None:
    status, raw = raw_request(base, b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    assert status in {200, 400, 404}, raw[:300]


# --- path traversal ----------------------------------------------------------------------------

TRAVERSALS = [
    "/download/..%2fsecret.txt", "/download/..%2f..%2fsecret.txt", "/download/%2e%2e%2fsecret.txt",
    "/download/%2e%2e/secret.txt", "/download/....//secret.txt", "/download/%252e%252e%252fsecret.txt",
    "/download/..%5csecret.txt", "/download/ascn.nq%00.txt", "/download/%00", "/download/..%2fdist%2fVERSION%00",
    "/download/%2fetc%2fpasswd", "/download//etc/passwd", "/download/..%2f..%2f..%2f..%2fetc%2fpasswd",
    "/data/..%2fsecret.txt", "/data/city/..%2f..%2fsecret.txt", "/data/..%2f..%2fsecret", "/data/city/%2e%2e.ttl",
    "/data/%2e%2e%2fsecret.txt", "/data/city/..%00.ttl", "/data/..%2fstore%2fCURRENT",
    "/download/store%2fCURRENT", "/download/store/CURRENT", "/static/..%2f..%2fconfig.py",
    "/static/%2e%2e/%2e%2e/config.py",
]


@pytest.mark.parametrize("path", TRAVERSALS)
def test_path_traversal_never_leaves_dist(base: str, path: str) -> None:
    status, raw = raw_request(base, f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
    assert status in {400, 404, 405}, raw[:300]
    assert SECRET.encode() not in raw and b"root:x:0:0" not in raw and b"MANIFEST" not in raw
    assert b"Settings:" not in raw  # config.py's source


# --- injection ----------------------------------------------------------------------------------

MARKUP = '"><script>alert(1)</script><img src=x onerror=alert(2)>'


@pytest.mark.parametrize("path", [
    "/search?q={}", "/api/search?q={}", "/search?q=x&lang={}", "/page/city/{}", "/id/city/{}", "/query?query={}",
    "/sparql?query={}", "/sparql?query=SELECT%20*%20{{%20?s%20?p%20{}%20}}",
])
def test_markup_is_never_echoed_raw(base: str, path: str) -> None:
    target = path.format(urllib.parse.quote(MARKUP))
    for accept in ("text/html", "*/*", "application/json"):
        status, headers, body = request(base, "GET", target, headers={"Accept": accept})
        assert status < 500, body[:300]
        kind = headers.get("content-type", "")
        if kind.startswith(("text/html", "application/xhtml")):
            assert b"<script>alert(1)" not in body and b"<img src=x" not in body, (target, accept)
        else:  # JSON, plain text: inert when not sniffed as HTML
            assert headers.get("x-content-type-options") == "nosniff", (target, kind)


@pytest.mark.parametrize("value", ["json\r\nX-Injected: yes", "json%0D%0AX-Injected:%20yes", "json\nX-Injected: yes",
                                   "text/csv\r\nSet-Cookie: a=b"])
def test_header_injection_through_format(base: str, value: str) -> None:
    for path in ("/sparql?query=ASK%7B%7D&format=", "/page/city/x?format=", "/data/city/x?format=",
                 "/api/search?q=a&format="):
        status, headers, _ = request(base, "GET", path + urllib.parse.quote(value, safe="%"))
        assert "x-injected" not in headers and headers.get("set-cookie") != "a=b"
        assert status < 500


def test_an_accept_header_with_hundreds_of_types_is_answered_sanely(base: str) -> None:
    types = [f"application/x-t{i};q=0.{i % 9 + 1}" for i in range(300)]  # about 7 kB
    status, headers, _ = request(base, "GET", "/sparql?query=ASK%7B%7D", headers={"Accept": ", ".join(types)})
    assert status == 406
    status, headers, _ = request(base, "GET", "/sparql?query=ASK%7B%7D",
                                 headers={"Accept": ", ".join([*types, "application/sparql-results+xml;q=0.05"])})
    assert status == 200 and headers["content-type"].startswith("application/sparql-results+xml")
    junk = ", ".join(["*/*;q=abc", ";;;", "text/", "/", "a/b;q=-1", "*/*;q=2"] * 50)
    status, _, _ = request(base, "GET", "/sparql?query=ASK%7B%7D", headers={"Accept": junk})
    assert status in {200, 406}
    status, _, _ = request(base, "GET", "/sparql?query=ASK%7B%7D", headers={"Accept": ", ".join(types * 3)})
    assert status in {406, 431}  # over the server's header-size limit: refused, not crashed
    assert_alive(base)


# --- RDF parsing never fetches -------------------------------------------------------------------


def test_the_build_never_fetches_owl_imports_or_remote_documents(tmp_path: Path, listener: Listener) -> None:
    """A hostile ontology (owl:imports, a remote @context-like base, an external entity) builds offline."""
    ontology = tmp_path / "ontology"
    shutil.copytree(REPO / "ontology", ontology)
    remote = f"http://127.0.0.1:{listener.port}"
    ttl = ontology / "ascn.ttl"
    ttl.write_text(ttl.read_text(encoding="utf-8") + (
        f"\n<https://kg.ascn.example/def/ascn> <http://www.w3.org/2002/07/owl#imports> <{remote}/imported.ttl> .\n"
        f"<https://kg.ascn.example/def/ascn> <http://www.w3.org/2000/01/rdf-schema#seeAlso> <{remote}/see.ttl> .\n"
    ), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "ascn_kg.cli", "--ontology-dir", str(ontology), "validate"],
                          capture_output=True, text=True, timeout=180)
    assert listener.connections == [], done.stderr[-2000:]


def test_rdf_parsers_of_the_project_never_fetch(listener: Listener) -> None:
    """pyoxigraph (server, publish) and rdflib (build) on JSON-LD remote contexts and RDF/XML entities."""
    import pyoxigraph as ox
    from rdflib import Graph

    remote = f"http://127.0.0.1:{listener.port}"
    jsonld = f'{{"@context": "{remote}/context.jsonld", "@id": "urn:a", "name": "x"}}'.encode()
    xml = (f'<?xml version="1.0"?>\n<!DOCTYPE r [<!ENTITY e SYSTEM "{remote}/entity.xml">]>\n'
           '<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns:ex="urn:ex#">'
           '<rdf:Description rdf:about="urn:a"><ex:p>&e;</ex:p></rdf:Description></rdf:RDF>').encode()
    for data, fmt in ((jsonld, ox.RdfFormat.JSON_LD), (xml, ox.RdfFormat.RDF_XML)):
        with contextlib.suppress(SyntaxError, ValueError, OSError):
            list(ox.parse(data, format=fmt))
    with contextlib.suppress(Exception):
        Graph().parse(data=xml, format="xml")
    assert listener.connections == []
