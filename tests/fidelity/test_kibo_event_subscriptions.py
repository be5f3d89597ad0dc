"""Kibo's published Event Subscription document (K-EV, research W§2.2 and §2.6), fact by fact, against the mock.

Each test names the facts of specs/facts/kibo-commerce.md (K-WH-13 and on) it holds. Subscriptions
are made with `POST /__admin/webhooks` (K-EV publishes no call that makes one); deliveries reach
a receiver on loopback when the clock is advanced.
"""

from __future__ import annotations

from collections.abc import Iterator

import orjson
import pytest

from tests.http import CheckedClient, TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, act, advance, bearer, create, shipped_order
from tests.webhooks.receiver import Receiver, listening

SUBSCRIPTIONS = "/api/event/push/subscriptions"
UNREACHABLE = "http://127.0.0.1:9/kibo-events"
# K-EV's EventSubscription, every property it declares.
SUBSCRIPTION_PROPERTIES = {
    "id",
    "appId",
    "apiVersion",
    "topics",
    "subscribingTenants",
    "notificationDeliveryType",
    "contentType",
    "endpoint",
    "confirmed",
    "isActive",
    "noCallback",
    "createDate",
    "updateDate",
    "createBy",
    "updateBy",
}


@pytest.fixture
def kibo(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "kibo-commerce", bearer(http, NORTHWIND))


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with listening() as receiver:
        yield receiver


def subscribe(admin: CheckedClient, url: str) -> str:
    answer = admin.post("/__admin/webhooks", json={"provider": "kibo-commerce", "url": url, "owner": "40001"})
    assert answer.status_code == 201, answer.text
    identifier: str = answer.json()["id"]
    return identifier


def test_the_push_subscription_api_only_reads(http: TestClient, kibo: CheckedClient, admin: CheckedClient) -> None:
    """K-WH-13: GET-only; a subscription is made elsewhere (Dev Center; here the admin API)."""
    for method in ("POST", "PUT", "DELETE"):
        refused = http.request(method, SUBSCRIPTIONS, headers=kibo.headers, json={"endpoint": UNREACHABLE})
        assert (refused.status_code, refused.json()["errorCode"]) == (405, "METHOD_NOT_ALLOWED")
        assert refused.headers["allow"].startswith("GET")
    made = subscribe(admin, UNREACHABLE)
    assert [item["id"] for item in kibo.get(SUBSCRIPTIONS).json()["items"]] == [made]


def test_a_subscription_has_every_published_property(kibo: CheckedClient, admin: CheckedClient) -> None:
    """K-WH-15: EventSubscription's properties, the application's and the tenant's ids, delivery over Http."""
    subscribe(admin, UNREACHABLE)
    (subscription,) = kibo.get(SUBSCRIPTIONS, params={"responseGroups": "subscribingsites"}).json()["items"]
    assert set(subscription) == SUBSCRIPTION_PROPERTIES
    assert subscription["appId"] == NORTHWIND["client_id"]
    assert subscription["notificationDeliveryType"].lower() == "http"
    (tenant,) = subscription["subscribingTenants"]
    assert (tenant["tenantId"], tenant["subscribingContextLevelType"]) == (40001, "Tenant")
    assert tenant["subscribingSites"] == []


def test_a_delivery_summary_tells_the_notification_and_each_attempt(
    http: TestClient, kibo: CheckedClient, admin: CheckedClient, receiver: Receiver
) -> None:
    """K-WH-16, K-WH-17: the summary's event is the notification sent, its eventId without dashes."""
    subscription = subscribe(admin, receiver.url)
    created = create(kibo, shipped_order(http))
    assert act(kibo, "Authorize", created["id"]).status_code == 200
    advance(http, 0)
    sent = [orjson.loads(arrival.body) for arrival in receiver.received]
    found = kibo.get(f"{SUBSCRIPTIONS}/{subscription}/deliveryattempts").json()["items"]
    assert len(found) == len(sent) == 2
    for summary, notification in zip(found, sent, strict=True):
        event = summary["eventSummary"]
        assert event["eventId"] == notification["eventId"].replace("-", "")
        assert len(event["eventId"]) == 32
        assert (event["topic"], event["entityId"]) == (notification["topic"], notification["entityId"])
        assert event["correlationId"] == notification["correlationId"]
        (attempt,) = summary["deliveryAttempts"]
        assert attempt["httpStatus"]["code"] == 200
        assert summary["lastExecutionDate"] == attempt["executionDate"]


@pytest.mark.parametrize(("asked", "served"), [(None, 20), (200, 200), (201, 200), (1, 1)])
def test_page_size_is_20_by_default_and_200_at_most(
    kibo: CheckedClient, admin: CheckedClient, asked: int | None, served: int
) -> None:
    """K-WH-18: "The default value is 20 and the maximum value is 200" (every paged K-EV call)."""
    subscribe(admin, UNREACHABLE)
    params = {} if asked is None else {"pageSize": asked}
    for path in (SUBSCRIPTIONS, f"{SUBSCRIPTIONS}/deliveryattempts"):
        assert kibo.get(path, params=params).json()["pageSize"] == served
