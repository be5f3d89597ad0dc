"""ABOUT YOU's webhook subscription endpoints.

`GET /api/v1/webhooks/types` is documented. The subscribe, list and unsubscribe endpoints exist
("helper endpoints that allow you to subscribe to and unsubscribe from webhooks") but their
shape was not captured: x-returnkit-inferred (research W§4.2), `POST /api/v1/webhooks/` with
`{url, event}` answers 201 `{id, url, event}`, `GET /api/v1/webhooks/` lists them and
`DELETE /api/v1/webhooks/{id}` answers 204. One event type per subscription, integer ids.
"""

from __future__ import annotations

from typing import Any

from returnkit.core import outbox
from returnkit.core.outbox import Subscription
from returnkit.providers.aboutyou.records import PROVIDER
from returnkit.providers.aboutyou.webhooks import DESCRIPTIONS, EVENTS, subscription_number
from returnkit.providers.kit import ParameterError, Refusal, Request, World
from returnkit.providers.wire import WireResponse

ALLOW_OPTION = "webhook_allow"  # World.options: hosts besides loopback that may receive webhooks


def list_types(request: Request, world: World) -> WireResponse:
    return WireResponse(200, [{"event": event, "description": DESCRIPTIONS[event]} for event in EVENTS])


def subscribe(request: Request, world: World) -> WireResponse:
    url, event = request.payload["url"], request.payload["event"]
    if event not in EVENTS:
        raise Refusal(400, "unknown_event", f"Unknown event type {event!r}; GET /api/v1/webhooks/types lists them")
    refusal = outbox.target_refusal(url, world.options.get(ALLOW_OPTION, ()))
    if refusal is not None:
        raise Refusal(400, "url_not_allowed", refusal)
    draft = Subscription(outbox.next_subscription_id(world.store), PROVIDER, url, request.owner, (event,), None, "api")
    return WireResponse(201, _shown(outbox.subscribe(world.store, draft)))


def list_subscriptions(request: Request, world: World) -> WireResponse:
    return WireResponse(200, [_shown(sub) for sub in _owned(world, request.owner)])


def unsubscribe(request: Request, world: World) -> WireResponse:
    raw = request.path_params.get("subscription_id", "")
    if not raw.isdigit() or int(raw) < 1:
        raise ParameterError("subscription_id", "Input should be a valid integer", raw, location="path")
    found = next((sub for sub in _owned(world, request.owner) if subscription_number(sub) == int(raw)), None)
    if found is None:
        raise Refusal(404, "not_found", f"Webhook subscription {raw} not found")
    outbox.unsubscribe(world.store, found)
    return WireResponse(204, b"")


def _owned(world: World, owner: str) -> list[Subscription]:
    """The merchant's own subscriptions made through this API (the admin API's are returnkit's)."""
    return [sub for sub in outbox.subscriptions(world.store, PROVIDER) if sub.owner == owner and sub.source == "api"]


def _shown(subscription: Subscription) -> dict[str, Any]:
    (event,) = subscription.events or ("",)
    return {"id": subscription_number(subscription), "url": subscription.url, "event": event}
