"""Two `returnkit serve` processes on one SQLite file behave as one server (issue 15).

Each test resets the world through A, then uses both instances as two clients behind a load
balancer would: what one instance accepted, the other serves; one clock, one rate budget, one
journal, one set of faults.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from returnkit.core.store import SCHEMA_VERSION, SQLiteStore
from returnkit.server.state import CLOCK
from tests.listening import POLL_INTERVAL_SECONDS, READY_WITHIN_SECONDS, _free_port
from tests.webhooks.receiver import listening

RETURNKIT = str(Path(sys.executable).parent / "returnkit")
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
AY = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}
AY_RETURN = {"items": [{"order_items": [1], "return_tracking_key": "R"}]}


@contextmanager
def served(db: Path, name: str, *options: str) -> Iterator[httpx.Client]:
    """`returnkit serve --db DB` on a free port, ready once `GET /__admin/health` says 200."""
    port = _free_port()
    logs = db.parent / f"{name}.log"
    command = [RETURNKIT, "serve", "--port", str(port), "--db", str(db), "--clock", "frozen", *options]
    with logs.open("wb") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ))
        try:
            with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30, trust_env=False) as client:
                _wait_until_healthy(client, process, logs)
                yield client
        finally:
            process.terminate()
            process.wait(timeout=10)


def _wait_until_healthy(client: httpx.Client, process: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"returnkit serve exited with {process.returncode}:\n{logs.read_text()}")
        with contextlib.suppress(httpx.TransportError):
            if client.get("/__admin/health").status_code == 200:
                return
        time.sleep(POLL_INTERVAL_SECONDS)
    pytest.fail(f"returnkit serve was not healthy within {READY_WITHIN_SECONDS} s:\n{logs.read_text()}")


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[httpx.Client, httpx.Client]]:
    db = tmp_path_factory.mktemp("shared") / "world.sqlite"
    with served(db, "a") as a, served(db, "b") as b:
        yield a, b


@pytest.fixture
def a_and_b(pair: tuple[httpx.Client, httpx.Client]) -> tuple[httpx.Client, httpx.Client]:
    a, _ = pair
    assert a.post("/__admin/reset").status_code == 200
    return pair


def zinc_return_body(client: httpx.Client, order_number: int = 0) -> dict[str, Any]:
    """A return of the first item of the account's `order_number`th placed order."""
    orders = client.get("/orders", params={"status_filter": "order_placed"}, headers=ZINC).json()["orders"]
    order = orders[order_number]
    return {
        "order_id": order["id"],
        "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}],
        "reason": "other",
    }


def test_a_return_filed_through_a_is_read_listed_and_acted_on_through_b(
    a_and_b: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = a_and_b
    filed = a.post("/returns", json=zinc_return_body(a), headers=ZINC)
    assert filed.status_code == 201
    read = b.get(f"/returns/{filed.json()['id']}", headers=ZINC)
    assert (read.status_code, read.json()) == (200, filed.json())
    assert [found["id"] for found in b.get("/returns", headers=ZINC).json()["return_requests"]] == [filed.json()["id"]]


def test_about_yous_budget_of_50_a_minute_is_one_budget_across_instances(
    a_and_b: tuple[httpx.Client, httpx.Client],
) -> None:
    answers = [(a_and_b[n % 2]).post("/api/v1/orders/return", json=AY_RETURN, headers=AY) for n in range(60)]
    assert [answer.status_code for answer in answers] == [200] * 50 + [429] * 10
    assert all(0 < int(answer.headers["Retry-After"]) <= 60 for answer in answers[50:])


def test_advancing_the_clock_on_a_is_seen_on_b_at_once(a_and_b: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = a_and_b
    moved = a.post("/__admin/clock/advance", json={"seconds": 3600}).json()
    assert b.get("/__admin/clock").json() == moved
    assert moved["now"] == "2026-03-02T10:00:00Z"


def test_a_fault_added_on_a_fires_on_b_and_times_1_fires_once_across_both(
    a_and_b: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = a_and_b
    fault = {"provider": "zinc", "kind": "status", "status": 503, "times": 1}
    assert a.post("/__admin/faults", json=fault).status_code == 201
    statuses = [client.get("/returns", headers=ZINC).status_code for client in (b, a, b)]
    assert statuses == [503, 200, 200]
    assert [found["fired"] for found in a.get("/__admin/faults").json()["faults"]] == [1]


def test_the_journal_read_on_a_lists_bs_requests(a_and_b: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = a_and_b
    b.get("/returns", headers=ZINC)
    b.get("/orders", headers=ZINC)
    seen = a.get("/__admin/requests", params={"provider": "zinc"}).json()
    assert [(entry["path"], entry["status"]) for entry in seen["requests"]] == [
        ("/returns", 200),
        ("/orders", 200),
    ]


def test_reset_from_a_resets_b_world_clock_journal_and_faults(a_and_b: tuple[httpx.Client, httpx.Client]) -> None:
    a, b = a_and_b
    assert b.post("/returns", json=zinc_return_body(b), headers=ZINC).status_code == 201
    b.post("/__admin/clock/advance", json={"seconds": 600})
    b.post("/__admin/faults", json={"provider": "rye", "kind": "status"})
    assert a.post("/__admin/reset").status_code == 200
    assert b.get("/returns", headers=ZINC).json()["total"] == 0
    assert b.get("/__admin/clock").json()["elapsed_seconds"] == 0.0
    assert b.get("/__admin/faults").json() == {"faults": []}
    journal = b.get("/__admin/requests", params={"direction": "all"}).json()["requests"]
    assert [entry["path"] for entry in journal] == ["/__admin/reset", "/returns", "/__admin/clock", "/__admin/faults"]


def test_a_file_written_by_the_returnkit_before_schema_3_is_migrated_and_its_world_resumes(tmp_path: Path) -> None:
    db = tmp_path / "world.sqlite"
    with served(db, "first") as first:
        filed = first.post("/returns", json=zinc_return_body(first), headers=ZINC).json()
    _as_written_before_schema_3(db, clock_elapsed=7200.0)
    with served(db, "again") as again:
        health = again.get("/__admin/health").json()
        assert (health["store"], health["schema_version"]) == ("sqlite", SCHEMA_VERSION)
        assert again.get("/__admin/clock").json()["now"] == "2026-03-02T11:00:00Z"
        resumed = again.get(f"/returns/{filed['id']}", headers=ZINC).json()
        assert (resumed["created_at"], resumed["status"]) == (filed["created_at"], "approved")  # two hours on
    with contextlib.closing(sqlite3.connect(db)) as migrated:
        assert migrated.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


def _as_written_before_schema_3(db: Path, clock_elapsed: float) -> None:
    """What today's returnkit (schema 2, no version) keeps: no clock, rate, journal or fault tables,
    no delivery claims, and the clock's seconds in meta."""
    store = SQLiteStore(str(db))
    store.set_meta(CLOCK, clock_elapsed)
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as older:
        for table in ("clock", "rate_windows", "journal", "faults"):
            older.execute(f"DROP TABLE {table}")
        older.execute("ALTER TABLE outbox DROP COLUMN claimed_by")
        older.execute("ALTER TABLE outbox DROP COLUMN claimed_until")
        older.execute("PRAGMA user_version=0")
        older.commit()


def test_a_file_of_a_newer_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    db = tmp_path / "newer.sqlite"
    SQLiteStore(str(db)).close()
    with contextlib.closing(sqlite3.connect(db)) as newer:
        newer.execute(f"PRAGMA user_version={SCHEMA_VERSION + 1}")
    refused = subprocess.run(
        [RETURNKIT, "serve", "--port", "0", "--db", str(db)], check=False, capture_output=True, text=True, timeout=60
    )
    assert refused.returncode == 2
    assert (
        f"was written by a newer returnkit (schema version {SCHEMA_VERSION + 1}; this one knows up to"
        f" {SCHEMA_VERSION}): serve it with that returnkit or newer, or give another file"
    ) in refused.stderr


def test_both_instances_sending_at_once_deliver_each_webhook_exactly_once(
    a_and_b: tuple[httpx.Client, httpx.Client],
) -> None:
    a, b = a_and_b
    with listening() as receiver:
        subscription = {"provider": "zinc", "url": receiver.url}
        assert a.post("/__admin/webhooks", json=subscription).status_code == 201
        for number, client in enumerate((a, b, a, b)):
            assert client.post("/returns", json=zinc_return_body(client, number), headers=ZINC).status_code == 201
        with ThreadPoolExecutor(max_workers=2) as both:  # each instance's sender takes what falls due
            advances = list(both.map(lambda client: client.post("/__admin/clock/advance", json={"seconds": 0}), (a, b)))
        assert [advance.status_code for advance in advances] == [200, 200]
        events = [received.body for received in receiver.received]  # each event's body is its own
        delivered = a.get("/__admin/webhooks/deliveries", params={"status": "delivered"}).json()
        assert (len(events), len(set(events)), delivered["total"]) == (4, 4, 4)
