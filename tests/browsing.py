"""A real browser for page tests: Debian's chromium through Playwright, pages whose console errors
and Content-Security-Policy violations are collected, screenshots in ``test-artifacts/``."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from support import REPO

CHROMIUM = "/usr/bin/chromium"
SITE_BASE = "https://kg.ascn.example/"  # the base of the browser tests' server
ARTIFACTS = REPO / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]
WATCH_CSP = """document.addEventListener('securitypolicyviolation', e => {
  window.__cspViolations = (window.__cspViolations || []).concat([e.violatedDirective + ' ' + e.blockedURI]);
});"""


def playwright_or_skip() -> ModuleType:
    """Playwright's sync API; skips the calling module when it or Debian's chromium is missing."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)", allow_module_level=True)
    return sync_api


class Watched:
    """A page whose console errors and CSP violations are collected."""

    def __init__(self, browser: object, width: int = 1280) -> None:
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale="en-GB")
        self.context.add_init_script(WATCH_CSP)
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))

    def check(self, step: str) -> None:
        """No console error, no CSP violation; a screenshot of the step."""
        ARTIFACTS.mkdir(exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{step}.png"), full_page=True)
        violations = self.page.evaluate("window.__cspViolations || []")
        assert violations == [], f"{step}: CSP violations {violations}"
        assert self.errors == [], f"{step}: console errors {self.errors}"

    def close(self) -> None:
        self.context.close()
