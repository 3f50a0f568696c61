"""Shared fixtures: one real build of the project's data for the whole session, one way to make apps."""

from __future__ import annotations

import shutil
from collections.abc import Callable, Iterator
from pathlib import Path

import pyoxigraph as ox
import pytest
from flask import Flask
from flask.testing import FlaskClient

from ascn_kg.build.pipeline import BuildResult, build
from ascn_kg.config import Settings, load_settings
from ascn_kg.ops.querylog import close_logging
from support import BASE, REPO, new_app


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
    return new_app(tmp_path_factory.mktemp("app"), dist_dir=built.dist, base_iri=BASE)


@pytest.fixture()
def client(app: Flask) -> Iterator[FlaskClient]:
    yield app.test_client()


@pytest.fixture()
def make_app(tmp_path: Path) -> Iterator[Callable[..., Flask]]:
    """Make apps with settings of the test's own (``support.new_app``); logging reset after."""
    yield lambda store=None, **settings: new_app(tmp_path, store, **settings)
    close_logging()


@pytest.fixture()
def data_copy(tmp_path: Path) -> Path:
    """A scratch copy of data/ for tests that break tables."""
    target = tmp_path / "data"
    shutil.copytree(REPO / "data", target)
    return target

