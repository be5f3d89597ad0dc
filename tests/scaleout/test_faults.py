"""Faults with several `returnkit serve` processes on one PostgreSQL (issue 15, AC4).

An instance killed with kill -9 under load loses nothing it acknowledged and leaves nothing
half-written; what it had claimed to send, the survivor sends at once. PostgreSQL restarted under
load: the instances answer each provider's own 503 meanwhile, never a 500 or a hung request, and
recover by themselves with everything acknowledged before the outage kept; a live instance's claims
are its own again once it is back, and a delivery two instances both sent across the restart is
settled once.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests import pgcluster
from tests.conftest import postgres_missing
from tests.scaleout.instances import AY, ZINC, Instance, serving, wait_for, zinc_return_body, zinc_return_of
from tests.webhooks.receiver import listening

pytestmark = pytest.mark.postgres

# Real concurrency, not virtual time: how long a survivor may take to send what a killed instance held,
# and how long the tests wait for the other side of a race (an arrival, a server coming back).
TAKEN_OVER_WITHIN_SECONDS = 5.0
RACE_WITHIN_SECONDS = 10.0
AY_BATCH_SECONDS = 10  # 2 s pending + 8 s processing (mocks/aboutyou.yaml)


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


@dataclass
class Filer:
    """A client thread filing one Zinc return per order through its instances in turn (and, with
    `about_you`, an ABOUT YOU return after each), until told to stop or its instances are gone."""

    clients: list[httpx.Client]
    orders: list[dict[str, Any]]
    about_you: bool = False
    killable: bool = False  # an instance that stops answering is dropped (killed on purpose), not a failure
    acknowledged: list[dict[str, Any]] = field(default_factory=list)  # Zinc's 201 bodies
    batches: dict[str, dict[str, Any]] = field(default_factory=dict)  # ABOUT YOU batch id -> its entry
    statuses: list[int] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)  # transport errors not explained by a kill
    stop: threading.Event = field(default_factory=threading.Event)

    def run(self) -> None:
        pending = list(self.orders)
        turn = 0
        while pending and not self.stop.is_set():
            client = self.clients[turn % len(self.clients)]
            turn += 1
            try:
                self._file(client, pending)
            except (httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadError) as exc:
                if not self.killable:
                    self.failures.append(repr(exc))
                self.clients = [other for other in self.clients if other is not client]  # its instance is gone
                if not self.clients:
                    return
            except httpx.TransportError as exc:  # a hung request: never acceptable
                self.failures.append(repr(exc))
            time.sleep(0.01)  # a client's pace, so an outage is not a busy loop

    def _file(self, client: httpx.Client, pending: list[dict[str, Any]]) -> None:
        answer = client.post("/returns", json=zinc_return_of(pending[0]), headers=ZINC)
        self.statuses.append(answer.status_code)
        if answer.status_code == 201:
            self.acknowledged.append(answer.json())
        if answer.status_code in {201, 409}:  # 409: an earlier try of this order did commit
            pending.pop(0)
        if self.about_you and len(self.batches) < 40:
            entry = {"order_items": [1], "return_tracking_key": f"RT-{len(self.batches)}"}
            filed = client.post("/api/v1/orders/return", json={"items": [entry]}, headers=AY)
            if filed.status_code == 200:
                self.batches[filed.json()["batchRequestId"]] = entry


def placed_zinc_orders(client: httpx.Client, added: int) -> list[dict[str, Any]]:
    assert client.post("/__admin/world/orders", json={"provider": "zinc", "count": added}).status_code == 201
    placed = client.get("/orders", params={"status_filter": "order_placed", "limit": 500}, headers=ZINC)
    orders: list[dict[str, Any]] = placed.json()["orders"]
    return orders


def zinc_returns(client: httpx.Client) -> list[dict[str, Any]]:
    listed: list[dict[str, Any]] = client.get("/returns", params={"limit": 500}, headers=ZINC).json()["return_requests"]
    return listed


def assert_served_whole(client: httpx.Client, acknowledged: list[dict[str, Any]]) -> None:
    """Every acknowledged return is served as it was acknowledged, and every return there is (acknowledged
    or in flight when it happened) is shown by its order: nothing half-written."""
    for filed in acknowledged:
        assert client.get(f"/returns/{filed['id']}", headers=ZINC).json() == filed
    for found in zinc_returns(client):
        order = client.get(f"/orders/{found['order_id']}", headers=ZINC).json()
        assert found["id"] in [shown["id"] for shown in order["returns"]], (found, order)


def test_an_instance_killed_under_load_loses_nothing_it_acknowledged_and_leaves_nothing_half_written(
    own_pair: list[Instance],
) -> None:
    a, b = own_pair
    orders = placed_zinc_orders(a.client, 100)
    through_a = Filer(
        [a.client, b.client], orders[0::2], about_you=True, killable=True
    )  # A and B in turn; B alone once A is gone
    through_b = Filer([b.client], orders[1::2])
    threads = [threading.Thread(target=filer.run) for filer in (through_a, through_b)]
    for thread in threads:
        thread.start()
    try:
        assert wait_for(lambda: len(through_a.acknowledged) >= 20, RACE_WITHIN_SECONDS)
        a.kill()
        assert wait_for(lambda: len(through_a.acknowledged) >= 30, RACE_WITHIN_SECONDS)  # B goes on serving
    finally:
        for filer in (through_a, through_b):
            filer.stop.set()
        for thread in threads:
            thread.join(timeout=30)
    assert through_a.failures == through_b.failures == []
    assert_served_whole(b.client, through_a.acknowledged + through_b.acknowledged)
    assert_batches_complete_with_their_items(b.client, through_a.batches)


def assert_batches_complete_with_their_items(client: httpx.Client, batches: dict[str, dict[str, Any]]) -> None:
    assert batches
    assert client.post("/__admin/clock/advance", json={"seconds": AY_BATCH_SECONDS}).status_code == 200
    for batch_id, entry in batches.items():
        done = client.get("/api/v1/results/return-orders", params={"batch_request_id": batch_id}, headers=AY).json()
        assert done["status"] in {"completed", "failed"}  # item 1 is not shipped: each entry's own verdict
        assert [item["requestItem"] for item in done["items"]] == [entry]


@pytest.fixture
def own_cluster() -> Iterator[pgcluster.ThrowawayCluster]:
    """A cluster of this test's own, which it stops and starts (the session's is shared)."""
    try:
        cluster = pgcluster.own_cluster()
    except pgcluster.PostgresUnavailable as exc:
        postgres_missing(str(exc))
    yield cluster
    cluster.close()


def assert_answers_unavailable(client: httpx.Client) -> None:
    """While the database is gone: each provider's own 503 with `Retry-After`, at once."""
    health = client.get("/__admin/health")
    assert (health.status_code, health.headers["Retry-After"]) == (503, "1")
    assert (health.json()["status"], health.json()["store"]) == ("unavailable", "postgresql")
    zinc = client.get("/returns", headers=ZINC)
    assert (zinc.status_code, zinc.headers["Retry-After"], zinc.json()["error"]["code"]) == (
        503,
        "1",
        "service_unavailable",
    )
    about_you = client.get("/api/v1/orders/", headers=AY)
    assert (about_you.status_code, about_you.headers["Retry-After"], set(about_you.json())) == (503, "1", {"message"})


def test_postgresql_restarted_under_load_is_each_providers_503_meanwhile_and_nothing_acknowledged_is_lost(
    own_cluster: pgcluster.ThrowawayCluster, tmp_path: Path
) -> None:
    with serving(own_cluster.create_database(), tmp_path) as (a, b):
        filer = Filer([a.client, b.client], placed_zinc_orders(a.client, 100))
        for instance in (a, b):
            instance.client.timeout = httpx.Timeout(5.0)  # an answer slower than this is a hung request
        thread = threading.Thread(target=filer.run)
        thread.start()
        try:
            assert wait_for(lambda: len(filer.acknowledged) >= 10, RACE_WITHIN_SECONDS)
            before = list(filer.acknowledged)
            own_cluster.stop()
            for instance in (a, b):
                assert_answers_unavailable(instance.client)
            assert wait_for(lambda: 503 in filer.statuses, RACE_WITHIN_SECONDS)
            own_cluster.start()
            assert wait_for(lambda: all(_healthy(instance) for instance in (a, b)), RACE_WITHIN_SECONDS)
            assert wait_for(lambda: len(filer.acknowledged) >= len(before) + 10, RACE_WITHIN_SECONDS)
        finally:
            filer.stop.set()
            thread.join(timeout=30)
        assert filer.failures == []
        assert set(filer.statuses) <= {201, 409, 503}  # never a 500
        for instance in (a, b):
            assert_served_whole(instance.client, filer.acknowledged)


def _healthy(instance: Instance) -> bool:
    return instance.client.get("/__admin/health").status_code == 200


def test_a_live_instance_keeps_its_claim_after_postgresql_restarted(
    own_cluster: pgcluster.ThrowawayCluster, tmp_path: Path
) -> None:
    """What a live instance is sending, the other does not send again: its claimant's lock is held
    again after the database came back (the restart ended the session that held it)."""
    with serving(own_cluster.create_database(), tmp_path) as (a, b), listening() as receiver:
        assert a.client.post("/__admin/webhooks", json={"provider": "zinc", "url": receiver.url}).status_code == 201
        assert a.client.post("/__admin/clock/advance", json={"seconds": 0}).status_code == 200  # A has claimed once
        restart(own_cluster, a, b)
        assert b.client.post("/returns", json=zinc_return_body(b.client), headers=ZINC).status_code == 201
        receiver.hang = threading.Event()
        receiver.hang.set()
        with ThreadPoolExecutor(max_workers=1) as pool:
            sending = pool.submit(a.client.post, "/__admin/clock/advance", json={"seconds": 0})
            assert receiver.arrived.wait(RACE_WITHIN_SECONDS), a.output()
            assert b.client.post("/__admin/clock/advance", json={"seconds": 0}).status_code == 200
            assert len(receiver.received) == 1  # B left A's claim alone
            receiver.released.set()
            assert sending.result(timeout=RACE_WITHIN_SECONDS).status_code == 200
        delivered = b.client.get("/__admin/webhooks/deliveries", params={"status": "delivered"}).json()
        assert (delivered["total"], len(receiver.received)) == (1, 1)


def restart(cluster: pgcluster.ThrowawayCluster, *instances: Instance) -> None:
    cluster.stop()
    cluster.start()
    assert wait_for(lambda: all(_healthy(instance) for instance in instances), RACE_WITHIN_SECONDS)


def test_a_delivery_sent_by_both_across_a_postgresql_restart_is_settled_once_and_never_a_500(
    own_cluster: pgcluster.ThrowawayCluster, tmp_path: Path
) -> None:
    """A's claim ends with the session the restart ended, so B may send what A is still sending
    (at least once): whichever settles second finds the attempt recorded, and answers 200."""
    with serving(own_cluster.create_database(), tmp_path) as (a, b), listening() as receiver:
        assert a.client.post("/__admin/webhooks", json={"provider": "zinc", "url": receiver.url}).status_code == 201
        assert b.client.post("/returns", json=zinc_return_body(b.client), headers=ZINC).status_code == 201
        receiver.hang = threading.Event()
        receiver.hang.set()  # A's attempt waits in the receiver until released
        with ThreadPoolExecutor(max_workers=1) as pool:
            sending = pool.submit(a.client.post, "/__admin/clock/advance", json={"seconds": 0})
            assert receiver.arrived.wait(RACE_WITHIN_SECONDS), a.output()
            restart(own_cluster, a, b)
            receiver.hang.clear()  # B's attempt is answered at once
            assert b.client.post("/__admin/clock/advance", json={"seconds": 0}).status_code == 200
            receiver.released.set()
            assert sending.result(timeout=RACE_WITHIN_SECONDS).status_code == 200
        deliveries = b.client.get("/__admin/webhooks/deliveries").json()["deliveries"]
        assert [(delivery["status"], len(delivery["attempts"])) for delivery in deliveries] == [("delivered", 1)]
        assert len(receiver.received) == 2
