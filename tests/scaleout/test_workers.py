"""`returnkit serve --workers N`: N processes on one socket and one shared store behave as one server.

A client sees one address; each new connection may land on any worker (the health answer names the
process that answered). Run on a SQLite file and on PostgreSQL.
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests import pgcluster
from tests.scaleout.instances import (
    AY,
    READY_WITHIN_SECONDS,
    RETURNKIT,
    ZINC,
    Instance,
    launch,
    until_healthy,
    wait_for,
    zinc_return_body,
)

WORKERS = 2
AY_ORDERS_PER_MINUTE = 100  # specs/aboutyou.yaml: GET /api/v1/orders, x-returnkit-rate-limit


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def workers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Instance]:
    if request.param == "sqlite":
        db = str(tmp_path / "world.db")
    else:
        cluster: pgcluster.Postgres = request.getfixturevalue("postgres_cluster")
        db = cluster.create_database()
    process = launch(db, tmp_path / "serve.log", "--clock", "frozen", "--workers", str(WORKERS))
    try:
        instance = until_healthy("workers", process, tmp_path / "serve.log")
        yield instance
        instance.client.close()
    finally:
        process.terminate()
        process.wait(timeout=20)


def fresh(instance: Instance) -> httpx.Client:
    """A client that opens a new connection for every request: any worker may take each."""
    limits = httpx.Limits(max_keepalive_connections=0)
    return httpx.Client(base_url=str(instance.client.base_url), limits=limits, timeout=30, trust_env=False)


def answering(client: httpx.Client) -> str:
    return str(client.get("/__admin/health").json()["instance"])


def both_workers(client: httpx.Client) -> set[str]:
    """The workers' names, once each has answered a new connection (the last may still be starting)."""
    seen: set[str] = set()

    def every_worker_answered() -> bool:
        seen.add(answering(client))
        return len(seen) == WORKERS

    assert wait_for(every_worker_answered, within=READY_WITHIN_SECONDS), seen
    return seen


def test_each_worker_serves_what_another_accepted_on_one_clock_and_one_journal(workers: Instance) -> None:
    with fresh(workers) as client:
        assert len(both_workers(client)) == WORKERS
        filed = client.post("/returns", json=zinc_return_body(client), headers=ZINC)
        assert filed.status_code == 201, filed.text
        reads = [client.get(f"/returns/{filed.json()['id']}", headers=ZINC) for _ in range(20)]
        assert {read.status_code for read in reads} == {200}
        assert {read.json()["status"] for read in reads} == {"open"}
        assert client.post("/__admin/clock/advance", json={"seconds": 86400}).status_code == 200
        clocks = {client.get("/__admin/health").json()["clock"] for _ in range(20)}
        assert clocks == {"2026-03-03T09:00:00Z"}
        resolved = {client.get(f"/returns/{filed.json()['id']}", headers=ZINC).json()["status"] for _ in range(10)}
        assert len(resolved) == 1
        assert resolved != {"open"}
        journaled = client.get("/__admin/requests", params={"provider": "zinc"}).json()["total"]
        assert journaled == 1 + 1 + 20 + 10  # the order listing, the filing and every read, once each


def test_a_rate_limit_is_one_budget_across_the_workers(workers: Instance) -> None:
    with fresh(workers) as client:
        assert len(both_workers(client)) == WORKERS
        statuses = [client.get("/api/v1/orders/", headers=AY).status_code for _ in range(AY_ORDERS_PER_MINUTE + 1)]
    assert statuses[:AY_ORDERS_PER_MINUTE] == [200] * AY_ORDERS_PER_MINUTE
    assert statuses[-1] == 429


def test_stopping_the_server_stops_every_worker(tmp_path: Path) -> None:
    logs = tmp_path / "serve.log"
    process = launch(str(tmp_path / "world.db"), logs, "--clock", "frozen", "--workers", str(WORKERS))
    try:
        instance = until_healthy("workers", process, logs)
        instance.client.close()
        with fresh(instance) as client:
            pids = {int(name.split("-")[-2]) for name in both_workers(client)}
        assert len(pids) == WORKERS
        assert process.pid not in pids
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
        assert wait_for(lambda: not any(_alive(pid) for pid in pids), within=10)
    finally:
        if process.poll() is None:  # the test failed before the server stopped: leave nothing running
            process.kill()
            process.wait()


def test_workers_refuse_the_in_memory_default(tmp_path: Path) -> None:
    refused = subprocess.run(
        [RETURNKIT, "serve", "--port", "0", "--workers", "2"],
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "RETURNKIT_DB": ""},
    )
    assert refused.returncode == 2
    assert "--workers 2 needs a store the workers share" in refused.stderr
    assert "Traceback" not in refused.stderr


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True
