"""Zinc's webhooks: emitted into the outbox by each change of a return, signed as Zinc documents.

No delivery surface exists yet (WP4 adds the sender and `/__admin/webhooks/deliveries`), so these
tests drive the server over HTTP (`create_app` + the in-process transport) and read what was
enqueued from the store's delivery listing. The signature is checked with the recipe written
here from the research (W§1.4), not with returnkit's own `verify`.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from typing import Any

import pytest

from returnkit.core import outbox
from returnkit.core.outbox import Delivery, RetryPolicy, Subscription
from returnkit.providers.zinc.webhooks import ZincWebhooks
from returnkit.server.app import server_state
from returnkit.server.state import ServerState
from returnkit.spec import parse_yaml, read_bundled
from returnkit.validation import Catalog
from tests.http import CheckedClient, TestClient
from tests.providers.zinc.test_zinc import ACME, BLUEBIRD, RESOLUTION_SECONDS, advance, body_for, file, placed_orders

RECEIVER = "http://127.0.0.1:9911/zinc"
NOW = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def zinc(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "zinc", ACME)


@pytest.fixture
def state(app: Any) -> ServerState:
    return server_state(app)


def register(zinc: CheckedClient, url: str = RECEIVER) -> dict[str, Any]:
    response = zinc.request("PUT", "/webhooks/endpoint", json={"url": url})
    assert response.status_code == 200, response.text
    endpoint: dict[str, Any] = response.json()
    return endpoint


def deliveries(state: ServerState, **filters: Any) -> list[Delivery]:
    return state.store.deliveries(provider="zinc", **filters)


def subscription_of(state: ServerState, delivery: Delivery) -> Subscription:
    found = outbox.find_subscription(state.store, ["zinc"], delivery.subscription)
    assert found is not None
    return found


def zinc_signature(secret: str, body: bytes) -> str:
    """W§1.4: lowercase hex HMAC-SHA256 of the exact body, keyed by the whole secret string."""
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def test_the_endpoint_is_null_until_the_first_put_which_creates_a_secret_kept_across_moves_and_delete(
    zinc: CheckedClient,
) -> None:
    assert zinc.get("/webhooks/endpoint").json() == {"webhook_url": None, "webhook_secret": None}
    first = register(zinc)
    assert first["webhook_url"] == RECEIVER
    assert re.fullmatch(r"zn_whsec_[A-Za-z0-9]{24}", first["webhook_secret"])
    moved = register(zinc, "http://localhost:9912/hooks")
    assert moved == {"webhook_url": "http://localhost:9912/hooks", "webhook_secret": first["webhook_secret"]}
    deleted = zinc.request("DELETE", "/webhooks/endpoint")
    assert (deleted.status_code, deleted.content) == (204, b"")
    assert zinc.get("/webhooks/endpoint").json() == {"webhook_url": None, "webhook_secret": first["webhook_secret"]}
    assert register(zinc)["webhook_secret"] == first["webhook_secret"]


def test_each_account_has_its_own_endpoint_and_secret(zinc: CheckedClient) -> None:
    mine = register(zinc)
    theirs = register(zinc.as_(BLUEBIRD), "http://127.0.0.1:9913/other")
    assert theirs["webhook_secret"] != mine["webhook_secret"]
    assert zinc.get("/webhooks/endpoint").json() == mine


def test_the_endpoint_api_is_authenticated_validated_and_refuses_a_url_it_may_not_reach(zinc: CheckedClient) -> None:
    unauthenticated = zinc.as_({}).get("/webhooks/endpoint")
    assert unauthenticated.status_code == 401
    assert unauthenticated.json()["error"]["code"] == "unauthorized"
    missing = zinc.request("PUT", "/webhooks/endpoint", json={})
    assert missing.status_code == 422
    assert missing.json()["detail"][0]["loc"] == ["body", "url"]
    remote = zinc.request("PUT", "/webhooks/endpoint", json={"url": "https://hooks.example.com/zinc"})
    assert remote.status_code == 422
    (detail,) = remote.json()["detail"]
    assert detail["loc"] == ["body", "url"]
    assert "--webhook-allow hooks.example.com" in detail["msg"]
    assert zinc.get("/webhooks/endpoint").json()["webhook_url"] is None


def test_nothing_is_enqueued_without_a_subscriber(http: TestClient, zinc: CheckedClient, state: ServerState) -> None:
    file(zinc, body_for(placed_orders(zinc)[0]))
    advance(http, RESOLUTION_SECONDS)
    assert deliveries(state) == []


def test_a_return_emits_created_then_its_decision_in_order_dated_when_each_change_happened(
    http: TestClient, zinc: CheckedClient, state: ServerState, catalog: Catalog
) -> None:
    endpoint = register(zinc)
    created = file(zinc, body_for(placed_orders(zinc)[0]))
    assert [d.event for d in deliveries(state)] == ["return.created"]
    advance(http, 3600)
    resolved = zinc.get(f"/returns/{created['id']}").json()
    sent = deliveries(state)
    assert [d.event for d in sent] == ["return.created", f"return.{resolved['status']}"]
    assert [d.resource for d in sent] == [created["id"]] * 2
    assert [d.id for d in sent] == sorted(d.id for d in sent)
    assert [d.occurred for d in sent] == [1_772_442_000, 1_772_442_000 + RESOLUTION_SECONDS]
    bodies = [json.loads(d.body) for d in sent]
    assert [b["timestamp"] for b in bodies] == ["2026-03-02T09:00:00Z", "2026-03-02T09:02:00Z"]
    assert list(bodies[0]) == ["event", "order_id", "return_id", "status", "timestamp", "data"]
    assert bodies[0]["data"] == created
    assert bodies[1]["data"]["status"] == resolved["status"]
    for delivery, body in zip(sent, bodies, strict=True):
        assert (body["event"], body["return_id"]) == (delivery.event, created["id"])
        assert body["order_id"] == created["order_id"]
        assert catalog.validate("zinc", f"webhook:{delivery.event}", body).valid
        assert (delivery.owner, delivery.status) == ("acme-outfitters", "pending")
    assert endpoint["webhook_secret"]


def test_an_approved_return_carries_its_label_url_and_rma(
    http: TestClient, zinc: CheckedClient, state: ServerState
) -> None:
    register(zinc)
    for order in placed_orders(zinc):
        file(zinc, body_for(order))
    advance(http, RESOLUTION_SECONDS)
    approved = [json.loads(d.body) for d in deliveries(state, event="return.approved")]
    assert approved, "seed 7 approves at least one of the placed orders' returns"
    for body in approved:
        (label,) = body["data"]["label_urls"]
        assert label.startswith("http://127.0.0.1:8000/")
        assert re.fullmatch(r"RMA\d{10}", body["data"]["merchant_return_id"])


def test_a_denied_return_says_why(
    http: TestClient, zinc: CheckedClient, admin: CheckedClient, state: ServerState
) -> None:
    register(zinc)
    fault = {"provider": "zinc", "operation": "create-return", "kind": "deny", "times": 1}
    assert admin.post("/__admin/faults", json=fault).status_code == 201
    file(zinc, body_for(placed_orders(zinc)[0]))
    advance(http, RESOLUTION_SECONDS)
    (denied,) = [json.loads(d.body) for d in deliveries(state, event="return.denied")]
    assert denied["status"] == "denied"
    assert denied["data"]["resolution_notes"]


def test_a_credited_return_emits_return_credited_with_its_amount(
    http: TestClient, zinc: CheckedClient, state: ServerState, monkeypatch: pytest.MonkeyPatch, catalog: Catalog
) -> None:
    world = state.worlds["zinc"]
    mocks = {**world.mocks, "returns": {**world.mocks["returns"], "approve_percent": 0, "credit_percent": 100}}
    monkeypatch.setattr(world, "mocks", mocks)
    register(zinc)
    order = placed_orders(zinc)[0]
    created = file(zinc, body_for(order, quantity=1))
    advance(http, RESOLUTION_SECONDS)
    (credited,) = [json.loads(d.body) for d in deliveries(state, event="return.credited")]
    assert catalog.validate("zinc", "webhook:return.credited", credited).valid
    units = sum(item["quantity"] for item in order["items"])
    assert credited["data"]["credited_amount"] == order["max_price"] // units
    assert zinc.get(f"/returns/{created['id']}").json() == credited["data"]


def test_a_refused_return_emits_nothing_of_its_own(zinc: CheckedClient, state: ServerState) -> None:
    register(zinc)
    order = placed_orders(zinc)[0]
    file(zinc, body_for(order))
    refused = zinc.post("/returns", json=body_for(order))
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "already_exists")
    assert [d.event for d in deliveries(state)] == ["return.created"]


def test_another_accounts_returns_do_not_reach_my_endpoint(zinc: CheckedClient, state: ServerState) -> None:
    register(zinc)
    bluebird = zinc.as_(BLUEBIRD)
    file(bluebird, body_for(placed_orders(bluebird)[0]))
    assert deliveries(state) == []


def test_deleting_the_endpoint_cancels_pending_deliveries_and_stops_new_ones(
    http: TestClient, zinc: CheckedClient, state: ServerState
) -> None:
    register(zinc)
    file(zinc, body_for(placed_orders(zinc)[0]))
    assert zinc.request("DELETE", "/webhooks/endpoint").status_code == 204
    assert [d.status for d in deliveries(state)] == ["cancelled"]
    advance(http, RESOLUTION_SECONDS)
    assert len(deliveries(state)) == 1


def test_each_delivery_is_signed_with_the_accounts_secret_as_documented(
    zinc: CheckedClient, state: ServerState
) -> None:
    secret = register(zinc)["webhook_secret"]
    file(zinc, body_for(placed_orders(zinc)[0]))
    (delivery,) = deliveries(state)
    subscription = subscription_of(state, delivery)
    kit = state.kits["zinc"].webhooks
    assert kit is not None
    headers = kit.headers(subscription, delivery, NOW)
    assert headers == {
        "Content-Type": "application/json",
        "X-Webhook-Event": "return.created",
        "X-Webhook-Signature": zinc_signature(secret, delivery.body),
    }


def test_the_signature_matches_the_research_vector() -> None:
    body = (
        b'{"event":"return.approved","order_id":"550e8400-e29b-41d4-a716-446655440000",'
        b'"return_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","status":"approved",'
        b'"timestamp":"2026-01-15T14:30:00Z","data":{}}'
    )
    secret = "zn_whsec_TESTSECRET000000000000000"  # noqa: S105 (the research's test vector)
    expected = "ca605821bc73b27facdb20b41353e51f4e44ec20ec1bccd623d1762fd2d14daf"
    assert zinc_signature(secret, body) == expected
    kit = ZincWebhooks()
    assert kit.sign(secret, body) == {"X-Webhook-Signature": expected}
    assert kit.verify({"x-webhook-signature": expected}, body, secret, NOW, 0)
    assert not kit.verify({"x-webhook-signature": expected[:-1] + "0"}, body, secret, NOW, 0)
    assert not kit.verify({}, body, secret, NOW, 0)


def test_a_payload_that_breaks_the_webhook_schema_is_refused(catalog: Catalog) -> None:
    example = catalog.operation("zinc", "webhook:return.approved").request_example
    assert catalog.validate("zinc", "webhook:return.approved", example).valid
    assert not catalog.validate("zinc", "webhook:return.approved", {**example, "status": "denied"}).valid
    assert not catalog.validate("zinc", "webhook:return.approved", {**example, "timestamp": "yesterday"}).valid


def test_the_retry_policy_is_the_specs() -> None:
    policy = RetryPolicy.from_spec(parse_yaml(read_bundled("zinc.yaml")))
    assert policy is not None
    assert policy.schedule(0) == [0, 60, 360, 2160, 9360, 38160, 124560]
    assert (policy.timeout, policy.succeeded(204), policy.succeeded(301)) == (10, True, False)
