"""Kibo's read-only Event Subscription API, served from the mock's webhook subscriptions and outbox.

Everything through HTTP: a subscription is made with `POST /__admin/webhooks`, a return is filed
and authorized, the clock is advanced so the sender delivers (to a receiver on loopback, or to a
loopback port nothing listens on), then the tenant reads its subscriptions and their delivery
attempts with its app token. Every Kibo response is checked against the spec (CheckedClient).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest

from tests.http import CheckedClient, TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import (
    HARBOR,
    NORTHWIND,
    act,
    advance,
    bearer,
    create,
    shipped_order,
)
from tests.webhooks.receiver import Receiver, listening

SUBSCRIPTIONS = "/api/event/push/subscriptions"
ATTEMPTS = f"{SUBSCRIPTIONS}/deliveryattempts"
UNREACHABLE = "http://127.0.0.1:9/kibo-events"  # loopback, nothing listens: every attempt gets no answer
RETURN_TOPICS = [
    "return.opened",
    "return.authorized",
    "return.updated",
    "return.cancelled",
    "return.rejected",
    "return.closed",
]
ATTEMPTS_IN_14_DAYS = 20161  # one a minute for 14 days, the first included


@pytest.fixture
def kibo(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "kibo-commerce", bearer(http, NORTHWIND))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with listening() as receiver:
        yield receiver


def subscribe(admin: CheckedClient, url: str, owner: str = "40001", **fields: Any) -> str:
    answer = admin.post("/__admin/webhooks", json={"provider": "kibo-commerce", "url": url, "owner": owner, **fields})
    assert answer.status_code == 201, answer.text
    identifier: str = answer.json()["id"]
    return identifier


def authorized_return(http: TestClient, kibo: CheckedClient) -> str:
    created = create(kibo, shipped_order(http))
    assert act(kibo, "Authorize", created["id"]).status_code == 200
    return str(created["id"])


def page(kibo: CheckedClient, path: str, **params: Any) -> dict[str, Any]:
    answer = kibo.get(path, params=params)
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def summaries(kibo: CheckedClient, subscription: str) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = page(kibo, f"{SUBSCRIPTIONS}/{subscription}/deliveryattempts")["items"]
    return items


def moment(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_tenants_subscription_reads_as_kibos_event_subscription(admin: CheckedClient, kibo: CheckedClient) -> None:
    every_topic = subscribe(admin, UNREACHABLE)
    two_topics = subscribe(admin, UNREACHABLE, events=["return.opened", "return.closed"], no_callback=True)
    listed = page(kibo, SUBSCRIPTIONS)
    assert (listed["startIndex"], listed["pageSize"], listed["pageCount"], listed["totalCount"]) == (0, 20, 1, 2)
    first, second = listed["items"]
    assert (first["id"], second["id"]) == (every_topic, two_topics)
    assert first["appId"] == NORTHWIND["client_id"]
    assert (first["topics"], second["topics"]) == (RETURN_TOPICS, ["return.opened", "return.closed"])
    assert (first["noCallback"], second["noCallback"]) == (False, True)
    assert first["endpoint"] == UNREACHABLE
    assert (first["notificationDeliveryType"], first["contentType"]) == ("Http", "application/json")
    assert (first["isActive"], first["confirmed"]) == (True, True)
    tenant = {"subscribingContextLevelType": "Tenant", "tenantId": 40001, "isActive": True}
    assert first["subscribingTenants"] == [tenant]
    with_sites = page(kibo, SUBSCRIPTIONS, responseGroups="SubscribingSites")["items"][0]
    assert with_sites["subscribingTenants"][0]["subscribingSites"] == []


def test_delivery_attempts_show_each_attempt_as_it_went(
    http: TestClient, admin: CheckedClient, kibo: CheckedClient, receiver: Receiver
) -> None:
    heard = subscribe(admin, receiver.url)
    unheard = subscribe(admin, UNREACHABLE)
    return_id = authorized_return(http, kibo)
    advance(http, 0)
    advance(http, 60)  # the unheard deliveries are tried a second time
    assert len(receiver.received) == 2
    delivered = summaries(kibo, heard)
    assert [(s["eventSummary"]["topic"], s["deliveryStatus"]) for s in delivered] == [
        ("return.opened", "Success"),
        ("return.authorized", "Success"),
    ]
    for summary in delivered:
        (attempt,) = summary["deliveryAttempts"]
        assert attempt["httpStatus"] == {"code": 200, "name": "OK"}
        assert (attempt["deliveryStatus"], attempt["errorType"]) == ("Success", None)
        assert summary["lastExecutionDate"] == attempt["executionDate"] == summary["createDate"]
        assert "nextExecutionDate" not in summary
        assert (summary["retriesRemaining"], summary["isRunning"]) == (0, False)
        assert summary["eventSummary"]["entityId"] == return_id
        assert (summary["eventSummary"]["tenantId"], summary["eventSummary"]["siteId"]) == (40001, 50001)
    retried = summaries(kibo, unheard)
    assert [s["deliveryStatus"] for s in retried] == ["Pending", "Pending"]
    for summary in retried:
        first, second = summary["deliveryAttempts"]
        assert [a["deliveryStatus"] for a in (first, second)] == ["Failed", "Failed"]
        assert {a["errorType"] for a in (first, second)} == {"NoResponse"}
        assert "httpStatus" not in first
        assert moment(second["executionDate"]) - moment(first["executionDate"]) == timedelta(seconds=60)
        assert moment(summary["nextExecutionDate"]) - moment(second["executionDate"]) == timedelta(seconds=60)
        assert summary["retriesRemaining"] == ATTEMPTS_IN_14_DAYS - 2


def test_a_refused_delivery_shows_the_receivers_status(
    http: TestClient, admin: CheckedClient, kibo: CheckedClient, receiver: Receiver
) -> None:
    subscription = subscribe(admin, receiver.url, events=["return.opened"])
    receiver.status = 503
    create(kibo, shipped_order(http))
    advance(http, 0)
    receiver.status = 200
    advance(http, 60)
    (summary,) = summaries(kibo, subscription)
    assert summary["deliveryStatus"] == "Success"
    refused, accepted = summary["deliveryAttempts"]
    assert (refused["deliveryStatus"], refused["errorType"]) == ("Failed", "HttpStatus")
    assert refused["httpStatus"] == {"code": 503, "name": "Service Unavailable"}
    assert refused["message"] == "Service Unavailable"
    assert accepted["httpStatus"]["code"] == 200


def test_every_subscription_summaries_and_one_summary_agree(
    http: TestClient, admin: CheckedClient, kibo: CheckedClient
) -> None:
    first = subscribe(admin, UNREACHABLE, events=["return.opened"])
    second = subscribe(admin, UNREACHABLE, events=["return.authorized"])
    authorized_return(http, kibo)
    advance(http, 0)
    every = page(kibo, ATTEMPTS)["items"]
    assert [s["eventSummary"]["topic"] for s in every] == ["return.opened", "return.authorized"]
    assert every == summaries(kibo, first) + summaries(kibo, second)
    for summary, subscription in zip(every, (first, second), strict=True):
        one = kibo.get(f"{SUBSCRIPTIONS}/{subscription}/deliveryattempts/{summary['id']}")
        assert (one.status_code, one.json()) == (200, summary)
    wrong_subscription = kibo.get(f"{SUBSCRIPTIONS}/{second}/deliveryattempts/{every[0]['id']}")
    assert (wrong_subscription.status_code, wrong_subscription.json()["errorCode"]) == (404, "ITEM_NOT_FOUND")
    for malformed in ("abc", "1.5", str(2**31)):
        refused = kibo.get(f"{SUBSCRIPTIONS}/{first}/deliveryattempts/{malformed}")
        assert (refused.status_code, refused.json()["errorCode"]) == (400, "MISSING_OR_INVALID_PARAMETER")


def test_another_tenant_sees_none_of_them(http: TestClient, admin: CheckedClient, kibo: CheckedClient) -> None:
    subscription = subscribe(admin, UNREACHABLE)
    authorized_return(http, kibo)
    advance(http, 0)
    delivery = summaries(kibo, subscription)[0]["id"]
    harbor = kibo.as_(bearer(http, HARBOR))
    assert page(harbor, SUBSCRIPTIONS)["totalCount"] == 0
    assert page(harbor, ATTEMPTS)["totalCount"] == 0
    for path in (f"{SUBSCRIPTIONS}/{subscription}/deliveryattempts", f"{SUBSCRIPTIONS}/wh_999/deliveryattempts"):
        refused = harbor.get(path)
        assert (refused.status_code, refused.json()["errorCode"]) == (404, "ITEM_NOT_FOUND")
    assert harbor.get(f"{SUBSCRIPTIONS}/{subscription}/deliveryattempts/{delivery}").status_code == 404
    harbors_own = subscribe(admin, UNREACHABLE, owner="40002")
    assert [s["id"] for s in page(harbor, SUBSCRIPTIONS)["items"]] == [harbors_own]
    assert [s["id"] for s in page(kibo, SUBSCRIPTIONS)["items"]] == [subscription]


def test_collections_page_filter_and_sort_as_kibos_others(
    http: TestClient, admin: CheckedClient, kibo: CheckedClient, receiver: Receiver
) -> None:
    subscribe(admin, receiver.url, events=["return.opened"])
    subscribe(admin, UNREACHABLE, events=["return.opened"])
    create(kibo, shipped_order(http))
    advance(http, 0)
    second_page = page(kibo, SUBSCRIPTIONS, pageSize=1, startIndex=1)
    assert (second_page["pageCount"], second_page["totalCount"], len(second_page["items"])) == (2, 2, 1)
    assert second_page["items"][0]["endpoint"] == UNREACHABLE
    failing = page(kibo, ATTEMPTS, filter="deliveryStatus eq Pending")["items"]
    assert [s["deliveryStatus"] for s in failing] == ["Pending"]
    newest_first = page(kibo, ATTEMPTS, sortBy="id desc")["items"]
    assert [s["id"] for s in newest_first] == sorted((s["id"] for s in newest_first), reverse=True)
    for params in ({"filter": "colour eq red"}, {"sortBy": "id sideways"}, {"pageSize": 0}):
        refused = kibo.get(ATTEMPTS, params=params)
        assert (refused.status_code, refused.json()["errorCode"]) == (400, "MISSING_OR_INVALID_PARAMETER")


def test_the_event_api_needs_an_app_token(kibo: CheckedClient) -> None:
    for path in (SUBSCRIPTIONS, ATTEMPTS, f"{SUBSCRIPTIONS}/wh_1/deliveryattempts"):
        refused = kibo.as_({}).get(path)
        assert (refused.status_code, refused.json()["errorCode"]) == (401, "UNAUTHORIZED")
