"""The wheel works anywhere: installed (not editable) in a fresh environment, it builds the graph
in an empty folder and serves it, and every page reachable from the home page answers 200.

Slow (it installs the wheel's dependencies into a new virtual environment), so it runs once.
"""

from __future__ import annotations

import os
import subprocess
import sys
import zipfile
from concurrent.futures import ThreadPoolExecutor
from html.parser import HTMLParser
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import urljoin, urlsplit
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pytest

from liveserver import free_port, stop, wait_until_up
from support import REPO

pytestmark = pytest.mark.slow
CATALOGUE = sorted(p.stem for p in (REPO / "queries").glob("*.rq"))


class Links(HTMLParser):
    """The same-site links of a page (anchors, stylesheets, scripts, images)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value and ((tag in {"a", "link"} and name == "href") or (tag in {"script", "img"} and name == "src")):
                self.found.append(value)


class NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


OPENER = build_opener(NoRedirect)


def fetch(url: str) -> tuple[int, str, bytes, str | None]:
    """Status, media type, body and Location of a GET (redirects are not followed)."""
    try:
        with OPENER.open(Request(url, headers={"Accept": "text/html"}), timeout=30) as answer:
            return answer.status, answer.headers.get_content_type(), answer.read(), None
    except HTTPError as error:
        return error.code, error.headers.get_content_type(), error.read(), error.headers.get("Location")


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel of the checkout, built as a user would."""
    scratch = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(scratch), str(REPO)],
                   check=True, timeout=600)
    [built] = scratch.glob("ascn_kg-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel: Path) -> Path:
    """A fresh virtual environment with the wheel installed (not editable); its bin folder."""
    venv = wheel.parent / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", str(wheel)], check=True, timeout=1200)
    return venv / "bin"


def test_the_wheel_carries_the_sources_and_no_benchmarks(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    modules = {Path(n).stem for n in names if n.endswith(".py")}
    assert not modules & {"bench", "floor", "bench_floor", "loadtest", "locustfile", "synthetic"}
    assert not [n for n in names if n.startswith(("benchmarks/", "tests/"))]
    for folder, pattern in (("data", "*.csv"), ("ontology", "*.ttl"), ("queries", "*.rq"),
                            ("queries/expected", "*.csv")):
        expected = {f"ascn_kg/bundled/{folder}/{p.name}" for p in (REPO / folder).glob(pattern)}
        assert expected and expected <= set(names), folder
    templates = {f"ascn_kg/templates/{p.name}" for p in (REPO / "server/ascn_kg/templates").iterdir()}
    assert templates <= set(names)  # typology_chart.svg too


def test_installed_wheel_builds_and_serves_from_an_empty_folder(installed: Path, tmp_path: Path) -> None:
    folder = tmp_path / "empty"
    folder.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASCN_KG_", "PYTHON", "VIRTUAL_ENV"))}
    env["ASCN_KG_CLIENT_QUERIES"] = "0"  # the crawl below runs four query pages at once from one address
    done = subprocess.run([str(installed / "ascn-kg"), "build"], cwd=folder, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-2000:]
    assert (folder / "dist" / "store").is_dir() and "built version" in done.stdout
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as sink:
        server = subprocess.Popen([str(installed / "ascn-kg"), "serve", "--port", str(port)], cwd=folder, env=env,
                                  stdout=sink, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/healthz", server, log)
        check_every_link(base)
        status, _, body, _ = fetch(f"{base}/typology")
        assert status == 200 and b"<svg" in body
        status, _, body, _ = fetch(f"{base}/query")
        assert status == 200 and all(f"name={name}&amp;run=1".encode() in body for name in CATALOGUE)
        status, _, _, location = fetch(f"{base}/q/capital-cities")
        assert (status, location) == (303, "/query?name=capital-cities&run=1")
        status, _, body, _ = fetch(base + location)
        assert status == 200 and "쿠알라룸푸르".encode() in fetch(base + location + "&lang=ko")[2]
    finally:
        stop(server)


def check_every_link(base: str) -> None:
    """Breadth-first over same-site links from ``/``; every answer 200 (or a redirect to one)."""
    seen, frontier, failures = {"/"}, ["/"], []
    with ThreadPoolExecutor(4) as pool:
        while frontier:
            answers = list(pool.map(lambda path: (path, fetch(base + path)), frontier))
            frontier = []
            for path, (status, media, body, location) in answers:
                if status in (301, 302, 303) and location:
                    targets = [location]
                elif status != 200:
                    failures.append((path, status))
                    continue
                elif media == "text/html":
                    parser = Links()
                    parser.feed(body.decode("utf-8"))
                    targets = parser.found
                else:
                    continue
                for target in targets:
                    parts = urlsplit(urljoin(base + path, target))
                    local = parts.path + (f"?{parts.query}" if parts.query else "")
                    if parts.netloc == urlsplit(base).netloc and local not in seen:
                        seen.add(local)
                        frontier.append(local)
    assert failures == []
    assert len(seen) > 1000  # every entity page of the graph is reachable from the home page
