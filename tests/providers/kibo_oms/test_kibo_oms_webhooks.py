"""Kibo OMS's return notifications: emitted into the outbox by create, process and reopen; unsigned.

Driven through HTTP (create_app in process). The admin webhooks API is not there yet (issue 14, WP4),
so a subscription is kept with `core.outbox.subscribe` after the kit's own checks, as the admin API
will, and the outbox is read through the store's delivery listing.
"""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.core import outbox
from returnkit.core.outbox import Delivery, RetryPolicy, Subscription
from returnkit.providers.kibo_oms import KiboOms
from returnkit.providers.kit import WebhookKit
from returnkit.server.app import server_state
from returnkit.spec import load_provider
from tests.http import CheckedClient, TestClient
from tests.providers.kibo_oms.test_kibo_oms import RETURN, SUMMIT, create, order, token_for

PROVIDER = "kibo-oms"
RECEIVER = "http://127.0.0.1:9/oms-notifications"
# The documented common fields (return-event-notifications), in the order returnkit sends them.
FIELDS = ["eventTypeID", "status", "source", "orderID", "shipmentID", "externalOrderID", "returnID", "manufacturerID"]


@pytest.fixture
def oms(http: TestClient) -> CheckedClient:
    return CheckedClient(http, PROVIDER, token_for(http, SUMMIT))


def kit() -> WebhookKit:
    webhooks = KiboOms().webhooks
    assert webhooks is not None
    return webhooks


def draft(app: Any, owner: str | None = None, **fields: Any) -> Subscription:
    store = server_state(app).store
    return Subscription(id=outbox.next_subscription_id(store), provider=PROVIDER, url=RECEIVER, owner=owner, **fields)


def refusal(app: Any, subscription: Subscription) -> str | None:
    return kit().check_subscription(server_state(app).worlds[PROVIDER], subscription)


def subscribe(app: Any, owner: str | None = None, **fields: Any) -> Subscription:
    """What the admin API does: the kit's checks, then the subscription kept (with no secret: OMS signs nothing)."""
    state = server_state(app)
    wanted = draft(app, owner, **fields)
    assert refusal(app, wanted) is None
    assert kit().new_secret(state.worlds[PROVIDER], wanted, 1) is None
    with state.store.transaction():
        return outbox.subscribe(state.store, wanted)


def deliveries(app: Any) -> list[Delivery]:
    return server_state(app).store.deliveries(provider=PROVIDER)


def names(app: Any) -> list[str]:
    return [delivery.event for delivery in deliveries(app)]


def process(oms: CheckedClient, return_id: int, accepted: int | None = None, item_id: int | None = None) -> Any:
    body: dict[str, Any] = {"returnID": return_id}
    if accepted is not None:
        body["acceptedItemQuantity"] = [{"orderItemID": item_id, "quantityAccepted": accepted}]
    return oms.post(f"{RETURN}action/process/", json=body)


def test_a_returns_lifecycle_is_notified_in_order_with_the_documented_fields(
    app: Any, http: TestClient, oms: CheckedClient
) -> None:
    subscribe(app)
    placed = order(http)
    created = create(oms, placed)
    assert process(oms, created["returnID"]).status_code == 200
    reopened = oms.post(f"{RETURN}action/reopen/", json={"returnID": created["returnID"]})
    assert reopened.status_code == 200
    item_id = created["item"][0]["orderItemID"]
    assert process(oms, created["returnID"], accepted=0, item_id=item_id).status_code == 200
    expected = ["return_created", "return_accepted", "return_cleared", "return_reopened", "return_rejected"]
    assert names(app) == expected
    found = deliveries(app)
    assert [d.id for d in found] == sorted(d.id for d in found)
    assert {(d.resource, d.owner) for d in found} == {(str(created["returnID"]), "7101")}
    statuses = []
    for delivery in found:
        payload = orjson.loads(delivery.body)
        assert list(payload) == FIELDS
        assert payload["eventTypeID"] == delivery.event
        assert (payload["orderID"], payload["shipmentID"]) == (placed["orderID"], placed["shipmentID"])
        assert (payload["returnID"], payload["manufacturerID"], payload["source"]) == (created["returnID"], 7101, "API")
        assert payload["externalOrderID"] == created["externalOrderID"]
        statuses.append(payload["status"])
    assert statuses == ["OPEN", "CLOSED", "CLOSED", "OPEN", "CLOSED"]


def test_every_notification_is_valid_against_the_specs_webhook_schema(
    app: Any, http: TestClient, oms: CheckedClient, tmp_path: Path
) -> None:
    subscribe(app)
    created = create(oms, order(http))
    process(oms, created["returnID"])
    oms.post(f"{RETURN}action/reopen/", json={"returnID": created["returnID"]})
    process(oms, created["returnID"], accepted=0, item_id=created["item"][0]["orderItemID"])
    assert len(set(names(app))) == 5
    for number, delivery in enumerate(deliveries(app)):
        sent = tmp_path / f"{number}.json"
        sent.write_bytes(delivery.body)
        out, err = io.StringIO(), io.StringIO()
        status = validate_payload([PROVIDER, f"webhook:{delivery.event}", str(sent)], stdout=out, stderr=err)
        assert (status, err.getvalue()) == (0, ""), out.getvalue()
    wrong = tmp_path / "wrong.json"
    wrong.write_bytes(orjson.dumps({"eventTypeID": "return_accepted", "returnID": 1}))
    assert validate_payload([PROVIDER, "webhook:return_created", str(wrong)], stdout=io.StringIO()) == 1


def test_a_refused_request_emits_nothing(app: Any, http: TestClient, oms: CheckedClient) -> None:
    created = create(oms, order(http))
    subscribe(app)
    refused = oms.post(f"{RETURN}action/reopen/", json={"returnID": created["returnID"]})  # still open
    assert refused.status_code == 409
    too_many = process(oms, created["returnID"], accepted=99, item_id=created["item"][0]["orderItemID"])
    assert too_many.status_code >= 400
    assert deliveries(app) == []
    assert process(oms, created["returnID"]).status_code == 200
    assert names(app) == ["return_accepted", "return_cleared"]


def test_a_manufacturers_subscription_hears_only_that_manufacturer(
    app: Any, http: TestClient, oms: CheckedClient
) -> None:
    subscribe(app, owner="7102")
    create(oms, order(http))
    assert deliveries(app) == []
    mine = subscribe(app, owner="7101", events=("return_accepted",))
    created = create(oms, order(http, index=1))
    process(oms, created["returnID"])
    assert [(d.event, d.subscription) for d in deliveries(app)] == [("return_accepted", mine.id)]


def test_notifications_are_unsigned(app: Any, http: TestClient, oms: CheckedClient) -> None:
    given_secret = refusal(app, draft(app, secret=SUMMIT[1]))
    assert given_secret is not None
    assert "does not sign" in given_secret
    assert refusal(app, draft(app, owner="9999")) is not None
    assert refusal(app, draft(app, options={"headers": {"X-Shared": 1}})) is not None
    subscription = subscribe(app, options={"headers": {"X-Shared": "token-1"}})
    create(oms, order(http))
    (delivery,) = deliveries(app)
    sent_at = datetime.now(UTC)
    assert kit().headers(subscription, delivery, sent_at) == {"X-Shared": "token-1", "Content-Type": "application/json"}
    assert kit().signed is False
    assert kit().sign("any", delivery.body, sent_at) == {}
    assert kit().verify({}, delivery.body, None, sent_at, 180)
    with pytest.raises(ValueError, match="does not sign"):
        kit().verify({}, delivery.body, SUMMIT[1], sent_at, 180)


def test_the_retry_policy_is_the_specs_200_within_45_seconds_then_every_minute_for_14_days() -> None:
    policy = RetryPolicy.from_spec(load_provider(PROVIDER).document)
    assert policy is not None
    assert (policy.timeout, policy.succeeded(200), policy.succeeded(202)) == (45.0, True, False)
    schedule = policy.schedule(0.0)
    assert (len(schedule), schedule[1], schedule[-1]) == (20161, 60.0, 14 * 24 * 3600.0)


def test_the_kit_sends_exactly_the_notifications_the_spec_declares() -> None:
    declared = {operation.path for operation in load_provider(PROVIDER).webhooks}
    expected = {"return_created", "return_accepted", "return_rejected", "return_cleared", "return_reopened"}
    assert set(kit().events) == declared == expected
