"""Zinc's webhooks: return events in Zinc's envelope, signed with the account's `zn_whsec_` secret.

Facts (specs/zinc.yaml `webhooks`, `x-returnkit-webhooks`; specs/facts/zinc.md): one POST per
event to the account's URL with `Content-Type: application/json`, `X-Webhook-Event: <event>`
and `X-Webhook-Signature`, the lowercase hex HMAC-SHA256 of the exact body keyed by the whole
secret. The envelope is `{event, order_id, return_id, status, timestamp, data}`; `data` is the
return as `GET /returns/{id}` shows it (x-returnkit-inferred: undocumented).
"""

from __future__ import annotations

import hashlib
import hmac
import random
import string
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from returnkit.core.outbox import Delivery, Subscription
from returnkit.core.world import derive_int
from returnkit.providers.body_hmac import body_signature_matches
from returnkit.providers.kit import Handshake, World
from returnkit.providers.zinc.records import PROVIDER

EVENT_OF_STATUS = {
    "open": "return.created",
    "approved": "return.approved",
    "denied": "return.denied",
    "credited": "return.credited",
}
EVENTS = tuple(EVENT_OF_STATUS.values())
SIGNATURE_HEADER = "X-Webhook-Signature"
EVENT_HEADER = "X-Webhook-Event"
SECRET_PREFIX = "zn_whsec_"  # noqa: S105 (a prefix, not a secret)
SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 24  # after the prefix, as the docs' placeholder shows


def envelope(event: str, view: Mapping[str, Any], timestamp: str) -> dict[str, Any]:
    """One return event as Zinc posts it, its fields in the documented example's order."""
    return {
        "event": event,
        "order_id": view["order_id"],
        "return_id": view["id"],
        "status": view["status"],
        "timestamp": timestamp,
        "data": dict(view),
    }


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


class ZincWebhooks:
    """Zinc's `WebhookKit`: every account's one endpoint receives every event, signed."""

    events: tuple[str, ...] = EVENTS
    signed: bool = True

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        return None

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        # x-returnkit-inferred: the 24 characters are letters and digits drawn from the seed.
        draw = random.Random(derive_int(world.seed, PROVIDER, "webhook-secret", number))  # noqa: S311
        return SECRET_PREFIX + "".join(draw.choice(SECRET_ALPHABET) for _ in range(SECRET_LENGTH))

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        headers = {"Content-Type": "application/json", EVENT_HEADER: delivery.event}
        if subscription.secret is not None:
            headers.update(self.sign(subscription.secret, delivery.body))
        return headers

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        return {SIGNATURE_HEADER: signature(secret, body)}

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        return body_signature_matches(headers, SIGNATURE_HEADER, secret, body, signature)

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        return None
