"""The header's virtual time in Chromium: a `wall` clock counts on between readings, a frozen one stands.

Playwright's clock drives the page's timers and `performance.now()`, so nothing here waits for real time.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import returnkit_serve

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
UI = "/__admin/ui/"


@pytest.fixture(scope="module")
def wall_clock_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with returnkit_serve(tmp_path_factory.mktemp("wall"), "--clock", "wall") as base_url:
        yield base_url


def shown_time(page: Page) -> str:
    return page.locator("#clock time").get_attribute("datetime") or ""


def test_a_wall_clock_counts_on_in_the_header_without_asking_the_server(page: Page, wall_clock_server: str) -> None:
    from playwright.sync_api import expect

    page.clock.install()
    page.goto(wall_clock_server + UI)
    expect(page.locator("#clock time")).to_be_visible()
    first = shown_time(page)
    page.clock.run_for(65_000)
    later = shown_time(page)
    assert _seconds(later) - _seconds(first) >= 64, (first, later)
    assert "(frozen)" not in (page.locator("#clock").text_content() or "")


def test_a_frozen_clock_stands_still_in_the_header(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.clock.install()
    page.goto(base_url + UI)
    expect(page.locator("#clock")).to_contain_text("2026-03-02T09:00:00Z (frozen)")
    page.clock.run_for(65_000)
    expect(page.locator("#clock")).to_contain_text("2026-03-02T09:00:00Z (frozen)")
    assert httpx.get(f"{base_url}/__admin/clock").json()["now"] == "2026-03-02T09:00:00Z"


def _seconds(iso: str) -> float:
    return datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp()
