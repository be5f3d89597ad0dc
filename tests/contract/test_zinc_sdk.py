"""Zinc's official Python SDK (`zinc`, pinned in pyproject) against a listening returnkit server.

The SDK is used as a merchant would use it; only its base URL points at returnkit. The SDK's
default httpx client is never closed (ZincClient has no close()), so each test hands it one
that the fixture closes; that is the SDK's own `httpx_client` option, not a change to the SDK.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from zinc import ConflictError, ReturnRequestItem, ReturnRequestResponse, ZincClient
from zinc.core.api_error import ApiError
from zinc.returns.client import ReturnsClient

RESOLUTION_SECONDS = 120  # mocks/zinc.yaml returns.resolution_seconds


@dataclass(frozen=True)
class Line:
    """One returnable order item: an item of an `order_placed` order."""

    order_id: str
    order_item_id: str
    quantity: int


@dataclass(frozen=True)
class Account:
    api_key: str
    returnable: list[Line]


def _zinc_account(base_url: str) -> Account:
    world = httpx.get(f"{base_url}/__admin/world", timeout=10.0)
    assert world.status_code == 200, world.text
    account: dict[str, Any] = world.json()["providers"]["zinc"]["accounts"][0]
    returnable = [
        Line(order["id"], item["id"], item["quantity"])
        for order in account["orders"]
        if order["status"] == "order_placed"
        for item in order["items"][:1]
    ]
    assert len(returnable) >= 2, "the seeded world should give the account at least two returnable orders"
    return Account(account["api_keys"][0], returnable)


def _client(base_url: str, api_key: str, sdk_http: httpx.Client) -> ReturnsClient:
    # The SDK sends api_key verbatim as the Authorization header.
    client = ZincClient(api_key=f"Bearer {api_key}", base_url=base_url, httpx_client=sdk_http)
    returns: ReturnsClient = client.returns
    return returns


@pytest.fixture
def sdk_http() -> Iterator[httpx.Client]:
    # What ZincClient builds by default (60 s timeout, follows redirects), but closed after the test.
    with httpx.Client(timeout=60.0, follow_redirects=True) as client:
        yield client


@pytest.fixture
def account(fresh_world: str) -> Account:
    return _zinc_account(fresh_world)


@pytest.fixture
def returns_api(fresh_world: str, account: Account, sdk_http: httpx.Client) -> ReturnsClient:
    return _client(fresh_world, account.api_key, sdk_http)


def _file(returns_api: ReturnsClient, line: Line, **extra: Any) -> ReturnRequestResponse:
    return returns_api.create_return_request(
        order_id=line.order_id,
        items=[ReturnRequestItem(order_item_id=line.order_item_id, quantity=1)],
        reason="damaged",
        **extra,
    )


def test_a_new_return_is_open_with_the_filed_fields(returns_api: ReturnsClient, account: Account) -> None:
    line = account.returnable[0]

    created = returns_api.create_return_request(
        order_id=line.order_id,
        items=[ReturnRequestItem(order_item_id=line.order_item_id, quantity=1)],
        reason="wrong_size",
        notes="Runs two sizes small",
    )

    assert isinstance(created, ReturnRequestResponse)
    assert created.status == "open"
    assert created.order_id == line.order_id
    assert created.reason == "wrong_size"
    assert created.notes == "Runs two sizes small"
    assert created.items == [ReturnRequestItem(order_item_id=line.order_item_id, quantity=1)]
    assert created.label_urls == []
    assert created.resolution_notes is None
    assert created.merchant_return_id is None
    assert created.created_at.tzinfo is not None
    assert created.updated_at == created.created_at


def test_the_list_is_newest_first_with_a_total(returns_api: ReturnsClient, account: Account) -> None:
    older = _file(returns_api, account.returnable[0])
    newer = _file(returns_api, account.returnable[1])

    listed = returns_api.list_return_requests()
    second_page = returns_api.list_return_requests(limit=1, offset=1)
    by_order = returns_api.list_return_requests(search=older.order_id)

    assert [r.id for r in listed.return_requests] == [newer.id, older.id]
    assert listed.total == 2
    assert [r.id for r in second_page.return_requests] == [older.id]
    assert second_page.total == 2
    assert [r.id for r in by_order.return_requests] == [older.id]
    assert by_order.total == 1


def test_get_by_id_answers_what_create_answered(returns_api: ReturnsClient, account: Account) -> None:
    created = _file(returns_api, account.returnable[0], notes="Lid cracked")

    fetched = returns_api.get_return_request(created.id)

    assert fetched == created


def test_a_second_return_of_an_item_with_an_open_return_is_a_conflict(
    returns_api: ReturnsClient, account: Account
) -> None:
    line = account.returnable[0]
    first = _file(returns_api, line)

    # The SDK retries 409 twice by default with 1 s and 2 s back-off; one attempt shows the answer.
    with pytest.raises(ConflictError) as conflict:
        _file(returns_api, line, request_options={"max_retries": 0})

    assert conflict.value.status_code == 409
    assert conflict.value.body["error"]["code"] == "already_exists"
    assert conflict.value.body["error"]["details"]["return_request_id"] == first.id
    still = returns_api.list_return_requests()
    assert [r.id for r in still.return_requests] == [first.id]


def test_returns_resolve_once_the_clock_passes_the_resolution_time(
    fresh_world: str, returns_api: ReturnsClient, account: Account
) -> None:
    filed = [_file(returns_api, line) for line in account.returnable]
    advanced = httpx.post(f"{fresh_world}/__admin/clock/advance", json={"seconds": RESOLUTION_SECONDS}, timeout=10.0)
    assert advanced.status_code == 200, advanced.text

    for created in filed:
        resolved = returns_api.get_return_request(created.id)
        assert resolved.status in {"approved", "denied"}, resolved
        assert resolved.updated_at > created.updated_at
        if resolved.status == "approved":
            assert resolved.label_urls
            assert resolved.resolution_notes is None
        else:
            assert resolved.resolution_notes
            assert resolved.label_urls == []


def test_a_return_is_still_open_just_before_the_resolution_time(
    fresh_world: str, returns_api: ReturnsClient, account: Account
) -> None:
    created = _file(returns_api, account.returnable[0])
    advanced = httpx.post(
        f"{fresh_world}/__admin/clock/advance", json={"seconds": RESOLUTION_SECONDS - 1}, timeout=10.0
    )
    assert advanced.status_code == 200, advanced.text

    assert returns_api.get_return_request(created.id).status == "open"


def test_an_unknown_api_key_is_a_401(fresh_world: str, sdk_http: httpx.Client) -> None:
    stranger = _client(fresh_world, "zn_test_not_an_issued_key", sdk_http)

    # The SDK has no 401 error class: it raises its base ApiError with the status code.
    with pytest.raises(ApiError) as refused:
        stranger.list_return_requests()

    assert refused.value.status_code == 401
    assert refused.value.body["error"]["code"] in {"unauthorized", "invalid_token"}
