"""The interface language of a request: ``?lang=``, cookie, Accept-Language, then English."""

from __future__ import annotations

import pytest
from flask import Flask

from ascn_kg.request_language import lang_from_request

# --- lang_from_request --------------------------------------------------------------------

@pytest.fixture()
def app(make_app) -> Flask:
    app = make_app()

    @app.get("/which")
    def which() -> str:
        return lang_from_request()

    @app.get("/plain")
    def plain() -> str:
        return "no language here"

    return app


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        ("", None, None, "en"),
        ("?lang=ko", None, None, "ko"),
        ("?lang=ko-KR", None, None, "ko"),
        ("?lang=en", "ko", "ko", "en"),  # the parameter wins
        ("", "ko", "en", "ko"),  # then the cookie
        ("?lang=fr", "ko", None, "ko"),  # unsupported values are ignored
        ("", "xx", "ko-KR,ko;q=0.9,en;q=0.5", "ko"),  # then Accept-Language
        ("", None, "fr-FR,en;q=0.8,ko;q=0.9", "ko"),
        ("", None, "fr-FR,de;q=0.9", "en"),  # then English
    ],
)
def test_lang_from_request(app: Flask, query: str, cookie, accept, expected: str) -> None:
    client = app.test_client()
    if cookie:
        client.set_cookie("lang", cookie)
    headers = {"Accept-Language": accept} if accept else {}
    response = client.get(f"/which{query}", headers=headers)
    assert response.get_data(as_text=True) == expected
    assert set(response.vary) >= {"Accept-Language", "Cookie"}


def test_vary_only_where_the_language_was_used(app: Flask) -> None:
    assert "Accept-Language" not in app.test_client().get("/plain").vary


def test_language_switch_sets_a_cookie_and_goes_back(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/lang/ko?next=/page/city/sejong%3Fx%3D1")
    assert response.status_code == 303
    assert response.headers["Location"] == "/page/city/sejong?x=1"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("lang=ko;")
    assert "Max-Age=31536000" in cookie and "SameSite=Lax" in cookie and "Path=/" in cookie
    assert client.get("/which").get_data(as_text=True) == "ko"


def test_language_switch_drops_the_lang_parameter_of_the_page(app: Flask) -> None:
    client = app.test_client()
    response = client.get("/lang/en", query_string={"next": "/cities?lang=ko&sort=state"})
    assert response.headers["Location"] == "/cities?sort=state"
    assert client.get("/which").get_data(as_text=True) == "en"


def test_a_page_opened_with_lang_keeps_it_for_its_links(make_app) -> None:
    client = make_app().test_client()
    opened = client.get("/cities?lang=ko")
    assert opened.headers["Set-Cookie"].startswith("lang=ko;")
    assert "private" in opened.headers["Cache-Control"] and "public" not in opened.headers["Cache-Control"]
    assert '<html lang="ko">' in client.get("/states").get_data(as_text=True)  # the next page, no parameter
    again = client.get("/cities?lang=ko")
    assert "Set-Cookie" not in again.headers  # already chosen
    assert "Set-Cookie" not in client.get("/api/search?q=jakarta&lang=ko").headers  # pages only


@pytest.mark.parametrize(
    "target",
    ["//evil.example/", "https://evil.example/", "/\\evil.example", "\\\\evil.example",
     "/\t/evil.example", "javascript:alert(1)", "evil.example", "", "/%0a//x\n"],
)
def test_language_switch_never_leaves_the_site(app: Flask, target: str) -> None:
    response = app.test_client().get("/lang/en", query_string={"next": target})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_unknown_language_is_404(app: Flask) -> None:
    response = app.test_client().get("/lang/fr?next=/")
    assert response.status_code == 404
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(("lang", "n", "rows", "statements"), [
    ("en", 1, "1 row", "1 statement"), ("en", 2, "2 rows", "2 statements"), ("en", 0, "0 rows", "0 statements"),
    ("ko", 1, "1행", "진술 1건"), ("ko", 26, "26행", "진술 26건"),
])
def test_counts_agree_with_their_noun(app: Flask, lang: str, n: int, rows: str, statements: str) -> None:
    from ascn_kg.web.kit import t

    with app.test_request_context(f"/?lang={lang}"):
        assert (t("rows", n=n), t("count_statements", n=n)) == (rows, statements)


def test_error_pages_speak_the_page_language(make_app) -> None:
    client = make_app().test_client()
    korean = {"Accept": "text/html", "Accept-Language": "ko"}
    missing = client.get("/no/such/page", headers=korean).get_data(as_text=True)
    assert "<h1>찾을 수 없음</h1>" in missing and "이 주소에는 페이지가 없습니다" in missing
    assert "requested URL" not in missing
    refused = client.post("/lang/ko", headers=korean)
    assert refused.status_code == 405
    body = refused.get_data(as_text=True)
    assert "<h1>405 허용되지 않는 메서드</h1>" in body and "Method Not Allowed" not in body
    english = client.post("/lang/ko", headers={"Accept": "text/html", "Accept-Language": "en"}).get_data(as_text=True)
    assert "<h1>405 Method not allowed</h1>" in english and "read-only" in english
