"""Admin exposure in Chromium: with --admin-token the page asks for the token once per tab session;
the static shell loads without it, the data does not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import httpx
import pytest

from tests.browser.conftest import PageProblems, returnkit_serve

if TYPE_CHECKING:
    from playwright.sync_api import Browser

pytestmark = pytest.mark.browser
TOKEN = "dashboard-test-token"  # noqa: S105 -- a test token


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with returnkit_serve(tmp_path_factory.mktemp("guarded"), "--admin-token", TOKEN) as base_url:
        yield base_url


def test_the_shell_loads_without_the_token_and_the_data_needs_it(guarded: str) -> None:
    assert httpx.get(f"{guarded}/__admin/ui/").status_code == 200
    assert httpx.get(f"{guarded}/__admin/ui/app.js").status_code == 200
    assert httpx.get(f"{guarded}/__admin/requests").status_code == 401


def test_the_token_is_asked_once_and_kept_for_the_tab_session_only(
    chromium: Browser, guarded: str, problems: PageProblems
) -> None:
    from playwright.sync_api import expect

    context = chromium.new_context()
    page = problems.watch(context.new_page())
    page.goto(f"{guarded}/__admin/ui/")
    token = page.get_by_label("Token (kept for this browser tab only)")
    expect(token).to_be_focused()
    token.fill(TOKEN)
    page.get_by_role("button", name="Use this token").click()
    expect(page.get_by_role("heading", name="Journal")).to_be_visible()

    page.get_by_role("link", name="Clock, faults, world").click()
    expect(page.get_by_role("heading", name="Clock, faults, world")).to_be_visible()
    page.get_by_role("button", name="+1 h").click()  # a POST with the token
    expect(page.get_by_role("status").filter(has_text="Advanced 3600 s")).to_be_visible()
    page.reload()
    expect(page.get_by_role("heading", name="Clock, faults, world")).to_be_visible()
    expect(page.get_by_label("Token (kept for this browser tab only)")).to_have_count(0)
    assert page.evaluate("localStorage.length") == 0  # only the tab's session keeps it

    other = problems.watch(context.new_page())  # a new tab has a session of its own
    other.goto(f"{guarded}/__admin/ui/")
    expect(other.get_by_label("Token (kept for this browser tab only)")).to_be_visible()
    context.close()
    assert problems.seen == []
