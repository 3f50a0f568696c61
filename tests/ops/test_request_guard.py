"""The front door: what is refused before any route (and before any byte of a body) is read."""

from __future__ import annotations

import io
from typing import Any

import pytest

from ascn_kg.ops.request_guard import problem_of

LIMIT = 1_000_000


class Unreadable(io.RawIOBase):
    """A request body that fails the test if anything reads it."""

    def read(self, *_: Any) -> bytes:
        raise AssertionError("the body was read")

    readinto = readline = read  # type: ignore[assignment]


def environ(**extra: str) -> dict[str, Any]:
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_PROTOCOL": "HTTP/1.1", "HTTP_HOST": "kg.example",
            "REMOTE_ADDR": "192.0.2.1", "wsgi.input": Unreadable()} | extra


@pytest.mark.parametrize(("extra", "status", "reason"), [
    ({"CONTENT_LENGTH": "1000001"}, 413, "size"),
    ({"CONTENT_LENGTH": "400000000", "REQUEST_METHOD": "POST", "PATH_INFO": "/q"}, 413, "size"),
    ({"HTTP_TRANSFER_ENCODING": "chunked"}, 400, "framing"),
    ({"CONTENT_LENGTH": "12x"}, 400, "framing"),
    ({"HTTP_HOST": ""}, 400, "host"),
    ({"HTTP_HOST": "a,b"}, 400, "host"),  # two Host headers, joined by the server
    ({"HTTP_HOST": "kg.example/evil"}, 400, "host"),
    ({"HTTP_SCRIPT_NAME": "/x"}, 400, "header"),
    ({"HTTP_REMOTE_ADDR": "10.0.0.1"}, 400, "header"),
])
def test_refused_at_the_door(extra: dict[str, str], status: int, reason: str) -> None:
    problem = problem_of(environ(**extra), LIMIT)
    assert problem is not None and problem[0] == status and problem[2] == reason


@pytest.mark.parametrize("extra", [
    {}, {"CONTENT_LENGTH": "1000000"}, {"CONTENT_LENGTH": ""}, {"HTTP_HOST": "127.0.0.1:8080"},
    {"HTTP_HOST": "[::1]:8080"}, {"HTTP_HOST": "my_service"}, {"SERVER_PROTOCOL": "HTTP/1", "HTTP_HOST": ""},
])
def test_let_in(extra: dict[str, str]) -> None:
    assert problem_of(environ(**extra), LIMIT) is None


def test_the_answer_comes_before_the_body_is_read_and_no_route_runs(make_app) -> None:
    app = make_app(max_body_bytes=LIMIT)
    statuses: list[tuple[str, list[tuple[str, str]]]] = []
    body = app.wsgi_app(environ(REQUEST_METHOD="POST", PATH_INFO="/q", CONTENT_LENGTH="400000000",
                                CONTENT_TYPE="application/x-www-form-urlencoded"),
                        lambda status, headers: statuses.append((status, headers)))
    (status, headers), = statuses
    assert status == "413 Content Too Large"
    assert b"".join(body) == b"request body larger than the 1,000,000-byte limit\n"
    assert ("Connection", "close") in headers and ("X-Content-Type-Options", "nosniff") in headers
    assert app.config["MAX_CONTENT_LENGTH"] == LIMIT


def test_a_refused_early_form_is_read_out_so_the_connection_goes_on(make_app, tmp_path) -> None:
    """A view refusing before it reads the body (a permalink past the rate) leaves nothing unread."""
    app = make_app(permalink_rate=1, permalink_dir=tmp_path / "links")
    client = app.test_client()
    form = {"query": "ASK {}"}
    assert client.post("/q", data=form).status_code == 303
    stream = io.BytesIO(b"query=" + b"y" * 60_000)
    refused = client.post("/q", input_stream=stream, content_length=60_006,
                          content_type="application/x-www-form-urlencoded", headers={"Accept": "text/plain"})
    assert refused.status_code == 429 and refused.headers["Retry-After"].isdigit()
    assert "too many permalinks made" in refused.get_data(as_text=True)
    assert stream.tell() == 60_006
