"""State behind one small interface; SQLite (stdlib) is the embedded default.

A record is a JSON document with a provider, a kind (`order`, `batch`, `return`...), a key, an
owner (the merchant or tenant it belongs to) and an optional `ref` (the key of the record it
hangs off, such as a return's order). Reads come back in insertion order.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from returnkit.core.jsonbytes import dumps, loads
from returnkit.errors import ReturnkitError

Document = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Scheduled:
    """A transition of one record that falls due at a virtual time (seconds since the epoch)."""

    provider: str
    kind: str
    key: str
    transition: str
    due: float


class Store(Protocol):
    @property
    def name(self) -> str:
        """Where the world is kept, as the user named it (a file path, `:memory:`)."""
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

    def transaction(self) -> Any: ...

    def clear(self) -> None: ...


OWN_TABLES = frozenset({"records", "meta", "sequences", "schedule", "sqlite_sequence"})
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
"""


class StoreError(ReturnkitError):
    """The database cannot be opened or used: a directory, an unwritable path, not SQLite, not ours."""


class SQLiteStore:
    """In memory by default; a file path makes the world survive a restart."""

    def __init__(self, path: str = ":memory:") -> None:
        self.path = path
        self.name = path
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
        tables = {row[0] for row in self._db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        others = tables - OWN_TABLES
        if others and "records" not in tables:  # never add our tables to another application's database
            self._db.close()
            raise StoreError(
                f"{self.path} is another application's SQLite database (tables: {', '.join(sorted(others))});"
                " give returnkit a file of its own"
            )
        if self.path != ":memory:":
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
        self._db.executescript(SCHEMA)

    def get(self, provider: str, kind: str, key: str) -> Document | None:
        row = self._db.execute(
            "SELECT data FROM records WHERE provider=? AND kind=? AND key=?", (provider, kind, key)
        ).fetchone()
        return loads(row[0]) if row else None

    def put(self, provider: str, kind: str, key: str, document: Document, *, owner: str = "", ref: str = "") -> None:
        self._db.execute(
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
        return [loads(row[0]) for row in self._db.execute(sql + " ORDER BY seq", args)]

    def delete(self, provider: str, kind: str, key: str) -> None:
        self._db.execute("DELETE FROM records WHERE provider=? AND kind=? AND key=?", (provider, kind, key))

    def count(self, provider: str, kind: str, *, owner: str | None = None) -> int:
        if owner is None:
            row = self._db.execute("SELECT count(*) FROM records WHERE provider=? AND kind=?", (provider, kind))
        else:
            row = self._db.execute(
                "SELECT count(*) FROM records WHERE provider=? AND kind=? AND owner=?", (provider, kind, owner)
            )
        return int(row.fetchone()[0])

    def get_meta(self, name: str) -> Any:
        row = self._db.execute("SELECT value FROM meta WHERE name=?", (name,)).fetchone()
        return loads(row[0]) if row else None

    def set_meta(self, name: str, value: Any) -> None:
        self._db.execute(
            "INSERT INTO meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value=excluded.value",
            (name, dumps(value)),
        )

    def next_number(self, name: str) -> int:
        row = self._db.execute(
            "INSERT INTO sequences (name, value) VALUES (?, 1)"
            " ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value",
            (name,),
        ).fetchone()
        return int(row[0])

    def schedule(self, provider: str, kind: str, key: str, transition: str, due: float) -> None:
        self._db.execute(
            "INSERT INTO schedule (provider, kind, key, transition, due) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (provider, kind, key, transition) DO UPDATE SET due=excluded.due",
            (provider, kind, key, transition, due),
        )

    def unschedule(self, provider: str, kind: str, key: str, transition: str) -> None:
        self._db.execute(
            "DELETE FROM schedule WHERE provider=? AND kind=? AND key=? AND transition=?",
            (provider, kind, key, transition),
        )

    def due(self, provider: str, now: float, limit: int) -> list[Scheduled]:
        rows = self._db.execute(
            "SELECT kind, key, transition, due FROM schedule WHERE provider=? AND due<=? ORDER BY due, seq LIMIT ?",
            (provider, now, limit),
        )
        return [Scheduled(provider, kind, key, transition, due) for kind, key, transition, due in rows]

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All writes inside commit together or not at all; nested calls join the outer one."""
        with self._lock:
            outer = self._depth == 0
            if outer:
                self._db.execute("BEGIN")
            self._depth += 1
            try:
                yield
            except BaseException:
                self._depth -= 1
                if outer:
                    self._db.execute("ROLLBACK")
                raise
            self._depth -= 1
            if outer:
                self._db.execute("COMMIT")

    def clear(self) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM records")
            self._db.execute("DELETE FROM meta")
            self._db.execute("DELETE FROM sequences")
            self._db.execute("DELETE FROM schedule")

    def close(self) -> None:
        self._db.close()
