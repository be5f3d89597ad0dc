"""Clock, faults, world in Chromium: the buttons move the virtual time and switch faults on and off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import httpx
import pytest

from tests.browser.conftest import screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
WORLD = "/__admin/ui/#/world"
RESOLUTION_SECONDS = 120  # mocks/zinc.yaml


def file_zinc_return(base_url: str) -> dict[str, Any]:
    orders = httpx.get(f"{base_url}/zinc/orders", params={"status_filter": "order_placed"}, headers=ACME).json()
    order = orders["orders"][0]
    body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
    created = httpx.post(f"{base_url}/zinc/returns", json={**body, "reason": "damaged"}, headers=ACME)
    assert created.status_code == 201, created.text
    document: dict[str, Any] = created.json()
    return document


def advance_by_button(page: Page, label: str, seconds: int) -> None:
    from playwright.sync_api import expect

    page.get_by_role("button", name=label, exact=True).click()
    expect(page.get_by_role("status").filter(has_text=f"Advanced {seconds} s")).to_be_visible()


def test_advancing_the_clock_by_the_button_resolves_a_zinc_return(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    filed = file_zinc_return(base_url)
    assert filed["status"] == "open"
    page.goto(base_url + WORLD)
    expect(page.locator("#clock")).to_contain_text("2026-03-02T09:00:00Z")
    advance_by_button(page, "+1 min", 60)
    assert httpx.get(f"{base_url}/zinc/returns/{filed['id']}", headers=ACME).json()["status"] == "open"
    advance_by_button(page, "+1 min", 60)
    expect(page.locator("#clock")).to_contain_text("2026-03-02T09:02:00Z")
    screenshot(page, "world")
    resolved = httpx.get(f"{base_url}/zinc/returns/{filed['id']}", headers=ACME).json()["status"]
    assert resolved in ("approved", "denied")
    # and the journal shows that read's answer
    page.goto(f"{base_url}/__admin/ui/#/journal")
    page.locator("table.journal tbody tr", has_text=f"/zinc/returns/{filed['id']}").first.get_by_role("link").click()
    expect(page.locator("#response ~ pre")).to_contain_text(f'"status": "{resolved}"')


def test_a_custom_advance_is_reached_by_keyboard_alone(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + WORLD)
    expect(page.get_by_role("heading", name="Clock", exact=True)).to_be_visible()
    amount = page.get_by_label("Advance by", exact=True)
    amount.focus()
    amount.fill("2")
    page.keyboard.press("Tab")
    page.keyboard.press("ArrowDown")  # minutes -> hours
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    expect(page.get_by_role("status").filter(has_text="Advanced 7200 s")).to_be_visible()
    assert httpx.get(f"{base_url}/__admin/clock").json()["now"] == "2026-03-02T11:00:00Z"


def test_a_fault_added_by_the_form_fires_and_clearing_it_ends_it(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + WORLD)
    form = page.get_by_role("form", name="Add a fault")
    form.get_by_label("provider").select_option("zinc")
    form.get_by_label("kind").select_option("status")
    form.get_by_label("status", exact=True).fill("503")
    form.get_by_role("button", name="Add fault").click()
    expect(page.get_by_role("table", name="Faults switched on")).to_contain_text("zinc")
    assert httpx.get(f"{base_url}/zinc/orders", headers=ACME).status_code == 503

    page.get_by_role("button", name="Clear all faults").click()
    expect(page.get_by_text("No fault is switched on.")).to_be_visible()
    assert httpx.get(f"{base_url}/zinc/orders", headers=ACME).status_code == 200

    page.goto(f"{base_url}/__admin/ui/#/journal")
    page.get_by_label("Outcome").select_option("fault")
    page.locator("table.journal tbody tr", has_text="503").get_by_role("link").click()
    expect(page.locator(".note")).to_contain_text("Fault that fired: fault 1: status")


def test_credentials_are_listed_per_provider_and_reset_asks_first(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    assert httpx.post(f"{base_url}/__admin/clock/advance", json={"seconds": 3600}).status_code == 200
    page.goto(base_url + WORLD)
    zinc = page.get_by_role("table", name="zinc: seeded credentials")
    expect(zinc).to_contain_text("zn_test_acme_5d2f8a91c4e7")
    expect(zinc.get_by_role("button", name="Copy api_keys").first).to_be_visible()
    oms = page.get_by_role("table", name="kibo-oms: seeded credentials")
    expect(oms).to_contain_text("secret_key")

    page.get_by_role("button", name="Reset the world…").click()
    assert httpx.get(f"{base_url}/__admin/clock").json()["now"] == "2026-03-02T10:00:00Z"  # nothing yet
    page.get_by_role("button", name="Yes, reset the world").click()
    expect(page.locator("#clock")).to_contain_text("2026-03-02T09:00:00Z")
    assert httpx.get(f"{base_url}/__admin/clock").json()["now"] == "2026-03-02T09:00:00Z"


def test_fresh_orders_are_added_from_the_form(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    before = httpx.get(f"{base_url}/zinc/orders", params={"limit": 500}, headers=ACME).json()["orders"]
    page.goto(base_url + WORLD)
    form = page.get_by_role("form", name="Add fresh orders")
    form.get_by_label("Provider").select_option("zinc")
    form.get_by_label("Count").fill("3")
    form.get_by_role("button", name="Add orders").click()
    expect(page.get_by_role("status").filter(has_text="Added 3 order(s)")).to_be_visible()
    after = httpx.get(f"{base_url}/zinc/orders", params={"limit": 500}, headers=ACME).json()["orders"]
    assert len(after) == len(before) + 3
