"""A provider that verifies a URL before saving it (Rye's WEBHOOK_URL_VERIFICATION): the admin API
sends the verification request and saves the subscription only when the answer passes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app, server_state
from returnkit.testing.transport import ReturnkitTransport
from tests.webhooks.fake import KEY, pingo_kit
from tests.webhooks.receiver import Receiver


@pytest.fixture
def verifying_app(pingo_spec: Path) -> Any:
    kits = [*default_kits(), pingo_kit(pingo_spec, verifying=True)]
    return create_app(ServerOptions(clock_mode="frozen"), kits=kits)


@pytest.fixture
def verifying(verifying_app: Any) -> Iterator[httpx.Client]:
    with httpx.Client(transport=ReturnkitTransport(verifying_app), base_url="http://returnkit") as client:
        yield client


def test_a_url_that_does_not_echo_the_challenge_is_refused_and_not_saved(
    verifying: httpx.Client, receiver: Receiver
) -> None:
    answer = verifying.post("/__admin/webhooks", json={"provider": "pingo", "url": receiver.url})
    assert answer.status_code == 422
    assert "answered 200 with b'ok'" in answer.json()["message"]
    assert receiver.received[0].body == b'{"type":"VERIFY","challenge":"c0ffee"}'
    assert verifying.get("/__admin/webhooks").json() == {"subscriptions": []}


def test_a_url_that_does_not_answer_is_refused(verifying: httpx.Client) -> None:
    answer = verifying.post("/__admin/webhooks", json={"provider": "pingo", "url": "http://127.0.0.1:9/"})
    assert answer.status_code == 422
    assert "did not answer the verification request" in answer.json()["message"]


def test_a_url_that_echoes_the_challenge_is_saved_and_gets_events(verifying: httpx.Client, receiver: Receiver) -> None:
    receiver.reply = b'{"challenge":"c0ffee"}'
    answer = verifying.post("/__admin/webhooks", json={"provider": "pingo", "url": receiver.url})
    assert answer.status_code == 201, answer.text
    assert verifying.get("/__admin/webhooks").json() == {"subscriptions": [answer.json()]}


def mocks_subscription(client: httpx.Client, app_state: Any, receiver: Receiver) -> None:
    app_state.webhook_subscriptions = [{"provider": "pingo", "url": receiver.url, "events": ["ping.created"]}]
    assert client.post("/__admin/reset").status_code == 200
    assert client.post("/pings", json={"text": "x"}, headers={"X-Pingo-Key": KEY}).status_code == 201


def test_a_mocks_subscription_is_verified_before_its_first_delivery(
    verifying_app: Any, verifying: httpx.Client, receiver: Receiver
) -> None:
    receiver.reply = b'{"challenge":"c0ffee"}'
    mocks_subscription(verifying, server_state(verifying_app), receiver)
    verifying.post("/__admin/clock/advance", json={"seconds": 0})
    assert [json.loads(r.body)["type" if n == 0 else "event"] for n, r in enumerate(receiver.received)] == [
        "VERIFY",
        "ping.created",
    ]


def test_a_mocks_subscription_that_fails_verification_keeps_its_deliveries_waiting(
    verifying_app: Any, verifying: httpx.Client, receiver: Receiver
) -> None:
    mocks_subscription(verifying, server_state(verifying_app), receiver)
    verifying.post("/__admin/clock/advance", json={"seconds": 0})
    (delivery,) = verifying.get("/__admin/webhooks/deliveries").json()["deliveries"]
    assert delivery["status"] == "pending"
    assert [a["kind"] for a in delivery["attempts"]] == ["handshake"]
    receiver.reply = b'{"challenge":"c0ffee"}'
    verifying.post("/__admin/clock/advance", json={"seconds": 60})
    (delivery,) = verifying.get("/__admin/webhooks/deliveries").json()["deliveries"]
    assert delivery["status"] == "delivered"
