"""Webhook faults, as the receiving side meets them (seeded like the others).

The admin API's `FaultRequest` names the five bundled providers only, so Pingo's faults are added
to the server's fault book directly (`add`); what the admin API accepts and refuses is tested with
a bundled provider at the end.
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
from tests.webhooks.test_delivery import advance, deliveries, ping, subscribe


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
    assert "not carried out yet" in fault(kind="delay", operation="webhook:*").json()["message"]
    assert client.get("/__admin/faults").json() == {"faults": []}
