"""Fixtures of the browser tests: a live server on the built graph, one chromium per module."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from ascn_kg.build.pipeline import BuildResult
from browsing import CHROMIUM, LAUNCH_ARGS, SITE_BASE, Watched, playwright_or_skip
from liveserver import running_server


@pytest.fixture(scope="module")
def server(built: BuildResult, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real server on the built graph, IRIs under ``SITE_BASE``, permalinks in a fresh folder."""
    with running_server(built.dist, base_iri=SITE_BASE, permalink_dir=tmp_path_factory.mktemp("links")) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    with playwright_or_skip().sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture()
def watched(browser: object) -> Iterator[Watched]:
    page = Watched(browser)
    yield page
    page.close()
