"""Shared fixtures: one real build of the project's data for the whole session."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from ascn_kg import create_app
from ascn_kg.build import BuildResult, build
from ascn_kg.config import PROJECT_ROOT, Settings, load_settings

BASE = "https://kg.ascn.example/"


@pytest.fixture(scope="session")
def project_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings of a build of the real tables into a temporary dist."""
    root = tmp_path_factory.mktemp("build")
    return load_settings(dist_dir=root / "dist", base_iri=BASE)


@pytest.fixture(scope="session")
def built(project_settings: Settings) -> BuildResult:
    """The result of ``ascn-kg build`` on the project's tables."""
    return build(project_settings)


@pytest.fixture(scope="session")
def store(built: BuildResult) -> Iterator[ox.Store]:
    """The built store, opened read-only like the server does."""
    yield ox.Store.read_only(str(built.dist / "store"))


@pytest.fixture(scope="module")
def app(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The application over the session's build (one per test module)."""
    return create_app({"dist_dir": built.dist, "base_iri": BASE,
                       "permalink_dir": tmp_path_factory.mktemp("permalinks")})


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    yield app.test_client()


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A scratch copy of data/ for tests that break tables."""
    target = tmp_path / "data"
    shutil.copytree(PROJECT_ROOT / "data", target)
    return target


def select(store: ox.Store, query: str) -> list[dict[str, str]]:
    """Run a SELECT over the union graph; values as plain strings."""
    prefixes = (
        f"PREFIX ascn: <{BASE}def/ascn#>\n"
        "PREFIX org: <http://www.w3.org/ns/org#>\n"
        "PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
        "PREFIX skos: <http://www.w3.org/2004/02/skos/core#>\n"
        "PREFIX schema: <https://schema.org/>\n"
        "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
    )
    results = store.query(prefixes + query, use_default_graph_as_union=True)
    names = [v.value for v in results.variables]
    return [
        {n: (row[n].value if row[n] is not None else None) for n in names} for row in results
    ]


def key(iri: str) -> str:
    """The key (last path segment) of an entity IRI."""
    return iri.rsplit("/", 1)[-1]
