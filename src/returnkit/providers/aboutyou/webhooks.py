"""ABOUT YOU's webhooks: order item and order events, unsigned, in ABOUT YOU's message envelope.

Facts (specs/aboutyou.yaml `webhooks`, `x-returnkit-webhooks`; specs/facts/aboutyou.md): each
subscription is for one event type and has an integer id; a delivery is a POST of
`{id, event, timestamp, subscription_id, message}`, where `message` is a shipment
(`GetShipmentSchema`) for `order_items.*` and the order as `GET /orders` shows it for
`order.updated`. No signature, secret or auth header is documented, so none is sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.outbox import Delivery, DeliveryContext, Subscription
from returnkit.providers.aboutyou.records import Order
from returnkit.providers.kit import Handshake, World

ITEM_EVENTS = {"ship": "order_items.shipped", "cancel": "order_items.cancelled", "return": "order_items.returned"}
ORDER_UPDATED = "order.updated"
DESCRIPTIONS = {
    "order_items.shipped": "Order items were shipped.",
    "order_items.cancelled": "Order items were cancelled.",
    "order_items.returned": "Order items were returned.",
    ORDER_UPDATED: "An order's status changed. The recommended webhook for tracking order status changes.",
}
EVENTS = tuple(DESCRIPTIONS)
SHIPMENT_ITEM_FIELDS = (
    "id",
    "sku",
    "status",
    "vat",
    "price_with_tax",
    "price_without_tax",
    "shipment_tracking_key",
    "return_tracking_key",
)
UNSIGNED = "ABOUT YOU does not sign its webhooks"


def subscription_number(subscription: Subscription) -> int:
    """ABOUT YOU's integer subscription id: the number of returnkit's `wh_<n>`."""
    return int(subscription.id.removeprefix("wh_"))


def envelope(context: DeliveryContext, event: str, at: float, message: Mapping[str, Any]) -> dict[str, Any]:
    """One message; its `id` is this delivery's (one per event and subscription, the same on every retry)."""
    return {
        "id": context.number,
        "event": event,
        "timestamp": iso(datetime.fromtimestamp(at, UTC)),
        "subscription_id": subscription_number(context.subscription),
        "message": dict(message),
    }


def shipment(order: Order, item_ids: list[int]) -> dict[str, Any]:
    """The items of one order an entry moved, as a shipment (`GetShipmentSchema`)."""
    moved = [item for item in order["order_items"] if item["id"] in item_ids]
    message: dict[str, Any] = {
        "items": [{field: item[field] for field in SHIPMENT_ITEM_FIELDS} for item in moved],  # type: ignore[literal-required]
        "carrier_key": order["carrier_key"],
    }
    tracking = next((item["shipment_tracking_key"] for item in moved if item["shipment_tracking_key"]), None)
    returned = next((item["return_tracking_key"] for item in moved if item["return_tracking_key"]), None)
    if tracking is not None:
        message["tracking_key"] = tracking
    if returned is not None:
        message["return_tracking_key"] = returned
    return message


class AboutYouWebhooks:
    """ABOUT YOU's `WebhookKit`: one event type per subscription, nothing signed."""

    events: tuple[str, ...] = EVENTS
    signed: bool = False

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        if subscription.secret is not None:
            return f"{UNSIGNED}: a subscription has no secret"
        return None

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        return None

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        return {"Content-Type": "application/json"}

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        return {}

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        """True when no secret is given (there is nothing to check); a secret is a mistake worth saying."""
        if secret is not None:
            raise ValueError(f"{UNSIGNED}: there is no secret to verify with")
        return True

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        return None
