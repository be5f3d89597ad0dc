"""Every page at a narrow window (420 px): nothing needed lies off-screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import NARROW, assert_fits_narrow, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


@pytest.mark.parametrize("route", ["journal", "state", "world", "webhooks"])
def test_a_narrow_window_needs_no_horizontal_scrolling(page: Page, base_url: str, route: str) -> None:
    from playwright.sync_api import expect

    assert httpx.post(f"{base_url}/zinc/returns", json={"order_id": 5}, headers=ACME).status_code == 422
    page.set_viewport_size(NARROW)
    page.goto(f"{base_url}/__admin/ui/#/{route}")
    expect(page.locator("main h1")).to_be_visible()
    if route == "journal":
        expect(page.locator("table.journal tbody tr")).not_to_have_count(0)
    assert_fits_narrow(page)
    screenshot(page, f"narrow-{route}")
