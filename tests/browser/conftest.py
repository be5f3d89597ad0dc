"""A real Chromium (Debian's package, driven by Playwright's Python API) against a real `returnkit serve`.

Browsers are not downloaded: `/usr/bin/chromium` (or $RETURNKIT_CHROMIUM) is launched through
`executable_path`. Without it or without playwright the tests skip, saying how to get them, unless
RETURNKIT_REQUIRE_BROWSER=1 (CI), which fails them. Every page fixture fails its test on any console
error or uncaught page error.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import httpx
import pytest

from tests.conftest import REQUIRE_BROWSER
from tests.listening import POLL_INTERVAL_SECONDS, READY_WITHIN_SECONDS, _free_port

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page, ViewportSize

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
SCREENSHOTS_VARIABLE = "RETURNKIT_SCREENSHOTS"
CHROMIUM = os.environ.get("RETURNKIT_CHROMIUM", "/usr/bin/chromium")
WIDE: ViewportSize = {"width": 1280, "height": 900}
NARROW: ViewportSize = {"width": 420, "height": 900}
HOW_TO_ENABLE = (
    "the browser tests need Debian's chromium (apt-get install chromium, or RETURNKIT_CHROMIUM=<path>)"
    " and playwright (pip install -e '.[browser]'; never `playwright install`)"
)


def browser_missing(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_BROWSER) == "1":
        pytest.fail(f"{reason} ({REQUIRE_BROWSER}=1 requires them)", pytrace=False)
    pytest.skip(reason)


# Package scope, not session: Playwright's sync API keeps an event loop running in the main thread
# while it lives, and every later test that calls asyncio.run() would fail.
@pytest.fixture(scope="package")
def chromium() -> Iterator[Browser]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        browser_missing(f"playwright is not installed: {HOW_TO_ENABLE}")
    if not os.access(CHROMIUM, os.X_OK):
        browser_missing(f"no Chromium at {CHROMIUM}: {HOW_TO_ENABLE}")
    with sync_playwright() as playwright:
        # As root (CI containers) Chromium's sandbox cannot start; the pages are our own.
        sandbox = [] if os.geteuid() != 0 else ["--no-sandbox"]
        browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=sandbox)
        yield browser
        browser.close()


@contextmanager
def returnkit_serve(logs: Path, *options: str) -> Iterator[str]:
    """Base URL of `returnkit serve --clock frozen --seed 7 OPTIONS` on a free loopback port;
    ready once /__admin/health answers (it needs no token, whatever the options)."""
    base_url = f"http://127.0.0.1:{_free_port()}"
    port = base_url.rsplit(":", 1)[1]
    command = [str(Path(sys.executable).parent / "returnkit"), "serve", "--host", "127.0.0.1", "--port", port]
    command += ["--clock", "frozen", "--seed", "7", *options]
    stderr_path = logs / "stderr.txt"
    with stderr_path.open("wb") as stderr:
        server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr)
        try:
            _wait_until_healthy(base_url, server, stderr_path)
            yield base_url
        finally:
            server.terminate()
            server.wait(timeout=10)


def _wait_until_healthy(base_url: str, server: subprocess.Popen[bytes], stderr_path: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"returnkit serve exited with {server.returncode}:\n{stderr_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/__admin/health", timeout=1.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(POLL_INTERVAL_SECONDS)  # waiting for a process to listen, not for virtual time
    pytest.fail(f"returnkit serve did not answer within {READY_WITHIN_SECONDS} s:\n{stderr_path.read_text()}")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """One open server (loopback, no token) for a module; `base_url` resets its world before each test."""
    with returnkit_serve(tmp_path_factory.mktemp("serve")) as base_url:
        yield base_url


@pytest.fixture
def base_url(served: str) -> str:
    assert httpx.post(f"{served}/__admin/reset").status_code == 200
    return served


class PageProblems:
    """Console errors and uncaught exceptions of one page: a test that saw any fails."""

    def __init__(self) -> None:
        self.seen: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", lambda message: self._console(message.type, message.text))
        page.on("pageerror", lambda error: self.seen.append(f"page error: {error}"))
        return page

    def _console(self, kind: str, text: str) -> None:
        if kind == "error":
            self.seen.append(f"console error: {text}")


@pytest.fixture
def problems() -> PageProblems:
    return PageProblems()


@pytest.fixture
def page(chromium: Browser, problems: PageProblems) -> Iterator[Page]:
    context = chromium.new_context(viewport=WIDE)
    yield problems.watch(context.new_page())
    context.close()
    assert problems.seen == []


def assert_fits_narrow(page: Page) -> None:
    """At 420 px the page needs no horizontal scrolling and no control lies off-screen."""
    page.set_viewport_size(NARROW)
    overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0
    for control in page.locator("main button, main a, main input, main select, main summary").all():
        box = control.bounding_box()
        assert box is None or box["x"] + box["width"] <= NARROW["width"], control.evaluate("e => e.outerHTML")


def screenshot(page: Page, name: str) -> None:
    """docs/screenshots/NAME.png: the whole page as the test left it, when RETURNKIT_SCREENSHOTS=1
    (`make screenshots`): every run differs (ids, timings), and `make test` leaves the tree clean."""
    if os.environ.get(SCREENSHOTS_VARIABLE) != "1":
        return
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)
