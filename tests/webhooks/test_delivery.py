"""Delivery on the virtual clock, to a real receiver on loopback: what arrives, when, signed how.

Pingo (`tests/webhooks/fake.py`) emits `ping.created` when a ping is made and `ping.answered` 60 s
later; it retries after 60 s and 300 s more. The signature is checked with the test's own recipe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import httpx

from tests.webhooks.fake import KEY, RETRY_AFTER_SECONDS
from tests.webhooks.receiver import Receiver

START = datetime.fromisoformat("2026-03-02T09:00:00+00:00").timestamp()


def subscribe(client: httpx.Client, url: str, **fields: Any) -> dict[str, Any]:
    answer = client.post("/__admin/webhooks", json={"provider": "pingo", "url": url, **fields})
    assert answer.status_code == 201, answer.text
    subscription: dict[str, Any] = answer.json()
    return subscription


def ping(client: httpx.Client, text: str = "hello") -> str:
    answer = client.post("/pings", json={"text": text}, headers={"X-Pingo-Key": KEY})
    assert answer.status_code == 201, answer.text
    identifier: str = answer.json()["id"]
    return identifier


def advance(client: httpx.Client, seconds: float) -> None:
    answer = client.post("/__admin/clock/advance", json={"seconds": seconds})
    assert answer.status_code == 200, answer.text


def deliveries(client: httpx.Client, **filters: str) -> list[dict[str, Any]]:
    answer = client.get("/__admin/webhooks/deliveries", params={"attempts": "all", **filters})
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["deliveries"]
    return found


def elapsed(iso_time: str) -> float:
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp() - START


def test_a_subscription_gets_each_event_signed_in_change_order_when_the_clock_reaches_it(
    client: httpx.Client, receiver: Receiver
) -> None:
    subscription = subscribe(client, receiver.url)
    assert subscription["secret"] == "pg_whsec_0_1"  # noqa: S105 (the fake provider's seeded secret)
    assert (subscription["id"], subscription["owner"], subscription["events"]) == ("wh_1", None, None)
    first = ping(client)
    assert receiver.received == []  # nothing is sent on the request path, nor before the clock says so
    advance(client, 0)
    assert [json.loads(r.body)["event"] for r in receiver.received] == ["ping.created"]
    advance(client, 59)
    assert len(receiver.received) == 1
    advance(client, 1)
    bodies = [json.loads(r.body) for r in receiver.received]
    assert [(b["event"], b["ping"], b["status"]) for b in bodies] == [
        ("ping.created", first, "open"),
        ("ping.answered", first, "answered"),
    ]
    for index, arrived in enumerate(receiver.received):
        expected = hmac.new(b"pg_whsec_0_1", arrived.body, hashlib.sha256).hexdigest()
        assert receiver.header(index, "X-Pingo-Signature") == expected
        assert receiver.header(index, "X-Pingo-Event") == bodies[index]["event"]
        assert arrived.path == "/hooks"
    assert [d["status"] for d in deliveries(client)] == ["delivered", "delivered"]


def test_a_failing_receiver_is_retried_on_the_policys_schedule_then_the_delivery_fails(
    client: httpx.Client, receiver: Receiver
) -> None:
    receiver.status = 500
    subscribe(client, receiver.url, events=["ping.created"])
    ping(client)
    advance(client, 0)
    assert len(receiver.received) == 1
    advance(client, RETRY_AFTER_SECONDS[0] - 1)
    assert len(receiver.received) == 1
    advance(client, 1)
    assert len(receiver.received) == 2
    advance(client, 3600)
    assert len(receiver.received) == 3  # the schedule has two retries: no fourth attempt
    (delivery,) = deliveries(client)
    assert delivery["status"] == "failed"
    assert delivery["due"] is None
    assert [elapsed(a["at"]) for a in delivery["attempts"]] == [0, 60, 360]
    assert [a["status"] for a in delivery["attempts"]] == [500, 500, 500]
    assert len({r.body for r in receiver.received}) == 1  # the same bytes every time


def test_a_receiver_that_recovers_gets_the_retry_and_the_delivery_counts(
    client: httpx.Client, receiver: Receiver
) -> None:
    receiver.status = 503
    subscribe(client, receiver.url, events=["ping.created"])
    ping(client)
    advance(client, 0)
    receiver.status = 204
    advance(client, 60)
    (delivery,) = deliveries(client)
    assert (delivery["status"], delivery["attempts_count"]) == ("delivered", 2)
    advance(client, 3600)
    assert len(receiver.received) == 2


def test_a_receiver_that_is_down_is_a_failed_attempt_that_is_retried(client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, "http://127.0.0.1:9/nobody-listens", events=["ping.created"])
    ping(client)
    advance(client, 0)
    (delivery,) = deliveries(client)
    (attempt,) = delivery["attempts"]
    assert attempt["status"] is None
    assert attempt["error"]
    assert (delivery["status"], elapsed(delivery["due"])) == ("pending", 60)


def test_events_only_go_to_subscriptions_that_want_them_and_none_before_they_existed(
    client: httpx.Client, receiver: Receiver
) -> None:
    ping(client, "before")  # no backfill: emitted before the subscription
    subscribe(client, receiver.url, events=["ping.answered"])
    advance(client, 120)
    assert [json.loads(r.body)["event"] for r in receiver.received] == ["ping.answered"]


def test_a_refused_request_emits_nothing(client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, receiver.url)
    assert client.post("/pings", json={"text": ""}, headers={"X-Pingo-Key": KEY}).status_code == 400
    advance(client, 120)
    assert receiver.received == []
    assert deliveries(client) == []


def test_subscriptions_are_listed_removed_and_their_pending_deliveries_cancelled(
    client: httpx.Client, receiver: Receiver
) -> None:
    subscription = subscribe(client, receiver.url)
    listed = client.get("/__admin/webhooks", params={"provider": "pingo"}).json()["subscriptions"]
    assert listed == [subscription]
    ping(client)
    assert client.delete(f"/__admin/webhooks/{subscription['id']}").status_code == 204
    assert client.delete(f"/__admin/webhooks/{subscription['id']}").status_code == 404
    advance(client, 120)
    assert receiver.received == []
    assert [d["status"] for d in deliveries(client)] == ["cancelled"]
    assert client.get("/__admin/webhooks").json() == {"subscriptions": []}


def test_a_target_off_loopback_an_unknown_event_and_a_provider_without_webhooks_are_refused(
    client: httpx.Client,
) -> None:
    far = client.post("/__admin/webhooks", json={"provider": "pingo", "url": "https://hooks.example.com/x"})
    assert far.status_code == 400
    assert "--webhook-allow hooks.example.com" in far.json()["message"]
    unknown = client.post(
        "/__admin/webhooks", json={"provider": "pingo", "url": "http://127.0.0.1:1/", "events": ["ping.lost"]}
    )
    assert unknown.status_code == 400
    assert "ping.created, ping.answered" in unknown.json()["message"]
    assert client.get("/__admin/webhooks").json() == {"subscriptions": []}


def test_reset_clears_subscriptions_and_the_outbox(client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, receiver.url)
    ping(client)
    assert client.post("/__admin/reset").status_code == 200
    assert client.get("/__admin/webhooks").json() == {"subscriptions": []}
    assert deliveries(client) == []
    assert subscribe(client, receiver.url)["id"] == "wh_1"


def test_every_attempt_is_journaled_outbound_and_the_default_journal_lists_requests_only(
    client: httpx.Client, receiver: Receiver
) -> None:
    receiver.status = 500
    subscribe(client, receiver.url, events=["ping.created"])
    ping(client)
    advance(client, 60)
    outbound = client.get("/__admin/requests", params={"direction": "outbound"}).json()["requests"]
    assert [(e["webhook"]["attempt"], e["status"], e["webhook"]["target"]) for e in outbound] == [
        (1, 500, receiver.url),
        (2, 500, receiver.url),
    ]
    assert all(e["direction"] == "outbound" and e["operation"] == "webhook:ping.created" for e in outbound)
    inbound = client.get("/__admin/requests").json()["requests"]
    assert all("direction" not in e for e in inbound)
    assert len(client.get("/__admin/requests", params={"direction": "all"}).json()["requests"]) == len(inbound) + 3


def test_redeliver_sends_again_without_moving_the_schedule(client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, receiver.url, events=["ping.created"])
    ping(client)
    advance(client, 0)
    (delivery,) = deliveries(client)
    again = client.post(f"/__admin/webhooks/deliveries/{delivery['id']}/redeliver")
    assert again.status_code == 200, again.text
    assert [a["kind"] for a in again.json()["attempts"]] == ["scheduled", "redeliver"]
    assert receiver.received[0].body == receiver.received[1].body
    assert client.post("/__admin/webhooks/deliveries/999/redeliver").status_code == 404
