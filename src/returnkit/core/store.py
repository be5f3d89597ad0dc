"""State behind one small interface; SQLite (stdlib) is the embedded default.

A record is a JSON document with a provider, a kind (`order`, `batch`, `return`...), a key, an
owner (the merchant or tenant it belongs to) and an optional `ref` (the key of the record it
hangs off, such as a return's order). Reads come back in insertion order. Beside the records: each
record's history of changes (`history`, appended to, never rewritten), the scheduled transitions
(`schedule`) and the webhooks waiting to go out (`outbox`, with the `attempts` made at each; the
types are `core/outbox.py`'s).

Here: the `Store` protocol and its types; `SqlStore`, every call whose SQL both dialects share,
written once (`Statements`, with `?` placeholders that a dialect's class replaces once, when it is
defined) over three primitives a dialect implements; and `SQLiteStore`, that dialect for SQLite:
its schema and migration, transactions (`BEGIN IMMEDIATE`), claims whose claimant's process ended
(`ClaimantLocks`) and what it writes in two statements. `core/postgres_store.py` is the other.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
import uuid
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, fields
from functools import cache
from pathlib import Path
from typing import Any, ClassVar, Protocol
from urllib.parse import quote, urlsplit, urlunsplit

from returnkit.core.jsonbytes import dumps, loads
from returnkit.core.outbox import Attempt, Delivery, DeliveryStatus
from returnkit.errors import ReturnkitError

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None  # type: ignore[assignment]

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class ClockState:
    """The virtual clock as every instance on one store shares it (issue 15).

    Virtual time = the clock's start + `elapsed`, plus, for a `wall` clock, the real seconds
    since `anchor` (Unix wall time, `time.time()`: comparable across processes, unlike a
    monotonic clock)."""

    mode: str  # "frozen" | "wall"
    elapsed: float
    anchor: float


@dataclass(frozen=True, slots=True)
class RequestStart:
    """What a request needs of the store before it begins, read in one statement (`Store.request_start`)."""

    number: int  # the next number of the sequence asked for (the request's journal id)
    meta: Any  # the value of the meta entry asked for (the world's generation), None when unset
    clock: ClockState | None  # the shared clock, None before a world set one
    faults: int  # how many faults are switched on: none (the common case) needs no read of them
    next_due: float | None  # the earliest transition scheduled for the provider asked for, None when none is


@dataclass(frozen=True, slots=True)
class JournalRow:
    """One journal entry as a store keeps it: the fields it is filtered by, the rest as JSON bytes."""

    id: int
    provider: str | None
    path: str
    status: int
    method: str
    direction: str  # inbound | outbound (| proxied, later)
    blob: bytes


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A transition of one record that falls due at a virtual time (seconds since the epoch)."""

    provider: str
    kind: str
    key: str
    transition: str
    due: float


@dataclass(frozen=True, slots=True)
class RecordFilter:
    """Which records of one provider and kind a listing wants, as the store's columns answer it.

    Each field given narrows: `owner` equal; `states` / `keys` / `refs` any of (a None in `states`:
    records without a state); `ref_contains` / `text_contains` a case-insensitive substring of the
    ref or of the record's JSON text (ASCII letters fold on every backend)."""

    owner: str | None = None
    states: tuple[str | None, ...] | None = None
    keys: tuple[str, ...] | None = None
    refs: tuple[str, ...] | None = None
    ref_contains: str | None = None
    text_contains: str | None = None


# The order of a listing: (column, descending) pairs, columns "seq" (insertion) and "sort" (the
# kind's sort key, compared as text by code point). A unique `seq` last makes any order total.
Ordering = tuple[tuple[str, bool], ...]
INSERTION: Ordering = (("seq", False),)
ORDER_COLUMNS = {"seq": "seq", "sort": "sort_key"}
EVERY_RECORD = RecordFilter()


class Store(Protocol):
    """Everything that changes while serving lives here, so instances on one database are one server.

    `transaction()` is the unit of consistency: on every backend, transactions on one database
    run one at a time (SQLite's write lock; PostgreSQL: a transaction-level advisory lock taken
    first), so a read-check-write inside one (a state machine's step, a clock advance, seeding)
    is never interleaved with another instance's. Calls outside a transaction are each atomic.
    A backend that cannot reach its database raises `StoreUnavailable` (the server answers the
    provider's 503 and carries on when it is back).
    """

    @property
    def name(self) -> str:
        """Where the world is kept, as the user named it (a file path, `:memory:`, a URL with its password masked)."""
        ...

    @property
    def backend(self) -> str:
        """`sqlite` or `postgresql` (`GET /__admin/health`)."""
        ...

    @property
    def schema_version(self) -> int:
        """The version of the tables this store keeps (`SCHEMA_VERSION` once opened: older ones are migrated)."""
        ...

    def ping(self) -> None:
        """Return when the database answers; raise `StoreUnavailable` when it does not."""
        ...

    def close(self) -> None:
        """Let go of its connections and delivery claims (a process that hands the store to its workers)."""
        ...

    def get(self, provider: str, kind: str, key: str) -> Document | None: ...

    def put(
        self,
        provider: str,
        kind: str,
        key: str,
        document: Document,
        *,
        owner: str = "",
        ref: str = "",
        sort: str | None = None,
    ) -> None:
        """Keep `document`; its state (`record_state`) and `sort` key are kept in columns to list by."""
        ...

    def query(
        self, provider: str, kind: str, *, owner: str | None = None, ref: str | None = None
    ) -> list[Document]: ...

    def delete(self, provider: str, kind: str, key: str) -> None: ...

    def count(self, provider: str, kind: str, *, owner: str | None = None) -> int: ...

    def find(
        self,
        provider: str,
        kind: str,
        where: RecordFilter = EVERY_RECORD,
        *,
        order: Ordering = INSERTION,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Document]:
        """The records that match `where`, in `order`, from `offset`, at most `limit`: picked by the database."""
        ...

    def count_where(self, provider: str, kind: str, where: RecordFilter = EVERY_RECORD) -> int: ...

    def count_states(self, provider: str, kind: str, where: RecordFilter = EVERY_RECORD) -> dict[str | None, int]:
        """How many records that match `where` are in each state (None: records without one)."""
        ...

    def sort_unsorted(self, provider: str, kind: str, owner: str, sort_key: Callable[[Document], str]) -> int:
        """Give `owner`'s records that have no sort key (kept before schema 4) theirs; how many."""
        ...

    def add_history(self, provider: str, kind: str, key: str, entry: Document) -> None:
        """Append `entry` to the history of one record (in the caller's transaction when one is open):
        one insert into a table of its own, nothing read or rewritten."""
        ...

    def history(self, provider: str, kind: str, key: str) -> list[Document]:
        """The entries added to one record's history, oldest first ([] when none were)."""
        ...

    def get_meta(self, name: str) -> Any: ...

    def set_meta(self, name: str, value: Any) -> None: ...

    def next_number(self, name: str) -> int:
        """1, 2, 3 ... per `name`: a sequence that costs the same however much is stored."""
        ...

    def schedule(self, provider: str, kind: str, key: str, transition: str, due: float) -> None:
        """Keep (or move) the one due time of this record's `transition`."""
        ...

    def unschedule(self, provider: str, kind: str, key: str, transition: str) -> None: ...

    def scheduled(self, provider: str, kind: str, key: str) -> list[Scheduled]:
        """What is scheduled for one record: each transition with its due time, earliest first."""
        ...

    def due(self, provider: str, now: float, limit: int) -> list[Scheduled]:
        """Up to `limit` transitions of `provider` due at or before `now`, earliest first (ties: scheduled first)."""
        ...

    def enqueue(self, delivery: Delivery) -> int:
        """Add a delivery to the outbox (its `id` is ignored) in the caller's transaction; its new id."""
        ...

    def due_deliveries(self, now: float, limit: int) -> list[Delivery]:
        """Up to `limit` deliveries due at or before `now`, in (due, id) order: change order breaks ties."""
        ...

    def delivery(self, delivery_id: int) -> Delivery | None: ...

    def deliveries(
        self,
        *,
        provider: str | None = None,
        event: str | None = None,
        status: str | None = None,
        subscription: str | None = None,
    ) -> list[Delivery]:
        """The deliveries that match every filter given, oldest first."""
        ...

    def attempts(self, delivery_id: int) -> list[Attempt]: ...

    def settle(
        self,
        delivery_id: int,
        attempt: Attempt,
        *,
        due: float | None,
        status: DeliveryStatus,
        conformance: str | None = None,
    ) -> None:
        """Record `attempt` and what follows: the next `due` time (None: no more) and the `status`.

        A `scheduled` attempt counts towards the retry policy (`Delivery.tries`); every kind
        counts in `Delivery.attempts`. `conformance`, when given, is kept. An attempt of that number
        already recorded (two instances sent it, e.g. across a database restart that ended a claim)
        changes nothing: the first to settle it wins.
        """
        ...

    def reschedule(self, delivery_id: int, due: float) -> None:
        """A pending delivery's next attempt moves to `due` (a `delay` fault); nothing else about it changes."""
        ...

    def cancel_deliveries(self, subscription: str) -> int:
        """A removed subscription's pending deliveries become `cancelled`; how many."""
        ...

    def next_due(self) -> float | None:
        """The earliest due time of any scheduled transition or pending delivery, None when nothing waits."""
        ...

    def claim_deliveries(self, now: float, limit: int, claimant: str, until: float) -> list[Delivery]:
        """Like `due_deliveries`, but only those no other claimant holds, and held by `claimant` until
        wall time `until` (Unix seconds): two instances' dispatchers never send one delivery at once,
        and a claimant that dies lets go when `until` passes or, where the backend can tell, as soon as
        its process has ended (SQLite: a lock file per claimant; PostgreSQL: a session advisory lock per
        claimant), so a survivor or a restart after a kill sends at once what was in flight. `settle` and
        `reschedule` release it."""
        ...

    # What used to live in one process's memory (issue 15) --------------------------------------

    def get_clock(self) -> ClockState | None:
        """The shared clock, None before one was set."""
        ...

    def set_clock(self, state: ClockState) -> None: ...

    def count_request(self, key: str, window: int) -> int:
        """Count one request in fixed window number `window` of `key` (a rate-limit budget); its count,
        this one included. A later window starts again at 1. One atomic statement."""
        ...

    def request_start(self, sequence: str, meta: str, provider: str) -> RequestStart:
        """`next_number(sequence)`, `get_meta(meta)`, `get_clock()`, how many faults are on and when
        `provider`'s earliest scheduled transition falls due, in one statement."""
        ...

    def journal_add(self, row: JournalRow, limit: int, *, while_meta: tuple[str, Any] | None = None) -> None:
        """Keep `row` (its id from `next_number(JOURNAL_SEQUENCE)`), dropping the oldest beyond `limit` entries;
        with `while_meta` (name, value), only while that meta entry holds that value (checked in the same statement)."""
        ...

    def journal_find(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[JournalRow]:
        """The kept entries that match every filter given, oldest first: with `after`, only those with a
        greater id; with `limit`, only the newest `limit` of them."""
        ...

    def journal_count(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
    ) -> int:
        """How many kept entries match every filter given."""
        ...

    def add_fault(self, document: Document) -> int:
        """Keep a fault (its `id` is ignored); its new id: 1, 2, 3 ... from the last `clear`."""
        ...

    def faults(self) -> list[Document]:
        """Every fault, in the order added, each with its `id` and how often it has `fired`."""
        ...

    def fire_fault(self, fault_id: int, times: int | None) -> bool:
        """Count one firing of the fault unless it has fired `times` already (None: no limit); whether it fired.
        One atomic statement: two instances never fire a `times: 1` fault twice."""
        ...

    def clear_faults(self) -> None: ...

    def transaction(self) -> Any: ...

    def clear(self) -> None:
        """Empty the world: records, their history, meta, sequences, schedule, outbox, attempts, clock,
        rate windows, journal and faults."""
        ...


OWN_TABLES = frozenset(
    {
        "records",
        "history",
        "meta",
        "sequences",
        "schedule",
        "outbox",
        "attempts",
        "clock",
        "rate_windows",
        "journal",
        "faults",
        "sqlite_sequence",
        "record_counts",
    }
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '', ref TEXT NOT NULL DEFAULT '',
    data BLOB NOT NULL,
    state TEXT, sort_key TEXT,
    UNIQUE (provider, kind, key)
);
CREATE INDEX IF NOT EXISTS records_by_owner ON records (provider, kind, owner, seq);
CREATE INDEX IF NOT EXISTS records_by_ref ON records (provider, kind, ref, seq);
-- Appended to, never rewritten: no counting trigger. seq is the rowid, each new one above every kept one
-- (no AUTOINCREMENT, whose counter is one more write per insert): a record's entries in the order added.
CREATE TABLE IF NOT EXISTS history (
    seq INTEGER PRIMARY KEY,
    provider TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    entry BLOB NOT NULL
);
CREATE INDEX IF NOT EXISTS history_by_record ON history (provider, kind, key, seq);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS sequences (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS schedule (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL, transition TEXT NOT NULL,
    due REAL NOT NULL,
    UNIQUE (provider, kind, key, transition)
);
CREATE INDEX IF NOT EXISTS schedule_by_due ON schedule (provider, due, seq);
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL, event TEXT NOT NULL, event_id TEXT NOT NULL,
    subscription TEXT NOT NULL, owner TEXT NOT NULL DEFAULT '', resource TEXT NOT NULL DEFAULT '',
    body BLOB NOT NULL, occurred REAL NOT NULL,
    due REAL,
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    tries INTEGER NOT NULL DEFAULT 0,
    conformance TEXT
);
CREATE INDEX IF NOT EXISTS outbox_by_due ON outbox (due, id) WHERE due IS NOT NULL;
CREATE INDEX IF NOT EXISTS outbox_by_subscription ON outbox (subscription, id);
CREATE TABLE IF NOT EXISTS attempts (
    delivery INTEGER NOT NULL, number INTEGER NOT NULL,
    at REAL NOT NULL, wall TEXT NOT NULL, kind TEXT NOT NULL,
    status INTEGER, error TEXT, duration_ms REAL NOT NULL,
    headers BLOB NOT NULL,
    PRIMARY KEY (delivery, number)
);
CREATE TABLE IF NOT EXISTS clock (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    mode TEXT NOT NULL, elapsed REAL NOT NULL, anchor REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS rate_windows (key TEXT PRIMARY KEY, number INTEGER NOT NULL, count INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS journal (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id INTEGER NOT NULL, provider TEXT, path TEXT NOT NULL, status INTEGER NOT NULL,
    method TEXT NOT NULL, direction TEXT NOT NULL, blob BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS faults (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    document BLOB NOT NULL, times INTEGER, fired INTEGER NOT NULL DEFAULT 0
);
"""
# Columns schemas 3 and 4 added to tables an older returnkit made: (table, column, declaration).
ADDED_COLUMNS = (
    ("outbox", "claimed_by", "TEXT"),
    ("outbox", "claimed_until", "REAL"),
    ("records", "state", "TEXT"),
    ("records", "sort_key", "TEXT"),
)
# Schema 4's indexes and counts of listings (made once their columns exist, in a file of any older schema too).
LISTING_SCHEMA = """
CREATE INDEX IF NOT EXISTS records_by_state ON records (provider, kind, owner, state, seq);
CREATE INDEX IF NOT EXISTS records_by_sort ON records (provider, kind, owner, sort_key, seq);
CREATE INDEX IF NOT EXISTS records_by_state_sort ON records (provider, kind, owner, state, sort_key, seq);
CREATE TABLE IF NOT EXISTS record_counts (
    provider TEXT NOT NULL, kind TEXT NOT NULL, owner TEXT NOT NULL, stated INTEGER NOT NULL, state TEXT NOT NULL,
    count INTEGER NOT NULL,
    PRIMARY KEY (provider, kind, owner, stated, state)
);
"""
# How many records each owner has in each state, kept by the database as records come, change and go:
# a listing's total costs the same however many records it counts. `stated` is 0 for records without a
# state (their `state` here is ''). Filled from the records by the migration to schema 4, then kept.
COUNT_RECORDS = """
INSERT INTO record_counts (provider, kind, owner, stated, state, count)
SELECT provider, kind, owner, state IS NOT NULL, coalesce(state, ''), count(*) FROM records GROUP BY 1, 2, 3, 4, 5
"""
SQLITE_ADD_COUNT = """INSERT INTO record_counts (provider, kind, owner, stated, state, count)
    VALUES (NEW.provider, NEW.kind, NEW.owner, NEW.state IS NOT NULL, coalesce(NEW.state, ''), 1)
    ON CONFLICT (provider, kind, owner, stated, state) DO UPDATE SET count = count + 1;"""
SQLITE_SUBTRACT_COUNT = """UPDATE record_counts SET count = count - 1 WHERE provider = OLD.provider AND kind = OLD.kind
    AND owner = OLD.owner AND stated = (OLD.state IS NOT NULL) AND state = coalesce(OLD.state, '');"""
SQLITE_COUNTING = (
    f"CREATE TRIGGER IF NOT EXISTS records_counted_in AFTER INSERT ON records BEGIN {SQLITE_ADD_COUNT} END",
    f"CREATE TRIGGER IF NOT EXISTS records_counted_out AFTER DELETE ON records BEGIN {SQLITE_SUBTRACT_COUNT} END",
    "CREATE TRIGGER IF NOT EXISTS records_counted_moved AFTER UPDATE OF owner, state ON records"
    " WHEN OLD.owner IS NOT NEW.owner OR OLD.state IS NOT NEW.state"
    f" BEGIN {SQLITE_SUBTRACT_COUNT} {SQLITE_ADD_COUNT} END",
)


class StoreError(ReturnkitError):
    """The database cannot be opened or used: a directory, an unwritable path, not SQLite, not ours."""


class StoreUnavailable(StoreError):
    """The database does not answer right now (PostgreSQL stopped or unreachable); it may come back."""


JOURNAL_SEQUENCE = "journal.entry"
SCHEMA_VERSION = 5  # 1: records/meta/sequences; 2: schedule, outbox, attempts; 3: clock, rate windows, journal,
# faults; 4: records' state and sort key columns, listed by in SQL; 5: history entries in a table of their own
# (before: one record of kind "history" per record, its document {"entries": [...]}, rewritten on each change)


def masked(location: str) -> str:
    """`location` fit for a log line: a database URL's password replaced by `***`."""
    if not is_database_url(location):
        return location
    parts = urlsplit(location)
    if parts.password is None:
        return location
    user = parts.username or ""
    host = parts.netloc.rsplit("@", 1)[1]
    return urlunsplit(parts._replace(netloc=f"{user}:***@{host}"))


def is_database_url(location: str) -> bool:
    return location.startswith(("postgresql://", "postgres://"))


def open_store(location: str) -> Store:
    """The store `--db` (or `RETURNKIT_DB`) names: a PostgreSQL URL, a SQLite file, or `:memory:`."""
    if is_database_url(location):
        from returnkit.core.postgres_store import PostgresStore  # psycopg loads only when asked

        return PostgresStore(location)
    return SQLiteStore(location)


# The SQL both dialects share ---------------------------------------------------------------------

DELIVERY_COLUMNS = (
    "id, provider, event, event_id, subscription, owner, resource, body, occurred, due, status, attempts, tries,"
    " conformance"
)
SELECT_DELIVERIES = f"SELECT {DELIVERY_COLUMNS} FROM outbox"  # noqa: S608 - constant text


@dataclass(frozen=True, slots=True)
class Statements:
    """The SQL of every call both dialects answer alike, written once with `?` placeholders.

    The first fields are spelled differently by each dialect (its tables differ there); each store
    class keeps its own copy, its placeholders put in once when the class is defined (`in_placeholder`),
    so no call rewrites a statement."""

    set_clock: str
    count_request: str
    journal_order: str  # the column that keeps journal entries in the order added
    placeholder: str = "?"
    get: str = "SELECT data FROM records WHERE provider=? AND kind=? AND key=?"
    put: str = (
        "INSERT INTO records (provider, kind, key, owner, ref, data, state, sort_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
        " ON CONFLICT (provider, kind, key) DO UPDATE SET data=excluded.data, owner=excluded.owner, ref=excluded.ref,"
        " state=excluded.state, sort_key=excluded.sort_key"
    )
    record_text: str = "CAST(data AS TEXT)"  # a record's JSON as text, for `text_contains`
    # `{}` holds a lowered text, case-insensitively (SQLite's LIKE folds ASCII letters itself: no copy lowered)
    contains: str = "{} LIKE ? ESCAPE '\\'"
    unsorted: str = "SELECT seq, data FROM records WHERE provider=? AND kind=? AND owner=? AND sort_key IS NULL"
    set_sort: str = "UPDATE records SET sort_key=? WHERE seq=? AND sort_key IS NULL"
    select_records: str = "SELECT data FROM records"
    add_history: str = "INSERT INTO history (provider, kind, key, entry) VALUES (?, ?, ?, ?)"
    history: str = "SELECT entry FROM history WHERE provider=? AND kind=? AND key=? ORDER BY seq"
    delete: str = "DELETE FROM records WHERE provider=? AND kind=? AND key=?"
    count: str = "SELECT count(*) FROM records WHERE provider=? AND kind=?"
    count_owned: str = "SELECT count(*) FROM records WHERE provider=? AND kind=? AND owner=?"
    get_meta: str = "SELECT value FROM meta WHERE name=?"
    set_meta: str = "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value=excluded.value"
    next_number: str = (
        "INSERT INTO sequences (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1 RETURNING value"
    )
    schedule: str = (
        "INSERT INTO schedule (provider, kind, key, transition, due) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (provider, kind, key, transition) DO UPDATE SET due=excluded.due"
    )
    unschedule: str = "DELETE FROM schedule WHERE provider=? AND kind=? AND key=? AND transition=?"
    scheduled: str = "SELECT transition, due FROM schedule WHERE provider=? AND kind=? AND key=? ORDER BY due, seq"
    due: str = "SELECT kind, key, transition, due FROM schedule WHERE provider=? AND due<=? ORDER BY due, seq LIMIT ?"
    enqueue: str = (
        "INSERT INTO outbox (provider, event, event_id, subscription, owner, resource, body, occurred, due)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id"
    )
    select_deliveries: str = SELECT_DELIVERIES
    due_deliveries: str = SELECT_DELIVERIES + " WHERE due IS NOT NULL AND due<=? ORDER BY due, id LIMIT ?"
    delivery: str = SELECT_DELIVERIES + " WHERE id=?"
    attempts: str = (
        "SELECT number, at, wall, kind, status, error, duration_ms, headers FROM attempts"
        " WHERE delivery=? ORDER BY number"
    )
    reschedule: str = "UPDATE outbox SET due=?, claimed_by=NULL, claimed_until=NULL WHERE id=? AND status='pending'"
    cancel_deliveries: str = "UPDATE outbox SET status='cancelled', due=NULL WHERE subscription=? AND status='pending'"
    next_due: str = (
        "SELECT min(due) FROM (SELECT min(due) AS due FROM schedule"
        " UNION ALL SELECT min(due) FROM outbox WHERE due IS NOT NULL) AS waiting"
    )
    get_clock: str = "SELECT mode, elapsed, anchor FROM clock"  # its one row
    request_start: str = (
        "INSERT INTO sequences (name, value) VALUES (?, 1)"
        " ON CONFLICT (name) DO UPDATE SET value = sequences.value + 1"
        " RETURNING value, (SELECT value FROM meta WHERE name=?), (SELECT mode FROM clock),"
        " (SELECT elapsed FROM clock), (SELECT anchor FROM clock), (SELECT count(*) FROM faults),"
        " (SELECT min(due) FROM schedule WHERE provider=?)"
    )
    select_journal: str = "SELECT id, provider, path, status, method, direction, blob FROM journal"
    journal_count: str = "SELECT count(*) FROM journal"
    add_fault: str = "INSERT INTO faults (document) VALUES (?) RETURNING id"
    faults: str = "SELECT id, document, fired FROM faults ORDER BY id"
    fire_fault: str = (
        "UPDATE faults SET fired = fired + 1 WHERE id=? AND (CAST(? AS INTEGER) IS NULL OR fired < CAST(? AS INTEGER))"
    )

    def in_placeholder(self, placeholder: str) -> Statements:
        """These statements with `placeholder` (`%s`) where they have `?`, `self.placeholder` included
        (no statement has a literal `?`)."""
        texts = {field.name: getattr(self, field.name).replace("?", placeholder) for field in fields(self)}
        return Statements(**texts)


RECORD_FILTERS = ("provider", "kind", "owner", "ref")
DELIVERY_FILTERS = ("provider", "event", "status", "subscription")
JOURNAL_FILTERS = ("provider", "path", "status", "method", "direction")


class SqlStore(ABC):
    """Every `Store` call whose SQL both dialects share, written once over three primitives.

    A subclass names its dialect's `Statements` (`_sql`) and runs them: `_one` (the first row or
    None), `_all` (every row), `_run` (how many rows changed), each atomic on its own or part of the
    calling thread's open transaction, with its database's errors raised as `StoreError` /
    `StoreUnavailable`. What the dialects do differently (transactions and locking, schema, claims,
    settling, the journal's trimming, clearing) stays with the subclass."""

    _sql: ClassVar[Statements]

    @abstractmethod
    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None: ...

    @abstractmethod
    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]: ...

    @abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> int: ...

    def _value(self, sql: str, params: Sequence[Any] = ()) -> Any:
        """The first column of the one row `sql` always gives (an aggregate, RETURNING of an insert or upsert)."""
        row = self._one(sql, params)
        assert row is not None, "this statement always gives a row"
        return row[0]

    def _where(self, filters: tuple[str, ...], given: dict[str, Any]) -> tuple[str, list[Any]]:
        """` WHERE a=? AND b=?` for the `filters` given a value (column names from the fixed `filters`)."""
        used = tuple(column for column in filters if given.get(column) is not None)
        return where_clause(used, self._sql.placeholder), [given[column] for column in used]

    # Records, meta, sequences -------------------------------------------------------------------

    def get(self, provider: str, kind: str, key: str) -> Document | None:
        row = self._one(self._sql.get, (provider, kind, key))
        return document_from(row[0]) if row else None

    def put(
        self,
        provider: str,
        kind: str,
        key: str,
        document: Document,
        *,
        owner: str = "",
        ref: str = "",
        sort: str | None = None,
    ) -> None:
        self._run(self._sql.put, (provider, kind, key, owner, ref, dumps(document), record_state(document), sort))

    def query(self, provider: str, kind: str, *, owner: str | None = None, ref: str | None = None) -> list[Document]:
        where, params = self._where(RECORD_FILTERS, {"provider": provider, "kind": kind, "owner": owner, "ref": ref})
        rows = self._all(self._sql.select_records + where + " ORDER BY seq", params)
        return [document_from(data) for (data,) in rows]

    def delete(self, provider: str, kind: str, key: str) -> None:
        self._run(self._sql.delete, (provider, kind, key))

    def count(self, provider: str, kind: str, *, owner: str | None = None) -> int:
        if owner is None:
            return int(self._value(self._sql.count, (provider, kind)))
        return int(self._value(self._sql.count_owned, (provider, kind, owner)))

    def find(
        self,
        provider: str,
        kind: str,
        where: RecordFilter = EVERY_RECORD,
        *,
        order: Ordering = INSERTION,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[Document]:
        condition, params = self._record_where(provider, kind, where)
        p = self._sql.placeholder
        by = ", ".join(f"{ORDER_COLUMNS[column]}{' DESC' if descending else ''}" for column, descending in order)
        sql = f"SELECT data FROM records{condition} ORDER BY {by} LIMIT {p} OFFSET {p}"  # noqa: S608 - columns fixed
        rows = self._all(sql, [*params, NO_LIMIT if limit is None else limit, offset])
        return [document_from(data) for (data,) in rows]

    def count_where(self, provider: str, kind: str, where: RecordFilter = EVERY_RECORD) -> int:
        if counted(where):
            condition, params = self._counts_where(provider, kind, where)
            return int(self._value(f"SELECT coalesce(sum(count), 0) FROM record_counts{condition}", params))  # noqa: S608
        condition, params = self._record_where(provider, kind, where)
        return int(self._value(f"SELECT count(*) FROM records{condition}", params))  # noqa: S608 - columns fixed

    def count_states(self, provider: str, kind: str, where: RecordFilter = EVERY_RECORD) -> dict[str | None, int]:
        if counted(where):
            condition, params = self._counts_where(provider, kind, where)
            rows = self._all(
                f"SELECT stated, state, sum(count) FROM record_counts{condition}"  # noqa: S608 - columns fixed
                " GROUP BY stated, state HAVING sum(count) > 0 ORDER BY state",
                params,
            )
            return {state if stated else None: int(count) for stated, state, count in rows}
        condition, params = self._record_where(provider, kind, where)
        rows = self._all(f"SELECT state, count(*) FROM records{condition} GROUP BY state", params)  # noqa: S608
        return {state: int(count) for state, count in rows}

    def _counts_where(self, provider: str, kind: str, where: RecordFilter) -> tuple[str, list[Any]]:
        """` WHERE ...` of `record_counts` for a filter by owner and states alone."""
        p = self._sql.placeholder
        clauses, params = [f"provider={p}", f"kind={p}"], [provider, kind]
        if where.owner is not None:
            clauses.append(f"owner={p}")
            params.append(where.owner)
        if where.states is not None:
            named = [state for state in where.states if state is not None]
            tests = [f"(stated AND state IN ({', '.join([p] * len(named))}))"] if named else []
            tests += ["NOT stated"] if None in where.states else []
            clauses.append(f"({' OR '.join(tests)})" if tests else "1=0")
            params.extend(named)
        return " WHERE " + " AND ".join(clauses), params

    def sort_unsorted(self, provider: str, kind: str, owner: str, sort_key: Callable[[Document], str]) -> int:
        rows = self._all(self._sql.unsorted, (provider, kind, owner))
        for seq, data in rows:  # a record written meanwhile has its sort key already: it stays
            self._run(self._sql.set_sort, (sort_key(document_from(data)), seq))
        return len(rows)

    def _record_where(self, provider: str, kind: str, where: RecordFilter) -> tuple[str, list[Any]]:
        """` WHERE ...` for one provider's kind and `where` (column names fixed here, values as parameters)."""
        p = self._sql.placeholder
        clauses, params = [f"provider={p}", f"kind={p}"], [provider, kind]
        if where.owner is not None:
            clauses.append(f"owner={p}")
            params.append(where.owner)
        for column, values in (("state", where.states), ("key", where.keys), ("ref", where.refs)):
            if values is not None:
                clauses.append(any_of(column, values, p))
                params.extend(value for value in values if value is not None)
        for column, text in (("ref", where.ref_contains), (self._sql.record_text, where.text_contains)):
            if text:
                clauses.append(self._sql.contains.format(column))
                params.append(f"%{like_escaped(text.lower())}%")
        return " WHERE " + " AND ".join(clauses), params

    def add_history(self, provider: str, kind: str, key: str, entry: Document) -> None:
        self._run(self._sql.add_history, (provider, kind, key, dumps(entry)))

    def history(self, provider: str, kind: str, key: str) -> list[Document]:
        return [document_from(entry) for (entry,) in self._all(self._sql.history, (provider, kind, key))]

    def get_meta(self, name: str) -> Any:
        row = self._one(self._sql.get_meta, (name,))
        return loads(bytes(row[0])) if row else None

    def set_meta(self, name: str, value: Any) -> None:
        self._run(self._sql.set_meta, (name, dumps(value)))

    def next_number(self, name: str) -> int:
        return int(self._value(self._sql.next_number, (name,)))

    # Scheduled transitions ----------------------------------------------------------------------

    def schedule(self, provider: str, kind: str, key: str, transition: str, due: float) -> None:
        self._run(self._sql.schedule, (provider, kind, key, transition, due))

    def unschedule(self, provider: str, kind: str, key: str, transition: str) -> None:
        self._run(self._sql.unschedule, (provider, kind, key, transition))

    def scheduled(self, provider: str, kind: str, key: str) -> list[Scheduled]:
        rows = self._all(self._sql.scheduled, (provider, kind, key))
        return [Scheduled(provider, kind, key, transition, due) for transition, due in rows]

    def due(self, provider: str, now: float, limit: int) -> list[Scheduled]:
        rows = self._all(self._sql.due, (provider, now, limit))
        return [Scheduled(provider, kind, key, transition, due) for kind, key, transition, due in rows]

    # Outbox -------------------------------------------------------------------------------------

    def enqueue(self, delivery: Delivery) -> int:
        return int(self._value(self._sql.enqueue, delivery_columns(delivery)))

    def due_deliveries(self, now: float, limit: int) -> list[Delivery]:
        return [delivery_from(row) for row in self._all(self._sql.due_deliveries, (now, limit))]

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = self._one(self._sql.delivery, (delivery_id,))
        return delivery_from(row) if row else None

    def deliveries(
        self,
        *,
        provider: str | None = None,
        event: str | None = None,
        status: str | None = None,
        subscription: str | None = None,
    ) -> list[Delivery]:
        given = {"provider": provider, "event": event, "status": status, "subscription": subscription}
        where, params = self._where(DELIVERY_FILTERS, given)
        return [delivery_from(row) for row in self._all(self._sql.select_deliveries + where + " ORDER BY id", params)]

    def attempts(self, delivery_id: int) -> list[Attempt]:
        return [attempt_from(row) for row in self._all(self._sql.attempts, (delivery_id,))]

    def reschedule(self, delivery_id: int, due: float) -> None:
        self._run(self._sql.reschedule, (due, delivery_id))

    def cancel_deliveries(self, subscription: str) -> int:
        return self._run(self._sql.cancel_deliveries, (subscription,))

    def next_due(self) -> float | None:
        earliest = self._value(self._sql.next_due)
        return None if earliest is None else float(earliest)

    # Clock, rate windows, journal, faults -------------------------------------------------------

    def get_clock(self) -> ClockState | None:
        row = self._one(self._sql.get_clock)
        return ClockState(row[0], row[1], row[2]) if row else None

    def set_clock(self, state: ClockState) -> None:
        self._run(self._sql.set_clock, (state.mode, state.elapsed, state.anchor))

    def request_start(self, sequence: str, meta: str, provider: str) -> RequestStart:
        row = self._one(self._sql.request_start, (sequence, meta, provider))
        assert row is not None, "an upsert with RETURNING always gives a row"
        number, value, mode, elapsed, anchor, faults, due = row
        clock = None if mode is None else ClockState(mode, elapsed, anchor)
        stored = None if value is None else loads(bytes(value))
        return RequestStart(int(number), stored, clock, int(faults), None if due is None else float(due))

    def count_request(self, key: str, window: int) -> int:
        return int(self._value(self._sql.count_request, (key, window)))

    def journal_find(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[JournalRow]:
        given = {"provider": provider, "path": path, "status": status, "method": method, "direction": direction}
        where, params = self._where(JOURNAL_FILTERS, given)
        if after is not None:
            where += f"{' AND' if where else ' WHERE'} id > {self._sql.placeholder}"
            params.append(after)
        if limit is None:
            rows = self._all(self._sql.select_journal + where + self._sql.journal_order, params)
        else:
            rows = self._all(self._newest_journal(where), [*params, limit])
        return [journal_row_from(row) for row in rows]

    def _newest_journal(self, where: str) -> str:
        """The newest `limit` entries (the last parameter) that match `where`, picked by the database, oldest first."""
        order, placeholder = self._sql.journal_order, self._sql.placeholder
        newest = f"SELECT * FROM journal{where}{order} DESC LIMIT {placeholder}"  # noqa: S608 - constant text
        columns = self._sql.select_journal.removesuffix(" FROM journal")
        return f"{columns} FROM ({newest}) AS newest{order}"

    def journal_count(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
    ) -> int:
        given = {"provider": provider, "path": path, "status": status, "method": method, "direction": direction}
        where, params = self._where(JOURNAL_FILTERS, given)
        return int(self._value(self._sql.journal_count + where, params))

    def add_fault(self, document: Document) -> int:
        kept = {name: value for name, value in document.items() if name not in {"id", "fired"}}
        return int(self._value(self._sql.add_fault, (dumps(kept),)))

    def faults(self) -> list[Document]:
        rows = self._all(self._sql.faults)
        return [{**document_from(document), "id": int(id_), "fired": fired} for id_, document, fired in rows]

    def fire_fault(self, fault_id: int, times: int | None) -> bool:
        return self._run(self._sql.fire_fault, (fault_id, times, times)) == 1


@cache
def where_clause(columns: tuple[str, ...], placeholder: str) -> str:
    """` WHERE a=? AND b=?` (in `placeholder`'s style) for `columns`, "" for none; made once per combination."""
    if not columns:
        return ""
    return " WHERE " + " AND ".join(f"{column}={placeholder}" for column in columns)


NO_LIMIT = 2**62  # LIMIT of a listing without one (both dialects take a number; SQLite has no LIMIT ALL)


def record_state(document: Document) -> str | None:
    """The state a record is listed and counted by: its `status` (or `state`) field, None without one."""
    state = document.get("status", document.get("state"))
    return None if state is None else str(state)


def counted(where: RecordFilter) -> bool:
    """Whether `record_counts` answers how many records match `where` (by owner and states alone)."""
    return where.keys is None and where.refs is None and not where.ref_contains and not where.text_contains


def any_of(column: str, values: tuple[str | None, ...], placeholder: str) -> str:
    """`column` is one of `values` (None: is NULL); nothing matches none."""
    given = [value for value in values if value is not None]
    tests = [f"{column} IN ({', '.join([placeholder] * len(given))})"] if given else []
    if None in values:
        tests.append(f"{column} IS NULL")
    return f"({' OR '.join(tests)})" if tests else "1=0"


def like_escaped(text: str) -> str:
    """`text` matched literally by LIKE ... ESCAPE '\\': its wildcards and escape character escaped."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# Rows as the store's types: a dialect's BLOB / BYTEA may come back as another bytes-like type.


def document_from(data: bytes) -> Document:
    document: Document = loads(bytes(data))
    return document


def delivery_from(row: tuple[Any, ...]) -> Delivery:
    id_, provider, event, event_id, subscription, owner, resource, body, occurred, due, status, *counts = row
    attempts, tries, conformance = counts
    return Delivery(
        id=int(id_),
        provider=provider,
        event=event,
        event_id=event_id,
        subscription=subscription,
        owner=owner,
        resource=resource,
        body=bytes(body),
        occurred=occurred,
        due=due,
        status=status,
        attempts=attempts,
        tries=tries,
        conformance=conformance,
    )


def delivery_columns(delivery: Delivery) -> tuple[Any, ...]:
    """What `enqueue` writes of a delivery, in its statement's order."""
    return (
        delivery.provider,
        delivery.event,
        delivery.event_id,
        delivery.subscription,
        delivery.owner,
        delivery.resource,
        delivery.body,
        delivery.occurred,
        delivery.due,
    )


def attempt_columns(attempt: Attempt) -> tuple[Any, ...]:
    """What settling records of an attempt, in its statement's order (after the delivery's id)."""
    return (
        attempt.number,
        attempt.at,
        attempt.wall,
        attempt.kind,
        attempt.status,
        attempt.error,
        attempt.duration_ms,
        dumps(dict(attempt.headers)),
    )


def attempt_from(row: tuple[Any, ...]) -> Attempt:
    number, at, wall, kind, status, error, duration_ms, headers = row
    return Attempt(number, at, wall, kind, status, error, duration_ms, loads(bytes(headers)))


def journal_row_from(row: tuple[Any, ...]) -> JournalRow:
    id_, provider, path, status, method, direction, blob = row
    return JournalRow(id_, provider, path, status, method, direction, bytes(blob))


# SQLite ------------------------------------------------------------------------------------------

# Due deliveries no one else holds: unclaimed, this claimant's, expired, or held by a claimant that is gone.
CLAIMABLE = (
    SELECT_DELIVERIES + " WHERE due IS NOT NULL AND due<=? AND (claimed_by IS NULL OR claimed_by=?"  # noqa: S608 - constant text, values as parameters
    " OR claimed_until<? OR claimed_by IN (SELECT value FROM json_each(?))) ORDER BY due, id LIMIT ?"
)
BUSY_TIMEOUT_MS = 5000  # another process's write transaction is waited for this long, then StoreUnavailable
# What `clear` empties with one DELETE each (then the counts, the journal, the faults and their ids).
CLEARED_TABLES = ("records", "history", "meta", "sequences", "schedule", "outbox", "attempts", "clock", "rate_windows")
# SQLite's words for a database that cannot be used right now (locked by another process too long, gone).
UNAVAILABLE = ("database is locked", "database is busy", "disk I/O error", "unable to open", "readonly database")
# The shared statements with SQLite's own clock and rate window tables.
SQLITE_STATEMENTS = Statements(
    set_clock="INSERT INTO clock (id, mode, elapsed, anchor) VALUES (1, ?, ?, ?)"
    " ON CONFLICT (id) DO UPDATE SET mode=excluded.mode, elapsed=excluded.elapsed, anchor=excluded.anchor",
    count_request="INSERT INTO rate_windows (key, number, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE"
    " SET count = CASE WHEN number = excluded.number THEN count + 1 ELSE 1 END, number = excluded.number"
    " RETURNING count",
    journal_order=" ORDER BY seq",
)
ADD_JOURNAL = "INSERT INTO journal (id, provider, path, status, method, direction, blob) VALUES (?, ?, ?, ?, ?, ?, ?)"
ADD_JOURNAL_WHILE = (
    "INSERT INTO journal (id, provider, path, status, method, direction, blob) SELECT ?, ?, ?, ?, ?, ?, ?"
    " WHERE (SELECT value FROM meta WHERE name=?) = ?"
)
RECORD_ATTEMPT = (
    "INSERT INTO attempts (delivery, number, at, wall, kind, status, error, duration_ms, headers)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery, number) DO NOTHING"
)


# Records kept before schema 4 have no state yet (and no sort key: `sort_unsorted` gives theirs when listed).
STATELESS = "SELECT seq, data FROM records WHERE state IS NULL"
# Before schema 5 a record's history was a record of kind "history", keyed "{kind}:{key}", its document
# {"entries": [...]}; the migration appends its entries to the history table in order, then deletes it.
HISTORY_RECORDS = "SELECT provider, key, data FROM records WHERE kind='history' ORDER BY seq"
DROP_HISTORY_RECORDS = "DELETE FROM records WHERE kind='history'"


def history_of(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, str, str, bytes]]:
    """(provider, kind, key, entry) of each entry of each (provider, key, data) row of a history record, in order."""
    for provider, where, data in rows:
        kind, _, key = where.partition(":")  # a kind has no colon; a key may
        for entry in document_from(data).get("entries", []):
            yield provider, kind, key, dumps(entry)


def states_of(rows: Iterable[tuple[Any, ...]]) -> Iterator[tuple[str, int]]:
    """(state, seq) of each (seq, data) row of a record that has a state."""
    for seq, data in rows:
        state = record_state(document_from(data))
        if state is not None:
            yield state, seq


def _connect(path: str) -> sqlite3.Connection:
    """`:memory:` is opened through SQLite's `memdb` VFS, under a name of its own (nothing shared):
    with the default in-memory pager every COMMIT walked the whole page cache, half of a write
    request's CPU once the world held tens of thousands of records (py-spy under the peer load)."""
    if path == ":memory:":
        with suppress(sqlite3.OperationalError):  # an SQLite built without memdb (before 3.36)
            memdb = f"file:/returnkit-{uuid.uuid4().hex}?vfs=memdb"
            return sqlite3.connect(memdb, check_same_thread=False, isolation_level=None, uri=True)
    return sqlite3.connect(path, check_same_thread=False, isolation_level=None)


class SQLiteStore(SqlStore):
    """In memory by default; a file path makes the world survive a restart.

    One connection per store, used by one thread at a time (`_lock`, also held for a whole
    transaction so no other thread's statement joins it). Several processes may share a file:
    write transactions begin IMMEDIATE (one at a time), and a busy database is waited for.
    """

    backend = "sqlite"
    schema_version = SCHEMA_VERSION
    _sql = SQLITE_STATEMENTS

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.name = path
        self._claimants = ClaimantLocks(None if path == ":memory:" else path)
        self._lock = threading.RLock()
        self._depth = 0
        self._journal_limit: int | None = None  # the limit this connection's trimming trigger keeps
        if Path(path).is_dir():
            raise StoreError(f"{path} is a directory; give a file path (it is created when missing)")
        try:
            self._db = _connect(path)
        except sqlite3.Error as exc:
            raise StoreError(
                f"{path} cannot be opened: {exc} (does its directory exist, may returnkit write there?)"
            ) from None
        try:
            self._prepare()
        except sqlite3.Error as exc:
            self._db.close()
            raise StoreError(f"{path} cannot be used as returnkit's database: {exc}") from None

    def _prepare(self) -> None:
        self._db.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        others = tables - OWN_TABLES
        if others and "records" not in tables:  # never add our tables to another application's database
            self._db.close()
            raise StoreError(
                f"{self.path} is another application's SQLite database (tables: {', '.join(sorted(others))});"
                " give returnkit a file of its own"
            )
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > SCHEMA_VERSION:
            self._db.close()
            raise StoreError(
                f"{self.path} was written by a newer returnkit (schema version {version}; this one knows up to"
                f" {SCHEMA_VERSION}): serve it with that returnkit or newer, or give another file"
            )
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        if version < SCHEMA_VERSION:
            self._migrate()

    def _migrate(self) -> None:
        """Create what is missing (a new file: everything; an older file: the tables and columns of the schemas
        after its own) and move what an older schema kept elsewhere (schema 5: history records to `history`)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            for table, column, declaration in ADDED_COLUMNS:
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            for statement in LISTING_SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            older_history = self._db.execute(HISTORY_RECORDS).fetchall()
            self._db.executemany(SQLITE_STATEMENTS.add_history, history_of(older_history))
            self._db.execute(DROP_HISTORY_RECORDS)  # the records are counted again below
            stateless = self._db.execute(STATELESS).fetchall()
            self._db.executemany("UPDATE records SET state=? WHERE seq=?", states_of(stateless))
            self._db.execute("DELETE FROM record_counts")
            self._db.execute(COUNT_RECORDS)
            for trigger in SQLITE_COUNTING:
                self._db.execute(trigger)
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _all(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Run one statement (atomic on its own, or part of this thread's open transaction); its rows."""
        with self._lock:
            try:
                return self._db.execute(sql, params).fetchall()
            except sqlite3.OperationalError as exc:
                self._raise_unavailable(exc)
                raise

    def _one(self, sql: str, params: Sequence[Any] = ()) -> tuple[Any, ...] | None:
        rows = self._all(sql, params)  # every row read: a statement left half-read would hold its locks
        return rows[0] if rows else None

    def _run(self, sql: str, params: Sequence[Any] = ()) -> int:
        with self._lock:
            try:
                return int(self._db.execute(sql, params).rowcount)
            except sqlite3.OperationalError as exc:
                self._raise_unavailable(exc)
                raise

    def _raise_unavailable(self, exc: sqlite3.OperationalError) -> None:
        """StoreUnavailable for a database that cannot be used right now (any other error stays as it is)."""
        if any(words in str(exc) for words in UNAVAILABLE):
            raise StoreUnavailable(f"{self.path} cannot be used right now: {exc}") from exc

    def ping(self) -> None:
        """The database answers when a write transaction can begin: reads alone go on while another
        process holds the write lock for good."""
        with self.transaction():
            self._all("SELECT count(*) FROM meta")

    def claim_deliveries(self, now: float, limit: int, claimant: str, until: float) -> list[Delivery]:
        """A claim also ends when its claimant's process does (`ClaimantLocks`): a restart after a kill
        sends what the killed process had claimed at once, not when `until` passes."""
        self._claimants.hold(claimant)
        with self.transaction():
            wall = time.time()
            holders = self._all(
                "SELECT DISTINCT claimed_by FROM outbox WHERE due IS NOT NULL AND due<=?"
                " AND claimed_by IS NOT NULL AND claimed_by<>? AND claimed_until>=?",
                (now, claimant, wall),
            )
            gone = [holder for (holder,) in holders if not self._claimants.alive(holder)]
            claimed = [delivery_from(row) for row in self._all(CLAIMABLE, (now, claimant, wall, dumps(gone), limit))]
            self._run(
                "UPDATE outbox SET claimed_by=?, claimed_until=? WHERE id IN (SELECT value FROM json_each(?))",
                (claimant, until, dumps([delivery.id for delivery in claimed])),
            )
        return claimed

    def settle(
        self,
        delivery_id: int,
        attempt: Attempt,
        *,
        due: float | None,
        status: DeliveryStatus,
        conformance: str | None = None,
    ) -> None:
        with self.transaction():
            if not self._run(RECORD_ATTEMPT, (delivery_id, *attempt_columns(attempt))):
                return  # another instance sent it too and settled this attempt first
            self._run(
                "UPDATE outbox SET due=?, status=?, attempts=attempts+1, tries=tries+?,"
                " conformance=coalesce(?, conformance), claimed_by=NULL, claimed_until=NULL WHERE id=?",
                (due, status, int(attempt.kind == "scheduled"), conformance, delivery_id),
            )

    def journal_add(self, row: JournalRow, limit: int, *, while_meta: tuple[str, Any] | None = None) -> None:
        columns = (row.id, row.provider, row.path, row.status, row.method, row.direction, row.blob)
        sql: str = ADD_JOURNAL
        params: tuple[Any, ...] = columns
        if while_meta is not None:
            sql, params = ADD_JOURNAL_WHILE, (*columns, while_meta[0], dumps(while_meta[1]))
        with self._lock:
            self._trim_journal_beyond(limit)
            self._run(sql, params)  # one statement, the oldest dropped by the trigger: no transaction of its own

    def _trim_journal_beyond(self, limit: int) -> None:
        """This connection's trigger drops, on each insert, the entries `limit` or more behind it (seq
        counts every entry since the last clear). A TEMP trigger: nothing in the file changes, and each
        process sharing it trims by its own limit, as its own inserts did in one transaction before."""
        if self._journal_limit == limit:
            return
        self._db.execute("DROP TRIGGER IF EXISTS temp.journal_trimmed")
        trim = f"DELETE FROM journal WHERE seq <= NEW.seq - {int(limit)}"  # noqa: S608 - an int, no text
        self._db.execute(f"CREATE TEMP TRIGGER journal_trimmed AFTER INSERT ON main.journal BEGIN {trim}; END")
        self._journal_limit = limit

    def clear_faults(self) -> None:
        with self.transaction():
            self._run("DELETE FROM faults")
            self._run("DELETE FROM sqlite_sequence WHERE name='faults'")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested calls join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._run("BEGIN IMMEDIATE")  # the write lock now: a read-check-write is never interleaved
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._rollback()
                raise
            self._depth -= 1
            if outer:
                self._commit()

    def _commit(self) -> None:
        try:
            self._run("COMMIT")
        except StoreUnavailable:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")
            self._journal_limit = None  # a trimming trigger made in this transaction is gone with it

    def clear(self) -> None:
        with self.transaction():
            for table in CLEARED_TABLES:
                self._run(f"DELETE FROM {table}")  # noqa: S608 - table names from CLEARED_TABLES
            self._run("DELETE FROM record_counts")  # what the records' deletion left: every count at 0
            self._run("DELETE FROM journal")
            self._run("DELETE FROM faults")
            # delivery, journal and fault ids start at 1 again
            self._run("DELETE FROM sqlite_sequence WHERE name IN ('outbox', 'journal', 'faults')")

    def close(self) -> None:
        self._claimants.release()
        self._db.close()


class ClaimantLocks:
    """Which claimants of one SQLite file are alive: each holds an exclusive `flock` on a file of its
    own beside the database while its store is open, and the system lets go of it when the process
    ends, however it ends. A claim whose claimant's file can be locked belongs to no one any more.

    An in-memory database has one process; without `fcntl` (Windows) claims end at their `until`."""

    def __init__(self, database: str | None) -> None:
        self._database = database
        self._held: dict[str, int] = {}  # claimant -> the descriptor of its locked file (no file object to leak)

    def _file(self, claimant: str) -> Path:
        return Path(f"{self._database}.claimant-{quote(claimant, safe='')}")

    def hold(self, claimant: str) -> None:
        if self._database is None or fcntl is None or claimant in self._held:
            return
        descriptor = os.open(self._file(claimant), os.O_CREAT | os.O_WRONLY, 0o600)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:  # another live store uses this name: it answers for the claims
            os.close(descriptor)
            return
        self._held[claimant] = descriptor

    def alive(self, claimant: str) -> bool:
        if self._database is None or fcntl is None or claimant in self._held:
            return True
        path = self._file(claimant)
        try:
            descriptor = os.open(path, os.O_RDONLY)
        except OSError:
            return False  # never held (or its process ended and was cleaned up after)
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            return True
        finally:
            os.close(descriptor)
        path.unlink(missing_ok=True)
        return False

    def release(self) -> None:
        for claimant, descriptor in self._held.items():
            self._file(claimant).unlink(missing_ok=True)
            os.close(descriptor)
        self._held.clear()
