"""The plugin's `returnkit.webhooks` with the frameworks users write handlers in: a FastAPI app (ASGI)
and a Flask app (WSGI), called in process with no port. Each handler checks the provider's
signature with its own implementation of the documented recipe (not returnkit's `verify`); the
test files a return through the provider's real API, advances the clock and looks at what the
handler received, through the `returnkit` fixture as a user's test would."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request, Response
from flask import Flask, jsonify
from flask import request as flask_request

from returnkit.testing.plugin import Returnkit

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
RYE = {"Authorization": "Basic rye_test_lumen_2d7f91ac"}
RYE_SECRET = "a-secret-the-developer-chose"  # noqa: S105 (a test key)
RETURN_ORDER = """
mutation Return($input: ReturnOrderInput!) {
  returnOrder(input: $input) { error { code message } }
}
"""
WEEK = 7 * 24 * 3600


def zinc_handler(keys: dict[str, str], received: list[dict[str, Any]]) -> FastAPI:
    """Zinc: `X-Webhook-Signature` is the lowercase hex HMAC-SHA256 of the raw body, keyed with the
    whole `zn_whsec_` secret (research/webhooks.md, Zinc)."""
    app = FastAPI()

    @app.post("/hooks/zinc")
    async def hook(request: Request) -> Response:
        body = await request.body()
        expected = hmac.new(keys["secret"].encode(), body, hashlib.sha256).hexdigest()
        if not hmac.compare_digest(request.headers.get("X-Webhook-Signature", ""), expected):
            return Response(status_code=401)
        received.append(json.loads(body))
        return Response(status_code=204)

    return app


def rye_handler(received: list[dict[str, Any]]) -> Flask:
    """Rye: `Rye-Hmac-Signature-V1` is the base64 HMAC-SHA256 of the raw body with the developer's
    secret; the URL verification is answered with its challenge (research/webhooks.md, Rye)."""
    app = Flask(__name__)

    @app.post("/hooks/rye")
    def hook() -> Any:
        body = flask_request.get_data()
        digest = hmac.new(RYE_SECRET.encode(), body, hashlib.sha256).digest()
        signature = base64.b64encode(digest).decode()
        if not hmac.compare_digest(flask_request.headers.get("Rye-Hmac-Signature-V1", ""), signature):
            return "bad signature", 401
        event = json.loads(body)
        received.append(event)
        if event["type"] == "WEBHOOK_URL_VERIFICATION":
            return jsonify(challenge=event["data"]["challenge"])
        return "", 200

    return app


def file_zinc_return(returnkit: Returnkit) -> str:
    order = next(o for o in returnkit.world["zinc"]["accounts"][0]["orders"] if o["status"] == "order_placed")
    item = {"order_item_id": order["items"][0]["id"], "quantity": 1}
    body = {"order_id": order["id"], "items": [item], "reason": "damaged"}
    with httpx.Client(base_url=returnkit.base_url, headers=ZINC) as zinc:
        created = zinc.post("/returns", json=body)
    assert created.status_code == 201, created.text
    identifier: str = created.json()["id"]
    return identifier


def file_rye_return(returnkit: Returnkit) -> str:
    developer = returnkit.world["rye"]["developers"][0]
    order = next(o for o in developer["orders"] if o["marketplace"] == "AMAZON" and o["delivered"])
    lines = [{"id": line["productId"], "quantity": 1} for line in order["lines"]]
    variables = {"input": {"orderId": order["id"], "lineItems": lines}}
    with httpx.Client(base_url=returnkit.base_url, headers=RYE) as rye:
        answer = rye.post("/v1/query", json={"query": RETURN_ORDER, "variables": variables})
    assert answer.json()["data"]["returnOrder"]["error"] is None, answer.text
    identifier: str = order["id"]
    return identifier


def test_a_fastapi_handler_receives_a_zinc_returns_events_signed(returnkit: Returnkit) -> None:
    keys: dict[str, str] = {}
    received: list[dict[str, Any]] = []
    subscription = returnkit.webhooks.subscribe("zinc", zinc_handler(keys, received), path="/hooks/zinc")
    keys["secret"] = subscription["secret"]
    assert subscription["url"].startswith("asgi://")
    identifier = file_zinc_return(returnkit)
    assert received == []  # nothing before the clock moves
    returnkit.clock.advance(seconds=0)
    assert [(event["event"], event["data"]["id"]) for event in received] == [("return.created", identifier)]
    returnkit.clock.advance(seconds=120)
    assert [event["event"] for event in received][1] in {"return.approved", "return.denied"}
    assert {event["data"]["id"] for event in received} == {identifier}
    returnkit.webhooks.assert_delivered("zinc", "return.created", times=1)


def test_a_fastapi_handler_that_rejects_the_signature_leaves_the_zinc_event_undelivered(returnkit: Returnkit) -> None:
    received: list[dict[str, Any]] = []
    keys = {"secret": "zn_whsec_not_the_one_returnkit_signs_with"}
    returnkit.webhooks.subscribe("zinc", zinc_handler(keys, received), path="/hooks/zinc", events=["return.created"])
    file_zinc_return(returnkit)
    returnkit.clock.advance(seconds=0)
    assert received == []
    (pending,) = returnkit.webhooks.deliveries("zinc", status="pending")
    assert pending["attempts"][0]["status"] == 401


def test_a_flask_handler_verifies_its_url_then_receives_a_rye_returns_lifecycle(returnkit: Returnkit) -> None:
    received: list[dict[str, Any]] = []
    subscription = returnkit.webhooks.subscribe("rye", rye_handler(received), path="/hooks/rye", secret=RYE_SECRET)
    assert subscription["url"].startswith("wsgi://")
    assert [event["type"] for event in received] == ["WEBHOOK_URL_VERIFICATION"]  # answered before it was saved
    order = file_rye_return(returnkit)
    returnkit.clock.advance(seconds=WEEK)
    events = [event["type"] for event in received[1:]]
    assert events == ["RETURN_REQUESTED"] * 2 + ["RETURN_APPROVED"] * 2 + ["RETURN_CLOSED"] * 2  # two Amazon orders
    assert {event["requestId"] for event in received[1:]} == {order}
    returnkit.webhooks.assert_delivered("rye", "RETURN_CLOSED", times=2)


def test_a_flask_handler_that_does_not_echo_the_challenge_is_refused(returnkit: Returnkit) -> None:
    app = Flask(__name__)
    app.add_url_rule("/hooks/rye", "hook", lambda: ("ok", 200), methods=["POST"])
    with pytest.raises(AssertionError, match=r"refused the subscription: 422 .*challenge"):
        returnkit.webhooks.subscribe("rye", app, path="/hooks/rye", secret=RYE_SECRET)
