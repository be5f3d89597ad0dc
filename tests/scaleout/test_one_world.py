"""Two `returnkit serve` processes on one PostgreSQL database are one server (issue 15, AC2 and AC6).

Each test resets the world through A, then uses A and B as two clients behind a load balancer
would: what one accepted, the other serves; one clock, one budget, one outbox, one reset.
"""

from __future__ import annotations

import itertools
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest

from returnkit.core.store import SCHEMA_VERSION
from returnkit.providers.kibo_commerce.behaviour import state_machine
from tests import pgcluster
from tests.scaleout.instances import AY, ZINC, Instance, serving, wait_for, zinc_return_body, zinc_return_of
from tests.webhooks.receiver import Receiver, listening

pytestmark = pytest.mark.postgres

AY_RETURNS = "/api/v1/orders/return"
AY_RETURN = {"items": [{"order_items": [1], "return_tracking_key": "R"}]}
KIBO_RETURNS = "/api/commerce/returns"
KIBO_APP = {
    "client_id": "northwind.returnkit.1.0.0.Release",
    "client_secret": "kibo_secret_northwind_3c9e71",
    "grant_type": "client_credentials",
}
ZINC_RESOLUTION_SECONDS = 120  # mocks/zinc.yaml
DELIVERED_WITHIN_SECONDS = 15.0


def alternating(instances: list[Instance], count: int) -> list[httpx.Client]:
    """`count` clients, A, B, A, B, ..."""
    return [instance.client for instance in itertools.islice(itertools.cycle(instances), count)]


def test_health_on_postgresql_names_the_store_its_schema_and_the_shared_virtual_time(
    a_and_b: list[Instance],
) -> None:
    a, b = a_and_b
    a.client.post("/__admin/clock/advance", json={"seconds": 60})
    shared = {"status": "ok", "store": "postgresql", "schema_version": SCHEMA_VERSION, "clock": "2026-03-02T09:01:00Z"}
    answers = [instance.client.get("/__admin/health") for instance in (a, b)]
    for health in answers:
        assert health.status_code == 200
        assert {name: value for name, value in health.json().items() if name != "instance"} == shared
    assert len({health.json()["instance"] for health in answers}) == 2  # each names itself


def test_a_return_filed_through_a_is_read_listed_and_acted_on_through_b(a_and_b: list[Instance]) -> None:
    a, b = (instance.client for instance in a_and_b)
    body = zinc_return_body(a)
    filed = a.post("/returns", json=body, headers=ZINC)
    assert filed.status_code == 201
    read = b.get(f"/returns/{filed.json()['id']}", headers=ZINC)
    assert (read.status_code, read.json()) == (200, filed.json())
    assert [found["id"] for found in b.get("/returns", headers=ZINC).json()["return_requests"]] == [filed.json()["id"]]
    order = b.get(f"/orders/{body['order_id']}", headers=ZINC).json()
    assert [shown["id"] for shown in order["returns"]] == [filed.json()["id"]]
    again = b.post("/returns", json=body, headers=ZINC)  # B knows the item has an open return
    assert (again.status_code, again.json()["error"]["details"]["return_request_id"]) == (409, filed.json()["id"])


def test_about_yous_budget_of_50_a_minute_is_one_budget_across_instances(a_and_b: list[Instance]) -> None:
    answers = [client.post(AY_RETURNS, json=AY_RETURN, headers=AY) for client in alternating(a_and_b, 60)]
    assert [answer.status_code for answer in answers] == [200] * 50 + [429] * 10
    assert all(0 < int(answer.headers["Retry-After"]) <= 60 for answer in answers[50:])


def test_identical_about_you_payloads_sent_at_once_through_both_get_one_batch_id(a_and_b: list[Instance]) -> None:
    clients = alternating(a_and_b, 64)
    with ThreadPoolExecutor(max_workers=16) as pool:
        answers = list(pool.map(lambda client: client.post(AY_RETURNS, json=AY_RETURN, headers=AY), clients))
    accepted = [answer for answer in answers if answer.status_code == 200]
    assert {answer.status_code for answer in answers} <= {200, 429}
    assert len(accepted) == 50  # one budget of 50 a minute; the rest are 429s
    assert len({answer.json()["batchRequestId"] for answer in accepted}) == 1


def kibo_machine_allows(start: str, done: list[tuple[str, str]], final: str) -> bool:
    """Whether the (action, resulting status) pairs, in some order, are a path of the spec's machine
    from `start` to `final` (each action taken from the status the previous one left)."""
    machine = state_machine()
    status, left = start, list(done)
    while left:
        step = next(((action, to) for action, to in left if machine.get(status, {}).get(action) == to), None)
        if step is None:
            return False
        left.remove(step)
        status = step[1]
    return status == final


def kibo_bearer(client: httpx.Client) -> dict[str, str]:
    token = client.post("/api/platform/applications/authtickets/oauth", json=KIBO_APP).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def fulfilled_kibo_orders(client: httpx.Client) -> list[dict[str, Any]]:
    """Tenant 40001's fulfilled orders."""
    tenants = client.get("/__admin/world").json()["providers"]["kibo-commerce"]["tenants"]
    orders = next(tenant["orders"] for tenant in tenants if tenant["id"] == 40001)
    return [order for order in orders if order["fulfillmentStatus"] == "Fulfilled"]


def kibo_return_body(client: httpx.Client, index: int = 0) -> dict[str, Any]:
    """A return of the first line of tenant 40001's `index`th fulfilled order."""
    order = fulfilled_kibo_orders(client)[index]
    reasons = [{"reason": "Damaged", "quantity": 1}]
    items = [{"orderItemId": order["items"][0]["id"], "reasons": reasons, "quantityShipped": 1}]
    return {"originalOrderId": order["id"], "returnType": "Refund", "items": items}


def test_concurrent_kibo_actions_on_one_return_through_both_leave_a_state_the_machine_allows(
    a_and_b: list[Instance],
) -> None:
    a, b = (instance.client for instance in a_and_b)
    kibo = kibo_bearer(a)
    created = b.post(KIBO_RETURNS, json=kibo_return_body(a), headers=kibo).json()
    actions = ["Authorize", "Reject", "Cancel", "Authorize"] * 6
    work = [(client, action) for client, action in zip(alternating(a_and_b, len(actions)), actions, strict=True)]

    def act(job: tuple[httpx.Client, str]) -> tuple[str, httpx.Response]:
        client, action = job
        body = {"actionName": action, "returnIds": [created["id"]]}
        return action, client.post(f"{KIBO_RETURNS}/actions", json=body, headers=kibo)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(act, work))
    assert {answer.status_code for _, answer in answers} <= {200, 409}  # the losers get Kibo's refusal
    assert all("message" in answer.json() for _, answer in answers if answer.status_code == 409)
    done = [(action, answer.json()["items"][0]["status"]) for action, answer in answers if answer.status_code == 200]
    final = b.get(f"{KIBO_RETURNS}/{created['id']}", headers=kibo).json()["status"]
    assert done, "at least one action is allowed on a new return"
    assert kibo_machine_allows(created["status"], done, final), (done, final)


def test_returns_filed_at_once_through_both_get_distinct_ids_and_numbers(a_and_b: list[Instance]) -> None:
    a, _ = (instance.client for instance in a_and_b)
    assert a.post("/__admin/world/orders", json={"provider": "zinc", "count": 30}).status_code == 201
    orders = a.get("/orders", params={"status_filter": "order_placed", "limit": 500}, headers=ZINC).json()["orders"]
    bodies = [zinc_return_of(order) for order in orders]
    jobs = list(zip(alternating(a_and_b, len(bodies)), bodies, strict=True))
    with ThreadPoolExecutor(max_workers=12) as pool:
        filed = list(pool.map(lambda job: job[0].post("/returns", json=job[1], headers=ZINC), jobs))
    assert [answer.status_code for answer in filed] == [201] * len(bodies)
    ids = [answer.json()["id"] for answer in filed]
    assert len(set(ids)) == len(ids) == len(orders) >= 30
    listed = a.get("/returns", params={"limit": 100}, headers=ZINC).json()
    assert sorted(found["id"] for found in listed["return_requests"]) == sorted(ids)


def test_numbers_from_the_stores_sequences_never_repeat_across_instances(a_and_b: list[Instance]) -> None:
    a, b = (instance.client for instance in a_and_b)
    entries = [{"items": [{"order_items": [1], "return_tracking_key": f"RT-{n}"}]} for n in range(40)]
    kibo = kibo_bearer(a)
    kibo_bodies = [kibo_return_body(a, index) for index in range(len(fulfilled_kibo_orders(a)))]
    with ThreadPoolExecutor(max_workers=12) as pool:
        batches = pool.map(lambda job: job[0].post(AY_RETURNS, json=job[1], headers=AY), zip_clients(a_and_b, entries))
        kibo_returns = pool.map(
            lambda job: job[0].post(KIBO_RETURNS, json=job[1], headers=kibo), zip_clients(a_and_b, kibo_bodies)
        )
        batch_ids = [answer.json()["batchRequestId"] for answer in batches]
        created = [answer.json() for answer in kibo_returns]
    assert len(set(batch_ids)) == len(entries)
    assert len(kibo_bodies) >= 2
    assert len({found["returnNumber"] for found in created}) == len({found["id"] for found in created}) == len(created)
    listed = b.get(KIBO_RETURNS, params={"pageSize": 200}, headers=kibo).json()
    assert sorted(found["returnNumber"] for found in listed["items"]) == sorted(f["returnNumber"] for f in created)


def zip_clients(instances: list[Instance], bodies: list[dict[str, Any]]) -> list[tuple[httpx.Client, dict[str, Any]]]:
    return list(zip(alternating(instances, len(bodies)), bodies, strict=True))


def test_advancing_the_clock_on_a_is_seen_on_b_at_once(a_and_b: list[Instance]) -> None:
    a, b = (instance.client for instance in a_and_b)
    filed = b.post("/returns", json=zinc_return_body(b), headers=ZINC).json()
    moved = a.post("/__admin/clock/advance", json={"seconds": ZINC_RESOLUTION_SECONDS}).json()
    assert b.get("/__admin/clock").json() == moved
    assert moved["now"] == "2026-03-02T09:02:00Z"
    assert b.get(f"/returns/{filed['id']}", headers=ZINC).json()["status"] in {"approved", "denied"}


def test_reset_from_a_resets_the_world_clock_journal_and_faults_for_b(a_and_b: list[Instance]) -> None:
    a, b = (instance.client for instance in a_and_b)
    assert b.post("/returns", json=zinc_return_body(b), headers=ZINC).status_code == 201
    b.post("/__admin/clock/advance", json={"seconds": 600})
    b.post("/__admin/faults", json={"provider": "rye", "kind": "status"})
    assert a.post("/__admin/reset").status_code == 200
    assert b.get("/returns", headers=ZINC).json()["total"] == 0
    assert b.get("/__admin/clock").json()["elapsed_seconds"] == 0.0
    assert b.get("/__admin/faults").json() == {"faults": []}
    journal = b.get("/__admin/requests", params={"direction": "all"}).json()["requests"]
    assert [entry["path"] for entry in journal] == ["/__admin/reset", "/returns", "/__admin/clock", "/__admin/faults"]


def file_through_both(instances: list[Instance], receiver: Receiver, count: int) -> None:
    a = instances[0].client
    assert a.post("/__admin/webhooks", json={"provider": "zinc", "url": receiver.url}).status_code == 201
    for number, client in enumerate(alternating(instances, count)):
        assert client.post("/returns", json=zinc_return_body(client, number), headers=ZINC).status_code == 201


def assert_each_delivered_once(client: httpx.Client, receiver: Receiver, count: int) -> None:
    deliveries = client.get("/__admin/webhooks/deliveries").json()["deliveries"]
    assert [(delivery["status"], len(delivery["attempts"])) for delivery in deliveries] == [("delivered", 1)] * count
    bodies = [received.body for received in receiver.received]  # each event's body names its own event id
    assert (len(bodies), len(set(bodies))) == (count, count)


def test_both_instances_advancing_at_once_deliver_each_due_webhook_exactly_once(a_and_b: list[Instance]) -> None:
    with listening() as receiver:
        file_through_both(a_and_b, receiver, 4)
        with ThreadPoolExecutor(max_workers=2) as both:
            advances = list(both.map(lambda i: i.client.post("/__admin/clock/advance", json={"seconds": 0}), a_and_b))
        assert [advance.status_code for advance in advances] == [200, 200]
        assert_each_delivered_once(a_and_b[0].client, receiver, 4)


def test_both_wall_clock_senders_running_deliver_each_webhook_exactly_once(
    postgres_cluster: pgcluster.Postgres, tmp_path: Path
) -> None:
    with serving(postgres_cluster.create_database(), tmp_path, clock="wall") as instances, listening() as receiver:
        file_through_both(instances, receiver, 4)
        a = instances[0].client
        # Real time is the point here: both background senders run. Wait (bounded) for the outbox to settle.
        assert wait_for(lambda: _settled(a), DELIVERED_WITHIN_SECONDS), a.get("/__admin/webhooks/deliveries").text
        assert_each_delivered_once(a, receiver, 4)


def _settled(client: httpx.Client) -> bool:
    deliveries: list[dict[str, Any]] = client.get("/__admin/webhooks/deliveries").json()["deliveries"]
    return bool(deliveries) and all(delivery["status"] != "pending" for delivery in deliveries)


def test_two_instances_started_at_once_on_an_empty_database_seed_it_once(
    postgres_cluster: pgcluster.Postgres, tmp_path: Path
) -> None:
    with serving(postgres_cluster.create_database(), tmp_path, count=3) as instances:
        clients = [instance.client for instance in instances]
        worlds = [client.get("/__admin/world").json() for client in clients]
        assert worlds[0] == worlds[1] == worlds[2]
        totals = {
            instance.client.get("/orders", params={"limit": 500}, headers=ZINC).json()["total"]
            for instance in instances
        }
        assert len(totals) == 1
        for instance in instances:
            assert "Traceback" not in instance.output()
            assert "ERROR" not in instance.output()
