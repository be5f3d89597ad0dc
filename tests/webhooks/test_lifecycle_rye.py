"""Rye end to end: a real `returnkit serve` verifies the receiver's URL, then posts a return's steps.

Checked with what the research wrote down (W§5): the handshake (`WEBHOOK_URL_VERIFICATION`,
saved only when the answer echoes the challenge), `Rye-Hmac-Signature-V1` = base64 HMAC-SHA256
of the raw body keyed by the secret, `Rye-Verification` = the developer id, the envelope
`{id, requestId, developerId, createdAt, type, data}` with `data.shippingLabelUrl` on approval,
and no retry ("webhooks are not retried on failure").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
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

LUMEN = {"Authorization": "Basic rye_test_lumen_2d7f91ac", "Rye-Shopper-IP": "203.0.113.7"}
HOUR, WEEK = 3600, 7 * 24 * 3600  # mocks/rye.yaml: approved after an hour, closed after a week
RETURN_ORDER = """
mutation Return($input: ReturnOrderInput!) {
  returnOrder(input: $input) { result { ... on ReturnShopifyOrderResult { orderId returnId } } error { code } }
}
"""
# W§5.3: the documented verification request; W§5.5: BaseWebhook + type + data (return data undocumented).
VERIFICATION = {"id": str, "developerId": str, "createdAt": str, "type": str, "data": {"challenge": str}}
ENVELOPE = {"id": str, "requestId": str, "developerId": str, "createdAt": str, "type": str, "data": dict}
NO_LABEL = type(None)
LABEL: dict[str, type] = {
    "RETURN_REQUESTED": NO_LABEL,
    "RETURN_APPROVED": str,
    "RETURN_CLOSED": str,
    "RETURN_DENIED": NO_LABEL,
}


def rye_signature(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode("utf-8"), body, hashlib.sha256).digest()).decode("ascii")


def test_the_tests_recipe_gives_the_researchs_vector() -> None:
    body = (
        b'{"id":"e56b5b2b-40d4-491f-bab2-ecb96bc911a7","developerId":"mBdwaN3QWmmvZsNYuWPdLnzIbaDM",'
        b'"createdAt":"2024-07-22T14:30:04.367Z","type":"WEBHOOK_URL_VERIFICATION","data":{"challenge":"abc"}}'
    )
    assert rye_signature("test_hmac_secret", body) == "uvALWYLJUAvVRVMVDl4LVetzQRJP+QCdINAgwGNACDQ="  # W§5.4 (computed)


def assert_random_hex(value: str, digits: int) -> None:
    """All `digits` are hex and every part of it varies: no long run of padding zeros a receiver could rely on."""
    assert len(value) == digits
    assert all(len(set(value[start : start + 16])) > 3 for start in range(0, digits, 16)), value


def echoing(status: dict[str, int]) -> Any:
    """A handler answering the challenge with its echo and every event with `status["events"]`."""

    def respond(arrived: Received) -> Answer:
        body = json.loads(arrived.body)
        if body["type"] == "WEBHOOK_URL_VERIFICATION":
            return 200, json.dumps({"challenge": body["data"]["challenge"]}).encode()
        return status["events"], b""

    return respond


def request_a_return(client: httpx.Client) -> dict[str, Any]:
    orders = world(client, "rye")["developers"][0]["orders"]
    order = next(o for o in orders if o["marketplace"] == "SHOPIFY" and o["delivered"])
    lines = [{"id": line["variantId"], "quantity": 1} for line in order["lines"]]
    variables = {"input": {"orderId": order["id"], "lineItems": lines}}
    answer = client.post("/v1/query", json={"query": RETURN_ORDER, "variables": variables}, headers=LUMEN).json()
    result: dict[str, Any] = answer["data"]["returnOrder"]["result"]
    assert result["returnId"], answer
    return result


def check_signed(hook: Hook, secret: str) -> list[dict[str, Any]]:
    bodies = hook.bodies()
    for index, arrived in enumerate(hook.received):
        assert hmac.compare_digest(hook.header(index, "Rye-Hmac-Signature-V1"), rye_signature(secret, arrived.body))
        assert hook.header(index, "Rye-Verification") == bodies[index]["developerId"] == "lumen-labs"
    return bodies


def check_return_events(bodies: list[dict[str, Any]], requested: dict[str, Any]) -> None:
    for body in bodies:
        assert_shape(body, ENVELOPE)
        assert (body["requestId"], body["data"]["id"]) == (requested["orderId"], requested["returnId"])
        assert isinstance(body["data"]["shippingLabelUrl"], LABEL[body["type"]])
    assert len({b["id"] for b in bodies}) == len(bodies)
    assert [b["createdAt"] for b in bodies] == sorted(b["createdAt"] for b in bodies)  # W§5.6: sequence by it


def test_the_url_is_verified_then_a_return_is_announced_requested_approved_closed(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(echoing({"events": 200})) as hook:
        subscription = subscribe(client, "rye", hook.url)
        (verification,) = check_signed(hook, subscription["secret"])
        assert_shape(verification, VERIFICATION)
        assert verification["type"] == "WEBHOOK_URL_VERIFICATION"
        assert_random_hex(verification["data"]["challenge"], 96)  # W§5.3: the documented example's 96 hex digits
        assert_random_hex(subscription["secret"], 64)  # the form is undocumented (specs/rye.yaml says so)
        requested = request_a_return(client)
        advance(client, HOUR)
        advance(client, WEEK)
        bodies = check_signed(hook, subscription["secret"])[1:]
        assert [b["type"] for b in bodies] == ["RETURN_REQUESTED", "RETURN_APPROVED", "RETURN_CLOSED"]
        assert [b["createdAt"] for b in bodies] == [
            "2026-03-02T09:00:00.000Z",
            "2026-03-02T10:00:00.000Z",
            "2026-03-09T09:00:00.000Z",
        ]
        check_return_events(bodies, requested)
        assert {d["status"] for d in deliveries(client, "rye")} == {"delivered"}


def test_a_url_that_does_not_echo_the_challenge_is_not_saved(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(lambda _: (200, b'{"challenge": "nope"}')) as hook:
        answer = client.post("/__admin/webhooks", json={"provider": "rye", "url": hook.url})
        assert answer.status_code == 422, answer.text
        assert client.get("/__admin/webhooks").json() == {"subscriptions": []}
        request_a_return(client)
        advance(client, HOUR)
        assert len(hook.received) == 1


def test_a_denied_return_is_announced_denied(tmp_path: Path) -> None:
    with served(tmp_path) as client, hooked(echoing({"events": 200})) as hook:
        subscription = subscribe(client, "rye", hook.url)
        assert client.post("/__admin/faults", json={"provider": "rye", "kind": "deny", "times": 1}).status_code == 201
        requested = request_a_return(client)
        advance(client, WEEK)
        bodies = check_signed(hook, subscription["secret"])[1:]
        assert [b["type"] for b in bodies] == ["RETURN_REQUESTED", "RETURN_DENIED"]
        check_return_events(bodies, requested)


def test_a_failed_delivery_is_not_retried_and_fails_at_once(tmp_path: Path) -> None:
    status = {"events": 200}
    with served(tmp_path) as client, hooked(echoing(status)) as hook:
        subscribe(client, "rye", hook.url, events=["RETURN_REQUESTED"])
        status["events"] = 500
        request_a_return(client)
        advance(client, 0)
        (delivery,) = deliveries(client, "rye")
        assert (delivery["status"], delivery["due"]) == ("failed", None)
        assert [(elapsed(a["at"]), a["status"]) for a in delivery["attempts"]] == [(0, 500)]
        advance(client, WEEK)
        assert [b["type"] for b in hook.bodies()] == ["WEBHOOK_URL_VERIFICATION", "RETURN_REQUESTED"]
