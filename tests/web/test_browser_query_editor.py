"""The query editor in a real browser (Debian's chromium through Playwright) against a real
server: highlighting, bracket matching, completion from the ontology, errors marked at their
place, the preloaded example run, sorted, paged and downloaded; the plain form without script.
No Content-Security-Policy violation anywhere; screenshots go to ``test-artifacts/``."""

from __future__ import annotations

import csv
import io
import re
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from ascn_kg.catalogue import load_catalogue
from ascn_kg.store.catalogue_bind import render
from browsing import ARTIFACTS, SITE_BASE, Watched, playwright_or_skip
from support import REPO

pytestmark = pytest.mark.browser
playwright_or_skip()
FIRST = load_catalogue(REPO / "queries")[0]
# The one console message a malformed query may cause: the browser logs the page's 400 answer.
EXPECTED_400 = "Failed to load resource: the server responded with a status of 400 (Bad Request)"








def editor_text(page: object) -> str:
    """What the editor holds (the hidden textarea follows it)."""
    return page.locator("#query").input_value()


def replace_query(page: object, text: str) -> None:
    """Select everything in the editor and put ``text`` there, as a paste does."""
    page.locator(".cm-content").click()
    page.keyboard.press("Control+A")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def sparql_csv(server: str, query: str) -> str:
    url = f"{server}/sparql?{urllib.parse.urlencode({'query': query, 'format': 'csv'})}"
    with urllib.request.urlopen(url, timeout=30) as response:
        return response.read().decode()


def test_the_editor_highlights_matches_brackets_and_completes_from_the_ontology(server: str,
                                                                                 watched: Watched) -> None:
    page = watched.page
    page.goto(server + "/query")
    page.locator(".cm-content").wait_for()
    assert page.locator("#query").is_hidden()
    assert editor_text(page) == render(FIRST).replace("\r\n", "\n")  # the first example, preloaded
    assert page.locator("h1").inner_text() == "Query"  # the page's own title until an example is named
    assert page.locator("p.lead").inner_text().startswith(FIRST.question_en)

    replace_query(page, "SELECT ?s WHERE { ?s ?p ?o }")
    keywords = page.locator(".cm-content .tok-keyword").all_inner_texts()
    assert keywords == ["SELECT", "WHERE"]
    assert page.locator(".cm-content .tok-variableName").count() == 4
    colours = page.evaluate("""() => { const root = document.querySelector('.query-editor').shadowRoot;
        return ['.tok-keyword', '.cm-line'].map(s => getComputedStyle(root.querySelector(s)).color); }""")
    assert colours[0] != colours[1]  # keywords have a colour of their own
    page.keyboard.press("End")  # the cursor after "}": both braces are marked as a pair
    assert page.locator(".cm-matchingBracket").all_inner_texts() == ["{", "}"]
    watched.check("editor-01-highlighted")

    replace_query(page, "")
    page.keyboard.type("SELECT ?c WHERE { ?c a asc")
    options = page.locator(".cm-tooltip-autocomplete li .cm-completionLabel")
    options.first.wait_for()
    assert options.first.inner_text() == "ascn:"
    watched.check("editor-02-prefix-completion")
    page.keyboard.press("Enter")
    options.first.wait_for()  # the prefix's classes and properties are offered next
    page.keyboard.type("PilotC")
    page.wait_for_function("""() => { const l = document.querySelector('.query-editor').shadowRoot
        .querySelector('.cm-tooltip-autocomplete li[aria-selected] .cm-completionLabel');
        return l && l.textContent === 'ascn:PilotCity'; }""")
    assert "Pilot city" in page.locator(".cm-tooltip-autocomplete li[aria-selected]").inner_text()
    watched.check("editor-03-class-completion")
    page.keyboard.press("Enter")
    assert editor_text(page) == (f"PREFIX ascn: <{SITE_BASE}def/ascn#>\n"
                                 "SELECT ?c WHERE { ?c a ascn:PilotCity}")  # the PREFIX line was added
    page.keyboard.press("Control+Enter")
    page.locator("table.results-table").wait_for()
    assert page.locator("table.results-table tbody tr").count() == 26
    assert "run=1" in page.url and "PilotCity" in urllib.parse.unquote_plus(page.url)
    watched.check("editor-04-ran")


def test_the_preloaded_example_runs_sorts_pages_and_downloads(server: str, watched: Watched,
                                                               tmp_path: Path) -> None:
    page = watched.page
    page.goto(server + "/query")
    page.locator(".cm-content").wait_for()
    example = editor_text(page)
    page.locator("#query-form button[type=submit]").click()
    page.locator("table.results-table").wait_for()
    answer = list(csv.reader(io.StringIO(sparql_csv(server, example))))
    rows = page.locator("table.results-table tbody tr")
    assert rows.count() == len(answer) - 1 == 26
    watched.check("editor-05-example-ran")

    column = answer[0].index("city_en")
    header = page.locator("table.results-table thead th").nth(column)
    header.locator("button.sort").click()
    assert header.get_attribute("aria-sort") == "ascending"
    cells = page.locator(f"table.results-table tbody tr td:nth-child({column + 1}) span")
    names = [row[column] for row in answer[1:]]
    assert cells.all_inner_texts() == sorted(names, key=str.casefold)
    header.locator("button.sort").click()
    assert header.get_attribute("aria-sort") == "descending"
    assert cells.all_inner_texts() == sorted(names, key=str.casefold, reverse=True)
    watched.check("editor-06-sorted")

    with page.expect_download() as caught:
        page.locator("p.downloads a[data-format=csv]").click()
    download = caught.value
    assert download.suggested_filename == "ascn-kg-results.csv"
    saved = tmp_path / "results.csv"
    download.save_as(saved)
    assert saved.read_bytes().decode("utf-8") == sparql_csv(server, example)  # the same rows as /sparql

    page.locator("#query-output form.permalink button").click()  # a stable link to this query
    page.wait_for_url(re.compile(r".*/query\?query=.*&run=1$"))
    page.locator("table.results-table").wait_for()
    assert editor_text(page) == example.strip()

    replace_query(page, "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 120")
    page.keyboard.press("Control+Enter")
    page.locator("table.results-table tbody tr").nth(119).wait_for(state="attached")
    visible = page.locator("table.results-table tbody tr:visible")
    assert page.locator("table.results-table tbody tr").count() == 120 and visible.count() == 50
    pager = page.locator("nav.results-pager")
    assert "Page 1 of 3" in pager.inner_text()
    pager.get_by_role("button", name="Next →").click()
    assert "Page 2 of 3" in pager.inner_text() and visible.count() == 50
    pager.locator("select").select_option("25")
    assert "Page 1 of 5" in pager.inner_text() and visible.count() == 25
    watched.check("editor-07-paged")


@pytest.mark.parametrize("lang,place,words", [
    ("en", "line 3, column 3", "“FILTR” is not a SPARQL keyword. Did you mean FILTER?"),
    ("ko", "3행 3열", "SPARQL 키워드가 아닙니다: “FILTR”. 혹시 다음을 뜻했나요: FILTER"),
])
def test_a_syntax_error_is_explained_and_marked_at_its_line(server: str, watched: Watched, lang: str, place: str,
                                                            words: str) -> None:
    page = watched.page
    page.goto(f"{server}/lang/{lang}?next=/query")
    page.locator(".cm-content").wait_for()
    replace_query(page, "SELECT ?s WHERE {\n  ?s ?p ?o .\n  FILTR(?o)\n}")
    page.keyboard.press("Control+Enter")
    box = page.locator("#query-output .query-error")
    box.wait_for()
    summary = box.locator("p").inner_text()
    assert place in summary and words in summary
    assert box.locator("pre.caret").inner_text() == "3 |   FILTR(?o)\n  |   ^^^^^"
    assert box.locator("mark").inner_text() == "FILTR"
    marked = page.locator(".cm-lintRange-error")
    marked.wait_for()
    assert marked.inner_text() == "FILTR"
    third = page.locator(".cm-content .cm-line").nth(2).bounding_box()
    marker = page.locator(".cm-lint-marker-error").bounding_box()
    assert abs((marker["y"] + marker["height"] / 2) - (third["y"] + third["height"] / 2)) < 4  # on line 3
    assert watched.errors == [EXPECTED_400]  # the page answered 400, as it should: nothing else went wrong
    watched.errors.clear()
    watched.check(f"editor-08-error-{lang}")


def test_the_editor_fits_a_phone(server: str, browser: object) -> None:
    phone = Watched(browser, width=390)
    try:
        page = phone.page
        page.goto(server + "/query?name=pilot-cities&run=1")
        page.locator(".cm-content").wait_for()
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
        assert page.locator(".query-editor").bounding_box()["width"] <= 360
        phone.check("editor-10-phone")
    finally:
        phone.close()


def test_the_query_page_works_as_a_plain_form_without_javascript(server: str, browser: object) -> None:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 900})
    try:
        page = context.new_page()
        page.goto(server + "/query")
        area = page.locator("textarea#query")
        assert area.is_visible() and area.input_value() == render(FIRST).replace("\r\n", "\n")
        assert page.locator(".query-editor").count() == 0
        page.locator("#query-form button[type=submit]").click()
        page.wait_for_url("**/query?query=*run=1")
        assert page.locator("table.results-table tbody tr").count() == 26
        assert page.locator("table.results-table tbody tr:visible").count() == 26  # nothing paged away
        page.locator("aside.catalogue a[data-name='cities-by-density']").click()
        page.wait_for_url("**/query?name=cities-by-density&run=1")
        assert page.locator("table.results-table tbody tr").count() == 26
        area.fill("SELECT * WHERE { ?s ?p }")
        page.locator("#query-form button[type=submit]").click()
        caret = page.locator(".query-error pre.caret")
        assert caret.inner_text() == "1 | SELECT * WHERE { ?s ?p }\n  |                        ^"
        page.screenshot(path=str(ARTIFACTS / "editor-09-no-javascript.png"), full_page=True)
    finally:
        context.close()


def test_the_editor_bundle_is_small_pinned_and_licensed() -> None:
    static = REPO / "server" / "ascn_kg" / "static"
    bundle = (static / "query-editor.js").read_bytes()
    assert len(bundle) < 1_000_000  # well under the 2 MB ceiling
    assert bundle.startswith(b"/*! ASCN-KG query editor")
    licences = (static / "query-editor.licenses.txt").read_text(encoding="utf-8")
    lock = (REPO / "server" / "editor" / "package-lock.json").read_text(encoding="utf-8")
    for package in ("codemirror", "codemirror-lang-sparql", "@codemirror/view", "@codemirror/autocomplete",
                    "@lezer/highlight", "style-mod"):
        version = re.search(rf'"node_modules/{re.escape(package)}": {{\s*"version": "([^"]+)"', lock)
        assert version is not None, package
        assert f"{package} {version.group(1)} (MIT)\n" in licences, package
    assert "Permission is hereby granted, free of charge" in licences
