"""Health probes: /healthz answers while the process runs, /readyz only with a working store."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask

from ascn_kg import ops
from ascn_kg.config import load_settings
from ascn_kg.health import READY_QUERY
from ascn_kg.querylog import close_logging

MISSING = object()


class FakeStore:
    def __init__(self, has_data: bool = True, fail: Exception | None = None) -> None:
        self.has_data = has_data
        self.fail = fail
        self.asked: list[str] = []

    def version(self) -> str:
        return "2026-11-25-abc123"

    def ask(self, query: str) -> bool:
        self.asked.append(query)
        if self.fail:
            raise self.fail
        return self.has_data

    def triple_count(self) -> int:  # pragma: no cover - readiness must not scan
        raise AssertionError("readiness must not count triples")


@pytest.fixture()
def make_client(tmp_path: Path):
    def make(store=MISSING):
        settings = load_settings(log_file=str(tmp_path / "ops.log"))
        app = Flask("ops_health_test")
        if store is not MISSING:
            app.extensions["ascn_store"] = store
        ops.init_app(app, settings)
        return app.test_client()

    yield make
    close_logging()


def test_healthz_answers_without_a_store(make_client) -> None:
    with make_client().get("/healthz") as response:
        assert response.status_code == 200
        assert response.get_json() == {"status": "ok"}
        assert response.headers["Cache-Control"] == "no-store"


def test_readyz_with_a_working_store(make_client) -> None:
    store = FakeStore()
    with make_client(store).get("/readyz") as response:
        assert response.status_code == 200
        body = response.get_json()
    assert body["status"] == "ok"
    assert body["dataset_version"] == "2026-11-25-abc123"
    assert body["check_ms"] >= 0
    assert store.asked == [READY_QUERY]


@pytest.mark.parametrize(
    ("store", "reason"),
    [
        (MISSING, "no store configured"),
        (FakeStore(has_data=False), "store is empty"),
        (FakeStore(fail=OSError("lock held by another process")),
         "store query failed: OSError: lock held by another process"),
    ],
    ids=["missing", "empty", "raising"],
)
def test_readyz_not_ready(make_client, store, reason: str) -> None:
    with make_client(store).get("/readyz") as response:
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "reason": reason}
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_readyz_names_why_the_store_did_not_open(make_client) -> None:
    client = make_client()
    client.application.extensions["ascn_store_error"] = "no store at dist/store"
    with client.get("/readyz") as response:
        assert response.status_code == 503
        assert response.get_json()["reason"] == "store not open: no store at dist/store"


def test_readyz_with_the_embedded_store(make_client, tmp_path: Path) -> None:
    store = embedded_store(tmp_path, quads=1)
    with make_client(store).get("/readyz") as response:
        assert response.status_code == 200
        assert response.get_json()["dataset_version"] == "build-0001"
    empty = embedded_store(tmp_path / "empty", quads=0)
    with make_client(empty).get("/readyz") as response:
        assert response.status_code == 503
        assert response.get_json()["reason"] == "store is empty"


def embedded_store(root: Path, quads: int):
    """The real embedded backend over a small store written into ``root/dist``."""
    import pyoxigraph as ox

    from ascn_kg.store import EmbeddedStore

    dist = root / "dist"
    dist.mkdir(parents=True)
    writer = ox.Store(str(dist / "store"))
    for i in range(quads):
        writer.add(ox.Quad(ox.NamedNode(f"https://x.example/{i}"), ox.NamedNode("https://p"),
                           ox.Literal("o"), ox.NamedNode("https://g")))
    writer.flush()
    del writer
    (dist / "VERSION").write_text("build-0001\n")
    return EmbeddedStore(load_settings(dist_dir=dist))


def test_readiness_failure_is_logged(make_client, tmp_path: Path) -> None:
    with make_client().get("/readyz"):
        pass
    assert "not ready: no store configured" in (tmp_path / "ops.log").read_text()
