"""The journal page of `returnkit proxy` in Chromium: proxied exchanges listed first, drift shown with its JSON path."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import assert_fits_narrow
from tests.proxy.conftest import proxy_to

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
UI = "/__admin/ui/"


@pytest.fixture(scope="module")
def proxy(served: str) -> Iterator[str]:
    """`returnkit proxy` (not --strict) in front of the module's `returnkit serve`."""
    with proxy_to(served) as (url, _app):
        yield url


def test_a_request_off_the_spec_is_forwarded_and_shown_as_drift_with_its_json_path(
    page: Page, base_url: str, proxy: str
) -> None:
    from playwright.sync_api import expect

    assert httpx.get(f"{proxy}/orders?limit=1", headers=ACME).status_code == 200
    body = {"order_id": "not-a-uuid", "items": [{"order_item_id": "x", "quantity": 1}], "reason": "damaged"}
    refused = httpx.post(f"{proxy}/returns", json=body, headers=ACME)
    assert refused.status_code == 422  # the upstream's own answer, passed back

    page.goto(proxy + UI)
    expect(page.get_by_label("Direction")).to_have_value("proxied")
    expect(page.get_by_text(f"exchanges forwarded to {base_url}")).to_be_visible()
    rows = page.locator("table.journal tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="/returns")).to_contain_text("drift")
    expect(rows.filter(has_text="/orders")).to_contain_text("accepted")

    page.get_by_label("Outcome").select_option("drift")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("link").click()
    proxied = page.locator("section[aria-labelledby=proxied]")
    expect(proxied).to_contain_text(base_url)
    expect(proxied).to_contain_text("Upstream status422")
    expect(proxied.get_by_role("table")).to_contain_text("$.order_id")
    assert_fits_narrow(page)
