"""Faults with several `returnkit serve` processes on one PostgreSQL (issue 15, AC4).

An instance killed with kill -9 under load loses nothing it acknowledged and leaves nothing
half-written; what it had claimed to send, the survivor sends at once. PostgreSQL restarted under
load: the instances answer each provider's own 503 meanwhile, never a 500 or a hung request, and
recover by themselves with everything acknowledged before the outage kept.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import pgcluster
from tests.scaleout.instances import ZINC, Instance, serving, zinc_return_body
from tests.webhooks.receiver import listening

pytestmark = pytest.mark.postgres

# Real concurrency, not virtual time: how long a survivor may take to send what a killed instance held,
# and how long the tests wait for the other side of a race (an arrival, a server coming back).
TAKEN_OVER_WITHIN_SECONDS = 5.0
RACE_WITHIN_SECONDS = 10.0
AY_BATCH_SECONDS = 10  # 2 s pending + 8 s processing (mocks/aboutyou.yaml)


def wait_for(condition: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.02)
    return condition()


@pytest.fixture
def own_pair(postgres_cluster: pgcluster.Postgres, tmp_path: Path) -> Iterator[list[Instance]]:
    with serving(postgres_cluster.create_database(), tmp_path) as instances:
        yield instances


def test_a_delivery_claimed_by_a_killed_instance_is_sent_by_the_survivor_at_once(own_pair: list[Instance]) -> None:
    a, b = own_pair
    with listening() as receiver:
        receiver.hang = threading.Event()
        receiver.hang.set()  # A's attempt hangs in the receiver: A holds the claim when it dies
        assert a.client.post("/__admin/webhooks", json={"provider": "zinc", "url": receiver.url}).status_code == 201
        assert b.client.post("/returns", json=zinc_return_body(b.client), headers=ZINC).status_code == 201
        with ThreadPoolExecutor(max_workers=1) as pool:
            pool.submit(_ignoring_transport_errors, a.client.post, "/__admin/clock/advance", json={"seconds": 0})
            assert receiver.arrived.wait(RACE_WITHIN_SECONDS), a.output()
            a.kill()
        receiver.hang.clear()
        receiver.released.set()

        def sent_by_b() -> bool:
            b.client.post("/__admin/clock/advance", json={"seconds": 0})
            return bool(b.client.get("/__admin/webhooks/deliveries", params={"status": "delivered"}).json()["total"])

        assert wait_for(sent_by_b, TAKEN_OVER_WITHIN_SECONDS), b.client.get("/__admin/webhooks/deliveries").text
        assert [received.body for received in receiver.received] == [receiver.received[0].body] * 2


def _ignoring_transport_errors(call: Callable[..., httpx.Response], *args: Any, **kwargs: Any) -> None:
    with contextlib.suppress(httpx.TransportError):  # the instance was killed while answering
        call(*args, **kwargs)
