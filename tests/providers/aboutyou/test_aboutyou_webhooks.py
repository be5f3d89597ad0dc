"""ABOUT YOU's webhooks: subscribed through its webhook endpoints, emitted into the outbox when a
batch's entries are applied, in ABOUT YOU's unsigned message envelope.

No delivery surface exists yet (WP4 adds the sender and `/__admin/webhooks/deliveries`), so these
tests drive the server over HTTP (`create_app` + the in-process transport) and read what was
enqueued from the store's delivery listing.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from returnkit.core.outbox import Delivery, RetryPolicy
from returnkit.providers.aboutyou.webhooks import AboutYouWebhooks
from returnkit.server.app import server_state
from returnkit.server.state import ServerState
from returnkit.spec import parse_yaml, read_bundled
from returnkit.validation import Catalog
from tests.http import CheckedClient, TestClient
from tests.providers.aboutyou.test_aboutyou import (
    BATCH_SECONDS,
    NORDLICHT,
    RHEINSTIL,
    advance,
    item_in,
    orders,
    return_entry,
    submit,
)

RECEIVER = "http://127.0.0.1:9931/aboutyou"
START = 1_772_442_000  # mocks/server.yaml: 2026-03-02T09:00:00Z
EVENTS = ["order_items.shipped", "order_items.cancelled", "order_items.returned", "order.updated"]


@pytest.fixture
def ay(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "aboutyou", NORDLICHT)


@pytest.fixture
def state(app: Any) -> ServerState:
    return server_state(app)


def subscribe(ay: CheckedClient, event: str, url: str = RECEIVER) -> dict[str, Any]:
    response = ay.post("/api/v1/webhooks/", json={"url": url, "event": event})
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def deliveries(state: ServerState, **filters: Any) -> list[Delivery]:
    return state.store.deliveries(provider="aboutyou", **filters)


def test_the_event_types_are_listed_with_descriptions(ay: CheckedClient) -> None:
    response = ay.get("/api/v1/webhooks/types")
    assert response.status_code == 200
    types = response.json()
    assert [t["event"] for t in types] == EVENTS
    assert all(t["description"] for t in types)
    assert response.headers["X-RateLimit-Limit"] == "50"


def test_subscriptions_are_made_listed_and_removed_per_merchant(ay: CheckedClient) -> None:
    returned = subscribe(ay, "order_items.returned")
    updated = subscribe(ay, "order.updated", "http://localhost:9932/orders")
    assert returned == {"id": returned["id"], "url": RECEIVER, "event": "order_items.returned"}
    assert isinstance(returned["id"], int)
    assert updated["id"] > returned["id"]
    assert ay.get("/api/v1/webhooks/").json() == [returned, updated]
    assert ay.as_(RHEINSTIL).get("/api/v1/webhooks/").json() == []
    foreign = ay.as_(RHEINSTIL).request("DELETE", f"/api/v1/webhooks/{returned['id']}")
    assert foreign.status_code == 404
    assert "not found" in foreign.json()["message"]
    removed = ay.request("DELETE", f"/api/v1/webhooks/{returned['id']}")
    assert (removed.status_code, removed.content) == (204, b"")
    assert ay.get("/api/v1/webhooks/").json() == [updated]


def test_the_webhook_endpoints_are_authenticated_validated_and_refuse_what_they_cannot_serve(
    ay: CheckedClient,
) -> None:
    assert ay.as_({}).get("/api/v1/webhooks/").status_code == 401
    missing = ay.post("/api/v1/webhooks/", json={"url": RECEIVER})
    assert missing.status_code == 400
    assert "event" in missing.json()["message"]
    unknown = ay.post("/api/v1/webhooks/", json={"url": RECEIVER, "event": "order.exploded"})
    assert unknown.status_code == 400
    assert "order.exploded" in unknown.json()["message"]
    remote = ay.post("/api/v1/webhooks/", json={"url": "https://hooks.example.com/ay", "event": "order.updated"})
    assert remote.status_code == 400
    assert "--webhook-allow hooks.example.com" in remote.json()["message"]
    assert ay.request("DELETE", "/api/v1/webhooks/abc").status_code == 400
    assert ay.get("/api/v1/webhooks/").json() == []


def test_the_webhook_endpoints_are_limited_to_50_a_minute(ay: CheckedClient) -> None:
    answers = [ay.get("/api/v1/webhooks/types").status_code for _ in range(51)]
    assert answers == [200] * 50 + [429]


def test_nothing_is_enqueued_without_a_subscriber(http: TestClient, ay: CheckedClient, state: ServerState) -> None:
    submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    advance(http, BATCH_SECONDS)
    assert deliveries(state) == []


def test_a_return_batch_emits_the_items_returned_then_the_order_updated_when_the_batch_completes(
    http: TestClient, ay: CheckedClient, state: ServerState, catalog: Catalog
) -> None:
    returned_sub = subscribe(ay, "order_items.returned")
    updated_sub = subscribe(ay, "order.updated")
    order = orders(ay, order_status="shipped")[0]
    items = [item["id"] for item in order["order_items"]]
    submit(ay, "return", [{"order_items": items, "return_tracking_key": "RT-9"}])
    advance(http, BATCH_SECONDS - 1)
    assert deliveries(state) == []
    advance(http, 1)
    sent = deliveries(state)
    assert [d.event for d in sent] == ["order_items.returned", "order.updated"]
    assert {d.resource for d in sent} == {order["order_number"]}
    assert {d.occurred for d in sent} == {START + BATCH_SECONDS}
    returned, updated = (json.loads(d.body) for d in sent)
    for delivery, body in zip(sent, (returned, updated), strict=True):
        assert list(body) == ["id", "event", "timestamp", "subscription_id", "message"]
        assert (body["event"], body["timestamp"]) == (delivery.event, "2026-03-02T09:00:10Z")
        assert catalog.validate("aboutyou", f"webhook:{delivery.event}", body).valid
    assert returned["subscription_id"] == returned_sub["id"]
    assert updated["subscription_id"] == updated_sub["id"]
    assert returned["id"] < updated["id"]
    message = returned["message"]
    assert [i["id"] for i in message["items"]] == items
    assert {i["status"] for i in message["items"]} == {"returned"}
    assert message["return_tracking_key"] == "RT-9"
    assert updated["message"] == orders(ay, order_number=order["order_number"])[0]
    assert updated["message"]["status"] == "returned"


def test_ship_and_cancel_emit_their_item_events(
    http: TestClient, ay: CheckedClient, state: ServerState, catalog: Catalog
) -> None:
    subscribe(ay, "order_items.shipped")
    subscribe(ay, "order_items.cancelled")
    open_items = [i["id"] for o in orders(ay, order_status="open") for i in o["order_items"]]
    shipped, cancelled = open_items[0], open_items[-1]
    entry = {"order_items": [shipped], "carrier_key": "DHL", "shipment_tracking_key": "TRK-1"}
    entry["return_tracking_key"] = "RT-1"
    submit(ay, "ship", [entry])
    submit(ay, "cancel", [{"id": cancelled}])
    advance(http, BATCH_SECONDS)
    bodies = {d.event: json.loads(d.body) for d in deliveries(state)}
    assert set(bodies) == {"order_items.shipped", "order_items.cancelled"}
    ship = bodies["order_items.shipped"]["message"]
    assert (ship["carrier_key"], ship["tracking_key"]) == ("DHL", "TRK-1")
    assert [(i["id"], i["status"]) for i in ship["items"]] == [(shipped, "shipped")]
    assert [i["status"] for i in bodies["order_items.cancelled"]["message"]["items"]] == ["cancelled"]
    for event, body in bodies.items():
        assert catalog.validate("aboutyou", f"webhook:{event}", body).valid


def test_a_failed_entry_emits_nothing(http: TestClient, ay: CheckedClient, state: ServerState) -> None:
    for event in EVENTS:
        subscribe(ay, event)
    submit(ay, "return", [return_entry(item_in(ay, "open"))])  # only shipped items can be returned
    advance(http, BATCH_SECONDS)
    assert deliveries(state) == []


def test_a_refused_request_emits_nothing(ay: CheckedClient, state: ServerState) -> None:
    for event in EVENTS:
        subscribe(ay, event)
    refused = ay.post("/api/v1/orders/return", json={"items": []})
    assert refused.status_code == 400
    assert deliveries(state) == []


def test_another_merchants_changes_do_not_reach_my_subscription(
    http: TestClient, ay: CheckedClient, state: ServerState
) -> None:
    subscribe(ay, "order_items.returned")
    theirs = ay.as_(RHEINSTIL)
    submit(theirs, "return", [return_entry(item_in(theirs, "shipped"))])
    advance(http, BATCH_SECONDS)
    assert deliveries(state) == []


def test_unsubscribing_cancels_pending_deliveries(http: TestClient, ay: CheckedClient, state: ServerState) -> None:
    created = subscribe(ay, "order_items.returned")
    submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    advance(http, BATCH_SECONDS)
    assert ay.request("DELETE", f"/api/v1/webhooks/{created['id']}").status_code == 204
    assert [d.status for d in deliveries(state)] == ["cancelled"]


def test_deliveries_are_unsigned() -> None:
    kit = AboutYouWebhooks()
    now = datetime(2026, 3, 2, 9, tzinfo=UTC)
    assert kit.signed is False
    assert kit.sign("anything", b"{}") == {}
    assert kit.verify({}, b"{}", None, now, 0) is True
    with pytest.raises(ValueError, match="does not sign"):
        kit.verify({}, b"{}", "a-secret", now, 0)


def test_retries_are_hourly_for_two_days() -> None:
    policy = RetryPolicy.from_spec(parse_yaml(read_bundled("aboutyou.yaml")))
    assert policy is not None
    schedule = policy.schedule(0)
    assert (len(schedule), schedule[1], schedule[-1]) == (49, 3600, 172800)
    assert policy.timeout == 30


def test_an_entry_moving_several_items_of_an_order_announces_them_together_and_the_update_once(
    http: TestClient, ay: CheckedClient, state: ServerState
) -> None:
    subscribe(ay, "order_items.shipped")
    subscribe(ay, "order.updated")
    order = next(o for o in orders(ay, order_status="open") if len(o["order_items"]) > 1)
    items = [item["id"] for item in order["order_items"]]
    entry = {"order_items": items, "carrier_key": "DHL", "shipment_tracking_key": "T", "return_tracking_key": "R"}
    submit(ay, "ship", [entry])
    advance(http, BATCH_SECONDS)
    sent = deliveries(state)
    assert [d.event for d in sent] == ["order_items.shipped", "order.updated"]
    assert [i["id"] for i in json.loads(sent[0].body)["message"]["items"]] == items
    assert json.loads(sent[1].body)["message"]["status"] == "shipped"
