"""Kibo's official verifier (`mozu-node-sdk` src/security/is-request-valid.js, pinned in kibo_webhook_sdk/)
accepts the events returnkit signs for Kibo Commerce.

A return created through HTTP puts a `return.opened` delivery in the outbox; its body and the headers
of one attempt (`WebhookKit.headers`, `Date` the wall clock of sending, the default) are POSTed to
kibo_webhook_sdk/receiver.mjs, a Node receiver on 127.0.0.1 that answers 200 when the SDK accepts the
request and 401 with the SDK's reason when it does not. The SDK accepts the raw text and the parsed
object alike (it re-serialises the latter with JSON.stringify), and refuses a `Date` more than 180 s
old (what a virtual `Date` behind the wall clock is), another signature, or another body.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from returnkit.core.outbox import Delivery, Subscription
from tests.contract.npm import node_environment, node_with
from tests.http import CheckedClient, TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, bearer, create, shipped_order
from tests.providers.kibo_commerce.test_kibo_commerce_webhooks import deliveries, kit, subscribe

SDK_DIR = Path(__file__).parent / "kibo_webhook_sdk"
PINNED = {"mozu-node-sdk": "2.15.14"}
START_TIMEOUT_SECONDS = 10.0


@pytest.fixture(scope="module")
def receiver() -> Iterator[str]:
    """Base URL of the Node receiver, verifying with tenant 40001's application shared secret."""
    node = node_with(SDK_DIR, PINNED)
    with subprocess.Popen(
        [node, "receiver.mjs", NORTHWIND["client_secret"]],
        cwd=SDK_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=node_environment(),
    ) as process:
        try:
            assert process.stdout is not None
            line = process.stdout.readline()
            assert line, f"the receiver did not start: {process.stderr.read() if process.stderr else ''}"
            yield f"http://127.0.0.1:{json.loads(line)['port']}"
        finally:
            process.terminate()
            process.wait(timeout=START_TIMEOUT_SECONDS)


@pytest.fixture
def opened(app: Any, http: TestClient) -> tuple[Subscription, Delivery]:
    """A `return.opened` delivery of tenant 40001, for a subscription signed with its application's secret."""
    subscription = subscribe(app)
    create(CheckedClient(http, "kibo-commerce", bearer(http, NORTHWIND)), shipped_order(http))
    (delivery,) = deliveries(app)
    return subscription, delivery


def post(url: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    with httpx.Client(trust_env=False, timeout=10.0) as client:
        return client.post(url, content=body, headers=headers)


@pytest.mark.parametrize("body_as", ["raw", "parsed"])
def test_kibos_sdk_accepts_a_delivery_signed_at_the_wall_clock(
    receiver: str, opened: tuple[Subscription, Delivery], body_as: str
) -> None:
    subscription, delivery = opened
    headers = kit().headers(subscription, delivery, datetime.now(UTC))
    answer = post(f"{receiver}/{body_as}", delivery.body, headers)
    assert (answer.status_code, answer.text) == (200, "valid")


def test_kibos_sdk_refuses_a_date_older_than_180_seconds(receiver: str, opened: tuple[Subscription, Delivery]) -> None:
    subscription, delivery = opened
    virtual_behind = datetime.now(UTC) - timedelta(seconds=240)
    answer = post(f"{receiver}/raw", delivery.body, kit().headers(subscription, delivery, virtual_behind))
    assert answer.status_code == 401
    assert "Unauthorized" in answer.text


def test_kibos_sdk_refuses_another_signature_or_body(receiver: str, opened: tuple[Subscription, Delivery]) -> None:
    subscription, delivery = opened
    headers = kit().headers(subscription, delivery, datetime.now(UTC))
    other_secret = {**headers, **kit().sign("another application's secret", delivery.body, datetime.now(UTC))}
    assert post(f"{receiver}/raw", delivery.body, other_secret).status_code == 401
    assert post(f"{receiver}/raw", delivery.body.replace(b"false", b"true"), headers).status_code == 401
