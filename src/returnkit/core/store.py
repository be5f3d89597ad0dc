"""State behind one small interface; SQLite (stdlib) is the embedded default.

A record is a JSON document with a provider, a kind (`order`, `batch`, `return`...), a key, an
owner (the merchant or tenant it belongs to) and an optional `ref` (the key of the record it
hangs off, such as a return's order). Reads come back in insertion order. Beside the records: the
scheduled transitions (`schedule`) and the webhooks waiting to go out (`outbox`, with the
`attempts` made at each; the types are `core/outbox.py`'s).
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
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

    def get(self, provider: str, kind: str, key: str) -> Document | None: ...

    def put(
        self, provider: str, kind: str, key: str, document: Document, *, owner: str = "", ref: str = ""
    ) -> None: ...

    def query(
        self, provider: str, kind: str, *, owner: str | None = None, ref: str | None = None
    ) -> list[Document]: ...

    def delete(self, provider: str, kind: str, key: str) -> None: ...

    def count(self, provider: str, kind: str, *, owner: str | None = None) -> int: ...

    def get_meta(self, name: str) -> Any: ...

    def set_meta(self, name: str, value: Any) -> None: ...

    def next_number(self, name: str) -> int:
        """1, 2, 3 ... per `name`: a sequence that costs the same however much is stored."""
        ...

    def schedule(self, provider: str, kind: str, key: str, transition: str, due: float) -> None:
        """Keep (or move) the one due time of this record's `transition`."""
        ...

    def unschedule(self, provider: str, kind: str, key: str, transition: str) -> None: ...

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

    def journal_add(self, row: JournalRow, limit: int) -> None:
        """Keep `row` (its id from `next_number(JOURNAL_SEQUENCE)`), dropping the oldest beyond `limit` entries."""
        ...

    def journal_find(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
    ) -> list[JournalRow]:
        """The kept entries that match every filter given, oldest first."""
        ...

    def journal_count(self) -> int: ...

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
        """Empty the world: records, meta, sequences, schedule, outbox, attempts, clock, rate windows,
        journal and faults."""
        ...


OWN_TABLES = frozenset(
    {
        "records",
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
    }
)
SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    provider TEXT NOT NULL, kind TEXT NOT NULL, key TEXT NOT NULL,
    owner TEXT NOT NULL DEFAULT '', ref TEXT NOT NULL DEFAULT '',
    data BLOB NOT NULL,
    UNIQUE (provider, kind, key)
);
CREATE INDEX IF NOT EXISTS records_by_owner ON records (provider, kind, owner, seq);
CREATE INDEX IF NOT EXISTS records_by_ref ON records (provider, kind, ref, seq);
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
# Columns schema 3 added to tables an older returnkit made: (table, column, declaration).
ADDED_COLUMNS = (
    ("outbox", "claimed_by", "TEXT"),
    ("outbox", "claimed_until", "REAL"),
)
SELECT_DELIVERIES = (
    "SELECT id, provider, event, event_id, subscription, owner, resource, body, occurred, due, status, attempts,"
    " tries, conformance FROM outbox"
)
# Due deliveries no one else holds: unclaimed, this claimant's, expired, or held by a claimant that is gone.
CLAIMABLE = (
    SELECT_DELIVERIES + " WHERE due IS NOT NULL AND due<=? AND (claimed_by IS NULL OR claimed_by=?"  # noqa: S608 - constant text, values as parameters
    " OR claimed_until<? OR claimed_by IN (SELECT value FROM json_each(?))) ORDER BY due, id LIMIT ?"
)
BUSY_TIMEOUT_MS = 5000  # another process's write transaction is waited for this long, then StoreUnavailable
# SQLite's words for a database that cannot be used right now (locked by another process too long, gone).
UNAVAILABLE = ("database is locked", "database is busy", "disk I/O error", "unable to open", "readonly database")


class StoreError(ReturnkitError):
    """The database cannot be opened or used: a directory, an unwritable path, not SQLite, not ours."""


class StoreUnavailable(StoreError):
    """The database does not answer right now (PostgreSQL stopped or unreachable); it may come back."""


JOURNAL_SEQUENCE = "journal.entry"
SCHEMA_VERSION = 3  # 1: records/meta/sequences; 2: schedule, outbox, attempts; 3: clock, rate windows, journal, faults


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


class SQLiteStore:
    """In memory by default; a file path makes the world survive a restart.

    One connection per store, used by one thread at a time (`_lock`, also held for a whole
    transaction so no other thread's statement joins it). Several processes may share a file:
    write transactions begin IMMEDIATE (one at a time), and a busy database is waited for.
    """

    backend = "sqlite"
    schema_version = SCHEMA_VERSION

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.name = path
        self._claimants = ClaimantLocks(None if path == ":memory:" else path)
        self._lock = threading.RLock()
        self._depth = 0
        if Path(path).is_dir():
            raise StoreError(f"{path} is a directory; give a file path (it is created when missing)")
        try:
            self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
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
        """Create what is missing (a new file: everything; today's older files: schema 3's tables and columns)."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            for statement in SCHEMA.split(";"):
                if statement.strip():
                    self._db.execute(statement)
            for table, column, declaration in ADDED_COLUMNS:
                present = {row[1] for row in self._db.execute(f"PRAGMA table_info({table})")}
                if column not in present:
                    self._db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
            self._db.execute(f"PRAGMA user_version={SCHEMA_VERSION}")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _rows(self, sql: str, args: Sequence[Any] = ()) -> list[Any]:
        """Run one statement (atomic on its own, or part of this thread's open transaction); its rows."""
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.OperationalError as exc:
                self._raise_unavailable(exc)
                raise

    def _one(self, sql: str, args: Sequence[Any] = ()) -> Any:
        rows = self._rows(sql, args)
        return rows[0] if rows else None

    def _changed(self, sql: str, args: Sequence[Any] = ()) -> int:
        with self._lock:
            try:
                return int(self._db.execute(sql, args).rowcount)
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
            self._rows("SELECT count(*) FROM meta")

    def get(self, provider: str, kind: str, key: str) -> Document | None:
        row = self._one("SELECT data FROM records WHERE provider=? AND kind=? AND key=?", (provider, kind, key))
        return loads(row[0]) if row else None

    def put(self, provider: str, kind: str, key: str, document: Document, *, owner: str = "", ref: str = "") -> None:
        self._rows(
            "INSERT INTO records (provider, kind, key, owner, ref, data) VALUES (?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (provider, kind, key)"
            " DO UPDATE SET data=excluded.data, owner=excluded.owner, ref=excluded.ref",
            (provider, kind, key, owner, ref, dumps(document)),
        )

    def query(self, provider: str, kind: str, *, owner: str | None = None, ref: str | None = None) -> list[Document]:
        sql = "SELECT data FROM records WHERE provider=? AND kind=?"
        args: list[str] = [provider, kind]
        if owner is not None:
            sql += " AND owner=?"
            args.append(owner)
        if ref is not None:
            sql += " AND ref=?"
            args.append(ref)
        return [loads(row[0]) for row in self._rows(sql + " ORDER BY seq", args)]

    def delete(self, provider: str, kind: str, key: str) -> None:
        self._rows("DELETE FROM records WHERE provider=? AND kind=? AND key=?", (provider, kind, key))

    def count(self, provider: str, kind: str, *, owner: str | None = None) -> int:
        if owner is None:
            row = self._one("SELECT count(*) FROM records WHERE provider=? AND kind=?", (provider, kind))
        else:
            row = self._one(
                "SELECT count(*) FROM records WHERE provider=? AND kind=? AND owner=?", (provider, kind, owner)
            )
        return int(row[0])

    def get_meta(self, name: str) -> Any:
        row = self._one("SELECT value FROM meta WHERE name=?", (name,))
        return loads(row[0]) if row else None

    def set_meta(self, name: str, value: Any) -> None:
        self._rows(
            "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value=excluded.value",
            (name, dumps(value)),
        )

    def next_number(self, name: str) -> int:
        row = self._one(
            "INSERT INTO sequences (name, value) VALUES (?, 1)"
            " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        )
        return int(row[0])

    def schedule(self, provider: str, kind: str, key: str, transition: str, due: float) -> None:
        self._rows(
            "INSERT INTO schedule (provider, kind, key, transition, due) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (provider, kind, key, transition) DO UPDATE SET due=excluded.due",
            (provider, kind, key, transition, due),
        )

    def unschedule(self, provider: str, kind: str, key: str, transition: str) -> None:
        self._rows(
            "DELETE FROM schedule WHERE provider=? AND kind=? AND key=? AND transition=?",
            (provider, kind, key, transition),
        )

    def due(self, provider: str, now: float, limit: int) -> list[Scheduled]:
        rows = self._rows(
            "SELECT kind, key, transition, due FROM schedule WHERE provider=? AND due<=? ORDER BY due, seq LIMIT ?",
            (provider, now, limit),
        )
        return [Scheduled(provider, kind, key, transition, due) for kind, key, transition, due in rows]

    def enqueue(self, delivery: Delivery) -> int:
        row = self._one(
            "INSERT INTO outbox (provider, event, event_id, subscription, owner, resource, body, occurred, due)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                delivery.provider,
                delivery.event,
                delivery.event_id,
                delivery.subscription,
                delivery.owner,
                delivery.resource,
                delivery.body,
                delivery.occurred,
                delivery.due,
            ),
        )
        return int(row[0])

    def due_deliveries(self, now: float, limit: int) -> list[Delivery]:
        rows = self._rows(
            SELECT_DELIVERIES + " WHERE due IS NOT NULL AND due<=? ORDER BY due, id LIMIT ?",
            (now, limit),
        )
        return [_delivery(row) for row in rows]

    def claim_deliveries(self, now: float, limit: int, claimant: str, until: float) -> list[Delivery]:
        """A claim also ends when its claimant's process does (`ClaimantLocks`): a restart after a kill
        sends what the killed process had claimed at once, not when `until` passes."""
        self._claimants.hold(claimant)
        with self.transaction():
            wall = time.time()
            holders = self._rows(
                "SELECT DISTINCT claimed_by FROM outbox WHERE due IS NOT NULL AND due<=?"
                " AND claimed_by IS NOT NULL AND claimed_by<>? AND claimed_until>=?",
                (now, claimant, wall),
            )
            gone = [holder for (holder,) in holders if not self._claimants.alive(holder)]
            rows = self._rows(CLAIMABLE, (now, claimant, wall, dumps(gone), limit))
            claimed = [_delivery(row) for row in rows]
            self._rows(
                "UPDATE outbox SET claimed_by=?, claimed_until=? WHERE id IN (SELECT value FROM json_each(?))",
                (claimant, until, dumps([delivery.id for delivery in claimed])),
            )
        return claimed

    def delivery(self, delivery_id: int) -> Delivery | None:
        row = self._one(SELECT_DELIVERIES + " WHERE id=?", (delivery_id,))
        return _delivery(row) if row else None

    def deliveries(
        self,
        *,
        provider: str | None = None,
        event: str | None = None,
        status: str | None = None,
        subscription: str | None = None,
    ) -> list[Delivery]:
        filters = {"provider": provider, "event": event, "status": status, "subscription": subscription}
        given = {column: value for column, value in filters.items() if value is not None}
        sql = SELECT_DELIVERIES + " WHERE 1=1"
        for column in given:  # column names from the fixed list above, values as parameters
            sql += f" AND {column}=?"
        rows = self._rows(sql + " ORDER BY id", tuple(given.values()))
        return [_delivery(row) for row in rows]

    def attempts(self, delivery_id: int) -> list[Attempt]:
        rows = self._rows(
            "SELECT number, at, wall, kind, status, error, duration_ms, headers FROM attempts"
            " WHERE delivery=? ORDER BY number",
            (delivery_id,),
        )
        return [
            Attempt(number, at, wall, kind, status, error, duration_ms, loads(headers))
            for number, at, wall, kind, status, error, duration_ms, headers in rows
        ]

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
            recorded = self._changed(
                "INSERT INTO attempts (delivery, number, at, wall, kind, status, error, duration_ms, headers)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (delivery, number) DO NOTHING",
                (
                    delivery_id,
                    attempt.number,
                    attempt.at,
                    attempt.wall,
                    attempt.kind,
                    attempt.status,
                    attempt.error,
                    attempt.duration_ms,
                    dumps(dict(attempt.headers)),
                ),
            )
            if not recorded:  # another instance sent it too and settled this attempt first
                return
            self._rows(
                "UPDATE outbox SET due=?, status=?, attempts=attempts+1, tries=tries+?,"
                " conformance=coalesce(?, conformance), claimed_by=NULL, claimed_until=NULL WHERE id=?",
                (due, status, int(attempt.kind == "scheduled"), conformance, delivery_id),
            )

    def reschedule(self, delivery_id: int, due: float) -> None:
        self._rows(
            "UPDATE outbox SET due=?, claimed_by=NULL, claimed_until=NULL WHERE id=? AND status='pending'",
            (due, delivery_id),
        )

    def cancel_deliveries(self, subscription: str) -> int:
        return self._changed(
            "UPDATE outbox SET status='cancelled', due=NULL WHERE subscription=? AND status='pending'", (subscription,)
        )

    def next_due(self) -> float | None:
        row = self._one(
            "SELECT min(due) FROM (SELECT min(due) AS due FROM schedule"
            " UNION ALL SELECT min(due) FROM outbox WHERE due IS NOT NULL)"
        )
        return None if row[0] is None else float(row[0])

    def get_clock(self) -> ClockState | None:
        row = self._one("SELECT mode, elapsed, anchor FROM clock WHERE id=1")
        return ClockState(row[0], row[1], row[2]) if row else None

    def set_clock(self, state: ClockState) -> None:
        self._rows(
            "INSERT INTO clock (id, mode, elapsed, anchor) VALUES (1, ?, ?, ?)"
            " ON CONFLICT (id) DO UPDATE SET mode=excluded.mode, elapsed=excluded.elapsed, anchor=excluded.anchor",
            (state.mode, state.elapsed, state.anchor),
        )

    def count_request(self, key: str, window: int) -> int:
        row = self._one(
            "INSERT INTO rate_windows (key, number, count) VALUES (?, ?, 1) ON CONFLICT (key) DO UPDATE"
            " SET count = CASE WHEN number = excluded.number THEN count + 1 ELSE 1 END, number = excluded.number"
            " RETURNING count",
            (key, window),
        )
        return int(row[0])

    def journal_add(self, row: JournalRow, limit: int) -> None:
        with self.transaction():
            kept = self._one(
                "INSERT INTO journal (id, provider, path, status, method, direction, blob)"
                " VALUES (?, ?, ?, ?, ?, ?, ?) RETURNING seq",
                (row.id, row.provider, row.path, row.status, row.method, row.direction, row.blob),
            )
            # seq counts every entry since the last clear: those `limit` or more behind are the oldest
            self._rows("DELETE FROM journal WHERE seq <= ?", (int(kept[0]) - limit,))

    def journal_find(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
    ) -> list[JournalRow]:
        filters = {"provider": provider, "path": path, "status": status, "method": method, "direction": direction}
        given = {column: value for column, value in filters.items() if value is not None}
        sql = "SELECT id, provider, path, status, method, direction, blob FROM journal WHERE 1=1"
        for column in given:  # column names from the fixed list above, values as parameters
            sql += f" AND {column}=?"
        rows = self._rows(sql + " ORDER BY seq", tuple(given.values()))
        return [
            JournalRow(id_, provider_, path_, status_, method_, direction_, bytes(blob))
            for id_, provider_, path_, status_, method_, direction_, blob in rows
        ]

    def journal_count(self) -> int:
        return int(self._one("SELECT count(*) FROM journal")[0])

    def add_fault(self, document: Document) -> int:
        kept = {name: value for name, value in document.items() if name not in ("id", "fired")}
        row = self._one(
            "INSERT INTO faults (document, times) VALUES (?, ?) RETURNING id", (dumps(kept), document.get("times"))
        )
        return int(row[0])

    def faults(self) -> list[Document]:
        rows = self._rows("SELECT id, document, fired FROM faults ORDER BY id")
        return [{**loads(document), "id": id_, "fired": fired} for id_, document, fired in rows]

    def fire_fault(self, fault_id: int, times: int | None) -> bool:
        return (
            self._changed(
                "UPDATE faults SET fired = fired + 1 WHERE id=? AND (? IS NULL OR fired < ?)",
                (fault_id, times, times),
            )
            == 1
        )

    def clear_faults(self) -> None:
        with self.transaction():
            self._rows("DELETE FROM faults")
            self._rows("DELETE FROM sqlite_sequence WHERE name='faults'")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested calls join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._rows("BEGIN IMMEDIATE")  # the write lock now: a read-check-write is never interleaved
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
            self._rows("COMMIT")
        except StoreUnavailable:
            self._rollback()
            raise

    def _rollback(self) -> None:
        if self._db.in_transaction:
            self._db.execute("ROLLBACK")

    def clear(self) -> None:
        with self.transaction():
            for table in ("records", "meta", "sequences", "schedule", "outbox", "attempts", "clock", "rate_windows"):
                self._rows(f"DELETE FROM {table}")  # noqa: S608 - table names from the fixed list above
            self._rows("DELETE FROM journal")
            self._rows("DELETE FROM faults")
            # delivery, journal and fault ids start at 1 again
            self._rows("DELETE FROM sqlite_sequence WHERE name IN ('outbox', 'journal', 'faults')")

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


def _delivery(row: tuple[Any, ...]) -> Delivery:
    (
        id_,
        provider,
        event,
        event_id,
        subscription,
        owner,
        resource,
        body,
        occurred,
        due,
        status,
        attempts,
        tries,
        conformance,
    ) = row
    return Delivery(
        id=id_,
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
