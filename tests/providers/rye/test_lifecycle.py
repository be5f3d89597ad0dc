"""Rye's returns step forward as scheduled transitions kept in the store, each through
`behaviour.transition`; the server executes the document its validation stage already parsed."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from returnkit.core.clock import VirtualClock, iso
from returnkit.core.store import SQLiteStore
from returnkit.core.world import read_mock
from returnkit.providers.kit import World
from returnkit.providers.rye import behaviour
from returnkit.providers.rye.records import RETURNS
from returnkit.server.app import server_state
from returnkit.validation import graphql_engine
from tests.http import CheckedClient, TestClient
from tests.parsing import counting_parse
from tests.providers.rye.test_rye import LUMEN, ORDER, advance, an_order, graphql, return_all

WEEK = 7 * 24 * 3600


@pytest.fixture
def rye(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "rye", LUMEN)


def scheduled(app: Any) -> list[tuple[str, str, float]]:
    entries = server_state(app).store.due("rye", float("inf"), 100)
    return [(entry.key, entry.transition, entry.due) for entry in entries]


def test_a_requested_return_has_its_next_step_due_in_the_store(app: Any, http: TestClient, rye: CheckedClient) -> None:
    now = server_state(app).clock.timestamp()
    orders = return_all(rye, an_order(http, "AMAZON"))["result"]["orders"]
    assert scheduled(app) == [(order["returnId"], behaviour.ADVANCE, now + 60) for order in orders]


def test_a_closed_return_has_nothing_left_to_do_and_was_updated_when_it_closed(
    app: Any, http: TestClient, rye: CheckedClient
) -> None:
    order = an_order(http, "SHOPIFY")
    requested = server_state(app).clock.now()
    return_all(rye, order)
    advance(http, 30 * 24 * 3600)  # one jump over every step
    assert scheduled(app) == []
    query = "query($id: ID!) { orderByID(id: $id) { status returns { updatedAt } } }"
    shown = graphql(rye, query, id=order["id"])["data"]["orderByID"]
    closed = datetime.fromtimestamp(requested.timestamp() + WEEK, UTC)
    assert shown == {"status": "RETURN_CLOSED", "returns": [{"updatedAt": iso(closed)}]}


def test_every_status_change_passes_through_the_transition_method(
    monkeypatch: pytest.MonkeyPatch, http: TestClient, rye: CheckedClient
) -> None:
    changes: list[tuple[str, float]] = []
    real = behaviour.transition

    def recording(world: World, record: Any, to_status: str, at: float) -> Any:
        changes.append((to_status, at - record["created"]))
        return real(world, record, to_status, at)

    monkeypatch.setattr(behaviour, "transition", recording)
    return_all(rye, an_order(http, "SHOPIFY"))
    advance(http, 120)
    advance(http, WEEK)
    assert changes == [
        ("RETURN_REQUESTED", 0.0),
        ("RETURN_REQUEST_ACCEPTED", 60.0),
        ("RETURN_APPROVED", 3600.0),
        ("RETURN_CLOSED", float(WEEK)),
    ]


def test_a_step_without_delay_is_taken_with_the_request() -> None:
    mocks = dict(read_mock("rye"))
    mocks["returns"] = {**mocks["returns"], "accepted_after_seconds": 0}
    world = World(SQLiteStore(), VirtualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)), 7, mocks)
    line = {"productId": "B0", "variantId": "B0", "quantity": 1, "cents": 100, "marketplaceOrderId": "113-1"}
    order: Any = {"id": "o1", "marketplace": "AMAZON", "lines": [line]}
    (record,) = behaviour.request_returns(world, "dev", order, [{"id": "B0", "quantity": 1}])
    assert record["status"] == "RETURN_REQUEST_ACCEPTED"
    assert RETURNS.get(world, record["id"]) == record
    assert [e.due - record["created"] for e in world.store.due("rye", float("inf"), 10)] == [3600.0]


def test_the_server_executes_the_document_its_validation_stage_parsed(
    monkeypatch: pytest.MonkeyPatch, http: TestClient, rye: CheckedClient
) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(graphql_engine, "parse", counting_parse(parsed))
    text = ORDER + "\n# a text no other test sends"
    order = an_order(http, "AMAZON")
    for _ in range(2):
        assert graphql(rye, text, id=order["id"])["data"]["order"]["id"] == order["id"]
    assert parsed == [text]
