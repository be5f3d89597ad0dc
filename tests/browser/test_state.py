"""The state pages in Chromium: returns by state, a Zinc return resolving on its page, a Kibo
Commerce return's state machine with the actions available now."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import assert_fits_narrow, screenshot
from tests.browser.test_world import advance_by_button, file_zinc_return

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
NORTHWIND = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}


def kibo_headers(base_url: str) -> dict[str, str]:
    credentials = {**NORTHWIND, "grant_type": "client_credentials"}
    ticket = httpx.post(f"{base_url}/api/platform/applications/authtickets/oauth", json=credentials)
    return {"Authorization": f"Bearer {ticket.json()['access_token']}"}


def file_kibo_return(base_url: str) -> dict[str, Any]:
    headers = kibo_headers(base_url)
    tenants = httpx.get(f"{base_url}/__admin/world").json()["providers"]["kibo-commerce"]["tenants"]
    order = next(o for o in tenants[0]["orders"] if o["fulfillmentStatus"] == "Fulfilled")
    line = order["items"][0]
    item = {"orderItemId": line["id"], "reasons": [{"reason": "Damaged", "quantity": 1}], "quantityShipped": 1}
    body = {"originalOrderId": order["id"], "returnType": "Refund", "items": [item]}
    created = httpx.post(f"{base_url}/api/commerce/returns", json=body, headers=headers)
    assert created.status_code == 200, created.text
    document: dict[str, Any] = created.json()
    return document


def test_a_zinc_return_moves_from_open_to_its_resolution_on_its_page(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    filed = file_zinc_return(base_url)
    page.goto(f"{base_url}/__admin/ui/#/state")
    page.get_by_role("button", name="open (1)").click()
    page.get_by_role("link", name=filed["id"]).click()
    expect(page.locator(".current-state")).to_have_text("open")
    expect(page.locator(".facts")).to_contain_text("resolves_at")  # what is scheduled next, and when
    [step] = httpx.get(f"{base_url}/__admin/records/zinc/return/{filed['id']}").json()["scheduled"]
    scheduled = page.get_by_role("table", name="What the clock will carry out")
    expect(scheduled.locator("tbody tr")).to_have_text([f"{step['transition']}{step['due']}"])
    expect(page.get_by_role("table", name="Its status changes").locator("tbody tr")).to_have_count(1)

    page.get_by_role("link", name="Clock, faults, world").click()
    advance_by_button(page, "+1 day", 86400)
    page.go_back()
    resolved = httpx.get(f"{base_url}/__admin/records", params={"provider": "zinc", "q": filed["id"]}).json()
    status = resolved["records"][0]["status"]
    assert status in ("approved", "denied")
    expect(page.locator(".current-state")).to_have_text(status)
    history = page.get_by_role("table", name="Its status changes").locator("tbody tr")
    expect(history).to_have_text([f"(created)open—{filed['created_at']}", f"open{status}—{step['due']}"])
    expect(page.get_by_text("Nothing is scheduled.")).to_be_visible()


def test_a_kibo_returns_page_draws_its_state_machine_with_the_actions_available_now(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    created = file_kibo_return(base_url)
    page.goto(f"{base_url}/__admin/ui/#/state/kibo-commerce/return")
    page.get_by_role("link", name=created["id"]).click()
    expect(page.locator(".current-state")).to_have_text("Created")
    expect(page.locator("svg.machine .state.current")).to_have_attribute("data-state", "Created")
    actions = page.locator("ul.actions li")
    expect(actions.locator("code")).to_have_text(created["availableActions"])  # what the provider offers now
    assert "Authorize" in created["availableActions"]
    screenshot(page, "kibo-return")
    assert_fits_narrow(page)


def test_an_action_the_spec_allows_but_whose_precondition_fails_is_not_offered(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    created, headers = file_kibo_return(base_url), kibo_headers(base_url)
    acted = httpx.post(
        f"{base_url}/api/commerce/returns/actions",
        json={"actionName": "Authorize", "returnIds": [created["id"]]},
        headers=headers,
    )
    assert acted.status_code == 200, acted.text
    read = httpx.get(f"{base_url}/api/commerce/returns/{created['id']}", headers=headers).json()
    assert "Close" not in read["availableActions"]  # nothing refunded or received yet
    page.goto(f"{base_url}/__admin/ui/#/record/kibo-commerce/return/{created['id']}")
    expect(page.locator(".current-state")).to_have_text("Authorized")
    expect(page.locator("ul.actions li code")).to_have_text(read["availableActions"])
    expect(page.locator("ul.blocked-actions li")).to_have_count(1)
    expect(page.locator("ul.blocked-actions li")).to_contain_text("Close")
    history = page.get_by_role("table", name="Its status changes").locator("tbody tr")
    expect(history).to_have_count(2)
    expect(history.first).to_contain_text("(created)Created")
    expect(history.last).to_contain_text("Authorize")


def test_search_finds_one_record_among_many(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    first, second = file_zinc_return(base_url), file_kibo_return(base_url)
    assert second["id"]
    page.goto(f"{base_url}/__admin/ui/#/state")
    page.get_by_label("Search").fill(first["order_id"])
    page.get_by_role("button", name="Search").click()
    expect(page.locator("main table tbody tr")).to_have_count(1)
    screenshot(page, "state")
    page.get_by_label("Search").fill("no-such-thing")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_text("No record matches.")).to_be_visible()
