"""Escaping: a label carrying markup is shown as text on every page that shows it."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from ascn_kg.build.pipeline import build
from ascn_kg.config import load_settings
from support import BASE, new_app

EVIL = "<script>alert(1)</script>"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"
EVIL_KO = '쿠알"><img src=x onerror=alert(2)>'


def rewrite(path: Path, key: str, changes: dict[str, str]) -> None:
    with path.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
        fields = list(rows[0])
    for row in rows:
        if row["id"] == key:
            row.update(changes)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> FlaskClient:
    import shutil

    from support import REPO

    root = tmp_path_factory.mktemp("xss")
    data = root / "data"
    shutil.copytree(REPO / "data", data)
    rewrite(data / "cities.csv", "kuala-lumpur", {"name_en": f"Kuala {EVIL} Lumpur", "name_ko": EVIL_KO})
    settings = load_settings(data_dir=data, dist_dir=root / "dist", base_iri=BASE)
    build(settings)
    return new_app(root, data_dir=data, dist_dir=root / "dist", base_iri=BASE).test_client()


@pytest.fixture(autouse=True)
def english_first(client: FlaskClient) -> None:
    """Each test starts without a chosen language (a page opened with ?lang= keeps it)."""
    client.delete_cookie("lang")


def check(body: str) -> None:
    assert EVIL not in body
    assert "<img src=x" not in body
    assert "onerror=alert(2)>" not in body or "&gt;" in body


@pytest.mark.parametrize("path", [
    "/page/city/kuala-lumpur", "/page/city/kuala-lumpur?lang=ko", "/page/state/mys", "/cities", "/states",
    "/typology", "/typology?lang=ko", "/projects", "/people", "/search?q=Kuala", "/search?q=%EC%BF%A0%EC%95%8C",
    "/query?name=pilot-cities&run=1", "/page/organisation/ascn",
])
def test_markup_in_labels_is_shown_as_text(client: FlaskClient, path: str) -> None:
    answer = client.get(path, headers={"Accept": "text/html"})
    assert answer.status_code == 200
    body = answer.get_data(as_text=True)
    check(body)
    if "lang=ko" not in path and "%EC" not in path:
        assert ESCAPED in body, path


def test_markup_in_the_svg_chart_is_escaped(client: FlaskClient) -> None:
    body = client.get("/typology.svg").get_data(as_text=True)
    check(body)
    assert ESCAPED in body


def test_embedded_json_ld_cannot_close_its_script_element(client: FlaskClient) -> None:
    body = client.get("/page/city/kuala-lumpur").get_data(as_text=True)
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', body, re.S)
    assert len(blocks) == 1
    assert "</script" not in blocks[0] and "<" not in blocks[0]
    assert f"Kuala {EVIL} Lumpur" in json.dumps(json.loads(blocks[0]), ensure_ascii=False)


def test_search_api_returns_the_label_as_data(client: FlaskClient) -> None:
    answer = client.get("/api/search?q=Kuala")
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    assert answer.json["results"][0]["label"] == f"Kuala {EVIL} Lumpur"
