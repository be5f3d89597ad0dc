"""`GET /__admin/health`: what load balancers, CI scripts and the pytest plugin wait on.

A database that does not answer makes every request the API's own 503 with `Retry-After: 1`,
never a 500; when it answers again, so does the server, with nothing it acknowledged lost. The
SQLite database is made unusable the way a second process would: by holding its write lock.
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from returnkit.core.store import SCHEMA_VERSION
from returnkit.server.app import ServerOptions, create_app
from tests.http import TestClient, serving

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


def test_health_names_the_store_its_schema_the_virtual_time_and_the_instance() -> None:
    options = ServerOptions(seed=3, clock_mode="frozen", instance="box-4242-1")
    with serving(create_app(options)) as client:
        client.post("/__admin/clock/advance", json={"seconds": 60})
        health = client.get("/__admin/health")
        store = {"status": "ok", "store": "sqlite", "schema_version": SCHEMA_VERSION}
        expected = {**store, "clock": "2026-03-02T09:01:00Z", "instance": "box-4242-1"}
        assert (health.status_code, health.json()) == (200, expected)


def test_health_needs_no_admin_token_when_the_rest_of_the_admin_api_does() -> None:
    options = ServerOptions(admin_token="s3cret-token")  # noqa: S106 -- a test token
    with serving(create_app(options)) as client:
        assert client.get("/__admin/clock").status_code == 401
        assert client.get("/__admin/health").status_code == 200


@contextlib.contextmanager
def write_lock_held(db: Path) -> Iterator[None]:
    """Another process's transaction that holds the database's write lock until the block ends."""
    with contextlib.closing(sqlite3.connect(db, isolation_level=None)) as other:
        other.execute("BEGIN IMMEDIATE")
        try:
            yield
        finally:
            other.execute("ROLLBACK")


@pytest.fixture
def on_a_file(tmp_path: Path) -> Iterator[tuple[TestClient, Path]]:
    db = tmp_path / "world.sqlite"
    with serving(create_app(ServerOptions(db=str(db)))) as client:
        yield client, db


def test_a_database_that_does_not_answer_is_a_503_until_it_answers_again(
    on_a_file: tuple[TestClient, Path],
) -> None:
    client, db = on_a_file
    order = client.get("/orders", params={"status_filter": "order_placed"}, headers=ZINC).json()["orders"][0]
    body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
    filed = client.post("/returns", json={**body, "reason": "other"}, headers=ZINC).json()
    with write_lock_held(db):  # each answer below waits out the busy timeout (5 s) first
        health = client.get("/__admin/health")
        assert (health.status_code, health.headers["Retry-After"]) == (503, "1")
        assert (health.json()["status"], health.json()["store"]) == ("unavailable", "sqlite")
        assert "database is locked" in health.json()["error"]
        down = client.get(f"/returns/{filed['id']}", headers=ZINC)
        assert (down.status_code, down.headers["Retry-After"], set(down.json())) == (503, "1", {"error"})
    assert client.get("/__admin/health").status_code == 200
    assert client.get(f"/returns/{filed['id']}", headers=ZINC).json() == filed
