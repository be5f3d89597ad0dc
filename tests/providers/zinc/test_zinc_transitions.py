"""Zinc's resolution is a scheduled transition: stored when it falls due, dated by its due time."""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from returnkit.core.store import Scheduled
from returnkit.providers.kit import Refusal
from returnkit.providers.zinc import behaviour
from returnkit.providers.zinc.records import ORDERS, RETURNS
from returnkit.server.app import server_state
from returnkit.server.state import ServerState
from tests.http import CheckedClient, TestClient
from tests.providers.zinc.test_zinc import RESOLUTION_SECONDS, SEVEN_DAYS, advance, body_for, file, placed_orders

START = 1_772_442_000  # mocks/server.yaml: 2026-03-02T09:00:00Z


@pytest.fixture
def zinc(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "zinc", {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"})


@pytest.fixture
def state(app: Any) -> ServerState:
    return server_state(app)


def scheduled(state: ServerState) -> list[Scheduled]:
    return state.store.due("zinc", math.inf, 100)


def test_filing_schedules_the_resolution_and_the_clock_stores_the_decision(
    http: TestClient, zinc: CheckedClient, state: ServerState
) -> None:
    created = file(zinc, body_for(placed_orders(zinc)[0]))
    resolves_at = START + RESOLUTION_SECONDS
    assert scheduled(state) == [Scheduled("zinc", "return", created["id"], behaviour.RESOLVE, resolves_at)]
    advance(http, RESOLUTION_SECONDS)
    stored = RETURNS.get(state.worlds["zinc"], created["id"])
    assert stored is not None
    assert (stored["status"], stored["updated_at"]) == (stored["decision"], "2026-03-02T09:02:00Z")
    assert scheduled(state) == []


def test_a_return_read_long_after_it_resolved_is_dated_when_it_resolved_and_its_label_when_read(
    http: TestClient, zinc: CheckedClient
) -> None:
    created = [file(zinc, body_for(order)) for order in placed_orders(zinc)]
    advance(http, 24 * 3600)
    resolved = [zinc.get(f"/returns/{r['id']}").json() for r in created]
    assert {r["updated_at"] for r in resolved} == {"2026-03-02T09:02:00Z"}
    (url,) = next(r["label_urls"] for r in resolved if r["status"] == "approved")
    assert int(parse_qs(urlparse(url).query)["expires"][0]) == START + 24 * 3600 + SEVEN_DAYS


def test_a_denied_return_gets_its_note_and_an_approved_one_its_rma_number(
    zinc: CheckedClient, state: ServerState
) -> None:
    world = state.worlds["zinc"]
    created = file(zinc, body_for(placed_orders(zinc)[0]))
    with state.store.transaction():
        record = RETURNS.get(world, created["id"])
        assert record is not None
        moment = state.clock.now()
        denied = behaviour.transition(world, record, "denied", moment)
        approved = behaviour.transition(world, record, "approved", moment)
    assert (denied["resolution_notes"], denied["merchant_return_id"]) == (record["decision_note"], None)
    assert approved["resolution_notes"] is None
    assert approved["merchant_return_id"] is not None
    assert approved["merchant_return_id"].startswith("RMA")


def test_a_refused_return_is_one_refusal_with_zincs_code_and_details(zinc: CheckedClient, state: ServerState) -> None:
    order = placed_orders(zinc)[0]
    too_many = body_for(order, quantity=order["items"][0]["quantity"] + 1)
    stored = ORDERS.get(state.worlds["zinc"], order["id"])
    assert stored is not None
    with pytest.raises(Refusal) as refused:
        behaviour.check_returnable(state.worlds["zinc"], stored, too_many)
    assert (refused.value.status, refused.value.code) == (409, "return_not_allowed")
    assert refused.value.details == {
        "order_item_id": order["items"][0]["id"],
        "returnable_quantity": order["items"][0]["quantity"],
    }
