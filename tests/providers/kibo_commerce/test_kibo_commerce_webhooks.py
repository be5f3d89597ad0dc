"""Kibo Commerce's return events: emitted into the outbox by the calls that change a return, signed as Kibo signs.

Driven through HTTP (create_app in process). The admin webhooks API is not there yet (issue 14, WP4),
so a subscription is kept with `core.outbox.subscribe` after the kit's own checks, as the admin API
will, and the outbox is read through the store's delivery listing. The signature is recomputed
here with the recipe of Kibo's SDKs (research W§2.4), not with returnkit's code.
"""

from __future__ import annotations

import base64
import hashlib
import io
import re
import uuid
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.core import outbox
from returnkit.core.outbox import Delivery, RetryPolicy, Subscription
from returnkit.providers.kibo_commerce import KiboCommerce
from returnkit.providers.kibo_commerce.records import REPLACEMENTS
from returnkit.providers.kit import WebhookKit
from returnkit.server.app import server_state
from returnkit.spec import load_provider
from tests.http import CheckedClient, TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import (
    HARBOR,
    NORTHWIND,
    RETURNS,
    act,
    bearer,
    create,
    shipped_order,
)

PROVIDER = "kibo-commerce"
RECEIVER = "http://127.0.0.1:9/kibo-events"
NORTHWIND_SECRET = NORTHWIND["client_secret"]  # mocks/kibo-commerce.yaml: tenant 40001's application
HARBOR_SECRET = HARBOR["client_secret"]
THIN_KEYS = ["eventId", "topic", "entityId", "timestamp", "correlationId", "isTest"]  # K-WH, in its order


@pytest.fixture
def kibo(http: TestClient) -> CheckedClient:
    return CheckedClient(http, PROVIDER, bearer(http, NORTHWIND))


def kit() -> WebhookKit:
    webhooks = KiboCommerce().webhooks
    assert webhooks is not None
    return webhooks


def kibo_hash(secret: str, date: str, body: bytes) -> str:
    """Kibo's recipe (Mozu SDKs' hash-stream / Crypto.getHash), written here from the research."""
    key = base64.b64encode(hashlib.sha256((secret + secret).encode("utf-8")).digest())
    return base64.b64encode(hashlib.sha256(key + date.encode("utf-8") + body).digest()).decode("ascii")


def draft(app: Any, owner: str | None = "40001", **fields: Any) -> Subscription:
    store = server_state(app).store
    return Subscription(id=outbox.next_subscription_id(store), provider=PROVIDER, url=RECEIVER, owner=owner, **fields)


def refusal(app: Any, subscription: Subscription) -> str | None:
    return kit().check_subscription(server_state(app).worlds[PROVIDER], subscription)


def subscribe(app: Any, owner: str | None = "40001", **fields: Any) -> Subscription:
    """What the admin API does: the kit's checks, the secret it names, then the subscription kept."""
    state = server_state(app)
    wanted = draft(app, owner, **fields)
    assert refusal(app, wanted) is None
    secret = wanted.secret or kit().new_secret(state.worlds[PROVIDER], wanted, 1)
    with state.store.transaction():
        return outbox.subscribe(state.store, replace(wanted, secret=secret))


def deliveries(app: Any) -> list[Delivery]:
    return server_state(app).store.deliveries(provider=PROVIDER)


def payloads(app: Any) -> list[dict[str, Any]]:
    return [orjson.loads(delivery.body) for delivery in deliveries(app)]


def topics(app: Any) -> list[str]:
    return [delivery.event for delivery in deliveries(app)]


def received(kibo: CheckedClient, return_id: str, item_id: str) -> None:
    update = {"items": [{"id": item_id, "quantityReceived": 1}]}
    assert kibo.request("PUT", f"{RETURNS}/{return_id}", json=update).status_code == 200


def test_a_return_announces_each_change_in_order_with_the_thin_payload(
    app: Any, http: TestClient, kibo: CheckedClient
) -> None:
    subscribe(app)
    created = create(kibo, shipped_order(http))
    assert act(kibo, "Authorize", created["id"]).status_code == 200
    received(kibo, created["id"], created["items"][0]["id"])
    assert act(kibo, "Close", created["id"]).status_code == 200
    assert topics(app) == ["return.opened", "return.authorized", "return.updated", "return.closed"]
    found = deliveries(app)
    assert [d.id for d in found] == sorted(d.id for d in found)
    assert {(d.resource, d.owner, d.subscription) for d in found} == {(created["id"], "40001", "wh_1")}
    assert [d.due for d in found] == [d.occurred for d in found]
    for delivery, payload in zip(found, payloads(app), strict=True):
        assert list(payload) == THIN_KEYS
        assert payload["topic"] == delivery.event
        assert payload["entityId"] == created["id"]
        assert str(uuid.UUID(payload["eventId"])) == payload["eventId"] == delivery.event_id
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{7}Z", payload["timestamp"])
        assert re.fullmatch(r"[0-9a-f]{32}", payload["correlationId"])
        assert payload["isTest"] is False
    assert len({p["eventId"] for p in payloads(app)}) == 4


def test_the_timestamp_is_the_virtual_time_of_the_change(app: Any, http: TestClient, kibo: CheckedClient) -> None:
    subscribe(app)
    assert http.post("/__admin/clock/advance", json={"seconds": 90}).status_code == 200
    create(kibo, shipped_order(http))
    (delivery,) = deliveries(app)
    now = server_state(app).clock.now()
    assert delivery.occurred == now.timestamp()
    assert orjson.loads(delivery.body)["timestamp"] == now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.0000000Z")


def test_every_payload_is_valid_against_the_specs_webhook_schema(
    app: Any, http: TestClient, kibo: CheckedClient, tmp_path: Path
) -> None:
    subscribe(app)
    first = create(kibo, shipped_order(http))
    act(kibo, "Authorize", first["id"])
    act(kibo, "Cancel", first["id"])
    second = create(kibo, shipped_order(http, index=1))
    act(kibo, "Reject", second["id"])
    assert set(topics(app)) == {"return.opened", "return.authorized", "return.cancelled", "return.rejected"}
    for number, delivery in enumerate(deliveries(app)):
        sent = tmp_path / f"{number}.json"
        sent.write_bytes(delivery.body)
        out, err = io.StringIO(), io.StringIO()
        status = validate_payload([PROVIDER, f"webhook:{delivery.event}", str(sent)], stdout=out, stderr=err)
        assert (status, err.getvalue()) == (0, ""), out.getvalue()


def test_a_payload_of_another_topic_is_refused_by_the_schema(tmp_path: Path) -> None:
    sent = tmp_path / "opened.json"
    sent.write_bytes(orjson.dumps({"topic": "return.closed", "entityId": "1", "isTest": "no"}))
    out, err = io.StringIO(), io.StringIO()
    assert validate_payload([PROVIDER, "webhook:return.opened", str(sent)], stdout=out, stderr=err) == 1


def test_a_refused_request_emits_nothing(app: Any, http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    subscribe(app)
    refused = act(kibo, "Close", created["id"])
    assert refused.status_code == 409
    not_shipped = kibo.post(RETURNS, json={"originalOrderId": "0" * 32, "items": []})
    assert not_shipped.status_code in (404, 409)
    assert deliveries(app) == []
    assert act(kibo, "Reject", created["id"]).status_code == 200
    assert topics(app) == ["return.rejected"]


def test_ship_announces_one_update(app: Any, http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    act(kibo, "Await", created["id"])
    received(kibo, created["id"], created["items"][0]["id"])
    assert act(kibo, "Receive", created["id"]).status_code == 200
    subscribe(app)
    assert act(kibo, "Ship", created["id"]).status_code == 200  # a replacement order, then status Shipped
    assert topics(app) == ["return.updated"]


def test_deleting_a_return_and_fulfilling_its_replacement_announce_nothing(
    app: Any, http: TestClient, kibo: CheckedClient
) -> None:
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", json=None)
    assert child.status_code == 200
    cancelled = create(kibo, shipped_order(http, index=1))
    act(kibo, "Cancel", cancelled["id"])
    subscribe(app)
    assert http.post("/__admin/clock/advance", json={"seconds": 3600}).status_code == 200  # fulfilled
    fresh = kibo.as_(bearer(http, NORTHWIND))  # the first token expired meanwhile
    replacement = REPLACEMENTS.get(server_state(app).worlds[PROVIDER], child.json()["id"])
    assert replacement is not None
    assert replacement["status"] == "Completed"
    assert fresh.request("DELETE", f"{RETURNS}/{cancelled['id']}").status_code == 200
    assert deliveries(app) == []


def test_a_tenants_subscription_hears_only_that_tenant(app: Any, http: TestClient, kibo: CheckedClient) -> None:
    subscribe(app, owner="40002")
    create(kibo, shipped_order(http))
    assert deliveries(app) == []
    mine = subscribe(app, owner="40001", events=("return.authorized",))
    created = create(kibo, shipped_order(http, index=1))
    act(kibo, "Authorize", created["id"])
    assert [(d.event, d.subscription) for d in deliveries(app)] == [("return.authorized", mine.id)]


def test_a_subscription_belongs_to_one_tenants_application(app: Any, http: TestClient) -> None:
    without_owner = refusal(app, draft(app, owner=None))
    assert without_owner is not None
    assert "owner" in without_owner
    assert "40001, 40002" in without_owner
    assert refusal(app, draft(app, owner="49999")) is not None
    assert "application" in (refusal(app, draft(app, options={"application": "nope"})) or "")
    wrong = refusal(app, draft(app, secret=HARBOR_SECRET))  # another application's
    assert wrong is not None
    assert "shared secret" in wrong
    assert refusal(app, draft(app, secret=NORTHWIND_SECRET)) is None
    assert subscribe(app).secret == NORTHWIND_SECRET
    chosen = subscribe(app, owner="40002", options={"application": "harbor.returnkit.1.0.0.Release"})
    assert chosen.secret == HARBOR_SECRET


@pytest.mark.parametrize(
    ("secret", "date", "body", "expected"),
    [
        (  # Mozu/mozu-node-sdk test/is-request-valid.js
            "12345",
            "Wed, 21 Oct 2015 16:29:00 GMT",
            b'{"testField":"testing","testField2":"123"}',
            "1zdGTsz90yismsqx7r7QVugUtQDblFo0F/6TqOb9yt0=",
        ),
        (  # superpan/hapi-auth-mozu test: a real-looking event
            "cb966f44cfc44e29a01049da98f99163",
            "Wed, 17 Sep 2014 03:07:13 GMT",
            b'{"eventId":"aa8494c2-8640-47c0-96ca-a3a900336ca8","topic":"product.created",'
            b'"entityId":"5418fadf13dfa10b1b074cb1","timestamp":"2014-09-17T03:07:13.5655802Z",'
            b'"correlationId":"9902d7e03d9945918ee563f488435f16","isTest":false}',
            "tlV4+aE+4mxCji8jZ4PIKz30q18PtV11n0AT9PGd9vM=",
        ),
    ],
)
def test_signatures_match_kibos_published_vectors(secret: str, date: str, body: bytes, expected: str) -> None:
    assert kibo_hash(secret, date, body) == expected
    assert kit().sign(secret, body, parsedate_to_datetime(date)) == {"Date": date, "x-vol-hmac-sha256": expected}
    at = parsedate_to_datetime(date) + timedelta(seconds=60)
    assert kit().verify({"date": date, "X-Vol-Hmac-Sha256": expected}, body, secret, at, 180)


def test_each_attempt_is_signed_over_a_fresh_wall_clock_date(app: Any, http: TestClient, kibo: CheckedClient) -> None:
    subscription = subscribe(app)
    created = create(kibo, shipped_order(http))
    (delivery,) = deliveries(app)
    before = datetime.now(UTC).replace(microsecond=0)
    headers = kit().headers(subscription, delivery, datetime.now(UTC))
    date = headers["Date"]
    assert before <= parsedate_to_datetime(date) <= datetime.now(UTC)
    assert date.endswith(" GMT")
    assert headers["x-vol-hmac-sha256"] == kibo_hash(NORTHWIND_SECRET, date, delivery.body)
    payload = orjson.loads(delivery.body)
    assert {name: headers[name] for name in ("Content-Type", "x-vol-tenant", "x-vol-site", "x-vol-correlation")} == {
        "Content-Type": "application/json",
        "x-vol-tenant": "40001",
        "x-vol-site": "50001",
        "x-vol-correlation": payload["correlationId"],
    }
    assert payload["entityId"] == created["id"]
    later = kit().headers(subscription, delivery, datetime.now(UTC) + timedelta(seconds=61))
    assert later["Date"] != date
    assert later["x-vol-hmac-sha256"] == kibo_hash(NORTHWIND_SECRET, later["Date"], delivery.body)


def test_verify_refuses_what_kibos_sdk_refuses() -> None:
    body = b'{"topic":"return.opened"}'
    sent_at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    headers = kit().sign(NORTHWIND_SECRET, body, sent_at)
    assert kit().verify(headers, body, NORTHWIND_SECRET, sent_at + timedelta(seconds=180), 180)
    assert kit().verify(headers, body, NORTHWIND_SECRET, sent_at - timedelta(days=1), 180)  # only age is checked
    assert not kit().verify(headers, body, NORTHWIND_SECRET, sent_at + timedelta(seconds=181), 180)
    assert not kit().verify(headers, body + b" ", NORTHWIND_SECRET, sent_at, 180)
    assert not kit().verify(headers, body, "another secret", sent_at, 180)
    truncated = {**headers, "x-vol-hmac-sha256": headers["x-vol-hmac-sha256"][:-4]}
    assert not kit().verify(truncated, body, NORTHWIND_SECRET, sent_at, 180)
    assert not kit().verify({"Date": headers["Date"]}, body, NORTHWIND_SECRET, sent_at, 180)
    assert not kit().verify(headers, body, None, sent_at, 180)


def test_the_retry_policy_is_the_specs_200_within_45_seconds_then_every_minute_for_14_days() -> None:
    policy = RetryPolicy.from_spec(load_provider(PROVIDER).document)
    assert policy is not None
    assert (policy.timeout, policy.succeeded(200), policy.succeeded(204), policy.succeeded(None)) == (
        45.0,
        True,
        False,
        False,
    )
    schedule = policy.schedule(0.0)
    assert (len(schedule), schedule[1], schedule[-1]) == (20161, 60.0, 14 * 24 * 3600.0)


def test_the_correlation_id_is_the_causing_requests(app: Any, http: TestClient, kibo: CheckedClient) -> None:
    subscribe(app)
    sent = "0123456789abcdef0123456789abcdef"
    first = kibo.post(RETURNS, json=return_body(shipped_order(http)), headers={"x-vol-correlation": sent})
    second = kibo.post(RETURNS, json=return_body(shipped_order(http, index=1)))
    assert (first.status_code, second.status_code) == (200, 200)
    echoed = second.headers["x-vol-correlation"]
    assert [p["correlationId"] for p in payloads(app)] == [sent, echoed]
    assert echoed != sent


def test_no_callback_leaves_out_the_changes_of_the_applications_own_calls(
    app: Any, http: TestClient, kibo: CheckedClient
) -> None:
    assert refusal(app, draft(app, options={"no_callback": "yes"})) is not None
    quiet = subscribe(app, options={"no_callback": True})
    told = subscribe(app, options={"no_callback": False})
    created = create(kibo, shipped_order(http))
    act(kibo, "Authorize", created["id"])
    assert [d.subscription for d in deliveries(app)] == [told.id, told.id]
    assert quiet.id != told.id


def return_body(order: dict[str, Any]) -> dict[str, Any]:
    line = order["items"][0]
    return {
        "originalOrderId": order["id"],
        "items": [{"orderItemId": line["id"], "reasons": [{"reason": "Damaged", "quantity": 1}], "quantityShipped": 1}],
    }


def test_the_kit_sends_exactly_the_topics_the_spec_declares() -> None:
    declared = {operation.path for operation in load_provider(PROVIDER).webhooks}
    assert (
        set(kit().events)
        == declared
        == {
            "return.opened",
            "return.authorized",
            "return.updated",
            "return.cancelled",
            "return.rejected",
            "return.closed",
        }
    )
    assert kit().signed is True
