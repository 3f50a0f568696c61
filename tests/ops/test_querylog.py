"""The structured query log: one JSON line per SPARQL request, with the agreed fields."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import pytest
from flask import Flask

from ascn_kg.ops import bookkeeping as ops
from ascn_kg.ops.querylog import iso_time, parse_level

Q = "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?l WHERE { ?s rdfs:label ?l }"
TS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
ENVIRON = {"REMOTE_ADDR": "203.0.113.9"}
HEADERS = {"User-Agent": "pytest-agent/1.0"}


@pytest.fixture()
def logging_app(make_app, tmp_path: Path):
    """Make an app that logs to ``query.log`` unless told otherwise."""
    def make(**overrides) -> Flask:
        overrides.setdefault("log_file", str(tmp_path / "query.log"))
        return make_app(**overrides)

    return make


def lines(tmp_path: Path) -> list[dict]:
    path = tmp_path / "query.log"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    return [json.loads(line) for line in text.splitlines()]


def test_ok_line_has_every_field(logging_app, tmp_path: Path) -> None:
    app = logging_app()
    with app.test_request_context("/sparql", environ_base=ENVIRON, headers=HEADERS):
        ops.record_query("ok", 0.0123456, 42, Q)
    [line] = lines(tmp_path)
    assert TS.match(line.pop("ts"))
    assert line == {
        "level": "INFO",
        "logger": "ascn_kg.query",
        "event": "sparql_query",
        "query_hash": hashlib.sha256(Q.encode()).hexdigest()[:16],
        "query": Q,
        "query_length": len(Q),
        "duration_ms": 12.346,
        "rows": 42,
        "outcome": "ok",
        "reason": None,
        "cached": False,
        "truncated": False,
        "slow": False,
        "client": "203.0.113.9",
        "user_agent": "pytest-agent/1.0",
    }


def test_sequence_of_outcomes(logging_app, tmp_path: Path) -> None:
    app = logging_app(slow_query_seconds=0.5)
    with app.test_request_context("/sparql", environ_base=ENVIRON, headers=HEADERS):
        ops.record_query("refused", 0.0001, None, "DELETE WHERE { ?s ?p ?o }", reason="update")
        ops.record_query("timeout", 10.0, None, Q)
        ops.record_query("ok", 0.0002, 5, Q, cached=True)
        ops.record_query("ok", 0.9, 5, Q, truncated=True)
    refused, timeout, cached, slow = lines(tmp_path)
    assert (refused["outcome"], refused["reason"], refused["rows"]) == ("refused", "update", None)
    assert "exception" not in refused and "error" not in refused  # client errors: no trace
    assert (timeout["outcome"], timeout["slow"], timeout["level"]) == ("timeout", True, "WARNING")
    assert (cached["outcome"], cached["cached"], cached["level"]) == ("cached", True, "INFO")
    assert (slow["slow"], slow["truncated"], slow["level"]) == (True, True, "WARNING")


def test_long_query_is_cut_and_stays_one_line(logging_app, tmp_path: Path) -> None:
    app = logging_app(log_query_bytes=20)
    query = "SELECT *\nWHERE {\r\n ?s ?p \"x\\\"y\" }\n" * 10
    with app.test_request_context("/sparql"):
        ops.record_query("ok", 0.001, 0, query)
    [line] = lines(tmp_path)
    assert line["query"] == query[:20]
    assert line["query_length"] == len(query)
    assert line["query_hash"] == hashlib.sha256(query.encode()).hexdigest()[:16]


def test_server_error_carries_its_traceback(logging_app, tmp_path: Path) -> None:
    app = logging_app()
    try:
        raise ConnectionError("backend unreachable")
    except ConnectionError as error:
        with app.test_request_context("/sparql"):
            ops.record_query("error", 0.2, None, Q, error=error)
    [line] = lines(tmp_path)
    assert line["level"] == "ERROR"
    assert line["error"] == "ConnectionError: backend unreachable"
    assert "Traceback" in line["exception"]


def test_client_error_never_carries_a_traceback(logging_app, tmp_path: Path) -> None:
    app = logging_app()
    try:
        raise ValueError("Expected '}' at line 1")
    except ValueError as error:
        with app.test_request_context("/sparql"):
            ops.record_query("refused", 0.001, None, "SELECT {", reason="syntax", error=error)
    [line] = lines(tmp_path)
    assert line["error"] == "ValueError: Expected '}' at line 1"
    assert "exception" not in line


def test_level_filters_lines(logging_app, tmp_path: Path) -> None:
    app = logging_app(log_level="warning", slow_query_seconds=0.5)
    with app.test_request_context("/sparql"):
        ops.record_query("ok", 0.01, 1, Q)
        ops.record_query("ok", 0.6, 1, Q)
    [line] = lines(tmp_path)
    assert line["slow"] is True


def test_query_log_can_be_switched_off(logging_app, tmp_path: Path) -> None:
    app = logging_app(query_log_enabled=False)
    with app.test_request_context("/sparql"):
        ops.record_query("ok", 0.01, 1, Q)
    assert lines(tmp_path) == []


def test_stderr_is_the_default_destination(logging_app, capsys) -> None:
    app = logging_app(log_file="")
    with app.test_request_context("/sparql"):
        ops.record_query("ok", 0.01, 1, Q)
    line = json.loads(capsys.readouterr().err)
    assert line["query"] == Q


def test_request_defaults_client_from_the_request(logging_app, tmp_path: Path) -> None:
    app = logging_app()

    @app.get("/fake-sparql")
    def fake_sparql() -> str:
        ops.record_query("ok", 0.001, 1, Q)
        return "ok"

    client = app.test_client()
    with client.get("/fake-sparql", environ_base=ENVIRON, headers=HEADERS) as response:
        assert response.status_code == 200
    [line] = lines(tmp_path)
    assert (line["client"], line["user_agent"]) == ("203.0.113.9", "pytest-agent/1.0")


def test_outside_a_request_the_line_is_written_at_once(logging_app, tmp_path: Path) -> None:
    app = logging_app()
    with app.app_context():
        ops.record_query("ok", 0.001, 1, Q, client="cli")
    [line] = lines(tmp_path)
    assert (line["client"], line["user_agent"]) == ("cli", None)


def test_other_project_logs_are_json_too(logging_app, tmp_path: Path) -> None:
    import logging

    logging_app()
    logging.getLogger("ascn_kg.store").warning("reopened %s", "dist/store")
    [line] = lines(tmp_path)
    assert (line["logger"], line["level"], line["message"]) == (
        "ascn_kg.store", "WARNING", "reopened dist/store"
    )


def test_bad_level_is_refused(logging_app, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="log level"):
        parse_level("LOUD")


def test_iso_time() -> None:
    assert iso_time(0.0) == "1970-01-01T00:00:00.000Z"
    assert iso_time(1_795_614_320.6949) == "2026-11-25T13:45:20.694Z"
    assert iso_time(1_795_614_321.5) == "2026-11-25T13:45:21.500Z"
