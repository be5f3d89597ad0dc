"""Webhook faults, as the receiving side meets them (seeded like the others).

The admin API's `FaultRequest` names the five bundled providers only, so Pingo's faults are added
to the server's fault book directly (`add`); `delay`, and what the admin API accepts and refuses,
are tested through the admin API with Zinc at the end.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest

from returnkit.core.faults import FaultKind
from returnkit.server.app import server_state
from tests.webhooks.fake import SIGNATURE
from tests.webhooks.receiver import Receiver
from tests.webhooks.test_delivery import advance, deliveries, elapsed, ping, subscribe


def add(app: Any, kind: FaultKind, operation: str = "webhook:*", **options: Any) -> None:
    server_state(app).faults.add("pingo", kind, operation=operation, **options)


def signed_right(receiver: Receiver, index: int, secret: str) -> bool:
    expected = hmac.new(secret.encode(), receiver.received[index].body, hashlib.sha256).hexdigest()
    headers = {k.lower(): v for k, v in receiver.received[index].headers.items()}
    return headers.get(SIGNATURE.lower()) == expected


def test_duplicate_sends_the_same_delivery_twice(app: Any, client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, receiver.url, events=["ping.created"])
    add(app, "duplicate", "webhook:ping.created", times=1)
    ping(client)
    ping(client)
    advance(client, 0)
    bodies = [json.loads(r.body)["ping"] for r in receiver.received]
    assert bodies == ["P1", "P1", "P2"]
    first, _ = deliveries(client)
    assert [a["kind"] for a in first["attempts"]] == ["scheduled", "duplicate"]


def test_drop_never_sends_and_shows_the_delivery_dropped(app: Any, client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, receiver.url, events=["ping.created"])
    add(app, "drop", times=1)
    ping(client)
    ping(client)
    advance(client, 3600)
    assert [json.loads(r.body)["ping"] for r in receiver.received] == ["P2"]
    assert [d["status"] for d in deliveries(client)] == ["dropped", "delivered"]


@pytest.mark.parametrize("mode", ["wrong", "truncated", "missing"])
def test_bad_signature_spoils_the_signature_header_as_asked(
    app: Any, client: httpx.Client, receiver: Receiver, mode: str
) -> None:
    secret = subscribe(client, receiver.url, events=["ping.created"])["secret"]
    add(app, "bad-signature", mode=mode, times=1)
    ping(client)
    ping(client)
    advance(client, 0)
    assert not signed_right(receiver, 0, secret)
    assert signed_right(receiver, 1, secret)
    headers = {k.lower(): v for k, v in receiver.received[0].headers.items()}
    if mode == "missing":
        assert SIGNATURE.lower() not in headers
    elif mode == "truncated":
        assert len(headers[SIGNATURE.lower()]) < 64
    else:
        assert len(headers[SIGNATURE.lower()]) == 64


def test_reorder_swaps_a_delivery_with_the_next_one_due(app: Any, client: httpx.Client, receiver: Receiver) -> None:
    subscribe(client, receiver.url, events=["ping.created"])
    add(app, "reorder", times=1)
    for _ in range(3):
        ping(client)
    advance(client, 0)
    assert [json.loads(r.body)["ping"] for r in receiver.received] == ["P2", "P1", "P3"]


def test_the_admin_api_refuses_webhook_faults_without_a_webhook_operation_or_webhooks(client: httpx.Client) -> None:
    def fault(**fields: Any) -> httpx.Response:
        return client.post("/__admin/faults", json={"provider": "kibo-oms", **fields})

    without = fault(kind="duplicate")
    assert without.status_code == 400
    assert "duplicate is a webhook fault" in without.json()["message"]
    assert fault(kind="status", operation="webhook:*").status_code == 400
    assert fault(kind="drop", operation="webhook:return_lost").status_code == 404
    assert "delay is a webhook fault" in fault(kind="delay").json()["message"]
    assert client.get("/__admin/faults").json() == {"faults": []}


ZINC = "Bearer zn_test_acme_5d2f8a91c4e7"


def zinc_fault(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    answer = client.post("/__admin/faults", json={"provider": "zinc", "operation": "webhook:return.created", **fields})
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def zinc_subscribe(client: httpx.Client, url: str) -> None:
    answer = client.post("/__admin/webhooks", json={"provider": "zinc", "url": url, "events": ["return.created"]})
    assert answer.status_code == 201, answer.text


def file_zinc_returns(client: httpx.Client, count: int) -> list[str]:
    """`count` returns of one item each, on orders of the first account that are placed."""
    account = client.get("/__admin/world").json()["providers"]["zinc"]["accounts"][0]
    placed = [order for order in account["orders"] if order["status"] == "order_placed"][:count]
    identifiers = []
    for order in placed:
        body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
        answer = client.post("/returns", json={**body, "reason": "damaged"}, headers={"Authorization": ZINC})
        assert answer.status_code == 201, answer.text
        identifiers.append(answer.json()["id"])
    assert len(identifiers) == count
    return identifiers


def arrived_returns(receiver: Receiver) -> list[str]:
    return [json.loads(arrived.body)["data"]["id"] for arrived in receiver.received]


def seconds_between(earlier: str, later: str) -> float:
    return elapsed(later) - elapsed(earlier)


def test_delay_sends_the_first_attempt_later_on_the_clock_and_lets_the_next_overtake(
    client: httpx.Client, receiver: Receiver
) -> None:
    zinc_subscribe(client, receiver.url)
    zinc_fault(client, kind="delay", seconds=600, times=1)
    late, on_time = file_zinc_returns(client, 2)
    advance(client, 0)
    assert arrived_returns(receiver) == [on_time]
    delayed, sent = deliveries(client)
    assert (delayed["status"], delayed["attempts"], sent["status"]) == ("pending", [], "delivered")
    assert seconds_between(delayed["occurred"], delayed["due"]) == 600
    advance(client, 599)
    assert arrived_returns(receiver) == [on_time]
    advance(client, 1)
    assert arrived_returns(receiver) == [on_time, late]
    (attempt,) = deliveries(client)[0]["attempts"]
    assert (attempt["kind"], seconds_between(delayed["occurred"], attempt["at"])) == ("scheduled", 600)


def test_delay_jitter_is_a_seeded_draw_the_same_on_every_run(client: httpx.Client, receiver: Receiver) -> None:
    def delayed_by() -> float:
        zinc_subscribe(client, receiver.url)
        zinc_fault(client, kind="delay", seconds=300, jitter=3600)
        file_zinc_returns(client, 1)
        advance(client, 0)
        (delivery,) = deliveries(client)
        assert delivery["attempts"] == []
        return seconds_between(delivery["occurred"], delivery["due"])

    first = delayed_by()
    assert 300 < first < 3900  # a draw of exactly 0 s from a 3600 s jitter would be a 1-in-3600 event
    assert client.post("/__admin/reset").status_code == 200
    assert delayed_by() == first
    advance(client, first + 1)
    assert len(receiver.received) == 1  # delayed once, not again when it falls due


def test_a_delayed_delivery_keeps_the_faults_that_fired_with_it_and_retries_from_its_late_attempt(
    client: httpx.Client, receiver: Receiver
) -> None:
    zinc_subscribe(client, receiver.url)
    zinc_fault(client, kind="delay", seconds=120, times=1)
    zinc_fault(client, kind="duplicate", times=1)
    receiver.status = 500
    (only,) = file_zinc_returns(client, 1)
    advance(client, 0)
    assert receiver.received == []
    advance(client, 120)
    assert arrived_returns(receiver) == [only, only]  # the duplicate fired with the delay, sent when due
    (delivery,) = deliveries(client)
    assert [attempt["kind"] for attempt in delivery["attempts"]] == ["scheduled", "duplicate"]
    assert seconds_between(delivery["occurred"], delivery["due"]) == 120 + 60  # Zinc retries 60 s after
    advance(client, 60)
    assert arrived_returns(receiver) == [only, only, only]
