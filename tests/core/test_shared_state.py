"""What used to live in one process's memory, kept by a SQLite file two stores share (issue 15).

Two `SQLiteStore`s on one file stand for two processes (each has its own connection).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from returnkit.core.clock import VirtualClock
from returnkit.core.outbox import Delivery
from returnkit.core.store import SQLiteStore

START = datetime(2026, 3, 2, 9, tzinfo=UTC)


@pytest.fixture
def two_stores(tmp_path: Path) -> Iterator[tuple[SQLiteStore, SQLiteStore]]:
    first, second = SQLiteStore(str(tmp_path / "world.sqlite")), SQLiteStore(str(tmp_path / "world.sqlite"))
    yield first, second
    first.close()
    second.close()


def test_a_clock_advanced_through_one_store_is_seen_through_the_other_at_once(
    two_stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    here, there = (VirtualClock(START, "frozen", store) for store in two_stores)
    here.reset()
    here.advance(90)
    assert there.now() == datetime(2026, 3, 2, 9, 1, 30, tzinfo=UTC)


def test_within_one_reading_the_clock_is_read_once(two_stores: tuple[SQLiteStore, SQLiteStore]) -> None:
    here, there = (VirtualClock(START, "frozen", store) for store in two_stores)
    here.reset()
    with here.one_reading():
        before = here.elapsed()
        there.advance(60)
        assert here.elapsed() == before  # one request sees one time
        here.advance(1)  # its own advance reads the stored clock first: the other's 60 s count
        assert here.elapsed() == before + 61
    assert there.elapsed() == before + 61


def test_a_wall_clock_follows_the_wall_time_since_its_anchor_and_an_advance_adds_to_it() -> None:
    wall = [1_000.0]
    clock = VirtualClock(START, "wall", wall=lambda: wall[0])
    clock.reset()
    wall[0] += 30
    assert clock.elapsed() == 30
    clock.advance(100)
    wall[0] += 5
    assert clock.elapsed() == 135


def test_a_rate_window_and_a_fault_limit_are_counted_once_across_stores(
    two_stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    first, second = two_stores
    counts = [store.count_request("key|op|60", 7) for store in (first, second, first)]
    assert (counts, second.count_request("key|op|60", 8)) == ([1, 2, 3], 1)
    fault = first.add_fault({"provider": "zinc", "kind": "status", "times": 1})
    assert [store.fire_fault(fault, 1) for store in (second, first)] == [True, False]


def test_a_claimed_delivery_is_not_claimed_by_another_until_its_claimant_lets_go(
    two_stores: tuple[SQLiteStore, SQLiteStore],
) -> None:
    first, second = two_stores
    delivery_id = first.enqueue(Delivery(0, "zinc", "return.created", "e1", "wh_1", "acme", "r1", b"{}", 0.0, due=5))
    far = time.time() + 3600
    assert [claimed.id for claimed in first.claim_deliveries(10, 16, "a", far)] == [delivery_id]
    assert second.claim_deliveries(10, 16, "b", far) == []
    first.close()  # its process ended, a kill as much as an exit: the claim is let go at once
    assert [claimed.id for claimed in second.claim_deliveries(10, 16, "b", far)] == [delivery_id]
