"""The webhooks page in Chromium: subscribe, see each delivery's attempts and signature, redeliver."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import WIDE, assert_fits_narrow, screenshot
from tests.browser.test_world import RESOLUTION_SECONDS, file_zinc_return
from tests.webhooks.receiver import Receiver, listening

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with listening() as receiver:
        yield receiver


def test_a_subscription_made_on_the_page_shows_its_deliveries_signed_and_redelivers(
    page: Page, base_url: str, receiver: Receiver
) -> None:
    from playwright.sync_api import expect

    page.goto(f"{base_url}/__admin/ui/#/webhooks")
    form = page.get_by_role("form", name="Subscribe a URL")
    form.get_by_label("Provider").select_option("zinc")
    form.get_by_label("URL").fill(receiver.url)
    form.get_by_role("button", name="Subscribe").click()
    expect(page.get_by_role("table", name="Subscriptions")).to_contain_text(receiver.url)

    file_zinc_return(base_url)
    assert httpx.post(f"{base_url}/__admin/clock/advance", json={"seconds": RESOLUTION_SECONDS}).status_code == 200
    sent = len(receiver.received)
    assert sent >= 2  # return.created, then its resolution
    page.get_by_role("button", name="Refresh").click()
    created = page.locator("tr[data-delivery]", has_text="return.created")
    expect(created).to_contain_text("delivered")
    created.get_by_text("attempts and body").click()
    expect(created.get_by_role("table")).to_contain_text("X-Webhook-Signature")
    expect(created.get_by_role("table")).to_contain_text("200")
    screenshot(page, "webhooks")
    assert_fits_narrow(page)  # with a delivery's attempts open
    page.set_viewport_size(WIDE)

    created.get_by_role("button", name="Redeliver").click()
    expect(page.get_by_role("status").filter(has_text="after 2 attempt(s)")).to_be_visible()
    assert len(receiver.received) == sent + 1
