"""Response headers: dataset version, security headers, ETag and 304."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask, jsonify

from ascn_kg.ops.headers import HTML_CSP, VERSION_HEADER, conditional, etag_for
from support import FakeStore

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)


def with_routes(app: Flask) -> Flask:
    """The app with three test routes: an HTML page, JSON data and a conditional answer."""
    built: list[str] = []
    app.config["BUILT"] = built

    @app.get("/page")
    def page() -> str:
        return "<!doctype html><title>x</title><p>page</p>"

    @app.get("/data")
    def data():
        return jsonify(answer=42)

    @app.route("/cached", methods=["GET", "POST"])
    def cached():
        def build():
            built.append("built")
            return jsonify(answer=42)

        return conditional(etag_for("cached", "application/json"), build, vary=["Accept"])

    return app


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore(version="v1")


@pytest.fixture()
def app(make_app, tmp_path: Path, store: FakeStore) -> Flask:
    return with_routes(make_app(store, log_file=str(tmp_path / "ops.log")))


def get(app: Flask, path: str, method: str = "GET", **kwargs):
    with app.test_client().open(path, method=method, **kwargs) as response:
        response.get_data()
        return response


def test_html_gets_strict_security_headers(app: Flask) -> None:
    response = get(app, "/page")
    assert HTML_CSP == CSP
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]


def test_error_pages_are_html_and_get_them_too(app: Flask) -> None:
    response = get(app, "/missing")
    assert response.status_code == 404
    assert response.headers["Content-Security-Policy"] == CSP
    assert response.headers["X-Frame-Options"] == "DENY"


def test_other_responses_get_nosniff_and_a_closed_policy(app: Flask) -> None:
    response = get(app, "/data")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    closed = "default-src 'none'; frame-ancestors 'none'"
    assert response.headers["Content-Security-Policy"] == closed
    assert "X-Frame-Options" not in response.headers


@pytest.mark.parametrize("path", ["/page", "/data", "/healthz", "/metrics", "/missing"])
def test_every_response_names_the_dataset_version(app: Flask, path: str) -> None:
    assert get(app, path).headers[VERSION_HEADER] == "v1"


def test_version_header_omitted_when_store_missing_or_failing(make_app) -> None:
    response = get(with_routes(make_app()), "/page")
    assert response.status_code == 200 and VERSION_HEADER not in response.headers
    store = FakeStore()
    store.fail = OSError("gone")
    response = get(with_routes(make_app(store)), "/page")
    assert response.status_code == 200 and VERSION_HEADER not in response.headers


def test_etag_depends_on_version_and_parts(app: Flask, store: FakeStore) -> None:
    with app.test_request_context("/"):
        first = etag_for("q", "json")
        assert first == etag_for("q", "json")
        assert first != etag_for("q", "xml")
        assert first != etag_for("qjson")
        assert len(first) == 32 and '"' not in first
        store._version = "v2"
        assert first != etag_for("q", "json")


@pytest.mark.parametrize("version", [None, ""], ids=["no-store", "unknown-version"])
def test_no_version_no_tag(make_app, version: str | None) -> None:
    app = with_routes(make_app(None if version is None else FakeStore(version)))
    with app.test_request_context("/"):
        assert etag_for("x") is None
    response = get(app, "/cached", headers={"If-None-Match": "*"})
    assert response.status_code == 200
    assert "ETag" not in response.headers and VERSION_HEADER not in response.headers
    assert app.config["BUILT"] == ["built"]


def test_conditional_answers_304_without_building(app: Flask) -> None:
    built = app.config["BUILT"]
    first = get(app, "/cached")
    assert first.status_code == 200 and built == ["built"]
    tag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "no-cache"
    assert first.headers["Vary"] == "Accept"
    for header in (tag, f"W/{tag}", f'"other", {tag}', "*"):
        again = get(app, "/cached", headers={"If-None-Match": header})
        assert again.status_code == 304, header
        assert again.headers["ETag"] == tag
        assert again.headers["Vary"] == "Accept"
        assert again.data == b""
        assert "Content-Security-Policy" not in again.headers  # would replace the page's
    assert built == ["built"]
    assert get(app, "/cached", headers={"If-None-Match": '"stale"'}).status_code == 200
    assert get(app, "/cached", method="POST", headers={"If-None-Match": tag}).status_code == 200
    assert built == ["built", "built", "built"]


def test_a_new_dataset_invalidates_tags(app: Flask, store: FakeStore) -> None:
    tag = get(app, "/cached").headers["ETag"]
    store._version = "v2"
    response = get(app, "/cached", headers={"If-None-Match": tag})
    assert response.status_code == 200
    assert response.headers["ETag"] != tag
