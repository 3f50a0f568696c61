"""Query permalinks: stable short ids, stored outside dist/, surviving a restart."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask

from ascn_kg.config import load_settings
from ascn_kg.web import permalink_ids
from ascn_kg.web.permalink_ids import PermalinkError, QueryTooLong, is_valid_id
from ascn_kg.web.permalinks import PermalinkStore, make_permalink, resolve_permalink
from support import REPO

Q = 'SELECT ?city WHERE { ?city rdfs:label "세종"@ko } # & + % ? # \\ end'


@pytest.fixture()
def app(make_app, tmp_path: Path) -> Flask:
    return make_app(permalink_dir=tmp_path / "permalinks")


def test_same_query_same_id(app: Flask) -> None:
    with app.app_context():
        first = make_permalink(Q, {"lang": "ko"})
        assert is_valid_id(first) and len(first) == 12
        assert make_permalink(Q, {"lang": "ko"}) == first
        assert make_permalink(f"\n  {Q}\n", {"lang": "ko"}) == first  # outer blanks
        assert make_permalink(Q.replace("\n", "\r\n"), {"lang": "ko"}) == first
        assert make_permalink(Q, {"lang": "en"}) != first
        assert make_permalink(Q, {}) != first
        assert make_permalink(Q + " ", None) == make_permalink(Q, {})
        assert resolve_permalink(first) == (Q, {"lang": "ko"})


def test_parameters_keep_their_values(app: Flask) -> None:
    params = {"named-graph-uri": ["https://g/b", "https://g/a"], "lang": "en"}
    with app.app_context():
        link = make_permalink(Q, params)
        assert resolve_permalink(link) == (Q, params)
        assert make_permalink(Q, dict(reversed(params.items()))) == link


@pytest.mark.parametrize(
    ("query", "params", "error"),
    [
        ("   \n ", {}, PermalinkError),
        ("x" * 20_001, {}, QueryTooLong),
        (Q, {"query": "again"}, PermalinkError),
        (Q, {"run": "0"}, PermalinkError),
        (Q, {"Bad Key": "x"}, PermalinkError),
        (Q, {"lang": "x" * 2_001}, PermalinkError),
        (Q, {"lang": []}, PermalinkError),
        (Q, {f"p{i}": "x" for i in range(17)}, PermalinkError),
        ("SELECT \udcff", {}, PermalinkError),
        (Q, {"lang": "\ud800"}, PermalinkError),
    ],
)
def test_bad_input_is_refused(app: Flask, query: str, params: dict, error: type) -> None:
    with app.app_context(), pytest.raises(error):
        make_permalink(query, params)


def test_post_then_follow(app: Flask) -> None:
    client = app.test_client()
    response = client.post("/q", data={"query": Q, "lang": "ko"})
    assert response.status_code == 303
    location = response.headers["Location"]
    link = location.rsplit("/", 1)[1]
    assert location == f"/q/{link}" and is_valid_id(link)
    followed = client.get(location)
    assert followed.status_code == 303
    target = urlsplit(followed.headers["Location"])
    assert target.path == "/query"
    assert parse_qs(target.query) == {"query": [Q], "lang": ["ko"], "run": ["1"]}
    assert " " not in followed.headers["Location"] and "#" not in target.query
    assert followed.headers["Cache-Control"] == "public, max-age=86400"


def test_posting_nothing_is_a_client_error(app: Flask) -> None:
    client = app.test_client()
    assert client.post("/q", data={}).status_code == 400
    assert client.post("/q", data={"query": "x" * 20_001}).status_code == 413
    assert client.post("/q", data={"query": Q, "Bad Key": "1"}).status_code == 400


@pytest.mark.parametrize(
    "link",
    ["aaaaaaaaaaaa", "AAAAAAAAAAAA", "short", "aaaaaaaaaaa1", "a" * 53, "aaaa-aaaa-aaaa",
     "aaaaaaaaaaaa.json"],
)
def test_unknown_or_malformed_ids_are_404(app: Flask, link: str) -> None:
    client = app.test_client()
    html = client.get(f"/q/{link}")
    assert html.status_code == 404
    assert html.mimetype == "text/html"
    assert "No query is stored" in html.get_data(as_text=True)
    as_json = client.get(f"/q/{link}", headers={"Accept": "application/json"})
    assert as_json.status_code == 404
    assert as_json.get_json()["error"] == "Not Found"


def test_lookup_does_not_create_the_store(make_app, tmp_path: Path) -> None:
    app = make_app(permalink_dir=tmp_path / "never")
    assert app.test_client().get("/q/aaaaaaaaaaaa").status_code == 404
    assert not (tmp_path / "never").exists()


def test_collision_lengthens_the_id(tmp_path: Path, monkeypatch) -> None:
    store = PermalinkStore(tmp_path, max_query_length=1000)
    monkeypatch.setattr(permalink_ids, "_digest", lambda query, params: "a" * 52)
    first = store.make("SELECT 1 {}")
    second = store.make("SELECT 2 {}")
    assert (len(first), len(second)) == (12, 16)
    assert store.make("SELECT 2 {}") == second
    assert store.resolve(first)[0] == "SELECT 1 {}"
    assert store.resolve(second)[0] == "SELECT 2 {}"


def test_default_folder_is_beside_dist_not_in_it(tmp_path: Path) -> None:
    settings = load_settings(dist_dir=tmp_path / "site" / "dist")
    assert settings.permalink_folder == tmp_path / "site" / "instance" / "permalinks"
    assert not settings.permalink_folder.is_relative_to(settings.dist_dir)
    assert load_settings(permalink_dir=tmp_path / "x").permalink_folder == tmp_path / "x"


RESOLVE_IN_NEW_PROCESS = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from ascn_kg.web import permalink_ids, permalinks
    from support import new_app

    app = new_app(Path(sys.argv[1]).parent, permalink_dir=Path(sys.argv[1]))
    if sys.argv[2] == "resolve":
        response = app.test_client().get("/q/" + sys.argv[3])
        print(json.dumps([response.status_code, response.headers.get("Location")]))
    else:
        with app.app_context():
            ids = [permalinks.make_permalink(f"SELECT * {{}} LIMIT {i % 7}", {"lang": "en"})
                   for i in range(int(sys.argv[3]))]
        print(json.dumps(ids))
    """
)


TESTS_ON_PATH = {**os.environ, "PYTHONPATH": str(REPO / "tests")}


def run_python(*args: str) -> object:
    done = subprocess.run(
        [sys.executable, "-c", RESOLVE_IN_NEW_PROCESS, *args],
        capture_output=True, text=True, timeout=60, check=True,
        env=TESTS_ON_PATH,
    )
    return json.loads(done.stdout)


def test_permalink_survives_a_restart(make_app, tmp_path: Path) -> None:
    directory = tmp_path / "kept"
    with make_app(permalink_dir=directory).app_context():
        link = make_permalink(Q, {"lang": "ko"})
    status, location = run_python(str(directory), "resolve", link)
    assert status == 303
    assert parse_qs(urlsplit(location).query) == {"query": [Q], "lang": ["ko"], "run": ["1"]}


def test_processes_writing_at_once_agree(tmp_path: Path) -> None:
    directory = tmp_path / "shared"
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", RESOLVE_IN_NEW_PROCESS, str(directory), "make", "40"],
            stdout=subprocess.PIPE, text=True, env=TESTS_ON_PATH,
        )
        for _ in range(4)
    ]
    results = [json.loads(worker.communicate(timeout=60)[0]) for worker in workers]
    assert all(worker.returncode == 0 for worker in workers)
    assert all(result == results[0] for result in results)
    assert len(set(results[0])) == 7
    store = PermalinkStore(directory, max_query_length=1000)
    for i, link in enumerate(results[0][:7]):
        assert store.resolve(link) == (f"SELECT * {{}} LIMIT {i}", {"lang": "en"})


def test_a_catalogue_query_has_a_short_link_by_its_name(make_app, built) -> None:
    client = make_app(dist_dir=built.dist).test_client()
    answer = client.get("/q/capital-cities")
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/query?name=capital-cities&run=1"
    page = client.get(answer.headers["Location"])
    assert page.status_code == 200 and "Kuala Lumpur" in page.get_data(as_text=True)
    assert client.get("/q/no-such-query").status_code == 404
