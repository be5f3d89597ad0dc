"""A provider that verifies a URL before saving it (Rye's WEBHOOK_URL_VERIFICATION): the admin API
sends the verification request and saves the subscription only when the answer passes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app
from returnkit.testing.transport import ReturnkitTransport
from tests.webhooks.fake import pingo_kit
from tests.webhooks.receiver import Receiver


@pytest.fixture
def verifying(pingo_spec: Path) -> Iterator[httpx.Client]:
    kits = [*default_kits(), pingo_kit(pingo_spec, verifying=True)]
    app = create_app(ServerOptions(clock_mode="frozen"), kits=kits)
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit") as client:
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
