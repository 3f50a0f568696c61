"""Health probes: /healthz answers while the process runs, /readyz only with a working store."""

from __future__ import annotations

from pathlib import Path

import pytest

from ascn_kg.config import load_settings
from ascn_kg.ops.health import READY_QUERY
from support import FakeStore

NO_STORE = "the dataset is not available: no store at "


def failing(error: Exception) -> FakeStore:
    store = FakeStore()
    store.fail = error
    return store


@pytest.fixture()
def make_client(make_app, tmp_path: Path):
    return lambda store=None: make_app(store, log_file=str(tmp_path / "ops.log")).test_client()


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
    assert store.counts == 0  # readiness never counts triples (a full scan)


@pytest.mark.parametrize(
    ("store", "reason"),
    [
        (FakeStore(has_data=False), "store is empty"),
        (failing(OSError("lock held by another process")),
         "store query failed: OSError: lock held by another process"),
    ],
    ids=["empty", "raising"],
)
def test_readyz_not_ready(make_client, store, reason: str) -> None:
    with make_client(store).get("/readyz") as response:
        assert response.status_code == 503
        assert response.get_json() == {"status": "unavailable", "reason": reason}
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_readyz_names_why_the_store_did_not_open(make_client, tmp_path: Path) -> None:
    with make_client().get("/readyz") as response:
        assert response.status_code == 503
        assert response.headers["Cache-Control"] == "no-store"
        assert response.get_json() == {
            "status": "unavailable",
            "reason": f"{NO_STORE}{tmp_path / 'no-dist' / 'store'}: run `ascn-kg build` first"}


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

    from ascn_kg.store.embedded import EmbeddedStore

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
    assert f"not ready: {NO_STORE}{tmp_path / 'no-dist' / 'store'}" in (tmp_path / "ops.log").read_text()
