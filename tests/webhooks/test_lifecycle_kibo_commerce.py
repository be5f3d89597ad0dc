"""Kibo Commerce end to end: a real `returnkit serve` posts a return's topics to a real receiver,
which fetches the return through the mock inside its handler, as Kibo's thin payload requires.

Checked with what the research wrote down (W§2): `x-vol-hmac-sha256` = base64 SHA-256 of
(base64 SHA-256 of secret+secret) + the `Date` header + the body, with the application's shared
secret, and a `Date` within Kibo's SDKs' 180 s of the wall clock; the thin body
`{eventId, topic, entityId, timestamp, correlationId, isTest}`; topics of one return in the
order of its process; exactly 200 counts, else resent every minute.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from tests.webhooks.lifecycle import (
    Answer,
    Hook,
    advance,
    assert_shape,
    deliveries,
    elapsed,
    hooked,
    served,
    subscribe,
    world,
)
from tests.webhooks.receiver import Received

PROVIDER = "kibo-commerce"
RETURNS = "/api/commerce/returns"
NORTHWIND = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
SHARED_SECRET = NORTHWIND["client_secret"]  # mocks/kibo-commerce.yaml: tenant 40001's application
DATE_TOLERANCE_SECONDS = 180  # W§2.4: the SDKs refuse an older Date
THIN = {"eventId": str, "topic": str, "entityId": str, "timestamp": str, "correlationId": str, "isTest": bool}
MINUTE, DAY = 60, 24 * 3600
PREFIX_ATTEMPTS = 61  # an hour of the 14 days, answered 500 (all 20 161 answered take ~90 s here)
EVERY_ATTEMPT = 14 * DAY // MINUTE + 1  # the first, then each minute until 14 days after it
LISTED_ATTEMPTS = 20  # the admin list's last attempts


def kibo_hash(secret: str, date: str, body: bytes) -> str:
    key = base64.b64encode(hashlib.sha256((secret + secret).encode("utf-8")).digest())
    return base64.b64encode(hashlib.sha256(key + date.encode("utf-8") + body).digest()).decode("ascii")


def test_the_tests_recipe_gives_kibos_published_vectors() -> None:
    """W§2.4 [VERIFIED]: the Node SDK's test and a third-party capture of a real event."""
    sdk_body = b'{"testField":"testing","testField2":"123"}'
    assert (
        kibo_hash("12345", "Wed, 21 Oct 2015 16:29:00 GMT", sdk_body) == "1zdGTsz90yismsqx7r7QVugUtQDblFo0F/6TqOb9yt0="
    )
    event = (
        b'{"eventId":"aa8494c2-8640-47c0-96ca-a3a900336ca8","topic":"product.created","entityId":"5418fadf13dfa10b1b074cb1",'
        b'"timestamp":"2014-09-17T03:07:13.5655802Z","correlationId":"9902d7e03d9945918ee563f488435f16","isTest":false}'
    )
    captured = kibo_hash("cb966f44cfc44e29a01049da98f99163", "Wed, 17 Sep 2014 03:07:13 GMT", event)
    assert captured == "tlV4+aE+4mxCji8jZ4PIKz30q18PtV11n0AT9PGd9vM="


def bearer(client: httpx.Client) -> dict[str, str]:
    ticket = {**NORTHWIND, "grant_type": "client_credentials"}
    answer = client.post("/api/platform/applications/authtickets/oauth", json=ticket)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def create(client: httpx.Client, auth: dict[str, str]) -> dict[str, Any]:
    tenant = next(t for t in world(client, PROVIDER)["tenants"] if t["id"] == 40001)
    order = next(o for o in tenant["orders"] if o["fulfillmentStatus"] == "Fulfilled")
    item = {
        "orderItemId": order["items"][0]["id"],
        "reasons": [{"reason": "Damaged", "quantity": 1}],
        "quantityShipped": 1,
    }
    answer = client.post(
        RETURNS, json={"originalOrderId": order["id"], "returnType": "Refund", "items": [item]}, headers=auth
    )
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


def act(client: httpx.Client, auth: dict[str, str], action: str, return_id: str) -> None:
    answer = client.post(f"{RETURNS}/actions", json={"actionName": action, "returnIds": [return_id]}, headers=auth)
    assert answer.status_code == 200, answer.text


def receipt_of(created: dict[str, Any]) -> dict[str, Any]:
    """The update a warehouse makes when the item comes back (return.updated)."""
    return {"items": [{"id": created["items"][0]["id"], "quantityReceived": 1}]}


def fetching(base_url: str, auth: dict[str, str], seen: list[str]) -> Callable[[Received], Answer]:
    """A handler that reads the return named by the event through the mock, then answers 200."""

    def respond(arrived: Received) -> Answer:
        entity = json.loads(arrived.body)["entityId"]
        fetched = httpx.get(f"{base_url}{RETURNS}/{entity}", headers=auth, timeout=10)
        seen.append(fetched.json()["status"] if fetched.status_code == 200 else f"HTTP {fetched.status_code}")
        return 200, b""

    return respond


def check_signed_thin_events(hook: Hook) -> list[dict[str, Any]]:
    bodies = hook.bodies()
    for index, arrived in enumerate(hook.received):
        date = hook.header(index, "Date")
        assert hook.header(index, "x-vol-hmac-sha256") == kibo_hash(SHARED_SECRET, date, arrived.body)
        assert abs((datetime.now(UTC) - parsedate_to_datetime(date)).total_seconds()) < DATE_TOLERANCE_SECONDS
        assert date.endswith(" GMT")
        assert hook.header(index, "x-vol-tenant") == "40001"
        assert hook.header(index, "x-vol-correlation") == bodies[index]["correlationId"]
        assert_shape(bodies[index], THIN)
        assert arrived.body == json.dumps(bodies[index], separators=(",", ":")).encode()  # compact JSON.stringify
    return bodies


def test_a_returns_topics_arrive_in_process_order_and_the_receiver_fetches_each_change(tmp_path: Path) -> None:
    seen: list[str] = []
    with served(tmp_path) as client:
        auth = bearer(client)
        with hooked(fetching(str(client.base_url), auth, seen)) as hook:
            subscribe(client, PROVIDER, hook.url, owner="40001")
            created = create(client, auth)
            statuses = []
            for step in (
                lambda: None,
                lambda: act(client, auth, "Authorize", created["id"]),
                lambda: client.put(f"{RETURNS}/{created['id']}", headers=auth, json=receipt_of(created)),
                lambda: act(client, auth, "Close", created["id"]),
            ):
                step()
                statuses.append(client.get(f"{RETURNS}/{created['id']}", headers=auth).json()["status"])
                advance(client, 0)
            bodies = check_signed_thin_events(hook)
            assert [b["topic"] for b in bodies] == [
                "return.opened",
                "return.authorized",
                "return.updated",
                "return.closed",
            ]
            assert {b["entityId"] for b in bodies} == {created["id"]}
            assert len({b["eventId"] for b in bodies}) == 4
            assert [b["isTest"] for b in bodies] == [False] * 4
            assert seen == statuses  # each handler saw the return as the change left it
            assert [d["status"] for d in deliveries(client, PROVIDER)] == ["delivered"] * 4


def test_only_exactly_200_counts_and_a_failing_receiver_is_resent_every_minute(tmp_path: Path) -> None:
    answers = {"status": 204}
    with served(tmp_path) as client, hooked(lambda _: (answers["status"], b"")) as hook:
        subscribe(client, PROVIDER, hook.url, owner="40001", events=["return.opened"])
        create(client, bearer(client))
        advance(client, 0)
        answers["status"] = 500
        advance(client, (PREFIX_ATTEMPTS - 1) * MINUTE)
        (delivery,) = deliveries(client, PROVIDER)
        assert [elapsed(a["at"]) for a in delivery["attempts"]] == [n * MINUTE for n in range(PREFIX_ATTEMPTS)]
        assert [a["status"] for a in delivery["attempts"]] == [204] + [500] * (PREFIX_ATTEMPTS - 1)
        assert (delivery["status"], elapsed(delivery["due"])) == ("pending", PREFIX_ATTEMPTS * MINUTE)
        assert len({r.body for r in hook.received}) == 1
        check_signed_thin_events(hook)  # each attempt signed again over its own Date


def test_after_the_receiver_goes_away_the_retries_run_to_14_days_then_the_delivery_fails(tmp_path: Path) -> None:
    """The real schedule once: an hour answered 500 (checked above), then refused connections (~30 s here)."""
    with served(tmp_path) as client:
        with hooked(lambda _: (500, b"")) as hook:
            subscribe(client, PROVIDER, hook.url, owner="40001", events=["return.opened"])
            create(client, bearer(client))
            advance(client, (PREFIX_ATTEMPTS - 1) * MINUTE)
            assert len(hook.received) == PREFIX_ATTEMPTS
        advance(client, 14 * DAY - PREFIX_ATTEMPTS * MINUTE)
        (delivery,) = deliveries(client, PROVIDER, every_attempt=False)
        assert (delivery["status"], delivery["attempts_count"]) == ("pending", EVERY_ATTEMPT - 1)
        advance(client, MINUTE)
        (delivery,) = deliveries(client, PROVIDER, every_attempt=False)
        assert (delivery["status"], delivery["due"], delivery["attempts_count"]) == ("failed", None, EVERY_ATTEMPT)
        last = [elapsed(a["at"]) for a in delivery["attempts"]]
        assert last == [14 * DAY - n * MINUTE for n in reversed(range(LISTED_ATTEMPTS))]
        assert {a["status"] for a in delivery["attempts"]} == {None}  # no answer: nobody listens any more
        advance(client, DAY)
        assert deliveries(client, PROVIDER, every_attempt=False)[0]["attempts_count"] == EVERY_ATTEMPT
