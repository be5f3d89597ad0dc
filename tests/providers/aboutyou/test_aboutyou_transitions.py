"""ABOUT YOU's batch progress is two scheduled transitions, carried out in due order."""

from __future__ import annotations

import math
from typing import Any

import pytest

from returnkit.core.store import Scheduled
from returnkit.providers.aboutyou import behaviour
from returnkit.providers.aboutyou.records import BATCHES
from returnkit.providers.kit import Refusal
from returnkit.server.app import server_state
from returnkit.server.state import ServerState
from tests.http import CheckedClient, TestClient
from tests.providers.aboutyou.test_aboutyou import (
    BATCH_SECONDS,
    NORDLICHT,
    advance,
    item_in,
    item_status,
    results,
    return_entry,
    submit,
)

START = 1_772_442_000  # mocks/server.yaml: 2026-03-02T09:00:00Z
PENDING_SECONDS = 2  # mocks/aboutyou.yaml


@pytest.fixture
def ay(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "aboutyou", NORDLICHT)


@pytest.fixture
def state(app: Any) -> ServerState:
    return server_state(app)


def scheduled(state: ServerState) -> list[Scheduled]:
    return state.store.due("aboutyou", math.inf, 100)


def test_submitting_schedules_processing_and_completion_and_the_clock_stores_each(
    http: TestClient, ay: CheckedClient, state: ServerState
) -> None:
    batch_id = submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    assert scheduled(state) == [
        Scheduled("aboutyou", "batch", batch_id, behaviour.PROCESS, START + PENDING_SECONDS),
        Scheduled("aboutyou", "batch", batch_id, behaviour.COMPLETE, START + BATCH_SECONDS),
    ]
    advance(http, PENDING_SECONDS)
    processing = BATCHES.get(state.worlds["aboutyou"], batch_id)
    assert processing is not None
    assert (processing["status"], processing["updated"]) == ("processing", START + PENDING_SECONDS)
    advance(http, BATCH_SECONDS)
    done = BATCHES.get(state.worlds["aboutyou"], batch_id)
    assert done is not None
    assert (done["status"], done["updated"], len(done["results"])) == ("completed", START + BATCH_SECONDS, 1)
    assert scheduled(state) == []


def test_batches_due_in_one_clock_jump_complete_in_submission_order(http: TestClient, ay: CheckedClient) -> None:
    item = item_in(ay, "shipped")
    first = submit(ay, "return", [return_entry(item, "RT-1")])
    advance(http, 1)
    second = submit(ay, "return", [return_entry(item, "RT-2")])
    advance(http, 1000)
    assert results(ay, "return", first)["items"][0]["success"] is True
    assert results(ay, "return", second)["items"][0]["errors"] == [f"Order item {item} has already been returned"]
    assert item_status(ay, item)[0] == "returned"


def test_an_entry_that_cannot_be_applied_is_a_refusal_listing_each_reason(state: ServerState) -> None:
    world = state.worlds["aboutyou"]
    shipment = {"order_items": [1], "carrier_key": "PIGEON", "shipment_tracking_key": "T"}
    with pytest.raises(Refusal) as carrier:
        behaviour.apply_ship(world, "nordlicht-mode", shipment)
    assert carrier.value.details == {"errors": ["Carrier key 'PIGEON' is not a valid active carrier key"]}
    with pytest.raises(Refusal) as unknown:
        behaviour.apply_cancel(world, "nordlicht-mode", {"id": 999_999_999})
    assert unknown.value.details == {"errors": ["Order item 999999999 does not exist"]}
