"""The site in a real browser (Debian's chromium through Playwright) against a real server.

One walk through the site as a user: search in Korean, open Kuala Lumpur, follow its state,
switch the language, click a point of the typology chart, run a catalogue query. No console
error and no Content-Security-Policy violation is allowed on any page. Screenshots of each
step go to ``test-artifacts/``.
"""

from __future__ import annotations

import pytest

from browsing import Watched, playwright_or_skip

pytestmark = pytest.mark.browser
playwright_or_skip()


def test_walk_through_the_site(server: str, watched: Watched) -> None:
    page = watched.page
    page.goto(server + "/")
    assert "ASCN-KG" in page.title()
    watched.check("01-home")

    page.fill("#home-search", "쿠알")
    option = page.locator(".suggestions li", has_text="Kuala Lumpur").first
    option.wait_for(timeout=5000)
    watched.check("02-autocomplete")
    option.click()
    page.wait_for_url("**/page/city/kuala-lumpur")
    facts = page.locator("section.facts").inner_text()
    assert "Malaysia" in facts
    assert "6,890" in facts
    assert "Dense city in an emerging economy" in facts
    officer = page.locator("section.facts dd a[href*='/page/person/']")
    assert officer.count() >= 1
    watched.check("03-kuala-lumpur")

    page.locator("section.facts a", has_text="Malaysia").first.click()
    page.wait_for_url("**/page/state/mys")
    assert page.locator("h1").inner_text() == "Malaysia"
    watched.check("04-malaysia")

    page.locator("nav.lang a[hreflang='ko']").click()
    page.wait_for_url("**/page/state/mys")
    assert page.locator("h1").inner_text() == "말레이시아"
    assert page.locator("html").get_attribute("lang") == "ko"
    watched.check("05-malaysia-ko")

    page.locator("nav.main a[href='/typology']").click()
    page.wait_for_url("**/typology")
    points = page.locator("svg.chart-wide a.point")
    assert points.count() == 26
    assert page.locator("svg.chart-wide text.quadrant", has_text="인구밀도가 높은 신흥국형 도시").count() == 1
    watched.check("06-typology-ko")
    page.locator("svg.chart-wide a.point[aria-label='싱가포르'] circle").click()
    page.wait_for_url("**/page/city/singapore")
    assert page.locator("h1").inner_text() == "싱가포르"
    watched.check("07-singapore-ko")

    page.locator("nav.lang a[hreflang='en']").click()
    page.goto(server + "/query")
    page.locator("aside.catalogue a[data-name='pilot-cities']").click()
    page.wait_for_url("**/query?name=pilot-cities**")
    rows = page.locator("table.results-table tbody tr")
    assert rows.count() == 26
    assert page.locator("table.results-table a", has_text="Kuala Lumpur").count() >= 1
    watched.check("08-query")


def test_phone_width_and_no_js_search(server: str, browser: object) -> None:
    phone = Watched(browser, width=390)
    try:
        page = phone.page
        page.goto(server + "/page/city/kuala-lumpur")
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= 400, f"the page scrolls sideways at phone width ({width}px)"
        phone.check("09-phone-kuala-lumpur")
        page.goto(server + "/cities?sort=-density")
        first = page.locator("table.sortable tbody tr").first.locator("th").inner_text()
        assert first  # the densest city comes first, sorted by the server
        phone.check("10-phone-cities")
    finally:
        phone.close()
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(server + "/")
        page.fill("#home-search", "Kuala")
        page.press("#home-search", "Enter")
        page.wait_for_url("**/search?q=Kuala")
        page.locator("ol.results a", has_text="Kuala Lumpur").first.click()
        page.wait_for_url("**/page/city/kuala-lumpur")
    finally:
        context.close()

