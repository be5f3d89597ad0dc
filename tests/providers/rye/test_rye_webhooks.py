"""Rye's webhooks: each documented return step emitted into the outbox, signed as Rye documents,
and the URL verification handshake a subscription must pass.

Rye has no subscription API (a developer's URL is set in the Console) and the admin API that
stands for it comes with the sender (WP4), so these tests subscribe through `core.outbox` and
read what was enqueued from the store; returns are requested and the clock advanced over HTTP.
Signatures are checked with the recipe written here from the research (W§5.4).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from returnkit.core import outbox
from returnkit.core.outbox import Delivery, RetryPolicy, Subscription
from returnkit.providers.rye.webhooks import RyeWebhooks
from returnkit.server.app import server_state
from returnkit.server.state import ServerState
from returnkit.spec import parse_yaml, read_bundled
from returnkit.validation import Catalog
from tests.http import CheckedClient, TestClient
from tests.providers.rye.test_rye import COBALT, LUMEN, advance, an_order, return_all

HOUR, WEEK = 3600, 7 * 24 * 3600
START = 1_772_442_000  # mocks/server.yaml: 2026-03-02T09:00:00Z
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)
SECRET = "0f" * 32


@pytest.fixture
def rye(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "rye", LUMEN)


@pytest.fixture
def state(app: Any) -> ServerState:
    return server_state(app)


def subscribe(state: ServerState, owner: str | None = "lumen-labs") -> Subscription:
    subscription = Subscription("wh_1", "rye", "http://127.0.0.1:9921/rye", owner=owner, secret=SECRET)
    with state.store.transaction():
        return outbox.subscribe(state.store, subscription)


def deliveries(state: ServerState, **filters: Any) -> list[Delivery]:
    return state.store.deliveries(provider="rye", **filters)


def rye_signature(secret: str, body: bytes) -> str:
    """W§5.4: base64 (padded) of the HMAC-SHA256 of the exact body, keyed by the UTF-8 secret."""
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode()


def test_a_return_emits_requested_approved_and_closed_in_order_at_the_time_of_each_step(
    http: TestClient, rye: CheckedClient, state: ServerState, catalog: Catalog
) -> None:
    subscribe(state)
    order = an_order(http, "SHOPIFY")
    (requested,) = [return_all(rye, order)["result"]]
    advance(http, HOUR)
    advance(http, WEEK)
    sent = deliveries(state)
    assert [d.event for d in sent] == ["RETURN_REQUESTED", "RETURN_APPROVED", "RETURN_CLOSED"]
    assert [d.occurred for d in sent] == [START, START + HOUR, START + WEEK]
    assert {d.resource for d in sent} == {requested["returnId"]}
    bodies = [json.loads(d.body) for d in sent]
    assert [b["createdAt"] for b in bodies] == [
        "2026-03-02T09:00:00.000Z",
        "2026-03-02T10:00:00.000Z",
        "2026-03-09T09:00:00.000Z",
    ]
    for delivery, body in zip(sent, bodies, strict=True):
        assert list(body) == ["id", "requestId", "developerId", "createdAt", "type", "data"]
        assert (body["type"], body["requestId"], body["developerId"]) == (delivery.event, order["id"], "lumen-labs")
        assert body["id"] == delivery.event_id
        assert body["data"]["id"] == requested["returnId"]
        assert {line["status"] for line in body["data"]["lineItems"]} == {delivery.event}
        assert "__typename" not in json.dumps(body)
        assert catalog.validate("rye", f"webhook:{delivery.event}", body).valid
    assert bodies[0]["data"]["shippingLabelUrl"] is None
    assert bodies[1]["data"]["shippingLabelUrl"].startswith("http://127.0.0.1:8000/")


def test_an_amazon_return_emits_one_event_per_amazon_order(
    http: TestClient, rye: CheckedClient, state: ServerState
) -> None:
    subscribe(state)
    orders = return_all(rye, an_order(http, "AMAZON"))["result"]["orders"]
    sent = deliveries(state, event="RETURN_REQUESTED")
    assert sorted(d.resource for d in sent) == sorted(o["returnId"] for o in orders)
    assert len({d.event_id for d in sent}) == len(sent)


def test_the_accepted_step_emits_no_webhook(http: TestClient, rye: CheckedClient, state: ServerState) -> None:
    subscribe(state)
    return_all(rye, an_order(http, "SHOPIFY"))
    advance(http, 120)
    assert [d.event for d in deliveries(state)] == ["RETURN_REQUESTED"]


def test_a_deny_fault_ends_the_return_denied_with_its_webhook(
    http: TestClient, rye: CheckedClient, admin: CheckedClient, state: ServerState, catalog: Catalog
) -> None:
    subscribe(state)
    # On the provider: the request stage matches a fault's operation against the HTTP operation
    # (graphqlQuery), so `operation: returnOrder` would never fire; returnOrder is the next request.
    fault = {"provider": "rye", "kind": "deny", "times": 1}
    assert admin.post("/__admin/faults", json=fault).status_code == 201
    order = an_order(http, "SHOPIFY")
    return_all(rye, order)
    advance(http, WEEK)
    sent = deliveries(state)
    assert [d.event for d in sent] == ["RETURN_REQUESTED", "RETURN_DENIED"]
    assert sent[1].occurred == START + HOUR
    denied = json.loads(sent[1].body)
    assert denied["data"]["shippingLabelUrl"] is None
    assert catalog.validate("rye", "webhook:RETURN_DENIED", denied).valid
    query = "query($id: ID!) { orderByID(id: $id) { status events { __typename } } }"
    shown = rye.post("/v1/query", json={"query": query, "variables": {"id": order["id"]}}).json()["data"]["orderByID"]
    assert shown["status"] == "RETURN_DENIED"
    assert "ReturnApprovedOrderEvent" not in {e["__typename"] for e in shown["events"]}
    again = return_all(rye, order)
    assert again["error"] is None, "a denied return leaves its lines returnable"


def test_a_refused_request_emits_nothing(http: TestClient, rye: CheckedClient, state: ServerState) -> None:
    subscribe(state)
    refused = return_all(rye, an_order(http, "AMAZON", delivered=False))
    assert refused["error"]["code"] == "ORDER_SHIPPING_IN_PROGRESS"
    assert deliveries(state) == []


def test_another_developers_returns_do_not_reach_a_developers_url(
    http: TestClient, rye: CheckedClient, state: ServerState
) -> None:
    subscribe(state)
    return_all(rye.as_(COBALT), an_order(http, "SHOPIFY", developer=1))
    assert deliveries(state) == []


def test_each_delivery_is_signed_and_names_its_developer_as_documented(
    http: TestClient, rye: CheckedClient, state: ServerState
) -> None:
    subscription = subscribe(state, owner=None)
    return_all(rye.as_(COBALT), an_order(http, "SHOPIFY", developer=1))
    (delivery,) = deliveries(state)
    headers = RyeWebhooks().headers(subscription, delivery, NOW)
    assert headers == {
        "Content-Type": "application/json",
        "Rye-Verification": "cobalt-commerce",
        "Rye-Hmac-Signature-V1": rye_signature(SECRET, delivery.body),
    }


def test_the_signature_matches_the_research_vector() -> None:
    body = (
        b'{"id":"e56b5b2b-40d4-491f-bab2-ecb96bc911a7","developerId":"mBdwaN3QWmmvZsNYuWPdLnzIbaDM",'
        b'"createdAt":"2024-07-22T14:30:04.367Z","type":"WEBHOOK_URL_VERIFICATION","data":{"challenge":"abc"}}'
    )
    expected = "uvALWYLJUAvVRVMVDl4LVetzQRJP+QCdINAgwGNACDQ="
    assert rye_signature("test_hmac_secret", body) == expected
    kit = RyeWebhooks()
    assert kit.sign("test_hmac_secret", body) == {"Rye-Hmac-Signature-V1": expected}
    assert kit.verify({"rye-hmac-signature-v1": expected}, body, "test_hmac_secret", NOW, 0)
    assert not kit.verify({"rye-hmac-signature-v1": expected}, body + b" ", "test_hmac_secret", NOW, 0)


def test_the_handshake_is_a_signed_verification_accepted_only_when_the_challenge_is_echoed(
    state: ServerState, catalog: Catalog
) -> None:
    subscription = Subscription("wh_7", "rye", "http://127.0.0.1:9921/rye", owner="lumen-labs", secret=SECRET)
    handshake = RyeWebhooks().handshake(state.worlds["rye"], subscription)
    body = json.loads(handshake.body)
    assert catalog.validate("rye", "webhook:WEBHOOK_URL_VERIFICATION", body).valid
    assert (body["type"], body["developerId"]) == ("WEBHOOK_URL_VERIFICATION", "lumen-labs")
    challenge = body["data"]["challenge"]
    assert re.fullmatch(r"[0-9a-f]{96}", challenge)
    assert handshake.headers["Rye-Hmac-Signature-V1"] == rye_signature(SECRET, handshake.body)
    assert handshake.headers["Rye-Verification"] == "lumen-labs"
    echo = json.dumps({"challenge": challenge}).encode()
    assert handshake.refusal(200, echo) is None
    assert handshake.refusal(201, echo) is None
    assert "echoes the challenge" in (handshake.refusal(200, b'{"challenge": "nope"}') or "")
    assert handshake.refusal(500, echo) is not None
    assert handshake.refusal(200, b"ok") is not None


def test_a_new_secret_is_64_hex_digits_drawn_from_the_seed(state: ServerState) -> None:
    world = state.worlds["rye"]
    draft = Subscription("wh_1", "rye", "http://127.0.0.1:9921/rye")
    first, second = (RyeWebhooks().new_secret(world, draft, number) for number in (1, 2))
    assert first is not None
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert first != second
    assert RyeWebhooks().new_secret(world, draft, 1) == first


def test_rye_does_not_retry() -> None:
    policy = RetryPolicy.from_spec(parse_yaml(read_bundled("rye.yaml")))
    assert policy is not None
    assert policy.schedule(0) == [0]
    assert policy.succeeded(200)
    assert not policy.succeeded(302)
