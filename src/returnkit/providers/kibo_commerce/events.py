"""Kibo's read-only Event Subscription API (K-EV, research W§2.2) over the mock's webhook state.

A tenant's token sees the subscriptions whose owner is that tenant, as Kibo's `EventSubscription`,
and each of their deliveries (one outbox row: one event for one subscription) as an
`EventDeliverySummary` with its attempts. K-EV publishes the shapes, not how Kibo fills them:
every mapping below is marked `x-returnkit-inferred` in the spec.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from http import HTTPStatus
from typing import Any

import orjson

from returnkit.core import outbox
from returnkit.core.clock import iso
from returnkit.core.outbox import Attempt, Delivery, RetryPolicy, Subscription
from returnkit.providers.kibo_commerce import listing
from returnkit.providers.kibo_commerce.errors import not_found
from returnkit.providers.kibo_commerce.records import PROVIDER
from returnkit.providers.kibo_commerce.webhooks import CONTEXT_HEADERS, KiboCommerceWebhooks, application_of
from returnkit.providers.kit import Handler, ParameterError, Request, World
from returnkit.providers.wire import WireResponse
from returnkit.spec import load_provider

NOT_NULL = ("lastExecutionDate", "nextExecutionDate")  # date-times K-EV does not declare nullable
SITES_GROUP = "subscribingsites"  # responseGroups=SubscribingSites, read case-insensitively
DELIVERY_STATUS = {
    "pending": "Pending",
    "delivered": "Success",
    "failed": "Failed",
    "dropped": "Dropped",
    "cancelled": "Cancelled",
}


def _reader(name: str) -> Callable[[dict[str, Any]], Any]:
    return lambda record: record.get(name)  # a property left out (lastExecutionDate) reads as None


SUBSCRIPTION_FIELDS: listing.Fields = {
    name: _reader(name) for name in ("id", "appId", "apiVersion", "endpoint", "notificationDeliveryType", "contentType")
}
SUMMARY_FIELDS: listing.Fields = {
    name: _reader(name)
    for name in (
        "id",
        "deliveryStatus",
        "retriesRemaining",
        "createDate",
        "updateDate",
        "lastExecutionDate",
        "nextExecutionDate",
    )
}


def get_subscriptions(request: Request, world: World) -> WireResponse:
    paging = listing.Paging.of(request, world)
    groups = {group.strip().lower() for group in (request.param("responseGroups") or "").split(",")}
    records = [
        subscription_view(world, sub, SITES_GROUP in groups) for sub in tenant_subscriptions(world, request.owner)
    ]
    found = listing.filtered(records, request.param("filter"), SUBSCRIPTION_FIELDS)
    return WireResponse(200, paging.page(listing.sorted_by(found, request.param("sortBy"), SUBSCRIPTION_FIELDS)))


def get_all_summaries(request: Request, world: World) -> WireResponse:
    subscriptions = tenant_subscriptions(world, request.owner)
    found = [delivery for sub in subscriptions for delivery in world.store.deliveries(subscription=sub.id)]
    return _summaries(request, world, sorted(found, key=lambda delivery: delivery.id))


def get_subscription_summaries(request: Request, world: World) -> WireResponse:
    subscription = owned_subscription(world, request.owner, request.path_params["subscriptionId"])
    return _summaries(request, world, world.store.deliveries(subscription=subscription.id))


def get_summary(request: Request, world: World) -> WireResponse:
    subscription = owned_subscription(world, request.owner, request.path_params["subscriptionId"])
    process_id = _int32(request.path_params["processId"], "processId")
    found = [d for d in world.store.deliveries(subscription=subscription.id) if d.id == process_id]
    if not found:
        raise not_found("deliveryAttemptSummary", str(process_id))
    return WireResponse(200, summary_view(world, found[0]))


def _int32(raw: str, name: str) -> int:
    """A path parameter K-EV types as int32; any other value is the caller's 400."""
    try:
        value = int(raw)
    except ValueError:
        value = None
    if value is None or not -(2**31) <= value < 2**31:
        raise ParameterError(name, f"{raw!r} is not a 32-bit integer", raw, location="path")
    return value


def _summaries(request: Request, world: World, deliveries: list[Delivery]) -> WireResponse:
    paging = listing.Paging.of(request, world)
    records = [summary_view(world, delivery) for delivery in deliveries]
    found = listing.filtered(records, request.param("filter"), SUMMARY_FIELDS)
    return WireResponse(200, paging.page(listing.sorted_by(found, request.param("sortBy"), SUMMARY_FIELDS)))


def tenant_subscriptions(world: World, tenant: str) -> list[Subscription]:
    """The tenant's own subscriptions, oldest first: a Kibo subscription always has its tenant as owner."""
    return [sub for sub in outbox.subscriptions(world.store, PROVIDER) if sub.owner == tenant]


def owned_subscription(world: World, tenant: str, subscription_id: str) -> Subscription:
    found = [sub for sub in tenant_subscriptions(world, tenant) if sub.id == subscription_id]
    if not found:
        raise not_found("subscription", subscription_id)
    return found[0]


def subscription_view(world: World, subscription: Subscription, with_sites: bool) -> dict[str, Any]:
    application = application_of(world, subscription)
    tenant: dict[str, Any] = {
        "subscribingContextLevelType": "Tenant",
        "tenantId": int(str(subscription.owner)),
        "isActive": True,
    }
    if with_sites:
        tenant["subscribingSites"] = []  # a tenant-level subscription hears every site; it names none
    return {
        "id": subscription.id,
        "appId": None if application is None else str(application["client_id"]),
        "apiVersion": None,
        "topics": list(subscription.events if subscription.events is not None else KiboCommerceWebhooks().events),
        "subscribingTenants": [tenant],
        "notificationDeliveryType": "Http",
        "contentType": "application/json",
        "endpoint": subscription.url,
        "confirmed": True,
        "isActive": True,
        "noCallback": bool(subscription.options.get("no_callback", False)),
        "createDate": None,
        "updateDate": None,
        "createBy": None,
        "updateBy": None,
    }


def summary_view(world: World, delivery: Delivery) -> dict[str, Any]:
    attempts = world.store.attempts(delivery.id)
    created = _iso(delivery.occurred)
    last = _iso(attempts[-1].at) if attempts else None
    pending = delivery.status == "pending"
    view: dict[str, Any] = {
        "id": delivery.id,
        "deliveryStatus": DELIVERY_STATUS[delivery.status],
        "eventSummary": event_summary(world, delivery, created),
        "isRunning": False,  # the mock never sends while it answers a request
        "lastExecutionDate": last,
        "nextExecutionDate": _iso(delivery.due) if pending and delivery.due is not None else None,
        "retriesRemaining": max(0, scheduled_attempts() - delivery.tries) if pending else 0,
        "createDate": created,
        "updateDate": last or created,
        "deliveryAttempts": [attempt_view(attempt) for attempt in attempts],
    }
    # K-EV does not let the two execution dates be null: before the first attempt, or once settled, they are left out.
    return {key: value for key, value in view.items() if value is not None or key not in NOT_NULL}


def event_summary(world: World, delivery: Delivery, created: str) -> dict[str, Any]:
    sent: Mapping[str, Any] = orjson.loads(delivery.body)
    return {
        "eventId": delivery.event_id.replace("-", ""),  # K-EV: the Guid written with ToString("N")
        "tenantId": int(delivery.owner),
        "masterCatalogId": int(CONTEXT_HEADERS["x-vol-master-catalog"]),
        "catalogId": int(CONTEXT_HEADERS["x-vol-catalog"]),
        "siteId": _site(world, delivery.owner),
        "entityId": delivery.resource,
        "topic": delivery.event,
        "extendedProperties": [],  # return topics carry none (K-WH)
        "correlationId": sent.get("correlationId"),
        "createDate": created,
    }


def attempt_view(attempt: Attempt) -> dict[str, Any]:
    succeeded = retry_policy().succeeded(attempt.status)
    view: dict[str, Any] = {"deliveryStatus": "Success" if succeeded else "Failed"}
    view["errorType"] = None if succeeded else ("NoResponse" if attempt.status is None else "HttpStatus")
    if attempt.status is not None:
        view["httpStatus"] = {"code": attempt.status, "name": _phrase(attempt.status)}
    view["message"] = attempt.error if attempt.status is None else _phrase(attempt.status)
    view["executionDate"] = _iso(attempt.at)
    return view


@cache
def retry_policy() -> RetryPolicy:
    policy = RetryPolicy.from_spec(load_provider(PROVIDER).document)
    assert policy is not None, "kibo-commerce.yaml declares x-returnkit-webhooks"
    return policy


@cache
def scheduled_attempts() -> int:
    """How many scheduled attempts a delivery gets when every one fails (Kibo: one a minute for 14 days)."""
    return len(retry_policy().schedule(0.0))


def _site(world: World, tenant: str) -> int | None:
    found = [t.get("site") for t in world.mocks["tenants"] if str(t["id"]) == tenant]
    return int(found[0]) if found and found[0] is not None else None


def _phrase(status: int) -> str | None:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return None


def _iso(timestamp: float) -> str:
    return iso(datetime.fromtimestamp(timestamp, UTC))


HANDLERS: Mapping[str, Handler] = {
    "getSubscriptions": get_subscriptions,
    "getDeliveryAttemptSummaries": get_all_summaries,
    "getSubscriptionDeliveryAttemptSummaries": get_subscription_summaries,
    "getDeliveryAttemptSummary": get_summary,
}
