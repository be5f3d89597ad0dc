"""Kibo Commerce's event notifications: thin `return.*` events signed over the `Date` header.

Facts (spec `webhooks`, research W§2): the body is `{eventId, topic, entityId, timestamp,
correlationId, isTest}`; the client fetches the return with `entityId`. `x-vol-hmac-sha256` is
base64(SHA-256(k + Date + body)) with k = base64(SHA-256(secret + secret)) as text, the secret
being the subscribing application's shared secret; Kibo's SDKs refuse a `Date` more than 180 s
old. A subscription belongs to one tenant's application, so it needs the tenant as `owner`; with
the option `no_callback` (Kibo's `noCallback`, x-returnkit-inferred default false) the changes that
application's own API calls make are not delivered to it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from datetime import UTC, datetime
from email.utils import format_datetime, parsedate_to_datetime
from functools import cache
from typing import Any

import orjson

from returnkit.core.outbox import Delivery, DeliveryContext, Event, Subscription
from returnkit.core.world import derive_uuid, read_mock
from returnkit.providers.kibo_commerce.records import PROVIDER, TOKENS
from returnkit.providers.kit import Handshake, World
from returnkit.spec import load_provider

SIGNATURE = "x-vol-hmac-sha256"
# The topic of each status a return reaches; any other change is `return.updated` (x-returnkit-inferred).
TOPIC_OF_STATUS = {
    "Authorized": "return.authorized",
    "Cancelled": "return.cancelled",
    "Rejected": "return.rejected",
    "Closed": "return.closed",
}
OPENED = "return.opened"
UPDATED = "return.updated"
# x-returnkit-inferred: values of the headers a consumer captured (W§2.3); the values were not captured.
CONTEXT_HEADERS = {"x-vol-master-catalog": "1", "x-vol-catalog": "1", "x-vol-locale": "en-US", "x-vol-currency": "USD"}


def topic_of(status: str) -> str:
    return TOPIC_OF_STATUS.get(status, UPDATED)


def announce(world: World, record: Mapping[str, Any], topic: str, at: datetime) -> None:
    """Emit `topic` for the return `record`, changed at `at`."""
    return_id = str(record["id"])
    timestamp = dotnet_time(at)

    def build(context: DeliveryContext) -> dict[str, Any] | None:
        if context.subscription.options.get("no_callback") and _caused_by(world, context.subscription):
            return None
        return {
            "eventId": context.event_id,
            "topic": topic,
            "entityId": return_id,
            "timestamp": timestamp,
            "correlationId": correlation_id(world, context),
            "isTest": False,
        }

    world.emit(Event(PROVIDER, topic, str(record["owner"]), return_id, at.timestamp(), build))


def _caused_by(world: World, subscription: Subscription) -> bool:
    """Whether the change came from an API call of the subscription's own application (Kibo's `noCallback`)."""
    cause, application = world.cause, application_of(world, subscription)
    if cause is None or cause.principal is None or application is None:
        return False
    token = TOKENS.get(world, cause.principal.key)
    return token is not None and token.get("application") == application["client_id"]


def dotnet_time(moment: datetime) -> str:
    """.NET's round-trip form, 7 fractional digits (x-returnkit-inferred): `2026-03-02T09:00:00.0000000Z`."""
    utc = moment.astimezone(UTC)
    return f"{utc:%Y-%m-%dT%H:%M:%S}.{utc.microsecond:06d}0Z"


def correlation_id(world: World, context: DeliveryContext) -> str:
    """The causing request's `x-vol-correlation` (as the response echoed it), else one from the seed."""
    cause = world.cause
    if cause is None:
        return derive_uuid(world.seed, PROVIDER, "event-correlation", context.event_number).replace("-", "")
    sent = cause.headers.get("x-vol-correlation")
    return sent or derive_uuid(world.seed, PROVIDER, "correlation", cause.journal_id).replace("-", "")


def date_header(moment: datetime) -> str:
    """RFC 1123 in GMT, as the `Date` header is written and signed: `Wed, 17 Sep 2014 03:07:13 GMT`."""
    return format_datetime(moment.astimezone(UTC).replace(microsecond=0), usegmt=True)


def signature(secret: str, date: str, body: bytes) -> str:
    key = base64.b64encode(hashlib.sha256((secret + secret).encode()).digest())
    return base64.b64encode(hashlib.sha256(key + date.encode() + body).digest()).decode()


@cache
def _tenants() -> dict[str, Mapping[str, Any]]:
    return {str(tenant["id"]): tenant for tenant in read_mock(PROVIDER)["tenants"]}


class KiboCommerceWebhooks:
    """The `WebhookKit` of Kibo Commerce."""

    signed = True

    @property
    def events(self) -> tuple[str, ...]:
        return tuple(operation.path for operation in load_provider(PROVIDER).webhooks)

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        tenants = [str(tenant["id"]) for tenant in world.mocks["tenants"]]
        if subscription.owner is None or subscription.owner not in tenants:
            return (
                "a Kibo Commerce event subscription belongs to one tenant's application:"
                f" give owner (the tenant id, one of {', '.join(tenants)})"
            )
        application = application_of(world, subscription)
        if application is None:
            known = ", ".join(app["client_id"] for app in _tenant(world, subscription.owner)["applications"])
            wanted = subscription.options.get("application")
            return f"tenant {subscription.owner} has no application {wanted!r}; known: {known}"
        if not isinstance(subscription.options.get("no_callback", False), bool):
            return "no_callback is true or false (Kibo's noCallback)"
        if subscription.secret is not None and subscription.secret != application["client_secret"]:
            return "a Kibo subscription is signed with its application's shared secret: give no secret, or that one"
        return None

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        application = application_of(world, subscription)
        return None if application is None else str(application["client_secret"])

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        tenant = _tenants().get(delivery.owner, {})
        correlation = orjson.loads(delivery.body).get("correlationId", "")
        headers = {"Content-Type": "application/json"}
        if subscription.secret is not None:
            headers.update(self.sign(subscription.secret, delivery.body, sent_at))
        headers.update({"x-vol-tenant": delivery.owner, "x-vol-correlation": correlation, **CONTEXT_HEADERS})
        if "site" in tenant:
            headers["x-vol-site"] = str(tenant["site"])
        headers["x-vol-tenant-domain"] = f"t{delivery.owner}.sandbox.mozu.com"
        return headers

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        date = date_header(at or datetime.now(UTC))
        return {"Date": date, SIGNATURE: signature(secret, date, body)}

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        lowered = {name.lower(): value for name, value in headers.items()}
        date, sent = lowered.get("date"), lowered.get(SIGNATURE)
        if secret is None or not date or not sent:
            return False
        try:
            dated = parsedate_to_datetime(date)
        except (TypeError, ValueError):
            return False
        if dated.tzinfo is None or (now - dated).total_seconds() > tolerance:
            return False  # the SDKs check only that the Date is not too old
        return hmac.compare_digest(sent, signature(secret, date, body))

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        return None


def _tenant(world: World, owner: str) -> Mapping[str, Any]:
    return next((tenant for tenant in world.mocks["tenants"] if str(tenant["id"]) == owner), {"applications": []})


def application_of(world: World, subscription: Subscription) -> Mapping[str, Any] | None:
    """The subscription's application (`options.application`, a client id; the tenant's first by default)."""
    if subscription.owner is None:
        return None
    applications = _tenant(world, subscription.owner)["applications"]
    wanted = subscription.options.get("application")
    if wanted is None:
        return applications[0] if applications else None
    return next((app for app in applications if app["client_id"] == wanted), None)
