"""Permalinks are bounded (issue 17): in bytes per link, per client and minute, and in all.

A real server; 2,000 maximal permalink posts from 20 clients (loopback addresses 127.0.0.10
to .29). Each client may make 50 links a minute, the store may take 3 MB on disk: past the
rate a client gets 429 with ``Retry-After``, past the size 507, and the links made still open.
A link's redirect never carries a header longer than a URL: a long query goes by id.
"""

from __future__ import annotations

import http.client
import re
import socket
import threading
import urllib.parse
from collections import Counter
from pathlib import Path

import pytest

from liveserver import running_server

pytestmark = pytest.mark.slow
CLIENTS, POSTS_EACH, RATE = 20, 100, 50
STORE_BYTES = 3_000_000
LINK_BYTES = 32_000


def maximal_form(client: int, number: int) -> bytes:
    """A query and parameters of just under the 32,000-byte link limit (the query at its 20,000
    characters, Korean in the parameters: three bytes a character)."""
    head = f"SELECT * WHERE {{ ?s ?p ?o }} # {client}-{number} "
    query = head + "q" * (20_000 - len(head))
    params = {f"p{i}": "값" * 660 for i in range(6)}  # 6 × 1,980 bytes, with the JSON around them
    return urllib.parse.urlencode({"query": query, **params}).encode()


def post_links(base: str, client: int, statuses: Counter[int], waits: list[str], links: list[str],
               lock: threading.Lock) -> None:
    parts = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30,
                                      source_address=(f"127.0.0.{10 + client}", 0))
    for number in range(POSTS_EACH):
        conn.request("POST", "/q", maximal_form(client, number),
                     {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/plain"})
        response = conn.getresponse()
        response.read()
        with lock:
            statuses[response.status] += 1
            if response.status == 429:
                waits.append(response.headers.get("Retry-After", ""))
            if response.status == 303:
                links.append(response.headers["Location"])
    conn.close()


def raw_get(base: str, path: str) -> bytes:
    """The whole answer to a GET (headers and body), as bytes on the wire."""
    port = urllib.parse.urlsplit(base).port
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while data := sock.recv(65536):
            answer += data
    return answer


def test_two_thousand_maximal_permalinks_leave_the_store_within_its_size(built, tmp_path: Path) -> None:
    folder = tmp_path / "links"
    with running_server(built.dist, workers=1, permalink_dir=folder, permalink_rate=RATE,
                        permalink_store_bytes=STORE_BYTES) as base:
        statuses: Counter[int] = Counter()
        waits: list[str] = []
        links: list[str] = []
        lock = threading.Lock()
        threads = [threading.Thread(target=post_links, args=(base, n, statuses, waits, links, lock))
                   for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
        on_disk = sum(path.stat().st_size for path in folder.iterdir())
        followed = raw_get(base, urllib.parse.urlsplit(links[0]).path)
        location = re.search(rb"\r\nlocation: ([^\r]*)", followed, re.IGNORECASE).group(1).decode()
        page = raw_get(base, location)
        alive = raw_get(base, "/healthz")  # the server goes on
    print(f"{CLIENTS * POSTS_EACH} posts: {dict(statuses)}; the store holds {len(links)} links in {on_disk:,} bytes "
          f"(limit {STORE_BYTES:,}); a link's redirect is {len(followed):,} bytes, to {location}")
    assert sum(statuses.values()) == CLIENTS * POSTS_EACH
    assert statuses[429] == CLIENTS * (POSTS_EACH - RATE)  # the rate is counted before anything else
    assert statuses[303] > 0 and statuses[507] > 0 and set(statuses) == {303, 429, 507}
    assert set(waits) <= {str(s) for s in range(1, 61)}
    assert on_disk <= STORE_BYTES
    assert len(followed) < 16_000 and location.startswith("/query?link=")
    assert page.startswith(b"HTTP/1.1 200")  # the query page, with the stored query in its editor
    assert b"SELECT * WHERE { ?s ?p ?o } # " in page and b"q" * 19_000 in page
    assert alive.startswith(b"HTTP/1.1 200")


def test_a_link_past_its_byte_limit_is_413(built, tmp_path: Path) -> None:
    with running_server(built.dist, workers=1, permalink_dir=tmp_path / "links") as base:
        parts = urllib.parse.urlsplit(base)
        conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        body = urllib.parse.urlencode({"query": "ASK {}", **{f"p{i}": "값" * 2_000 for i in range(16)}})
        conn.request("POST", "/q", body, {"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/plain"})
        response = conn.getresponse()
        text = response.read().decode()
        conn.close()
    assert response.status == 413
    assert "a permalink holds at most 32,000" in text


def test_a_long_link_goes_to_the_page_by_id_and_a_short_one_by_url(make_app, built, tmp_path: Path) -> None:
    app = make_app(dist_dir=built.dist, permalink_dir=tmp_path / "links")
    client = app.test_client()
    long_query = "ASK { ?s ?p ?o } # " + "z" * 3_000
    for query, by_id in (("ASK { ?s ?p ?o }", False), (long_query, True)):
        link = client.post("/q", data={"query": query}).headers["Location"]
        target = client.get(link).headers["Location"]
        assert target.startswith("/query?link=") is by_id and len(target) < 2_000
        page = client.get(target)
        assert page.status_code == 200 and query.encode() in page.data
    assert client.get("/query?link=aaaaaaaaaaaa&run=1").status_code == 404


def test_a_full_store_keeps_its_links_and_says_507(make_app, tmp_path: Path) -> None:
    app = make_app(permalink_dir=tmp_path / "links", permalink_store_bytes=200_000, permalink_rate=100)
    client = app.test_client()
    made, statuses = [], Counter()
    for number in range(40):
        response = client.post("/q", data={"query": f"ASK {{}} # {number} " + "w" * 10_000},
                               headers={"Accept": "text/plain"})
        statuses[response.status_code] += 1
        if response.status_code == 303:
            made.append(response.headers["Location"])
        else:
            assert "the permalink store is full (200,000 bytes)" in response.get_data(as_text=True)
    assert statuses[303] > 5 and statuses[507] > 5
    assert sum(path.stat().st_size for path in (tmp_path / "links").iterdir()) <= 200_000
    assert all(client.get(link).status_code == 303 for link in made)
    again = client.post("/q", data={"query": "ASK {} # 0 " + "w" * 10_000})  # already stored: still its id
    assert again.status_code == 303 and again.headers["Location"] == made[0]
