"""Kibo OMS's return event notifications: fat JSON keyed by `eventTypeID`, unsigned as documented.

Facts (spec `webhooks`, research W§3): the notification system is set up by Kibo's staff (here:
the admin API); a notification carries `eventTypeID` (`return_created`, `return_accepted` ...),
`status`, `source` and the return's ids; no signature or authentication is documented. A
subscription may carry static `headers` (x-returnkit-inferred) for a receiver that wants one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from returnkit.core.outbox import Delivery, DeliveryContext, Event, PayloadBuilder, Subscription
from returnkit.providers.kibo_oms.records import PROVIDER, OmsReturn
from returnkit.providers.kit import Handshake, World
from returnkit.spec import load_provider

CREATED = "return_created"
ACCEPTED = "return_accepted"
REJECTED = "return_rejected"  # x-returnkit-inferred names, by analogy with the documented two
CLEARED = "return_cleared"
REOPENED = "return_reopened"
UNSIGNED = "Kibo OMS does not sign its notifications"


def events_of_change(before: str | None, record: Mapping[str, Any]) -> list[str]:
    """The notifications of a return moving from `before` (None: new) to its status, in their order.

    Processing accepts and clears in one step, so an accepted return gets both (x-returnkit-inferred).
    """
    if before is None:
        return [CREATED]
    if record["status"] == "OPEN":
        return [REOPENED]
    if any(item["status"] == "ACCEPTED" for item in record["item"]):
        return [ACCEPTED, CLEARED]
    return [REJECTED]


def announce(world: World, before: str | None, record: OmsReturn, at: datetime) -> None:
    """Emit the notifications of the change of `record` (from `before`), made at `at`."""
    owner, resource = str(record["owner"]), str(record["returnID"])
    for name in events_of_change(before, record):
        world.emit(Event(PROVIDER, name, owner, resource, at.timestamp(), _builder(name, record)))


def _builder(name: str, record: OmsReturn) -> PayloadBuilder:
    def build(_context: DeliveryContext) -> dict[str, Any]:  # called within `emit`: the return as it is now
        return {"eventTypeID": name, **notification_fields(record)}

    return build


def notification_fields(record: OmsReturn) -> dict[str, Any]:
    """The documented common fields, taken from the return as it is now."""
    return {
        "status": record["status"],
        "source": record["creationSource"],
        "orderID": record["orderID"],
        "shipmentID": record["shipmentID"],
        "externalOrderID": record["externalOrderID"],
        "returnID": record["returnID"],
        "manufacturerID": int(record["owner"]),
    }


class KiboOmsWebhooks:
    """The `WebhookKit` of Kibo OMS: unsigned."""

    signed = False

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(operation.path for operation in load_provider(PROVIDER).webhooks)

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        if subscription.secret is not None:
            return f"{UNSIGNED}: give no secret"
        manufacturers = [str(m["id"]) for m in world.mocks["manufacturers"]]
        if subscription.owner is not None and subscription.owner not in manufacturers:
            return f"owner is a Kibo OMS manufacturer id, one of {', '.join(manufacturers)}"
        headers = subscription.options.get("headers")
        if headers is not None and not _string_map(headers):
            return "headers are sent with every notification: give an object of string values"
        return None

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        return None

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        static = subscription.options.get("headers") or {}
        return {**{str(k): str(v) for k, v in static.items()}, "Content-Type": "application/json"}

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        return {}

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        if secret is not None:
            raise ValueError(UNSIGNED)
        return True

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        return None


def _string_map(value: Any) -> bool:
    return isinstance(value, Mapping) and all(isinstance(v, str) for v in value.values())
