"""ABOUT YOU end to end: a real `returnkit serve` posts what a ship and a return batch changed.

Subscriptions are made through ABOUT YOU's webhook API (`POST /api/v1/webhooks/`, one per event
type), as a seller does. Checked with what the research wrote down (W§4): unsigned deliveries,
the envelope `{id, event, timestamp, subscription_id, message}`, `message` = the shipment
(GetShipmentSchema) for `order_items.*` and the order as `GET /orders` shows it for
`order.updated`, and retries hourly for 48 hours.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from tests.webhooks.lifecycle import (
    OTHER_KEYS,
    Hook,
    MayLack,
    advance,
    assert_shape,
    deliveries,
    elapsed,
    hooked,
    served,
)

NORDLICHT = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}
BATCH_SECONDS = 10  # 2 s pending + 8 s processing (mocks/aboutyou.yaml)
HOUR = 3600
EVENTS = ["order_items.shipped", "order_items.cancelled", "order_items.returned", "order.updated"]
SIGNATURE_HEADERS = {"signature", "x-signature", "x-hub-signature", "x-aboutyou-signature", "authorization"}
# W§4.4: the envelope, and GetShipmentSchema's sample (custom_data: the mock keeps none, specs/aboutyou.yaml;
# an item's tracking keys are null before it ships, as on the order item).
ENVELOPE = {"id": int, "event": str, "timestamp": str, "subscription_id": (int, type(None)), "message": dict}
SHIPMENT_ITEM = {
    "return_tracking_key": MayLack((str, type(None))),
    "shipment_tracking_key": MayLack((str, type(None))),
    "sku": str,
    "status": str,
    "id": int,
    "vat": (int, float),
    "price_without_tax": int,
    "price_with_tax": int,
    "custom_data": MayLack(dict),
}
SHIPMENT = {
    "items": [SHIPMENT_ITEM],
    "carrier_key": str,
    "tracking_key": MayLack(str),
    "return_tracking_key": MayLack(str),
}
# W§4.4: GetOrderSchema's keys as far as the archive shows them (the list is truncated there).
ORDER = {
    "order_items": [SHIPMENT_ITEM],
    "order_number": str,
    "status": str,
    "customer_key": MayLack(str),
    "carrier_key": MayLack((str, type(None))),
    "created_at": MayLack(str),
    "updated_at": MayLack(str),
    "fulfillment_type": MayLack(str),
    "cost_with_tax": MayLack(int),
    "cost_without_tax": MayLack(int),
    OTHER_KEYS: object,
}
ORDER_STATUSES = {"open", "shipped", "cancelled", "returned", "mixed"}


def subscribe(client: httpx.Client, event: str, url: str) -> int:
    answer = client.post("/api/v1/webhooks/", json={"url": url, "event": event}, headers=NORDLICHT)
    assert answer.status_code == 201, answer.text
    identifier: int = answer.json()["id"]
    return identifier


def orders(client: httpx.Client, **params: Any) -> list[dict[str, Any]]:
    answer = client.get("/api/v1/orders/", params={"per_page": 100, **params}, headers=NORDLICHT)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["items"]
    return found


def submit(client: httpx.Client, kind: str, entry: dict[str, Any]) -> None:
    answer = client.post(f"/api/v1/orders/{kind}", json={"items": [entry]}, headers=NORDLICHT)
    assert answer.status_code == 200, answer.text


def ship(client: httpx.Client, items: list[int]) -> None:
    entry = {
        "order_items": items,
        "carrier_key": "DHL",
        "shipment_tracking_key": "TRK-1",
        "return_tracking_key": "RT-1",
    }
    submit(client, "ship", entry)


def check_unsigned_envelopes(hook: Hook, subscriptions: dict[str, int]) -> list[dict[str, Any]]:
    bodies = hook.bodies()
    for index, body in enumerate(bodies):
        assert not {k.lower() for k in hook.received[index].headers} & SIGNATURE_HEADERS
        assert hook.header(index, "Content-Type") == "application/json"
        assert_shape(body, ENVELOPE)
        assert body["subscription_id"] == subscriptions[body["event"]]
        if body["event"] == "order.updated":
            assert_shape(body["message"], ORDER)
            assert body["message"]["status"] in ORDER_STATUSES
        else:
            assert_shape(body["message"], SHIPMENT)
    assert len({b["id"] for b in bodies}) == len(bodies)
    # One subscription per event type, all to one receiver: they share its lane, so the messages arrive in the
    # order of the changes, across event types too.
    assert [int(b["id"]) for b in bodies] == sorted(int(b["id"]) for b in bodies)
    assert [b["timestamp"] for b in bodies] == sorted(b["timestamp"] for b in bodies)
    return bodies


def test_a_ship_then_a_return_batch_announce_the_items_and_the_order_in_order(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(lambda _: (200, b"")) as hook:
        subscriptions = {event: subscribe(client, event, hook.url) for event in EVENTS}
        order = orders(client, order_status="open")[0]
        items = [item["id"] for item in order["order_items"]]
        ship(client, items)
        advance(client, BATCH_SECONDS - 1)
        assert hook.received == []
        advance(client, 1)
        submit(client, "return", {"order_items": items, "return_tracking_key": "RT-9"})
        advance(client, BATCH_SECONDS)
        bodies = check_unsigned_envelopes(hook, subscriptions)
        assert [(b["event"], b["timestamp"]) for b in bodies] == [
            ("order_items.shipped", "2026-03-02T09:00:10Z"),
            ("order.updated", "2026-03-02T09:00:10Z"),
            ("order_items.returned", "2026-03-02T09:00:20Z"),
            ("order.updated", "2026-03-02T09:00:20Z"),
        ]
        shipped, shipped_order, returned, returned_order = (b["message"] for b in bodies)
        assert [(i["id"], i["status"]) for i in shipped["items"]] == [(i, "shipped") for i in items]
        assert (shipped["carrier_key"], shipped["tracking_key"]) == ("DHL", "TRK-1")
        assert [(i["id"], i["status"]) for i in returned["items"]] == [(i, "returned") for i in items]
        assert returned["return_tracking_key"] == "RT-9"
        assert (shipped_order["status"], returned_order["status"]) == ("shipped", "returned")
        assert returned_order == orders(client, order_number=order["order_number"])[0]


def test_a_cancel_batch_announces_the_cancelled_items(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(lambda _: (200, b"")) as hook:
        subscriptions = {event: subscribe(client, event, hook.url) for event in EVENTS}
        item = orders(client, order_status="open")[0]["order_items"][0]["id"]
        submit(client, "cancel", {"id": item})
        advance(client, BATCH_SECONDS)
        bodies = check_unsigned_envelopes(hook, subscriptions)
        cancelled, updated = bodies
        assert (cancelled["event"], updated["event"]) == ("order_items.cancelled", "order.updated")
        assert [(i["id"], i["status"]) for i in cancelled["message"]["items"]] == [(item, "cancelled")]


def test_a_failing_receiver_is_retried_hourly_for_two_days_then_the_delivery_fails(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(lambda _: (500, b"")) as hook:
        subscribe(client, "order_items.shipped", hook.url)
        ship(client, [orders(client, order_status="open")[0]["order_items"][0]["id"]])
        advance(client, BATCH_SECONDS + 48 * HOUR - 1)
        (delivery,) = deliveries(client, "aboutyou")
        assert (delivery["status"], len(hook.received)) == ("pending", 48)
        advance(client, 1)
        advance(client, 7 * 24 * HOUR)
        (delivery,) = deliveries(client, "aboutyou")
        assert (delivery["status"], delivery["due"]) == ("failed", None)
        assert [elapsed(a["at"]) for a in delivery["attempts"]] == [BATCH_SECONDS + n * HOUR for n in range(49)]
        assert {a["status"] for a in delivery["attempts"]} == {500}
        assert len(hook.received) == 49
        assert len({r.body for r in hook.received}) == 1  # the same message id on every attempt
