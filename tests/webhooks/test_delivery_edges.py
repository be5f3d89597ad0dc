"""The edges of delivery: timeouts, redirects, payloads that break the spec, the clock's limit,
and subscriptions that `mocks/server.yaml` gives every reset."""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from typing import Any

import httpx

from returnkit.core.outbox import Event
from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app, server_state
from returnkit.testing.transport import ReturnkitTransport
from tests.webhooks.fake import SPEC, TIMEOUT_SECONDS, pingo_kit
from tests.webhooks.receiver import Receiver, listening
from tests.webhooks.test_delivery import advance, deliveries, elapsed, ping, subscribe


def test_a_receiver_slower_than_the_providers_timeout_is_a_failed_attempt(
    client: httpx.Client, receiver: Receiver
) -> None:
    receiver.hang = threading.Event()
    receiver.hang.set()  # held until the test ends: longer than Pingo's 2 s
    subscribe(client, receiver.url, events=["ping.created"])
    ping(client)
    advance(client, 0)
    (delivery,) = deliveries(client)
    (attempt,) = delivery["attempts"]
    assert (attempt["status"], attempt["error"]) == (None, f"no answer within {TIMEOUT_SECONDS} s")
    assert attempt["duration_ms"] >= TIMEOUT_SECONDS * 1000 * 0.9
    assert (delivery["status"], elapsed(delivery["due"])) == ("pending", 60)


def test_a_redirect_is_not_followed_and_counts_as_a_failure(client: httpx.Client, receiver: Receiver) -> None:
    receiver.status = 302
    subscribe(client, receiver.url, events=["ping.created"])
    ping(client)
    advance(client, 0)
    (delivery,) = deliveries(client)
    assert [a["status"] for a in delivery["attempts"]] == [302]
    assert delivery["status"] == "pending"
    assert len(receiver.received) == 1


def test_a_payload_that_breaks_the_spec_is_sent_and_its_conformance_journaled(
    app: Any, client: httpx.Client, receiver: Receiver
) -> None:
    subscribe(client, receiver.url, events=["ping.created"])
    state = server_state(app)
    broken = {"event": "ping.created", "id": "x", "ping": "P9", "status": "lost"}
    with state.store.transaction():
        state.worlds["pingo"].emit(
            Event("pingo", "ping.created", "acme", "P9", state.clock.timestamp(), lambda _: broken)
        )
    advance(client, 0)
    assert len(receiver.received) == 1
    (delivery,) = deliveries(client)
    assert delivery["conformance"] is not None
    assert "status" in delivery["conformance"]
    (entry,) = client.get("/__admin/requests", params={"direction": "outbound"}).json()["requests"]
    assert entry["conformance"] == delivery["conformance"]


def test_an_advance_past_the_clocks_limit_is_refused_with_subscriptions_too(
    app: Any, client: httpx.Client, receiver: Receiver
) -> None:
    subscribe(client, receiver.url)
    clock = server_state(app).clock
    clock.restore(clock.latest_elapsed - 100)
    before = client.get("/__admin/clock").json()
    refused = client.post("/__admin/clock/advance", json={"seconds": 200})
    assert refused.status_code == 400
    assert "at most 100 seconds are left" in refused.json()["message"]
    assert client.get("/__admin/clock").json() == before


def test_reset_starts_with_the_subscriptions_mocks_server_yaml_lists(
    app: Any, client: httpx.Client, receiver: Receiver
) -> None:
    server_state(app).webhook_subscriptions = [{"provider": "pingo", "url": receiver.url, "events": ["ping.created"]}]
    assert client.post("/__admin/reset").status_code == 200
    (subscription,) = client.get("/__admin/webhooks").json()["subscriptions"]
    assert (subscription["source"], subscription["secret"]) == ("mocks", "pg_whsec_0_1")
    ping(client)
    advance(client, 0)
    assert len(receiver.received) == 1


def test_a_signed_date_is_the_wall_clock_unless_a_subscription_asks_for_virtual_time(
    client: httpx.Client, receiver: Receiver
) -> None:
    subscribe(client, receiver.url, events=["ping.created"])
    subscribe(client, receiver.url, events=["ping.created"], date="virtual")
    ping(client)
    advance(client, 0)
    # two subscriptions are sent side by side: which arrives first is not fixed, so tell them by their Date
    virtual, wall = sorted(parsedate_to_datetime(receiver.header(n, "Date")) for n in (0, 1))
    assert abs((wall - datetime.now(UTC)).total_seconds()) < 60
    assert virtual == datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def test_a_policy_of_every_minute_retries_each_minute_until_its_end_then_fails(tmp_path: Path) -> None:
    spec = tmp_path / "pingo.yaml"
    spec.write_text(
        SPEC.replace("retry: {after_seconds: [60, 300]}", "retry: {every_seconds: 60, until_seconds: 3600}")
    )
    app = create_app(ServerOptions(clock_mode="frozen"), kits=[*default_kits(), pingo_kit(spec)])
    with listening(500) as receiver, httpx.Client(transport=ReturnkitTransport(app), base_url="http://rk") as client:
        subscribe(client, receiver.url, events=["ping.created"])
        ping(client)
        advance(client, 7200)
        (delivery,) = deliveries(client)
        assert delivery["status"] == "failed"
        assert [elapsed(a["at"]) for a in delivery["attempts"]] == [60.0 * n for n in range(61)]
        assert len(receiver.received) == 61


def test_the_admin_lists_refuse_unknown_filter_values_and_a_redelivery_of_no_number(client: httpx.Client) -> None:
    journal = client.get("/__admin/requests", params={"direction": "sideways"})
    assert journal.status_code == 400
    assert "direction" in journal.json()["message"]
    for name, value in (("status", "lost"), ("attempts", "some")):
        listed = client.get("/__admin/webhooks/deliveries", params={name: value})
        assert listed.status_code == 400
        assert name in listed.json()["message"]
    again = client.post("/__admin/webhooks/deliveries/null,null/redeliver")
    assert again.status_code == 400
    assert "whole number" in again.json()["message"]
