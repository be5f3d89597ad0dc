"""The virtual clock's range: an advance past returnkit's latest time is refused, never a 500 later."""

from __future__ import annotations

import contextlib
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from returnkit.core.store import SQLiteStore
from returnkit.server.app import ServerOptions, create_app, server_state
from returnkit.server.state import CLOCK
from returnkit.spec import load_provider
from tests.conftest import PROVIDERS
from tests.http import CheckedClient, TestClient, serving

TEN_YEARS = 315_576_000  # the most one advance may ask for (specs/returnkit-admin.yaml)
LATEST = "9998-12-31T23:59:59Z"
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


def advance_to_the_limit(admin: CheckedClient) -> Any:
    """Advance ten years at a time until refused, then by exactly what is left; the refusal."""
    while (moved := admin.post("/__admin/clock/advance", json={"seconds": TEN_YEARS})).status_code == 200:
        pass
    left = int(re.search(r"at most (\d+) seconds", moved.json()["message"]).group(1))  # type: ignore[union-attr]
    assert admin.post("/__admin/clock/advance", json={"seconds": left}).status_code == 200
    return moved


def test_an_advance_past_the_latest_time_is_a_400_that_says_the_limit(admin: CheckedClient) -> None:
    refused = advance_to_the_limit(admin)
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "seconds"
    assert f"cannot pass {LATEST}" in refused.json()["message"]
    assert admin.get("/__admin/clock").json()["now"] == LATEST
    again = admin.post("/__admin/clock/advance", json={"seconds": 1})
    assert (again.status_code, "at most 0 seconds are left" in again.json()["message"]) == (400, True)
    assert admin.post("/__admin/clock/advance", json={"seconds": 0}).status_code == 200


def test_at_the_latest_time_every_operation_still_answers_without_a_500(http: TestClient, admin: CheckedClient) -> None:
    advance_to_the_limit(admin)
    zinc = CheckedClient(http, "zinc", ZINC)
    order = zinc.get("/orders", params={"status_filter": "order_placed"}).json()["orders"][0]
    body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
    created = zinc.post("/returns", json={**body, "reason": "damaged"})
    assert created.status_code == 201
    assert zinc.get(f"/returns/{created.json()['id']}").json()["created_at"].startswith("9998-12-31T23:59:59")
    failed = []
    for provider in PROVIDERS:
        for operation in load_provider(provider).operations:
            if operation.kind == "rest":
                path = re.sub(r"\{[^}]+\}", "1", operation.path)
                status = http.request(operation.method, path).status_code
                if status >= 500 and status != 501:
                    failed.append((provider, operation.method, path, status))
    assert failed == []
    assert http.get("/__admin/world").status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        b'{"seconds": 1e400}',
        b'{"seconds": NaN}',
        b'{"seconds": Infinity}',
        b'{"seconds": -1}',
        b'{"seconds": "60"}',
        b'{"seconds": 1' + b"0" * 5000 + b"}",
        b'{"seconds": 315576001}',
    ],
    ids=["1e400", "NaN", "Infinity", "negative", "string", "5001-digits", "over-ten-years"],
)
def test_a_seconds_value_that_is_not_a_sane_duration_is_a_400(admin: CheckedClient, body: bytes) -> None:
    refused = admin.post("/__admin/clock/advance", content=body, headers={"Content-Type": "application/json"})
    assert refused.status_code == 400
    assert admin.get("/__admin/clock").json()["elapsed_seconds"] == 0.0


def test_a_database_holding_a_clock_beyond_the_limit_resumes_at_the_limit(tmp_path: Path) -> None:
    path = str(tmp_path / "world.sqlite")
    with serving(create_app(ServerOptions(db=path, clock_mode="frozen"))) as client:
        assert client.get("/returns", headers=ZINC).status_code == 200
    written_by_an_older_returnkit = SQLiteStore(path)
    written_by_an_older_returnkit.set_meta(CLOCK, 798 * TEN_YEARS)
    written_by_an_older_returnkit.close()
    with contextlib.closing(sqlite3.connect(path)) as older:  # before schema 3 the clock was only that meta value
        older.execute("DROP TABLE clock")
        older.execute("PRAGMA user_version=0")
    app = create_app(ServerOptions(db=path, clock_mode="frozen"))
    assert server_state(app).notices == [
        f"the stored clock was outside the supported range (up to {LATEST}); it resumes at {LATEST}"
    ]
    with serving(app) as client:
        assert client.get("/__admin/clock").json()["now"] == LATEST
        assert client.get("/returns", headers=ZINC).status_code == 200
    assert server_state(create_app(ServerOptions(db=path, clock_mode="frozen"))).notices == []  # clamped for good


def test_a_world_that_exists_keeps_its_clocks_mode_and_says_so_when_another_was_asked_for(tmp_path: Path) -> None:
    path = str(tmp_path / "world.sqlite")
    create_app(ServerOptions(db=path, clock_mode="frozen"))
    asked_for_wall = create_app(ServerOptions(db=path, clock_mode="wall"))
    assert server_state(asked_for_wall).notices == [
        "the world's clock is frozen (the database's, shared by every instance on it); --clock wall is ignored"
    ]
    with serving(asked_for_wall) as client:
        assert client.get("/__admin/clock").json()["mode"] == "frozen"
    assert server_state(create_app(ServerOptions(db=path))).notices == []  # no --clock given: nothing to say
