"""Listings the store answers itself: records filtered, counted, ordered and paged in SQL, on every backend."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from returnkit.core.records import Records
from returnkit.core.store import SCHEMA_VERSION, RecordFilter, SQLiteStore, Store

NEWEST_FIRST = (("sort", True), ("seq", True))
RETURNS: Records[dict[str, Any]] = Records("zinc", "return", sort=lambda r: r["created_at"])


class Holder:
    def __init__(self, store: Store) -> None:
        self.store = store


def keep(
    store: Store, key: str, created: str, status: str | None = "open", *, owner: str = "acme", ref: str = ""
) -> None:
    document: dict[str, Any] = {"id": key, "created_at": created}
    if status is not None:
        document["status"] = status
    RETURNS.put(Holder(store), key, document, owner=owner, ref=ref or f"order-{key}")


def ids(documents: list[dict[str, Any]]) -> list[str]:
    return [document["id"] for document in documents]


def test_the_newest_come_first_and_equal_times_the_last_kept_first(store: Store) -> None:
    for key, created in (("a", "2026-01-01"), ("b", "2026-01-02"), ("c", "2026-01-01"), ("d", "2026-01-02")):
        keep(store, key, created)
    listed = RETURNS.find(Holder(store), RecordFilter(owner="acme"), order=NEWEST_FIRST)
    assert ids(listed) == ["d", "b", "c", "a"]
    oldest_first = store.find("zinc", "return", RecordFilter(owner="acme"), order=(("sort", False), ("seq", False)))
    assert ids(oldest_first) == ["a", "c", "b", "d"]
    assert ids(store.find("zinc", "return", order=(("seq", True),))) == ["d", "c", "b", "a"]


def test_a_page_is_cut_by_the_store_and_past_the_end_is_empty(store: Store) -> None:
    for n in range(5):
        keep(store, f"r{n}", f"2026-01-0{n + 1}")
    where = RecordFilter(owner="acme")

    def page(offset: int, limit: int | None) -> list[str]:
        return ids(store.find("zinc", "return", where, order=(("seq", False),), offset=offset, limit=limit))

    assert page(0, 2) == ["r0", "r1"]
    assert page(4, 2) == ["r4"]
    assert page(5, 2) == []
    assert page(2**31 - 1, 50) == []
    assert page(3, None) == ["r3", "r4"]
    assert store.count_where("zinc", "return", where) == 5


def test_filters_narrow_by_owner_state_key_and_ref(store: Store) -> None:
    keep(store, "a", "1", "open", ref="o1")
    keep(store, "b", "2", "approved", ref="o2")
    keep(store, "c", "3", None, ref="o1")
    keep(store, "d", "4", "open", owner="bluebird", ref="o3")

    def found(where: RecordFilter) -> list[str]:
        return ids(store.find("zinc", "return", where))

    assert found(RecordFilter(owner="acme", states=("open",))) == ["a"]
    assert found(RecordFilter(states=("open", "approved"))) == ["a", "b", "d"]
    assert found(RecordFilter(states=(None,))) == ["c"]
    assert found(RecordFilter(states=())) == []
    assert found(RecordFilter(keys=("b", "d", "zz"))) == ["b", "d"]
    assert found(RecordFilter(owner="acme", refs=("o1",))) == ["a", "c"]
    assert store.count_states("zinc", "return") == {"open": 2, "approved": 1, None: 1}
    assert store.count_states("zinc", "return", RecordFilter(owner="acme", refs=("o1",))) == {"open": 1, None: 1}


def test_a_records_state_is_its_status_or_its_state_and_follows_every_update(store: Store) -> None:
    store.put("aboutyou", "batch", "b1", {"state": "processing"})
    store.put("aboutyou", "batch", "b2", {"status": 3})
    assert store.count_states("aboutyou", "batch") == {"processing": 1, "3": 1}
    store.put("aboutyou", "batch", "b1", {"state": "done"})
    assert store.find("aboutyou", "batch", RecordFilter(states=("done",))) == [{"state": "done"}]
    assert store.count_states("aboutyou", "batch") == {"done": 1, "3": 1}


def test_text_filters_are_case_insensitive_substrings_with_no_wildcards(store: Store) -> None:
    keep(store, "a", "1", ref="ABC-100%")
    keep(store, "b", "2", ref="abx-1000")
    keep(store, "c", "3", "Grand_Opening")

    def found(where: RecordFilter) -> list[str]:
        return ids(store.find("zinc", "return", where))

    assert found(RecordFilter(ref_contains="abc")) == ["a"]
    assert found(RecordFilter(ref_contains="0%")) == ["a"]
    assert found(RecordFilter(ref_contains="ab_")) == []
    assert found(RecordFilter(text_contains="d_op")) == ["c"]
    assert found(RecordFilter(text_contains='"status":"grand')) == ["c"]
    assert found(RecordFilter(text_contains="\\")) == []


def test_a_file_of_schema_3_gets_its_states_now_and_its_sort_keys_when_listed(tmp_path: Path) -> None:
    db = tmp_path / "world.sqlite"
    store = SQLiteStore(str(db))
    for key, created in (("a", "2026-01-02"), ("b", "2026-01-01"), ("c", "2026-01-02")):
        keep(store, key, created, "approved" if key == "b" else "open")
    store.close()
    with contextlib.closing(sqlite3.connect(db)) as older:
        for trigger in ("records_counted_in", "records_counted_out", "records_counted_moved"):
            older.execute(f"DROP TRIGGER {trigger}")
        older.execute("DROP TABLE record_counts")
        for index in ("records_by_state", "records_by_sort", "records_by_state_sort"):
            older.execute(f"DROP INDEX {index}")
        older.execute("ALTER TABLE records DROP COLUMN state")
        older.execute("ALTER TABLE records DROP COLUMN sort_key")
        older.execute("PRAGMA user_version=3")
        older.commit()
    migrated = SQLiteStore(str(db))
    try:
        assert migrated.schema_version == SCHEMA_VERSION
        assert migrated.count_states("zinc", "return") == {"open": 2, "approved": 1}
        listed = RETURNS.find(Holder(migrated), RecordFilter(owner="acme"), order=NEWEST_FIRST)
        assert ids(listed) == ["c", "a", "b"]
    finally:
        migrated.close()
    with contextlib.closing(sqlite3.connect(db)) as reopened:
        assert reopened.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert reopened.execute("SELECT count(*) FROM records WHERE sort_key IS NULL").fetchone()[0] == 0


@pytest.mark.parametrize("offset", [0, 1, 3])
def test_a_listing_ordered_by_sort_key_pages_through_equal_keys_without_repeats(store: Store, offset: int) -> None:
    for n in range(4):
        keep(store, f"r{n}", "2026-01-01")
    where = RecordFilter(owner="acme")
    whole = ids(store.find("zinc", "return", where, order=NEWEST_FIRST))
    assert whole == ["r3", "r2", "r1", "r0"]
    assert ids(store.find("zinc", "return", where, order=NEWEST_FIRST, offset=offset, limit=2)) == whole[offset:][:2]


def test_counts_follow_records_kept_moved_between_owners_and_states_and_deleted(store: Store) -> None:
    keep(store, "a", "1", "open")
    keep(store, "b", "2", "open")
    keep(store, "c", "3", None)
    keep(store, "a", "1", "approved")  # an update moves it
    keep(store, "b", "2", "open", owner="bluebird")
    keep(store, "b", "2", "open", owner="bluebird")  # the same again changes no count
    store.delete("zinc", "return", "c")
    assert store.count_states("zinc", "return") == {"approved": 1, "open": 1}
    assert store.count_where("zinc", "return", RecordFilter(owner="acme")) == 1
    assert store.count_where("zinc", "return", RecordFilter(owner="bluebird", states=("open", None))) == 1
    assert store.count_where("zinc", "return", RecordFilter(states=(None,))) == 0
    store.clear()
    assert store.count_states("zinc", "return") == {}
    keep(store, "a", "1", "open")
    assert store.count_where("zinc", "return", RecordFilter(owner="acme")) == 1
