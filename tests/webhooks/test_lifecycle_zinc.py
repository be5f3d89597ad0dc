"""Zinc end to end: a real `returnkit serve` posts a return's events to a real receiver on loopback.

The receiver is registered through Zinc's own `PUT /webhooks/endpoint`, as a client does. The
signature is checked with the recipe written here from the research (W§1.4: lowercase hex
HMAC-SHA256 of the raw body, keyed by the whole `zn_whsec_` secret), the envelope against the
documented keys (W§1.5), and the retries against the spec's schedule.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from pathlib import Path
from typing import Any

import httpx

from tests.webhooks.lifecycle import advance, assert_shape, deliveries, elapsed, served, subscribe
from tests.webhooks.receiver import Receiver, listening

ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
RESOLUTION_SECONDS = 120  # mocks/zinc.yaml
# W§1.5: every event's envelope; `status` is the return's, `data` the return (its content is undocumented).
ENVELOPE = {"event": str, "order_id": str, "return_id": str, "status": str, "timestamp": str, "data": dict}
RETURN_STATUS = {"return.created": "open", "return.approved": "approved", "return.denied": "denied"}
# specs/zinc.yaml x-returnkit-webhooks (inferred: Zinc documents no schedule): the waits after each failure.
RETRY_AFTER = [60, 300, 1800, 7200, 28800, 86400]


def zinc_signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def test_the_tests_recipe_gives_the_researchs_vector() -> None:
    body = (
        b'{"event":"return.approved","order_id":"550e8400-e29b-41d4-a716-446655440000",'
        b'"return_id":"3c90c3cc-0d44-4b50-8888-8dd25736052a","status":"approved","timestamp":"2026-01-15T14:30:00Z","data":{}}'
    )
    expected = "ca605821bc73b27facdb20b41353e51f4e44ec20ec1bccd623d1762fd2d14daf"  # W§1.4 (computed, not Zinc's)
    assert zinc_signature("zn_whsec_TESTSECRET000000000000000", body) == expected


def register(client: httpx.Client, url: str) -> str:
    answer = client.put("/webhooks/endpoint", json={"url": url}, headers=ACME)
    assert answer.status_code == 200, answer.text
    secret: str = answer.json()["webhook_secret"]
    return secret


def file_a_return(client: httpx.Client, index: int = 0) -> dict[str, Any]:
    orders = client.get("/orders", params={"status_filter": "order_placed", "limit": 500}, headers=ACME).json()
    order = orders["orders"][index]
    body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
    answer = client.post("/returns", json={**body, "reason": "damaged"}, headers=ACME)
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def check_signed_events(receiver: Receiver, secret: str) -> list[dict[str, Any]]:
    bodies = []
    for index, arrived in enumerate(receiver.received):
        assert hmac.compare_digest(receiver.header(index, "X-Webhook-Signature"), zinc_signature(secret, arrived.body))
        assert receiver.header(index, "Content-Type") == "application/json"
        body = json.loads(arrived.body)
        assert receiver.header(index, "X-Webhook-Event") == body["event"]
        assert_shape(body, ENVELOPE)
        assert body["status"] == RETURN_STATUS[body["event"]]
        bodies.append(body)
    return bodies


def test_a_return_is_announced_created_then_decided_signed_in_zincs_envelope(tmp_path: Path) -> None:
    with served(tmp_path) as client, listening() as receiver:
        secret = register(client, receiver.url)
        assert re.fullmatch(r"zn_whsec_[A-Za-z0-9]{24}", secret)  # W§1.2: the documented placeholder's form
        created = file_a_return(client)
        advance(client, RESOLUTION_SECONDS - 1)
        assert [json.loads(r.body)["event"] for r in receiver.received] == ["return.created"]
        advance(client, 1)
        bodies = check_signed_events(receiver, secret)
        decided = client.get(f"/returns/{created['id']}", headers=ACME).json()
        assert [b["event"] for b in bodies] == ["return.created", f"return.{decided['status']}"]
        assert [b["timestamp"] for b in bodies] == ["2026-03-02T09:00:00Z", "2026-03-02T09:02:00Z"]
        assert {(b["order_id"], b["return_id"]) for b in bodies} == {(created["order_id"], created["id"])}
        assert [b["data"] for b in bodies] == [created, decided]
        if decided["status"] == "approved":
            (label,) = bodies[1]["data"]["label_urls"]
            assert isinstance(label, str)
        assert [d["status"] for d in deliveries(client, "zinc")] == ["delivered", "delivered"]


def test_a_denied_return_is_announced_denied(tmp_path: Path) -> None:
    with served(tmp_path) as client, listening() as receiver:
        secret = register(client, receiver.url)
        fault = {"provider": "zinc", "operation": "create-return", "kind": "deny", "times": 1}
        assert client.post("/__admin/faults", json=fault).status_code == 201
        file_a_return(client)
        advance(client, RESOLUTION_SECONDS)
        bodies = check_signed_events(receiver, secret)
        assert [b["event"] for b in bodies] == ["return.created", "return.denied"]
        assert bodies[1]["data"]["resolution_notes"]


def test_returns_filed_together_each_get_their_events_in_the_order_of_their_changes(tmp_path: Path) -> None:
    with served(tmp_path) as client, listening() as receiver:
        secret = register(client, receiver.url)
        filed = [file_a_return(client, index)["id"] for index in range(3)]
        advance(client, RESOLUTION_SECONDS)
        bodies = check_signed_events(receiver, secret)
        assert len(bodies) == 2 * len(filed)
        for return_id in filed:
            mine = [b for b in bodies if b["return_id"] == return_id]
            created, decided = mine
            assert created["event"] == "return.created"
            assert decided["event"] in {"return.approved", "return.denied"}
            assert [b["timestamp"] for b in mine] == ["2026-03-02T09:00:00Z", "2026-03-02T09:02:00Z"]


def test_a_failing_receiver_gets_every_retry_of_the_schedule_then_the_delivery_fails(tmp_path: Path) -> None:
    with served(tmp_path) as client, listening(status=500) as receiver:
        subscription = subscribe(client, "zinc", receiver.url, events=["return.created"])
        file_a_return(client)
        schedule = [sum(RETRY_AFTER[:n]) for n in range(len(RETRY_AFTER) + 1)]
        advance(client, schedule[-1] - 1)
        assert len(receiver.received) == len(schedule) - 1
        (delivery,) = deliveries(client, "zinc")
        assert delivery["status"] == "pending"
        advance(client, 1)
        advance(client, 7 * 86400)
        assert len(receiver.received) == len(schedule)
        (delivery,) = deliveries(client, "zinc")
        assert (delivery["status"], delivery["due"]) == ("failed", None)
        assert [elapsed(a["at"]) for a in delivery["attempts"]] == schedule
        assert {a["status"] for a in delivery["attempts"]} == {500}
        assert len({r.body for r in receiver.received}) == 1
        check_signed_events(receiver, subscription["secret"])
