"""Prometheus metrics: exact counter changes, bounded labels, dataset gauges, multiprocess."""

from __future__ import annotations

import json
import os
import signal
import time
import urllib.parse
import urllib.request
from pathlib import Path

import pytest
from flask import Flask
from prometheus_client.parser import text_string_to_metric_families

from ascn_kg.ops import bookkeeping as ops
from ascn_kg.ops.metrics import REFUSAL_REASONS
from ascn_kg.ops.multiproc import prepare_multiprocess
from fixtures_sparql import make_dist
from liveserver import running_server
from support import FakeStore

Q = "SELECT ?s WHERE { ?s ?p ?o } LIMIT 10"


def metrics_app(make_app, tmp_path: Path, store: FakeStore | None = None, **overrides) -> Flask:
    """An app logging to ``query.log``, with three test routes (a page, a path rule, a query)."""
    app = make_app(store, log_file=str(tmp_path / "query.log"), **overrides)

    @app.get("/page")
    def page() -> str:
        return "<p>page</p>"

    @app.get("/item/<name>")
    def item(name: str) -> str:
        return name

    @app.get("/fake-sparql")
    def fake_sparql() -> str:
        ops.record_query("ok", 0.003, 7, Q)
        return "done"

    return app


@pytest.fixture()
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture()
def app(make_app, tmp_path: Path, store: FakeStore) -> Flask:
    return metrics_app(make_app, tmp_path, store)


def samples(app: Flask) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    with app.test_client().get("/metrics") as response:
        assert response.status_code == 200
        text = response.get_data(as_text=True)
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(found: dict, name: str, **labels: str) -> float:
    return found[(name, tuple(sorted(labels.items())))]


def test_scripted_query_sequence_moves_counters_exactly(app: Flask) -> None:
    before = samples(app)
    with app.test_request_context("/sparql"):
        ops.record_query("ok", 0.004, 12, Q)
        ops.record_query("ok", 0.02, 10_000, Q, truncated=True)
        ops.record_query("ok", 0.0004, 12, Q, cached=True)
        ops.record_query("cached", 0.0003, 12, Q)
        ops.record_query("refused", 0.0001, None, "DELETE WHERE { ?s ?p ?o }", reason="update")
        ops.record_query("refused", 0.0001, None, "SERVICE", reason="service")
        ops.record_query("refused", 0.0001, None, "x", reason="something-new")
        ops.record_query("timeout", 10.0, None, Q)
        ops.record_query("error", 0.1, None, Q, error=RuntimeError("backend down"))
    after = samples(app)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    queries = "ascn_kg_sparql_queries_total"
    assert delta(queries, outcome="ok") == 2
    assert delta(queries, outcome="cached") == 2
    assert delta(queries, outcome="refused") == 3
    assert delta(queries, outcome="timeout") == 1
    assert delta(queries, outcome="error") == 1
    refused = "ascn_kg_sparql_refused_total"
    assert delta(refused, reason="update") == 1
    assert delta(refused, reason="service") == 1
    assert delta(refused, reason="other") == 1
    assert delta(refused, reason="syntax") == 0
    assert delta("ascn_kg_sparql_timeouts_total") == 1
    assert delta("ascn_kg_sparql_truncated_total") == 1
    assert delta("ascn_kg_sparql_cache_hits_total") == 2
    assert delta("ascn_kg_sparql_cache_misses_total") == 4  # 2 ok, the timeout, the error
    assert delta("ascn_kg_sparql_result_rows_total") == 12 + 10_000 + 12 + 12
    assert delta("ascn_kg_sparql_slow_queries_total") == 1  # the timeout (> 1 s)
    histogram = "ascn_kg_sparql_query_duration_seconds"
    assert delta(f"{histogram}_count", outcome="ok") == 2
    assert delta(f"{histogram}_bucket", outcome="ok", le="0.005") == 1
    assert delta(f"{histogram}_bucket", outcome="ok", le="0.025") == 2
    assert delta(f"{histogram}_sum", outcome="timeout") == pytest.approx(10.0)


def test_every_outcome_and_reason_is_exported_before_it_happens(app: Flask) -> None:
    found = samples(app)
    for outcome in ops.OUTCOMES:
        assert value(found, "ascn_kg_sparql_queries_total", outcome=outcome) == 0
    for reason in REFUSAL_REASONS:
        assert value(found, "ascn_kg_sparql_refused_total", reason=reason) == 0


def test_unknown_outcome_is_a_programming_error(app: Flask) -> None:
    with app.test_request_context("/sparql"), pytest.raises(ValueError, match="outcome"):
        ops.record_query("fine", 0.1, 1, Q)


def test_requests_are_counted_by_url_rule_not_path(app: Flask) -> None:
    client = app.test_client()
    for path in ("/item/a", "/item/b", "/item/c", "/page", "/no/such/path", "/another-404"):
        with client.get(path):
            pass
    with client.post("/page"):  # 405: no rule matched for POST
        pass
    found = samples(app)
    requests = "ascn_kg_http_requests_total"
    assert value(found, requests, route="/item/<name>", method="GET", status="200") == 3
    assert value(found, requests, route="/page", method="GET", status="200") == 1
    assert value(found, requests, route="<unmatched>", method="GET", status="404") == 2
    assert value(found, requests, route="<unmatched>", method="POST", status="405") == 1
    assert not [key for key in found if "/no/such/path" in str(key)]
    durations = "ascn_kg_http_request_duration_seconds_count"
    assert value(found, durations, route="/item/<name>") == 3


def test_query_bookkeeping_happens_after_the_response_is_sent(app: Flask) -> None:
    client = app.test_client()
    before = value(samples(app), "ascn_kg_sparql_queries_total", outcome="ok")
    response = client.get("/fake-sparql")
    assert response.status_code == 200
    assert value(samples(app), "ascn_kg_sparql_queries_total", outcome="ok") == before
    response.close()  # the WSGI server closes the response once it is sent
    assert value(samples(app), "ascn_kg_sparql_queries_total", outcome="ok") == before + 1


def test_view_error_is_counted_as_500(make_app, tmp_path: Path, store: FakeStore) -> None:
    app = metrics_app(make_app, tmp_path, store)

    @app.get("/broken")
    def broken() -> str:
        ops.record_query("error", 0.01, None, Q)
        raise RuntimeError("bug")

    app.logger.disabled = True  # Flask would print the expected traceback
    with app.test_client().get("/broken") as response:
        assert response.status_code == 500
    found = samples(app)
    assert value(found, "ascn_kg_http_requests_total", route="/broken", method="GET",
                 status="500") == 1
    assert value(found, "ascn_kg_sparql_queries_total", outcome="error") == 1


def test_propagated_exception_is_still_counted(make_app, tmp_path: Path, store: FakeStore) -> None:
    app = metrics_app(make_app, tmp_path, store)
    app.testing = True  # exceptions propagate and after_request hooks are skipped

    @app.get("/broken")
    def broken() -> str:
        ops.record_query("error", 0.01, None, Q)
        raise RuntimeError("bug")

    with pytest.raises(RuntimeError, match="bug"):
        app.test_client().get("/broken")
    found = samples(app)
    assert value(found, "ascn_kg_http_requests_total", route="/broken", method="GET",
                 status="500") == 1
    assert value(found, "ascn_kg_sparql_queries_total", outcome="error") == 1


def test_dataset_gauges_count_triples_once_per_version(app: Flask, store: FakeStore) -> None:
    found = samples(app)
    assert value(found, "ascn_kg_dataset_info", version="2026-11-25-abc123") == 1
    assert value(found, "ascn_kg_dataset_triples") == 1234
    assert value(found, "ascn_kg_store_up") == 1
    samples(app)
    assert store.counts == 1
    store._version, store.triples = "v2", 99
    found = samples(app)
    assert value(found, "ascn_kg_dataset_info", version="v2") == 1
    assert ("ascn_kg_dataset_info", (("version", "2026-11-25-abc123"),)) not in found
    assert value(found, "ascn_kg_dataset_triples") == 99
    assert store.counts == 2


def test_failing_store_is_reported_not_raised(app: Flask, store: FakeStore) -> None:
    store.fail = OSError("disk gone")
    found = samples(app)
    assert value(found, "ascn_kg_store_up") == 0
    assert not [key for key in found if key[0] == "ascn_kg_dataset_info"]


def test_metrics_can_be_switched_off(make_app, tmp_path: Path, store: FakeStore) -> None:
    app = metrics_app(make_app, tmp_path, store, metrics_enabled=False)
    with app.test_client().get("/metrics") as response:
        assert response.status_code == 404
    with app.test_request_context("/sparql"):
        ops.record_query("ok", 0.001, 1, Q)  # still logged, nothing to count into


def test_multiprocess_must_be_set_up_before_the_import(make_app, tmp_path: Path, monkeypatch) -> None:
    with pytest.raises(RuntimeError, match="imported before"):
        prepare_multiprocess(tmp_path)
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    with pytest.raises(RuntimeError, match="before prometheus_client is imported"):
        metrics_app(make_app, tmp_path, FakeStore())


def test_openmetrics_on_request(app: Flask) -> None:
    accept = "application/openmetrics-text; version=1.0.0"
    with app.test_client().get("/metrics", headers={"Accept": accept}) as response:
        assert response.mimetype == "application/openmetrics-text"
        assert response.get_data(as_text=True).endswith("# EOF\n")


# --- multiprocess: a real server with two workers ---------------------------------------


def _get(url: str) -> bytes:
    with urllib.request.urlopen(url, timeout=10) as response:
        return response.read()


def _scrape(url: str, name: str, **labels: str) -> float:
    for family in text_string_to_metric_families(_get(url).decode()):
        for sample in family.samples:
            if sample.name == name and sample.labels == labels:
                return sample.value
    raise AssertionError(f"{name}{labels} not exported")


def counting_pids(metrics_dir: Path) -> set[int]:
    """The processes that have written counters into the multiprocess folder."""
    return {int(p.stem.rsplit("_", 1)[1]) for p in metrics_dir.glob("counter_*.db")}


def test_counts_add_up_across_workers_and_outlive_a_stopped_one(tmp_path: Path) -> None:
    dist = make_dist(tmp_path / "dist")
    metrics_dir = tmp_path / "prom"
    metrics_dir.mkdir()
    (metrics_dir / "counter_99999.db").write_bytes(b"left by a previous run")
    with running_server(dist, workers=2, metrics_dir=metrics_dir, log_file=str(tmp_path / "query.log")) as base:
        assert 99999 not in counting_pids(metrics_dir)  # the stale file was removed at start
        for n in range(10):
            _get(f"{base}/sparql?query=" + urllib.parse.quote(f"ASK {{ ?s ?p ?o }} # {n}"))
        victim = max(counting_pids(metrics_dir))
        os.kill(victim, signal.SIGTERM)  # a worker stops (and is replaced); its counts stay in the totals
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                _get(f"{base}/healthz")
                break
            except OSError:
                time.sleep(0.1)
        for n in range(10, 20):
            _get(f"{base}/sparql?query=" + urllib.parse.quote(f"ASK {{ ?s ?p ?o }} # {n}"))
        assert len(counting_pids(metrics_dir)) >= 2  # the stopped worker, and who answered after it
        time.sleep(0.5)  # every worker's bookkeeping thread writes within a batch (20 ms) of its answer
        total = _scrape(f"{base}/metrics", "ascn_kg_sparql_queries_total", outcome="ok")
        rows = _scrape(f"{base}/metrics", "ascn_kg_sparql_result_rows_total")
        info = _scrape(f"{base}/metrics", "ascn_kg_dataset_info", version=(dist / "VERSION").read_text().strip())
    # 21 answered queries: the 20 above and the one ASK that told running_server the server was up
    assert (total, rows, info) == (21, 21, 1)
    logged = [json.loads(line) for line in (tmp_path / "query.log").read_text().splitlines()]
    assert len([entry for entry in logged if entry.get("outcome") == "ok"]) == 21
