"""With the wall clock, a background sender delivers within a second of the due time, with no advance."""

from __future__ import annotations

import json
import time
from pathlib import Path

import httpx

from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app
from tests.webhooks.fake import KEY, pingo_kit
from tests.webhooks.receiver import Receiver
from tests.webhooks.serving import serving

WITHIN_SECONDS = 1.0
SLACK_SECONDS = 0.5  # the receiver's thread and a busy machine


def settled(client: httpx.Client) -> list[str]:
    """The deliveries' statuses once none is pending (the receiver saw the body before its answer was settled)."""
    deadline = time.monotonic() + WITHIN_SECONDS + SLACK_SECONDS
    while True:
        statuses = [d["status"] for d in client.get("/__admin/webhooks/deliveries").json()["deliveries"]]
        if "pending" not in statuses or time.monotonic() > deadline:
            return statuses


def test_an_event_goes_out_within_a_second_without_any_advance(pingo_spec: Path, receiver: Receiver) -> None:
    app = create_app(ServerOptions(clock_mode="wall"), kits=[*default_kits(), pingo_kit(pingo_spec)])
    with serving(app) as base_url, httpx.Client(base_url=base_url) as client:
        assert client.post("/__admin/webhooks", json={"provider": "pingo", "url": receiver.url}).status_code == 201
        created = time.monotonic()
        assert client.post("/pings", json={"text": "hi"}, headers={"X-Pingo-Key": KEY}).status_code == 201
        assert receiver.arrived.wait(timeout=WITHIN_SECONDS + SLACK_SECONDS)
        took = time.monotonic() - created
        assert json.loads(receiver.received[0].body)["event"] == "ping.created"
        assert took < WITHIN_SECONDS + SLACK_SECONDS
        assert settled(client) == ["delivered"]
