"""Store statements per Zinc `POST /returns`, by kind: what the request path asks of the database.

    .venv/bin/python -m bench.hotpath [--requests 50] [--postgres-url URL]

Builds the app in process (`create_app`, the test client), seeds fresh Zinc orders, files one
return to warm up, then counts the statements of `--requests` more: on SQLite in memory every
statement SQLite runs (`set_trace_callback`: BEGIN and COMMIT included), on PostgreSQL every
`execute` on a connection, which is one round trip (a transaction's `BEGIN; SELECT
pg_advisory_xact_lock(...)` is one). PostgreSQL is a throw-away cluster from tests/pgcluster.py
when no URL is given and one can be made; without either, only SQLite is counted. Literals are
replaced by `?` so that statements of one shape are counted together.
"""

from __future__ import annotations

import argparse
import re
import sqlite3
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from bench.store_backends import postgres_database
from returnkit.core.postgres_store import PostgresStore
from returnkit.core.store import SQLiteStore, Store
from returnkit.server.app import create_app, server_state
from returnkit.server.state import ServerOptions

AUTH = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
REASON = "damaged"
SHOWN = 110  # characters of each statement shape in the table
LITERALS = re.compile(r"x?'[^']*'|-?\b\d+(?:\.\d+)?\b")


def shape(statement: str) -> str:
    return LITERALS.sub("?", " ".join(str(statement).replace("%s", "?").split()))[:SHOWN]


@contextmanager
def traced(store: Store, seen: list[str]) -> Iterator[None]:
    """Every statement `store` sends to its database while inside, appended to `seen`."""
    if isinstance(store, SQLiteStore):
        connection: sqlite3.Connection = store._db  # a bench looks inside
        connection.set_trace_callback(seen.append)
        try:
            yield
        finally:
            connection.set_trace_callback(None)
        return
    import psycopg

    original: Callable[..., Any] = psycopg.Connection.execute

    def execute(self: Any, query: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(str(query))
        return original(self, query, *args, **kwargs)

    psycopg.Connection.execute = execute  # type: ignore[method-assign]
    try:
        yield
    finally:
        psycopg.Connection.execute = original  # type: ignore[method-assign]


def count(db: str, requests: int) -> tuple[Counter[str], int]:
    """Statement shapes (each with its count per request) of `requests` returns filed on `db`."""
    app = create_app(ServerOptions(seed=7, db=db))
    server = server_state(app)
    client = app.test_client()
    answer = client.post("/__admin/world/orders", json={"provider": "zinc", "count": requests + 1}, headers=AUTH)
    order_ids = answer.json()["orders"]
    world = client.get("/__admin/world").json()
    orders = {o["id"]: o for account in world["providers"]["zinc"]["accounts"] for o in account["orders"]}
    bodies = [
        {"order_id": oid, "items": [{"order_item_id": orders[oid]["items"][0]["id"], "quantity": 1}], "reason": REASON}
        for oid in order_ids
    ]
    assert client.post("/returns", json=bodies[0], headers=AUTH).status_code == 201
    seen: list[str] = []
    with traced(server.store, seen):
        statuses = Counter(client.post("/returns", json=body, headers=AUTH).status_code for body in bodies[1:])
    assert statuses == {201: requests}, statuses
    if isinstance(server.store, PostgresStore):
        server.store.close()
    return Counter(shape(statement) for statement in seen), len(seen)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=50)
    parser.add_argument("--postgres-url")
    args = parser.parse_args()
    columns = {"sqlite": count(":memory:", args.requests)}
    with postgres_database(args.postgres_url) as url:
        if url is not None:
            columns["postgresql"] = count(url, args.requests)
    names = list(columns)
    shapes = sorted({s for shapes, _ in columns.values() for s in shapes}, key=lambda s: (-columns["sqlite"][0][s], s))
    print(" ".join(f"{name:>10}" for name in names), " statement (per Zinc POST /returns)")
    for statement in shapes:
        print(" ".join(f"{columns[name][0][statement] / args.requests:10.2f}" for name in names), "", statement)
    print(" ".join(f"{columns[name][1] / args.requests:10.2f}" for name in names), " in all")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
