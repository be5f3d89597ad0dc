"""Kibo OMS end to end: a real `returnkit serve` posts a return's notifications to a real receiver.

OMS subscriptions are set up by Kibo's staff, so the admin API stands for them. Checked with what
the research wrote down (W§3): unsigned notifications keyed by `eventTypeID` with the documented
common fields (`status, source, orderID, shipmentID, externalOrderID, returnID, manufacturerID`;
the archived table is truncated, so other fields may follow), in the order of the return's
changes; exactly 200 counts, else resent every minute.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import httpx

from tests.webhooks.lifecycle import (
    OTHER_KEYS,
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

PROVIDER = "kibo-oms"
RETURN = "/api/v2/return/"
SUMMIT = ("oms_key_summit_61b0c2", "oms_secret_summit_9e47d3")  # mocks/kibo-oms.yaml: manufacturer 7101
NOTIFICATION = {
    "eventTypeID": str,
    "status": str,
    "source": str,
    "orderID": int,
    "shipmentID": int,
    "externalOrderID": str,
    "returnID": int,
    "manufacturerID": int,
    OTHER_KEYS: object,
}
SIGNATURE_HEADERS = {"x-vol-hmac-sha256", "signature", "x-signature", "authorization"}
MINUTE = 60
PREFIX_ATTEMPTS = 61  # an hour of the 14 days (20 161 attempts take ~90 s here: too long for the suite)


def bearer(client: httpx.Client) -> dict[str, str]:
    basic = base64.b64encode(":".join(SUMMIT).encode()).decode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"}
    answer = client.post("/oauthserver/oauth2/token", content=b"grant_type=client_credentials", headers=headers)
    assert answer.status_code == 200, answer.text
    return {"Authorization": f"Bearer {answer.json()['access_token']}"}


def placed_order(client: httpx.Client) -> dict[str, Any]:
    manufacturer = next(m for m in world(client, PROVIDER)["manufacturers"] if m["id"] == 7101)
    found: dict[str, Any] = manufacturer["orders"][0]
    return found


def create(client: httpx.Client, auth: dict[str, str], placed: dict[str, Any]) -> dict[str, Any]:
    item = {"orderItemID": placed["items"][0]["orderItemID"], "quantity": 1, "reason": "DAMAGED"}
    params = {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]}
    body = {"item": [item], "externalOrderID": "WEB-10042"}  # the client's own order id, echoed in notifications
    answer = client.post(RETURN, json=body, params=params, headers=auth)
    assert answer.status_code == 200, answer.text
    created: dict[str, Any] = answer.json()
    return created


def post(client: httpx.Client, auth: dict[str, str], action: str, body: dict[str, Any]) -> None:
    answer = client.post(f"{RETURN}action/{action}/", json=body, headers=auth)
    assert answer.status_code == 200, answer.text


def check_unsigned_notifications(hook: Hook) -> list[dict[str, Any]]:
    bodies = hook.bodies()
    for index, body in enumerate(bodies):
        assert not {k.lower() for k in hook.received[index].headers} & SIGNATURE_HEADERS
        assert hook.header(index, "Content-Type") == "application/json"
        assert_shape(body, NOTIFICATION)
    return bodies


def test_create_process_reopen_and_reject_are_notified_in_order(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(lambda _: (200, b"")) as hook:
        subscribe(client, PROVIDER, hook.url)
        auth = bearer(client)
        placed = placed_order(client)
        created = create(client, auth, placed)
        advance(client, 0)
        post(client, auth, "process", {"returnID": created["returnID"]})
        post(client, auth, "reopen", {"returnID": created["returnID"]})
        rejected = [{"orderItemID": created["item"][0]["orderItemID"], "quantityAccepted": 0}]
        post(client, auth, "process", {"returnID": created["returnID"], "acceptedItemQuantity": rejected})
        assert len(hook.received) == 1  # nothing is sent before the clock says so
        advance(client, 0)
        bodies = check_unsigned_notifications(hook)
        assert [(b["eventTypeID"], b["status"]) for b in bodies] == [
            ("return_created", "OPEN"),
            ("return_accepted", "CLOSED"),
            ("return_cleared", "CLOSED"),
            ("return_reopened", "OPEN"),
            ("return_rejected", "CLOSED"),
        ]
        for body in bodies:
            assert (body["orderID"], body["shipmentID"]) == (placed["orderID"], placed["shipmentID"])
            assert (body["returnID"], body["manufacturerID"]) == (created["returnID"], 7101)
            assert body["externalOrderID"] == created["externalOrderID"] == "WEB-10042"
        assert {d["status"] for d in deliveries(client, PROVIDER)} == {"delivered"}


def test_only_exactly_200_counts_and_a_failing_receiver_is_resent_every_minute(tmp_path: Path) -> None:
    answers = {"status": 201}
    with served(tmp_path) as client, hooked(lambda _: (answers["status"], b"")) as hook:
        subscribe(client, PROVIDER, hook.url, events=["return_created"])
        create(client, bearer(client), placed_order(client))
        advance(client, 0)
        answers["status"] = 500
        advance(client, (PREFIX_ATTEMPTS - 1) * MINUTE)
        (delivery,) = deliveries(client, PROVIDER)
        assert [elapsed(a["at"]) for a in delivery["attempts"]] == [n * MINUTE for n in range(PREFIX_ATTEMPTS)]
        assert [a["status"] for a in delivery["attempts"]] == [201] + [500] * (PREFIX_ATTEMPTS - 1)
        assert (delivery["status"], elapsed(delivery["due"])) == ("pending", PREFIX_ATTEMPTS * MINUTE)
        assert len({r.body for r in hook.received}) == 1
        check_unsigned_notifications(hook)
