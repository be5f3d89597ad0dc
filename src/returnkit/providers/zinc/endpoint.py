"""Zinc's webhook endpoint API: `GET/PUT/DELETE /webhooks/endpoint`, one URL per account.

SDK text (zinc-node, zinc-python `webhooks`): both fields are null until the first PUT; the
first PUT creates the signing secret, a later one keeps it ("a URL move never invalidates
verification"), and DELETE keeps it too, so registering again resumes with the same secret.
The registered URL is an outbox subscription of the account (`source: api`) for every event.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returnkit.core import outbox
from returnkit.core.outbox import Subscription
from returnkit.providers.kit import ParameterError, Request, World
from returnkit.providers.wire import WireResponse
from returnkit.providers.zinc.records import ENDPOINTS, PROVIDER, WebhookEndpoint
from returnkit.providers.zinc.webhooks import ZincWebhooks

ALLOW_OPTION = "webhook_allow"  # World.options: hosts besides loopback that may receive webhooks


def get_endpoint(request: Request, world: World) -> WireResponse:
    return WireResponse(200, _shown(ENDPOINTS.get(world, request.owner)))


def put_endpoint(request: Request, world: World) -> WireResponse:
    url = request.payload["url"]
    refusal = outbox.target_refusal(url, world.options.get(ALLOW_OPTION, ()))
    if refusal is not None:
        raise ParameterError("url", refusal, url, location="body")
    known = ENDPOINTS.get(world, request.owner)
    subscription_id = (known["subscription"] if known else None) or outbox.next_subscription_id(world.store)
    draft = Subscription(subscription_id, PROVIDER, url, owner=request.owner, source="api")
    secret = known["secret"] if known else _new_secret(world, draft)
    outbox.subscribe(world.store, Subscription(subscription_id, PROVIDER, url, request.owner, None, secret, "api"))
    endpoint: WebhookEndpoint = {"url": url, "secret": secret, "subscription": subscription_id}
    return WireResponse(200, _shown(ENDPOINTS.put(world, request.owner, endpoint, owner=request.owner)))


def delete_endpoint(request: Request, world: World) -> WireResponse:
    known = ENDPOINTS.get(world, request.owner)
    if known is not None and known["subscription"] is not None:
        subscription = outbox.find_subscription(world.store, [PROVIDER], known["subscription"])
        if subscription is not None:
            outbox.unsubscribe(world.store, subscription)
        ENDPOINTS.put(world, request.owner, {**known, "url": None, "subscription": None}, owner=request.owner)
    # x-returnkit-inferred: 204 with no body (the SDKs' method returns void).
    return WireResponse(204, b"")


def _new_secret(world: World, draft: Subscription) -> str:
    secret = ZincWebhooks().new_secret(world, draft, world.store.next_number(f"{PROVIDER}.webhook-secret"))
    assert secret is not None
    return secret


def _shown(endpoint: Mapping[str, Any] | None) -> dict[str, Any]:
    if endpoint is None:
        return {"webhook_url": None, "webhook_secret": None}
    return {"webhook_url": endpoint["url"], "webhook_secret": endpoint["secret"]}
