"""The store's outbox: enqueue, due order, settling attempts, listing, next due time, clear, restart."""

from __future__ import annotations

from pathlib import Path

import pytest

from returnkit.core.outbox import Attempt, Delivery
from returnkit.core.store import OWN_TABLES, SQLiteStore

T0 = 1_772_442_000.0


def delivery(
    event: str = "return.created", due: float = T0, subscription: str = "wh_1", provider: str = "zinc"
) -> Delivery:
    return Delivery(0, provider, event, "e-1", subscription, "acme", "r1", b'{"a":1}', due, due)


def attempt(number: int = 1, at: float = T0, kind: str = "scheduled", status: int | None = 500) -> Attempt:
    headers = {"X-Webhook-Signature": "ab" * 32}
    return Attempt(number, at, "2026-12-02T06:00:00Z", kind, status, None, 12.5, headers)  # type: ignore[arg-type]


def test_enqueue_gives_ids_and_keeps_every_field() -> None:
    store = SQLiteStore()
    first, second = store.enqueue(delivery()), store.enqueue(delivery("return.approved"))
    assert (first, second) == (1, 2)
    kept = store.delivery(first)
    assert kept == Delivery(1, "zinc", "return.created", "e-1", "wh_1", "acme", "r1", b'{"a":1}', T0, T0)
    assert store.delivery(99) is None


def test_due_deliveries_come_in_due_then_id_order_and_only_when_due() -> None:
    store = SQLiteStore()
    late = store.enqueue(delivery(due=T0 + 60))
    early_a = store.enqueue(delivery(due=T0))
    early_b = store.enqueue(delivery(due=T0))
    assert [d.id for d in store.due_deliveries(T0 + 60, 10)] == [early_a, early_b, late]
    assert [d.id for d in store.due_deliveries(T0 + 59, 10)] == [early_a, early_b]
    assert [d.id for d in store.due_deliveries(T0 + 60, 1)] == [early_a]


def test_settle_records_the_attempt_and_what_follows() -> None:
    store = SQLiteStore()
    delivery_id = store.enqueue(delivery())
    store.settle(delivery_id, attempt(1), due=T0 + 60, status="pending", conformance="$.a: not a string")
    store.settle(delivery_id, attempt(2, T0, kind="duplicate", status=200), due=T0 + 60, status="pending")
    settled = store.delivery(delivery_id)
    assert settled is not None
    assert (settled.attempts, settled.tries, settled.due, settled.status) == (2, 1, T0 + 60, "pending")
    assert settled.conformance == "$.a: not a string"  # kept when a later settle gives none
    store.settle(delivery_id, attempt(3, T0 + 60, status=200), due=None, status="delivered")
    done = store.delivery(delivery_id)
    assert done is not None
    assert (done.attempts, done.tries, done.due, done.status) == (3, 2, None, "delivered")
    assert store.due_deliveries(T0 + 10_000, 10) == []
    attempts = store.attempts(delivery_id)
    assert [(a.number, a.kind, a.status) for a in attempts] == [
        (1, "scheduled", 500),
        (2, "duplicate", 200),
        (3, "scheduled", 200),
    ]
    assert attempts[0] == attempt(1)


def test_settle_joins_the_callers_transaction() -> None:
    store = SQLiteStore()
    delivery_id = store.enqueue(delivery())

    def settle_then_fail() -> None:
        with store.transaction():
            store.settle(delivery_id, attempt(1), due=None, status="failed")
            raise RuntimeError

    with pytest.raises(RuntimeError):
        settle_then_fail()
    assert store.attempts(delivery_id) == []
    kept = store.delivery(delivery_id)
    assert kept is not None
    assert kept.status == "pending"


def test_deliveries_filter_by_every_field_given() -> None:
    store = SQLiteStore()
    store.enqueue(delivery("return.created", subscription="wh_1"))
    store.enqueue(delivery("return.approved", subscription="wh_2"))
    store.enqueue(delivery("RETURN_CLOSED", subscription="wh_3", provider="rye"))
    assert [d.id for d in store.deliveries()] == [1, 2, 3]
    assert [d.id for d in store.deliveries(provider="zinc")] == [1, 2]
    assert [d.id for d in store.deliveries(provider="zinc", event="return.approved")] == [2]
    assert [d.id for d in store.deliveries(subscription="wh_3", status="pending")] == [3]
    assert store.deliveries(status="delivered") == []


def test_next_due_covers_scheduled_transitions_and_pending_deliveries() -> None:
    store = SQLiteStore()
    assert store.next_due() is None
    store.schedule("zinc", "return", "r1", "resolve", T0 + 120)
    assert store.next_due() == T0 + 120
    delivery_id = store.enqueue(delivery(due=T0 + 5))
    assert store.next_due() == T0 + 5
    store.settle(delivery_id, attempt(1), due=None, status="failed")
    assert store.next_due() == T0 + 120
    store.unschedule("zinc", "return", "r1", "resolve")
    assert store.next_due() is None


def test_clear_empties_the_outbox_and_starts_delivery_ids_again() -> None:
    store = SQLiteStore()
    store.settle(store.enqueue(delivery()), attempt(1), due=None, status="failed")
    store.clear()
    assert store.deliveries() == []
    assert store.attempts(1) == []
    assert store.enqueue(delivery()) == 1
    assert {"outbox", "attempts"} <= OWN_TABLES


def test_the_outbox_survives_a_restart(tmp_path: Path) -> None:
    path = str(tmp_path / "world.db")
    store = SQLiteStore(path)
    with store.transaction():
        delivery_id = store.enqueue(delivery())
    store.close()
    reopened = SQLiteStore(path)
    assert [d.id for d in reopened.due_deliveries(T0, 10)] == [delivery_id]
    reopened.close()
