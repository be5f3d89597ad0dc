"""The floor of Zinc `POST /returns` in returnkit's own stack, as a peer of the peer benchmark.

    .venv/bin/python bench/floor.py --level store --port 8099

A bare ASGI app under the same server returnkit uses (uvicorn, httptools, its event loop), doing only
the work a stateful mock cannot skip, so the peer table shows how far returnkit's request path is
from what CPython and SQLite allow on this machine (issue 18):

- `bare`: read the body, answer 201 with a fixed JSON body.
- `validate`: + a bearer check, orjson, the Zinc request schema compiled by jsonschema-rs (a 422
  with the errors' messages when invalid).
- `store`: + SQLite in memory (`memdb`, as `returnkit serve`): in one transaction the order read,
  the duplicate-return read and the return's insert (a unique key and two indexes); then one
  journal insert of request, headers and answer, for valid and invalid bodies alike.
- `store-all`: `validate` + every store call returnkit's Zinc create makes, in the same order,
  through returnkit's own `SQLiteStore` (its schema: listing indexes, counting triggers, the
  journal's bound) over a world of `--orders` orders: the request's start (journal id, clock,
  faults, due time), then in one transaction the order read, the duplicate read, the return's
  number, its insert, its history entry, its scheduled resolution and the subscriptions lookup;
  then the journal entry. An invalid body: the start and the journal entry. What is left between
  this and returnkit is the request path's Python, not the store's work.

Up to `store`, no auth rules, rate limits, provider error formats, state machine, history, webhooks or journal
bound: what is left between this and returnkit is returnkit's own cost. Run it beside the peers
(one `PEER_CMD_` per level, see bench/README.md).
"""

from __future__ import annotations

import argparse
import sqlite3
import uuid
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

import jsonschema_rs
import orjson
import uvicorn

from returnkit.core.store import JOURNAL_SEQUENCE, JournalRow, SQLiteStore
from returnkit.server.protocol import EVENT_LOOP
from returnkit.validation import Catalog
from returnkit.validation.jsonschema_engine import SchemaValidator

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
LEVELS = ("bare", "validate", "store", "store-all")
TABLES = """
CREATE TABLE records (seq INTEGER PRIMARY KEY AUTOINCREMENT, kind TEXT, key TEXT, owner TEXT, ref TEXT,
    data BLOB, UNIQUE (kind, key));
CREATE INDEX records_by_owner ON records (kind, owner, seq);
CREATE INDEX records_by_ref ON records (kind, ref, seq);
CREATE TABLE journal (seq INTEGER PRIMARY KEY AUTOINCREMENT, path TEXT, status INTEGER, blob BLOB);
"""
FILED = orjson.dumps({"status": "open"})
GENERATION = "world.generation"
JOURNAL_LIMIT = 10_000  # returnkit's default (mocks/server.yaml)


class Floor:
    """One level of the floor; `__call__` is the ASGI app."""

    def __init__(self, level: str) -> None:
        self.level = level
        validator = Catalog().validator("zinc", "create-return")
        assert isinstance(validator, SchemaValidator)
        self.validator = jsonschema_rs.validator_for(validator.schema, validate_formats=True)
        self.db = sqlite3.connect(
            f"file:/floor-{uuid.uuid4().hex}?vfs=memdb", uri=True, isolation_level=None, check_same_thread=False
        )
        self.db.executescript(TABLES)
        self.filed = 0
        self.store = SQLiteStore(":memory:")

    def seed(self, order_ids: list[str]) -> None:
        """One order of one owner in returnkit's store for each id."""
        with self.store.transaction():
            self.store.set_meta(GENERATION, 1)
            for number, order_id in enumerate(order_ids):
                order = {"id": order_id, "status": "order_placed", "items": [{"id": f"item-{number}", "quantity": 1}]}
                self.store.put("zinc", "orders", order_id, order, owner="acme")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        body = await read_body(receive)
        journal_id = self.store.request_start(JOURNAL_SEQUENCE, GENERATION, "zinc").number if self.all else 0
        status, answer = (201, FILED) if self.level == "bare" else self.answer(scope, body)
        if self.level == "store":
            self.journal(scope, body, status, answer)
        elif self.all:
            self.journal_in_store(journal_id, scope, body, status, answer)
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(answer)).encode())]
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": answer})

    def answer(self, scope: Scope, body: bytes) -> tuple[int, bytes]:
        if not dict(scope["headers"]).get(b"authorization", b"").startswith(b"Bearer "):
            return 401, b'{"code":"unauthorized"}'
        payload = orjson.loads(body)
        errors = [error.message for error in self.validator.iter_errors(payload)]
        if errors:
            return 422, orjson.dumps({"code": "invalid_request", "errors": errors})
        if self.all:
            return 201, self.file_in_store(payload)
        return 201, self.file(payload) if self.level == "store" else FILED

    @property
    def all(self) -> bool:
        return self.level == "store-all"

    def file(self, payload: dict[str, Any]) -> bytes:
        self.filed += 1
        key, order = str(uuid.UUID(int=self.filed)), payload["order_id"]
        self.db.execute("BEGIN IMMEDIATE")
        self.db.execute("SELECT data FROM records WHERE kind = 'orders' AND key = ?", (order,)).fetchall()
        self.db.execute("SELECT data FROM records WHERE kind = 'returns' AND ref = ?", (order,)).fetchall()
        record = orjson.dumps({"id": key, "status": "open", **payload})
        insert = "INSERT INTO records (kind, key, owner, ref, data) VALUES ('returns', ?, 'acme', ?, ?)"
        self.db.execute(insert, (key, order, record))
        self.db.execute("COMMIT")
        return record

    def file_in_store(self, payload: dict[str, Any]) -> bytes:
        store, order_id = self.store, payload["order_id"]
        with store.transaction():
            store.get("zinc", "orders", order_id)
            store.query("zinc", "returns", ref=order_id)
            key = str(uuid.UUID(int=store.next_number("zinc.return")))
            record = {"id": key, "status": "open", **payload}
            store.put("zinc", "returns", key, record, owner="acme", ref=order_id)
            store.add_history("zinc", "returns", key, {"status": "open", "at": "2026-03-02T09:00:00Z"})
            store.schedule("zinc", "returns", key, "resolve", 1e9)
            store.query("zinc", "subscription")
        return orjson.dumps(record)

    def journal_in_store(self, journal_id: int, scope: Scope, body: bytes, status: int, answer: bytes) -> None:
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        entry = orjson.dumps({"request": body.decode(), "headers": headers, "response": answer.decode()})
        row = JournalRow(journal_id, "zinc", scope["path"], status, scope["method"], "inbound", entry)
        self.store.journal_add(row, JOURNAL_LIMIT, while_meta=(GENERATION, 1))

    def journal(self, scope: Scope, body: bytes, status: int, answer: bytes) -> None:
        headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in scope["headers"]}
        entry = orjson.dumps({"request": body.decode(), "headers": headers, "response": answer.decode()})
        self.db.execute("INSERT INTO journal (path, status, blob) VALUES (?, ?, ?)", (scope["path"], status, entry))


async def read_body(receive: Receive) -> bytes:
    chunks, more = [], True
    while more:
        message = await receive()
        chunks.append(message.get("body", b""))
        more = message.get("more_body", False)
    return b"".join(chunks)


def order_ids(bodies: Path) -> list[str]:
    lines = bodies.read_text().splitlines()
    return [str(orjson.loads(line)["order_id"]) for line in lines if line.strip()]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--level", choices=LEVELS, default="store")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--orders", type=int, default=250_000, help="the world's orders (store-all)")
    parser.add_argument("--loop", default=EVENT_LOOP, help=f"uvicorn's event loop (default: returnkit's, {EVENT_LOOP})")
    parser.add_argument("--bodies", type=Path, help="store-all: the orders are those this .jsonl's bodies name")
    args = parser.parse_args()
    app = Floor(args.level)
    if app.all:
        app.seed(order_ids(args.bodies) if args.bodies else [f"order-{number}" for number in range(args.orders)])
    uvicorn.run(app, host="127.0.0.1", port=args.port, http="httptools", loop=args.loop, log_level="warning")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
