"""Rye's webhooks (GraphQL generation): return events in Rye's envelope, HMAC-signed in base64.

Facts (specs/rye.yaml `webhooks`, `x-returnkit-webhooks`; specs/facts/rye.md): one URL per
developer, saved only after it echoes the `challenge` of a signed `WEBHOOK_URL_VERIFICATION`;
every POST carries `Rye-Hmac-Signature-V1` (base64 HMAC-SHA256 of the exact body keyed by the
developer's secret) and `Rye-Verification` (the developer id). The envelope is
`{id, requestId, developerId, createdAt, type, data}`; a return event's `data` is the
`OrderReturn` as `orderByID { returns }` shows it (x-returnkit-inferred: only `shippingLabelUrl`
on `RETURN_APPROVED` is documented).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from returnkit.core.jsonbytes import dumps
from returnkit.core.outbox import Delivery, Subscription
from returnkit.core.world import derive_int, derive_uuid
from returnkit.providers.body_hmac import body_signature_matches
from returnkit.providers.kit import Handshake, World
from returnkit.providers.rye.records import PROVIDER

RETURN_EVENTS = ("RETURN_REQUESTED", "RETURN_APPROVED", "RETURN_CLOSED", "RETURN_DENIED")
VERIFICATION = "WEBHOOK_URL_VERIFICATION"
SIGNATURE_HEADER = "Rye-Hmac-Signature-V1"
DEVELOPER_HEADER = "Rye-Verification"
CHALLENGE_HEX_DIGITS = 96  # as the documented verification example's challenge
SECRET_HEX_DIGITS = 64  # x-returnkit-inferred: the format is undocumented


def seeded_hex(seed: int, digits: int, *parts: object) -> str:
    """`digits` hex digits fixed by the seed, each 16 of them from a 64-bit value of their own."""
    return "".join(f"{derive_int(seed, PROVIDER, *parts, chunk):016x}" for chunk in range(digits // 16))


def created_at(at: float) -> str:
    """ISO 8601 in UTC with milliseconds and a Z, as Rye's examples write `createdAt`."""
    moment = datetime.fromtimestamp(at, UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def envelope(event_id: str, event: str, record: Mapping[str, Any], at: float, data: Any) -> dict[str, Any]:
    """One return event as Rye posts it: `requestId` the Rye order, `developerId` the return's owner."""
    return {
        "id": event_id,
        "requestId": record["orderId"],
        "developerId": record["owner"],
        "createdAt": created_at(at),
        "type": event,
        "data": data,
    }


def without_typenames(view: Mapping[str, Any]) -> dict[str, Any]:
    """The return as JSON, not GraphQL: `__typename` is what a query asks for, not part of the object."""
    lines = [{k: v for k, v in line.items() if k != "__typename"} for line in view["lineItems"]]
    return {**{k: v for k, v in view.items() if k != "__typename"}, "lineItems": lines}


def signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


class RyeWebhooks:
    """Rye's `WebhookKit`: one signed URL per developer, verified by a challenge before it receives events."""

    events: tuple[str, ...] = (*RETURN_EVENTS, VERIFICATION)
    signed: bool = True

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        return None

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        return seeded_hex(world.seed, SECRET_HEX_DIGITS, "webhook-secret", number)

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        return self._headers(subscription.secret, delivery.body, delivery.owner)

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        return {SIGNATURE_HEADER: signature(secret, body)}

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        return body_signature_matches(headers, SIGNATURE_HEADER, secret, body, signature)

    def handshake(self, world: World, subscription: Subscription) -> Handshake:
        """The signed `WEBHOOK_URL_VERIFICATION`; the URL is refused unless a 2xx echoes its challenge."""
        developer = subscription.owner or world.mocks["developers"][0]["id"]
        challenge = seeded_hex(world.seed, CHALLENGE_HEX_DIGITS, "challenge", subscription.id)
        event_id = derive_uuid(world.seed, PROVIDER, "verification", subscription.id)
        body = {
            "id": event_id,
            "developerId": developer,
            "createdAt": created_at(world.now()),
            "type": VERIFICATION,
            "data": {"challenge": challenge},
        }
        raw = dumps(body)
        return Handshake(raw, self._headers(subscription.secret, raw, developer), _challenge_check(challenge))

    def _headers(self, secret: str | None, body: bytes, developer: str) -> dict[str, str]:
        headers = {"Content-Type": "application/json", DEVELOPER_HEADER: developer}
        if secret is not None:
            headers.update(self.sign(secret, body))
        return headers


def _challenge_check(challenge: str) -> Callable[[int, bytes], str | None]:
    def refusal(status: int, body: bytes) -> str | None:
        try:
            echoed = json.loads(body).get("challenge") if 200 <= status < 300 else None
        except (ValueError, AttributeError):
            echoed = None
        if echoed == challenge:
            return None
        shown = body[:200].decode("utf-8", errors="replace")
        return (
            f"the URL answered {status} with {shown!r}; Rye saves a webhook URL only when its answer"
            f' is a 2xx whose JSON body echoes the challenge: {{"challenge": "{challenge}"}}'
        )

    return refusal
