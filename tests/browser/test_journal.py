"""The journal page in Chromium: live without reload, filters, one exchange's detail."""

from __future__ import annotations

import json
import shutil
import subprocess
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import assert_fits_narrow, screenshot

if TYPE_CHECKING:
    from playwright.sync_api import Page

pytestmark = pytest.mark.browser
ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
SUMMIT = ("oms_key_summit_61b0c2", "oms_secret_summit_9e47d3")  # Kibo OMS's seeded API key and secret
UI = "/__admin/ui/"
DASHBOARD = {"X-Returnkit-Dashboard": "1"}


def run_in_bash(command: str) -> bytes:
    """What a user pasting `command` into a shell gets on stdout (curl is on the machine, as in the README)."""
    bash = shutil.which("bash") or "/bin/bash"
    return subprocess.run([bash, "-c", command], capture_output=True, check=True, timeout=30).stdout


def journal_row(page: Page, text: str) -> str:
    from playwright.sync_api import expect

    row = page.locator("table.journal tbody tr", has_text=text).first
    expect(row).to_be_visible()
    return row.get_attribute("data-id") or ""


def test_a_request_made_with_httpx_appears_in_the_journal_without_reload(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.goto(base_url + UI)
    expect(page.get_by_role("heading", name="Journal")).to_be_visible()
    page.evaluate("window.sameDocument = true")  # gone if the page reloaded
    assert httpx.get(f"{base_url}/zinc/orders", headers=ACME).status_code == 200
    journal_row(page, "/zinc/orders")
    assert page.evaluate("window.sameDocument") is True
    expect(page.get_by_label("Admin token")).to_have_count(0)  # loopback without --admin-token: nothing asked
    assert page.evaluate("sessionStorage.length") == 0
    screenshot(page, "journal")


def test_a_refused_requests_detail_shows_the_json_path_rule_found_and_expected(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    body = {"order_id": 5, "reason": "damaged", "items": []}
    refused = httpx.post(f"{base_url}/zinc/returns", json=body, headers=ACME)
    assert refused.status_code == 422
    page.goto(base_url + UI)
    journal_row(page, "/zinc/returns")
    page.locator("table.journal tbody tr", has_text="/zinc/returns").get_by_role("link").click()
    error = page.locator("tr", has=page.locator("code.json-path", has_text="$.order_id"))
    expect(error).to_contain_text("type")  # the rule
    expect(error).to_contain_text("5")  # found
    expect(error).to_contain_text("string")  # expected
    expect(page.get_by_role("heading", name="Verdict: invalid")).to_be_visible()
    expect(page.locator("pre.curl")).to_contain_text("curl -X POST")
    expect(page.locator("pre.curl")).to_contain_text('"order_id":5')
    screenshot(page, "exchange")
    assert_fits_narrow(page)


def test_the_outcome_filter_keeps_refused_requests_and_hides_accepted_ones(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    assert httpx.get(f"{base_url}/zinc/orders", headers=ACME).status_code == 200
    assert httpx.get(f"{base_url}/zinc/orders").status_code == 401
    page.goto(base_url + UI)
    rows = page.locator("table.journal tbody tr")
    expect(rows).to_have_count(2)
    page.get_by_label("Outcome").select_option("refused")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("401")
    page.get_by_label("Outcome").select_option("")
    page.get_by_label("Method").select_option("POST")
    expect(rows).to_have_count(0)


def zinc_orders(base_url: str) -> int:
    listed = httpx.get(f"{base_url}/__admin/records?provider=zinc&kind=order&limit=1", headers=DASHBOARD)
    total: int = listed.json()["total"]
    return total


def test_an_exchange_journaled_after_a_newer_one_still_appears(page: Page, base_url: str) -> None:
    """A large add of orders gets its id when it begins and is journaled when it ends, after the
    requests served between its chunks: the page, past their ids already, must list it all the same."""
    seeded = zinc_orders(base_url)
    page.goto(base_url + UI)
    page.get_by_label("show admin API calls").check()
    with ThreadPoolExecutor(1) as pool:
        orders = {"provider": "zinc", "count": 10_000}
        adding = pool.submit(httpx.post, f"{base_url}/__admin/world/orders", json=orders, timeout=120)
        while zinc_orders(base_url) == seeded and not adding.done():
            pass  # until its first chunk is in: the add has its id
        assert httpx.get(f"{base_url}/zinc/orders", headers=ACME).status_code == 200
        journal_row(page, "/zinc/orders")  # a poll saw this newer exchange
        assert not adding.done(), "the add finished before the page saw a newer exchange: nothing was tested"
        assert adding.result().status_code == 201
    journal_row(page, "/__admin/world/orders")


def test_copy_as_curl_puts_a_command_that_replays_the_request_on_the_clipboard(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    assert httpx.get(f"{base_url}/zinc/orders?limit=2", headers=ACME).status_code == 200
    page.goto(base_url + UI)
    page.locator("table.journal tbody tr", has_text="/zinc/orders").get_by_role("link").click()
    page.get_by_role("button", name="Copy as curl").click()
    expect(page.get_by_role("status").filter(has_text="Copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied.startswith(f"curl -X GET '{base_url}/zinc/orders?limit=2'")
    assert "-H 'authorization: Bearer zn_test_acme_5d2f8a91c4e7'" in copied  # the seeded key the journal masks
    replayed = json.loads(run_in_bash(copied))
    assert replayed["orders"] == httpx.get(f"{base_url}/zinc/orders?limit=2", headers=ACME).json()["orders"]


def test_copy_as_curl_restores_a_basic_pair_and_a_secret_in_a_token_request(page: Page, base_url: str) -> None:
    from playwright.sync_api import expect

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=base_url)
    token = httpx.post(f"{base_url}/oauthserver/oauth2/token", data={"grant_type": "client_credentials"}, auth=SUMMIT)
    assert token.status_code == 200, token.text
    page.goto(base_url + UI)
    page.locator("table.journal tbody tr", has_text="/oauthserver/oauth2/token").get_by_role("link").click()
    expect(page.locator("pre.curl")).to_contain_text("Basic ")
    page.get_by_role("button", name="Copy as curl").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "…" not in copied
    assert "access_token" in json.loads(run_in_bash(copied))
