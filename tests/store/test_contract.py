"""The store protocol's contract, held by every backend alike (SQLite in memory, a SQLite file, PostgreSQL)."""

from __future__ import annotations

import contextlib
import sqlite3
import time

import psycopg
import pytest

from returnkit.core.jsonbytes import dumps
from returnkit.core.outbox import Attempt, Delivery
from returnkit.core.store import (
    JOURNAL_SEQUENCE,
    SCHEMA_VERSION,
    ClockState,
    JournalRow,
    RecordFilter,
    Store,
    open_store,
)
from returnkit.validation.jsonparse import parse_json
from tests.store.conftest import close

T0 = 1_772_442_000.0
FAR = time.time() + 3600  # a claim that holds for the whole test
PAST = time.time() - 1  # a claim whose holder has died


def delivery(
    event: str = "return.created", due: float | None = T0, subscription: str = "wh_1", provider: str = "zinc"
) -> Delivery:
    return Delivery(0, provider, event, "e-1", subscription, "acme", "r1", b'{"a":1}', T0, due)


def attempt(number: int = 1, kind: str = "scheduled", status: int | None = 500) -> Attempt:
    return Attempt(number, T0, "2026-12-02T06:00:00Z", kind, status, None, 12.5, {"X-Sig": "ab" * 32})  # type: ignore[arg-type]


def journal_row(store: Store, path: str = "/returns", status: int = 201, provider: str | None = "zinc") -> JournalRow:
    number = store.next_number(JOURNAL_SEQUENCE)
    return JournalRow(number, provider, path, status, "POST", "inbound", b'{"n":%d}' % number)


# Records -----------------------------------------------------------------------------------------


def test_documents_come_back_exactly_big_integers_included(store: Store) -> None:
    literal = b'{"id":123456789012345678901234567890,"neg":-98765432109876543210987654321,"f":1.5,"s":"\\u00e9"}'
    store.put("zinc", "order", "o1", parse_json(literal))
    kept = store.get("zinc", "order", "o1")
    assert dumps(kept) == literal.replace(b"\\u00e9", "é".encode())
    assert kept is not None
    assert kept["id"] == 123456789012345678901234567890


def test_a_missing_record_is_none(store: Store) -> None:
    assert store.get("zinc", "order", "nope") is None


def test_query_keeps_insertion_order_and_an_update_keeps_its_place(store: Store) -> None:
    for key in ("b", "a", "c"):
        store.put("zinc", "return", key, {"key": key})
    store.put("zinc", "return", "b", {"key": "b", "status": "approved"})
    assert store.query("zinc", "return") == [{"key": "b", "status": "approved"}, {"key": "a"}, {"key": "c"}]


def test_query_and_count_filter_by_owner_and_ref(store: Store) -> None:
    store.put("zinc", "return", "r1", {"n": 1}, owner="acme", ref="o1")
    store.put("zinc", "return", "r2", {"n": 2}, owner="other", ref="o1")
    store.put("zinc", "return", "r3", {"n": 3}, owner="acme", ref="o2")
    store.put("rye", "return", "r4", {"n": 4}, owner="acme", ref="o1")
    assert store.query("zinc", "return", owner="acme") == [{"n": 1}, {"n": 3}]
    assert store.query("zinc", "return", ref="o1") == [{"n": 1}, {"n": 2}]
    assert store.query("zinc", "return", owner="acme", ref="o2") == [{"n": 3}]
    assert (store.count("zinc", "return"), store.count("zinc", "return", owner="acme")) == (3, 2)
    assert store.count("zinc", "order") == 0


def test_an_update_moves_a_record_to_its_new_owner(store: Store) -> None:
    store.put("zinc", "return", "r1", {"n": 1}, owner="acme")
    store.put("zinc", "return", "r1", {"n": 1}, owner="other")
    assert store.query("zinc", "return", owner="acme") == []
    assert store.count("zinc", "return", owner="other") == 1


def test_delete_removes_one_record(store: Store) -> None:
    store.put("zinc", "return", "r1", {"n": 1})
    store.put("zinc", "return", "r2", {"n": 2})
    store.delete("zinc", "return", "r1")
    store.delete("zinc", "return", "never-there")
    assert store.query("zinc", "return") == [{"n": 2}]


# History -----------------------------------------------------------------------------------------

OPENED = {"from": None, "to": "open", "at": T0}
APPROVED = {"from": "open", "to": "approved", "at": T0 + 60.5, "action": "Approve"}
CLOSED = {"from": "approved", "to": "closed", "at": T0 + 120}


def test_history_comes_back_oldest_first_per_record_never_mixed_with_anothers(store: Store) -> None:
    store.add_history("zinc", "return", "r1", OPENED)
    store.add_history("zinc", "return", "r2", OPENED)
    store.add_history("zinc", "order", "r1", CLOSED)  # another kind, the same key
    store.add_history("rye", "return", "r1", APPROVED)  # another provider, the same kind and key
    store.add_history("zinc", "return", "r1", APPROVED)
    store.add_history("zinc", "return", "r1", CLOSED)
    store.add_history("zinc", "return", "r2", APPROVED)
    assert store.history("zinc", "return", "r1") == [OPENED, APPROVED, CLOSED]
    assert store.history("zinc", "return", "r2") == [OPENED, APPROVED]
    assert store.history("zinc", "order", "r1") == [CLOSED]
    assert store.history("rye", "return", "r1") == [APPROVED]
    assert store.history("zinc", "return", "r3") == []
    assert store.query("zinc", "history") == []  # no record holds it
    assert store.count_states("zinc", "history") == {}


def add_history_then_fail(store: Store) -> None:
    with store.transaction():
        store.add_history("zinc", "return", "r1", APPROVED)
        store.add_history("zinc", "return", "r2", OPENED)
        raise Boom


def test_a_history_entry_added_in_a_rolled_back_transaction_is_gone(store: Store) -> None:
    store.add_history("zinc", "return", "r1", OPENED)
    with pytest.raises(Boom):
        add_history_then_fail(store)
    assert store.history("zinc", "return", "r1") == [OPENED]
    assert store.history("zinc", "return", "r2") == []
    with store.transaction():
        store.add_history("zinc", "return", "r1", APPROVED)
    assert store.history("zinc", "return", "r1") == [OPENED, APPROVED]


def test_clear_empties_every_history(store: Store) -> None:
    store.add_history("zinc", "return", "r1", OPENED)
    store.add_history("rye", "return", "r9", OPENED)
    store.clear()
    assert store.history("zinc", "return", "r1") == []
    assert store.history("rye", "return", "r9") == []
    store.add_history("zinc", "return", "r1", APPROVED)  # a new world's record of that key begins anew
    assert store.history("zinc", "return", "r1") == [APPROVED]


# Meta and sequences ------------------------------------------------------------------------------


def test_meta_keeps_any_json_value_and_overwrites(store: Store) -> None:
    assert store.get_meta("seed") is None
    store.set_meta("seed", 7)
    store.set_meta("world", {"providers": ["zinc"], "big": 2**70})
    store.set_meta("seed", 8)
    assert store.get_meta("seed") == 8
    assert store.get_meta("world") == {"providers": ["zinc"], "big": 2**70}


def test_sequences_count_from_one_per_name(store: Store) -> None:
    assert [store.next_number("a") for _ in range(3)] == [1, 2, 3]
    assert store.next_number("b") == 1
    assert store.next_number("a") == 4


def test_clear_empties_the_world_and_numbers_start_again(store: Store) -> None:
    store.put("zinc", "return", "r1", {"n": 1})
    store.set_meta("seed", 7)
    store.next_number("a")
    store.schedule("zinc", "return", "r1", "resolve", T0)
    store.settle(store.enqueue(delivery()), attempt(), due=None, status="delivered")
    store.clear()
    assert store.query("zinc", "return") == []
    assert store.get_meta("seed") is None
    assert store.next_number("a") == 1
    assert store.next_due() is None
    assert store.deliveries() == []
    assert store.attempts(1) == []
    assert store.enqueue(delivery()) == 1


# Scheduled transitions ---------------------------------------------------------------------------


def test_due_transitions_come_earliest_first_then_in_scheduling_order(store: Store) -> None:
    store.schedule("zinc", "return", "late", "resolve", T0 + 60)
    store.schedule("zinc", "return", "a", "resolve", T0)
    store.schedule("zinc", "return", "b", "resolve", T0)
    store.schedule("rye", "return", "c", "advance", T0)
    assert [s.key for s in store.due("zinc", T0 + 60, 10)] == ["a", "b", "late"]
    assert [s.key for s in store.due("zinc", T0 + 59, 10)] == ["a", "b"]
    assert [s.key for s in store.due("zinc", T0, 1)] == ["a"]
    first = store.due("rye", T0, 10)[0]
    assert (first.provider, first.kind, first.key, first.transition, first.due) == ("rye", "return", "c", "advance", T0)


def test_rescheduling_moves_the_one_due_time_and_unschedule_removes_it(store: Store) -> None:
    store.schedule("zinc", "return", "r1", "resolve", T0)
    store.schedule("zinc", "return", "r1", "resolve", T0 + 30)
    store.schedule("zinc", "return", "r1", "expire", T0 + 10)
    assert [(s.transition, s.due) for s in store.due("zinc", T0 + 60, 10)] == [
        ("expire", T0 + 10),
        ("resolve", T0 + 30),
    ]
    store.unschedule("zinc", "return", "r1", "expire")
    assert [s.transition for s in store.due("zinc", T0 + 60, 10)] == ["resolve"]


def test_scheduled_lists_one_records_transitions_earliest_first(store: Store) -> None:
    store.schedule("zinc", "return", "r1", "resolve", T0 + 30)
    store.schedule("zinc", "return", "r1", "expire", T0 + 10)
    store.schedule("zinc", "return", "r2", "resolve", T0)
    store.schedule("rye", "return", "r1", "advance", T0)
    assert [(s.transition, s.due) for s in store.scheduled("zinc", "return", "r1")] == [
        ("expire", T0 + 10),
        ("resolve", T0 + 30),
    ]
    store.unschedule("zinc", "return", "r1", "expire")
    assert [s.transition for s in store.scheduled("zinc", "return", "r1")] == ["resolve"]
    assert store.scheduled("zinc", "order", "r1") == []


def test_next_due_is_the_earliest_transition_or_pending_delivery(store: Store) -> None:
    assert store.next_due() is None
    store.schedule("zinc", "return", "r1", "resolve", T0 + 30)
    assert store.next_due() == T0 + 30
    store.enqueue(delivery(due=T0 + 10))
    assert store.next_due() == T0 + 10
    store.enqueue(delivery(due=None))  # settled for good: waits for nothing
    assert store.next_due() == T0 + 10


# Outbox ------------------------------------------------------------------------------------------


def test_enqueue_numbers_deliveries_and_keeps_every_field(store: Store) -> None:
    assert (store.enqueue(delivery()), store.enqueue(delivery("return.approved"))) == (1, 2)
    assert store.delivery(1) == Delivery(1, "zinc", "return.created", "e-1", "wh_1", "acme", "r1", b'{"a":1}', T0, T0)
    assert store.delivery(99) is None


def test_due_deliveries_come_in_due_then_id_order(store: Store) -> None:
    late = store.enqueue(delivery(due=T0 + 60))
    early_a = store.enqueue(delivery(due=T0))
    early_b = store.enqueue(delivery(due=T0))
    assert [d.id for d in store.due_deliveries(T0 + 60, 10)] == [early_a, early_b, late]
    assert [d.id for d in store.due_deliveries(T0 + 59, 10)] == [early_a, early_b]
    assert [d.id for d in store.due_deliveries(T0 + 60, 1)] == [early_a]


def test_settle_records_attempts_and_what_follows(store: Store) -> None:
    delivery_id = store.enqueue(delivery())
    store.settle(delivery_id, attempt(1), due=T0 + 60, status="pending", conformance="$.a: not a string")
    store.settle(delivery_id, attempt(2, kind="duplicate", status=200), due=T0 + 60, status="pending")
    pending = store.delivery(delivery_id)
    assert pending is not None
    assert (pending.attempts, pending.tries, pending.due, pending.status) == (2, 1, T0 + 60, "pending")
    assert pending.conformance == "$.a: not a string"  # kept when a later settle gives none
    store.settle(delivery_id, attempt(3, status=200), due=None, status="delivered")
    done = store.delivery(delivery_id)
    assert done is not None
    assert (done.attempts, done.tries, done.due, done.status) == (3, 2, None, "delivered")
    assert store.due_deliveries(T0 + 10_000, 10) == []
    kept = store.attempts(delivery_id)
    assert [(a.number, a.kind, a.status, a.duration_ms) for a in kept] == [
        (1, "scheduled", 500, 12.5),
        (2, "duplicate", 200, 12.5),
        (3, "scheduled", 200, 12.5),
    ]
    assert kept[0].headers == {"X-Sig": "ab" * 32}
    assert store.attempts(99) == []


def test_deliveries_filter_by_every_field_given_oldest_first(store: Store) -> None:
    store.enqueue(delivery("return.created", subscription="wh_1"))
    store.enqueue(delivery("return.approved", subscription="wh_2"))
    store.enqueue(delivery("return.created", subscription="wh_2", provider="rye"))
    store.settle(1, attempt(status=200), due=None, status="delivered")
    assert [d.id for d in store.deliveries()] == [1, 2, 3]
    assert [d.id for d in store.deliveries(event="return.created")] == [1, 3]
    assert [d.id for d in store.deliveries(subscription="wh_2", provider="rye")] == [3]
    assert [d.id for d in store.deliveries(status="pending")] == [2, 3]
    assert store.deliveries(provider="kibo-oms") == []


def test_reschedule_moves_only_a_pending_delivery(store: Store) -> None:
    pending, delivered = store.enqueue(delivery()), store.enqueue(delivery())
    store.settle(delivered, attempt(status=200), due=None, status="delivered")
    store.reschedule(pending, T0 + 5)
    store.reschedule(delivered, T0 + 5)
    moved, kept = store.delivery(pending), store.delivery(delivered)
    assert moved is not None
    assert (moved.due, moved.attempts) == (T0 + 5, 0)
    assert kept is not None
    assert (kept.due, kept.status) == (None, "delivered")


def test_cancel_deliveries_cancels_a_subscriptions_pending_ones_and_counts_them(store: Store) -> None:
    store.enqueue(delivery(subscription="wh_1"))
    store.enqueue(delivery(subscription="wh_1"))
    store.enqueue(delivery(subscription="wh_2"))
    store.settle(1, attempt(status=200), due=None, status="delivered")
    assert store.cancel_deliveries("wh_1") == 1
    assert store.cancel_deliveries("wh_1") == 0
    assert [(d.id, d.status, d.due) for d in store.deliveries()] == [
        (1, "delivered", None),
        (2, "cancelled", None),
        (3, "pending", T0),
    ]


# Delivery claims ---------------------------------------------------------------------------------


def test_a_claim_takes_due_deliveries_in_order_and_no_other_claimant_gets_them(store: Store) -> None:
    late = store.enqueue(delivery(due=T0 + 5))
    early = store.enqueue(delivery(due=T0))
    store.enqueue(delivery(due=T0 + 100))
    assert [d.id for d in store.claim_deliveries(T0 + 10, 10, "instance-a", FAR)] == [early, late]
    assert store.claim_deliveries(T0 + 10, 10, "instance-b", FAR) == []
    assert [d.id for d in store.due_deliveries(T0 + 10, 10)] == [early, late]  # claims hide nothing from a read


def test_a_claim_takes_at_most_limit(store: Store) -> None:
    for _ in range(3):
        store.enqueue(delivery())
    assert [d.id for d in store.claim_deliveries(T0, 2, "instance-a", FAR)] == [1, 2]
    assert [d.id for d in store.claim_deliveries(T0, 2, "instance-b", FAR)] == [3]


def test_a_lapsed_claim_lets_another_claimant_take_the_delivery(store: Store) -> None:
    delivery_id = store.enqueue(delivery())
    assert [d.id for d in store.claim_deliveries(T0, 10, "dead-instance", PAST)] == [delivery_id]
    assert [d.id for d in store.claim_deliveries(T0, 10, "instance-b", FAR)] == [delivery_id]


def test_settle_and_reschedule_release_the_claim(store: Store) -> None:
    retried, delayed = store.enqueue(delivery()), store.enqueue(delivery())
    store.claim_deliveries(T0, 10, "instance-a", FAR)
    store.settle(retried, attempt(), due=T0 + 60, status="pending")
    store.reschedule(delayed, T0 + 30)
    assert [d.id for d in store.claim_deliveries(T0 + 60, 10, "instance-b", FAR)] == [delayed, retried]


# Clock, rate windows -----------------------------------------------------------------------------


def test_the_clock_is_kept_until_cleared(store: Store) -> None:
    assert store.get_clock() is None
    store.set_clock(ClockState("frozen", 0.0, T0))
    store.set_clock(ClockState("wall", 86_400.5, T0 + 3))
    assert store.get_clock() == ClockState("wall", 86_400.5, T0 + 3)
    store.clear()
    assert store.get_clock() is None


def test_count_request_counts_within_a_window_and_starts_again_in_the_next(store: Store) -> None:
    assert [store.count_request("aboutyou:acme", 100) for _ in range(3)] == [1, 2, 3]
    assert store.count_request("aboutyou:other", 100) == 1
    assert [store.count_request("aboutyou:acme", 101) for _ in range(2)] == [1, 2]
    store.clear()
    assert store.count_request("aboutyou:acme", 101) == 1


# Journal -----------------------------------------------------------------------------------------


def test_the_journal_keeps_the_newest_entries_up_to_its_limit(store: Store) -> None:
    for _ in range(5):
        store.journal_add(journal_row(store), limit=3)
    kept = store.journal_find()
    assert [row.id for row in kept] == [3, 4, 5]
    assert kept[0] == JournalRow(3, "zinc", "/returns", 201, "POST", "inbound", b'{"n":3}')
    assert store.journal_count() == 3


class Abandoned(Exception):
    pass


def journal_then_abandon(store: Store, limit: int) -> None:
    with store.transaction():
        store.journal_add(journal_row(store), limit=limit)
        raise Abandoned


def test_the_journal_keeps_its_limit_after_an_entry_added_in_a_rolled_back_transaction(store: Store) -> None:
    with pytest.raises(Abandoned):
        journal_then_abandon(store, limit=2)
    assert store.journal_count() == 0
    for _ in range(4):
        store.journal_add(journal_row(store), limit=2)
    assert [row.id for row in store.journal_find()] == [3, 4]  # the abandoned entry's id was rolled back too


def test_journal_find_filters_by_every_field_given(store: Store) -> None:
    store.journal_add(journal_row(store, "/returns", 201), limit=100)
    store.journal_add(journal_row(store, "/returns", 400), limit=100)
    store.journal_add(journal_row(store, "/__admin/reset", 200, provider=None), limit=100)
    outbound = JournalRow(store.next_number(JOURNAL_SEQUENCE), "zinc", "https://hook", 200, "POST", "outbound", b"{}")
    store.journal_add(outbound, limit=100)
    assert [row.id for row in store.journal_find(path="/returns")] == [1, 2]
    assert [row.id for row in store.journal_find(path="/returns", status=400)] == [2]
    assert [row.id for row in store.journal_find(provider="zinc", direction="outbound")] == [4]
    assert [row.id for row in store.journal_find(method="GET")] == []
    store.clear()
    assert (store.journal_find(), store.journal_count()) == ([], 0)


def test_journal_find_gives_the_newest_limit_above_after_oldest_first(store: Store) -> None:
    for status in (201, 400, 201, 201, 400, 201):
        store.journal_add(journal_row(store, status=status), limit=100)
    assert [row.id for row in store.journal_find(limit=2)] == [5, 6]
    assert [row.id for row in store.journal_find(after=4)] == [5, 6]
    assert [row.id for row in store.journal_find(after=1, limit=3)] == [4, 5, 6]
    assert [row.id for row in store.journal_find(status=201, after=1, limit=2)] == [4, 6]
    assert store.journal_find(after=6, limit=5) == []
    assert (store.journal_count(status=400), store.journal_count(status=201, provider="zinc")) == (2, 4)


# Faults ------------------------------------------------------------------------------------------


def test_faults_are_numbered_and_listed_with_their_firings(store: Store) -> None:
    first = store.add_fault({"id": 99, "provider": "zinc", "kind": "error", "status": 503, "times": None})
    second = store.add_fault({"provider": "rye", "kind": "latency", "seconds": 1.5})
    assert (first, second) == (1, 2)
    assert store.faults() == [
        {"id": 1, "provider": "zinc", "kind": "error", "status": 503, "times": None, "fired": 0},
        {"id": 2, "provider": "rye", "kind": "latency", "seconds": 1.5, "fired": 0},
    ]


def test_a_fault_fires_at_most_its_times(store: Store) -> None:
    limited, unlimited = store.add_fault({"kind": "error"}), store.add_fault({"kind": "error"})
    assert [store.fire_fault(limited, 2) for _ in range(3)] == [True, True, False]
    assert all(store.fire_fault(unlimited, None) for _ in range(3))
    assert [fault["fired"] for fault in store.faults()] == [2, 3]
    assert store.fire_fault(99, None) is False


def test_clearing_faults_numbers_them_from_one_again(store: Store) -> None:
    store.add_fault({"kind": "error"})
    store.clear_faults()
    assert store.faults() == []
    assert store.add_fault({"kind": "error"}) == 1
    store.clear()
    assert store.faults() == []


# The database itself -----------------------------------------------------------------------------


def test_a_store_names_its_backend_and_schema_version_and_answers_a_ping(store: Store, location: str) -> None:
    expected = "postgresql" if location.startswith("postgresql://") else "sqlite"
    assert (store.backend, store.schema_version) == (expected, SCHEMA_VERSION)
    store.ping()  # returns: the database answers


def test_a_reopened_store_finds_its_world(location: str) -> None:
    if location == ":memory:":
        pytest.skip("an in-memory world ends with its store")
    first = open_store(location)
    first.put("zinc", "return", "r1", {"big": 2**80})
    first.set_clock(ClockState("frozen", 5.0, T0))
    close(first)
    again = open_store(location)
    try:
        assert again.get("zinc", "return", "r1") == {"big": 2**80}
        assert again.get_clock() == ClockState("frozen", 5.0, T0)
        assert again.schema_version == SCHEMA_VERSION
    finally:
        close(again)


def test_a_schema_4_world_keeps_each_history_which_leaves_the_records(location: str) -> None:
    """Before schema 5 a record's history was a record of kind "history" keyed "{kind}:{key}"."""
    if location == ":memory:":
        pytest.skip("an in-memory world ends with its store")
    first = open_store(location)
    first.put("zinc", "return", "r1", {"status": "approved"}, owner="acme")
    first.put("zinc", "history", "return:r1", {"entries": [OPENED, APPROVED]}, owner="acme")
    first.put("kibo-commerce", "history", "return:a:b", {"entries": [CLOSED]}, owner="tenant")  # a key with a colon
    first.put("zinc", "history", "return:r2", {"entries": [OPENED]}, owner="acme")
    close(first)
    as_schema_4(location)
    older = open_store(location)
    try:
        assert older.history("zinc", "return", "r1") == [OPENED, APPROVED]
        assert older.history("zinc", "return", "r2") == [OPENED]
        assert older.history("kibo-commerce", "return", "a:b") == [CLOSED]
        assert older.query("zinc", "history") == []
        assert older.count_states("zinc", "history", RecordFilter(owner="acme")) == {}
        assert older.count_where("zinc", "history", RecordFilter(owner="acme")) == 0
        assert older.query("zinc", "return") == [{"status": "approved"}]  # the other records stay
        assert older.count_states("zinc", "return") == {"approved": 1}
        older.add_history("zinc", "return", "r1", CLOSED)  # appended after the entries moved in
        assert older.history("zinc", "return", "r1") == [OPENED, APPROVED, CLOSED]
    finally:
        close(older)
    assert stored_schema_version(location) == SCHEMA_VERSION


def as_schema_4(location: str) -> None:
    """The world at `location` as schema 4 kept it: no history table (its history records were put above)."""
    if location.startswith("postgresql://"):
        with psycopg.connect(location, autocommit=True) as conn:
            conn.execute("DROP TABLE history")
            conn.execute("UPDATE returnkit_schema SET version = 4")
        return
    with contextlib.closing(sqlite3.connect(location)) as conn:
        conn.execute("DROP TABLE history")
        conn.execute("PRAGMA user_version=4")
        conn.commit()


def stored_schema_version(location: str) -> int:
    if location.startswith("postgresql://"):
        with psycopg.connect(location) as conn:
            row = conn.execute("SELECT version FROM returnkit_schema").fetchone()
    else:
        with contextlib.closing(sqlite3.connect(location)) as conn:
            row = conn.execute("PRAGMA user_version").fetchone()
    assert row is not None
    return int(row[0])


# Transactions ------------------------------------------------------------------------------------


class Boom(Exception):
    pass


def write_everything_then_fail(store: Store) -> None:
    with store.transaction():
        store.put("zinc", "return", "r1", {"status": "closed"})
        store.put("zinc", "return", "r2", {"status": "open"})
        store.next_number("a")
        store.enqueue(delivery())
        store.count_request("k", 1)
        store.set_clock(ClockState("frozen", 1.0, T0))
        raise Boom


def write_in_nested_transactions(store: Store, *, fail: bool) -> None:
    with store.transaction():
        with store.transaction():
            store.put("zinc", "return", "inner", {})
        store.put("zinc", "return", "outer", {})
        if fail:
            raise Boom


def test_a_failed_transaction_leaves_nothing_behind(store: Store) -> None:
    store.put("zinc", "return", "r1", {"status": "open"})
    with pytest.raises(Boom):
        write_everything_then_fail(store)
    assert store.query("zinc", "return") == [{"status": "open"}]
    assert store.next_number("a") == 1
    assert store.deliveries() == []
    assert store.count_request("k", 1) == 1
    assert store.get_clock() is None


def test_a_nested_transaction_joins_the_outer_one(store: Store) -> None:
    with pytest.raises(Boom):
        write_in_nested_transactions(store, fail=True)
    assert store.query("zinc", "return") == []
    write_in_nested_transactions(store, fail=False)
    assert store.count("zinc", "return") == 2


def test_a_journal_entry_added_while_a_meta_entry_holds_a_value_is_kept_only_then(store: Store) -> None:
    store.set_meta("world.generation", 4)
    store.journal_add(journal_row(store), limit=2, while_meta=("world.generation", 4))
    store.journal_add(journal_row(store), limit=2, while_meta=("world.generation", 3))  # the world moved on
    store.journal_add(journal_row(store), limit=2, while_meta=("world.generation", 4))
    store.journal_add(journal_row(store), limit=2, while_meta=("world.generation", 4))
    assert [row.id for row in store.journal_find()] == [3, 4]


# What a request reads first ------------------------------------------------------------------


def test_a_request_start_numbers_and_reads_what_a_request_needs_in_one_call(store: Store) -> None:
    store.next_number(JOURNAL_SEQUENCE)
    before = store.request_start(JOURNAL_SEQUENCE, "world.generation", "zinc")
    assert (before.number, before.meta, before.clock, before.faults, before.next_due) == (2, None, None, 0, None)
    store.set_meta("world.generation", 7)
    store.set_clock(ClockState("frozen", 12.5, T0))
    store.add_fault({"provider": "zinc", "kind": "status"})
    store.schedule("zinc", "return", "r1", "resolve", T0 + 60)
    store.schedule("zinc", "return", "r2", "resolve", T0 + 30)
    store.schedule("rye", "return", "r3", "advance", T0)
    start = store.request_start(JOURNAL_SEQUENCE, "world.generation", "zinc")
    assert (start.number, start.meta, start.clock, start.faults) == (3, 7, ClockState("frozen", 12.5, T0), 1)
    assert start.next_due == T0 + 30
    assert store.request_start(JOURNAL_SEQUENCE, "world.generation", "").next_due is None
    assert store.next_number(JOURNAL_SEQUENCE) == 5
