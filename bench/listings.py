"""Listings with many stored returns, and the dashboard's admin reads with a full journal.

    python -m bench.listings [--returns 100000] [--admin-returns 10000] [--journal 10000]
                             [--requests 200] [--max-seconds 20] [--db PATH]

Two in-process worlds (the app behind `returnkit.testing.ReturnkitTransport`, frozen clock, seed 7,
SQLite in memory unless `--db` names a file or a PostgreSQL URL):

1. Listings: one real return is filed per provider through its API (Zinc `POST /returns`, Kibo
   Commerce `POST /api/commerce/returns`, Kibo OMS `POST /api/v2/return/`), then `--returns`
   copies of it are stored for the same owner through the provider's `Records` (new ids, statuses
   in turn, creation times one second apart in pairs: equal times too). Then each listing is asked
   `--requests` times (fewer when `--max-seconds` runs out first): Zinc `GET /returns`, Kibo
   `GET /api/commerce/returns?filter=status eq Authorized`, Kibo OMS `GET /api/v2/return/?status=OPEN`.
2. Dashboard: `--admin-returns` Zinc returns stored the same way and `--journal` real requests
   (`GET /returns/{id}`) journaled; then every admin read the dashboard's pages make, sent with the
   dashboard's header (so they are not journaled themselves).

Prints one table: p50 / p99 / max in ms of the time the client waits (the in-process transport's
own cost, a fresh event loop per request, included), requests made, and the answer's total (the
same on every version of returnkit: a check that before and after answer alike). Run it with
`PYTHONPATH=<a checkout>/src` to measure another version with the same script.
"""

from __future__ import annotations

import argparse
import base64
import random
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import httpx

from returnkit.core.clock import iso
from returnkit.providers.kibo_commerce.records import RETURNS as KIBO_RETURNS
from returnkit.providers.kibo_oms.records import RETURNS as OMS_RETURNS
from returnkit.providers.zinc.records import RETURNS as ZINC_RETURNS
from returnkit.server.app import ServerOptions, create_app, server_state
from returnkit.server.state import ServerState
from returnkit.testing.transport import ReturnkitTransport

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
NORTHWIND = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
SUMMIT = ("oms_key_summit_61b0c2", "oms_secret_summit_9e47d3")
DASHBOARD = {"X-Returnkit-Dashboard": "1"}
ZINC_STATUSES = ("open", "approved", "denied", "credited")
KIBO_STATUSES = ("Created", "Authorized", "Received", "Refunded", "Closed")
OMS_STATUSES = ("OPEN", "PROCESSING", "CLOSED")
Clone = Callable[[dict[str, Any], int], tuple[str, dict[str, Any], str]]  # (template, n) -> key, record, ref


@dataclass(frozen=True)
class Row:
    what: str
    latencies: list[float]
    total: Any

    def cells(self) -> str:
        ordered = sorted(self.latencies)

        def at(share: float) -> float:
            return ordered[min(int(len(ordered) * share), len(ordered) - 1)] * 1000

        return f"| {self.what} | {at(0.5):.1f} | {at(0.99):.1f} | {at(1.0):.1f} | {len(ordered)} | {self.total} |"


@contextmanager
def world(db: str) -> Iterator[tuple[httpx.Client, ServerState]]:
    app = create_app(ServerOptions(seed=7, clock_mode="frozen", db=db))
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit.test", timeout=600) as client:
        assert client.post("/__admin/reset").status_code == 200
        yield client, server_state(app)


def timed(client: httpx.Client, what: str, url: str, headers: dict[str, str], args: argparse.Namespace) -> Row:
    latencies: list[float] = []
    began = time.perf_counter()
    answer = None
    while len(latencies) < args.requests and (len(latencies) < 5 or time.perf_counter() - began < args.max_seconds):
        started = time.perf_counter()
        answer = client.get(url, headers=headers)
        latencies.append(time.perf_counter() - started)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
    assert answer is not None
    body = answer.json()
    total = next((body[name] for name in ("total", "totalCount") if isinstance(body, dict) and name in body), "")
    return Row(what, latencies, total)


def stored_copies(
    state: ServerState, provider: str, records: Any, *, template: dict[str, Any], count: int, clone: Clone
) -> None:
    """`count` copies of `template` for its owner, through the provider's `Records`, in one transaction."""
    provider_world = state.worlds[provider]
    with state.store.transaction():
        for n in range(count):
            key, record, ref = clone(template, n)
            records.put(provider_world, key, record, owner=template["owner"], ref=ref)


def moment(start: str, n: int) -> str:
    """Creation times one second apart in pairs: listings meet equal times too."""
    return iso(datetime.fromisoformat(start.replace("Z", "+00:00")) + timedelta(seconds=n // 2))


def zinc_template(client: httpx.Client, state: ServerState) -> dict[str, Any]:
    orders = client.get("/orders", params={"status_filter": "order_placed"}, headers=ZINC).json()["orders"]
    body = {"order_id": orders[0]["id"], "items": [{"order_item_id": orders[0]["items"][0]["id"], "quantity": 1}]}
    filed = client.post("/returns", json={**body, "reason": "other"}, headers=ZINC)
    assert filed.status_code == 201, filed.text
    stored = ZINC_RETURNS.get(state.worlds["zinc"], filed.json()["id"])
    assert stored is not None
    return dict(stored)


def zinc_clone(draw: random.Random) -> Clone:
    def clone(template: dict[str, Any], n: int) -> tuple[str, dict[str, Any], str]:
        key, order_id = str(uuid.UUID(int=draw.getrandbits(128))), str(uuid.UUID(int=draw.getrandbits(128)))
        status, created = ZINC_STATUSES[n % len(ZINC_STATUSES)], moment(template["created_at"], n)
        record = {**template, "id": key, "order_id": order_id, "status": status, "created_at": created}
        return key, record, order_id

    return clone


def kibo_template(client: httpx.Client, state: ServerState) -> tuple[dict[str, Any], dict[str, str]]:
    token = client.post(
        "/api/platform/applications/authtickets/oauth", json={**NORTHWIND, "grant_type": "client_credentials"}
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    tenants = client.get("/__admin/world").json()["providers"]["kibo-commerce"]["tenants"]
    order = next(o for o in tenants[0]["orders"] if o["fulfillmentStatus"] == "Fulfilled")
    line = order["items"][0]
    item = {"orderItemId": line["id"], "reasons": [{"reason": "Damaged", "quantity": 1}], "quantityShipped": 1}
    created = client.post(
        "/api/commerce/returns", json={"originalOrderId": order["id"], "items": [item]}, headers=headers
    )
    assert created.status_code == 200, created.text
    stored = KIBO_RETURNS.get(state.worlds["kibo-commerce"], created.json()["id"])
    assert stored is not None
    return dict(stored), headers


def kibo_clone(template: dict[str, Any], n: int) -> tuple[str, dict[str, Any], str]:
    key = f"{n + 1:032x}"
    created = moment(template["auditInfo"]["createDate"], n)
    audit = {**template["auditInfo"], "createDate": created, "updateDate": created}
    status = KIBO_STATUSES[n % len(KIBO_STATUSES)]
    record = {**template, "id": key, "returnNumber": n + 2, "status": status, "auditInfo": audit}
    return key, record, template["originalOrderId"]


def oms_template(client: httpx.Client, state: ServerState) -> tuple[dict[str, Any], dict[str, str]]:
    basic = base64.b64encode(":".join(SUMMIT).encode()).decode()
    token = client.post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {basic}"},
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    manufacturers = client.get("/__admin/world").json()["providers"]["kibo-oms"]["manufacturers"]
    placed = manufacturers[0]["orders"][0]
    item = {"orderItemID": placed["items"][0]["orderItemID"], "quantity": 1, "reason": "DAMAGED"}
    params = {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]}
    created = client.post("/api/v2/return/", json={"item": [item]}, params=params, headers=headers)
    assert created.status_code == 200, created.text
    stored = OMS_RETURNS.get(state.worlds["kibo-oms"], str(created.json()["returnID"]))
    assert stored is not None
    return dict(stored), headers


def oms_clone(template: dict[str, Any], n: int) -> tuple[str, dict[str, Any], str]:
    return_id, order_id = 10_000_000 + n, 20_000_000 + n // 3
    status = OMS_STATUSES[n % len(OMS_STATUSES)]
    record = {**template, "returnID": return_id, "orderID": order_id, "status": status}
    return str(return_id), record, str(order_id)


def listings(args: argparse.Namespace) -> list[Row]:
    with world(args.db) as (client, state):
        started = time.perf_counter()
        zinc, count = zinc_template(client, state), args.returns
        stored_copies(state, "zinc", ZINC_RETURNS, template=zinc, count=count, clone=zinc_clone(random.Random(7)))
        kibo, kibo_headers = kibo_template(client, state)
        stored_copies(state, "kibo-commerce", KIBO_RETURNS, template=kibo, count=count, clone=kibo_clone)
        oms, oms_headers = oms_template(client, state)
        stored_copies(state, "kibo-oms", OMS_RETURNS, template=oms, count=count, clone=oms_clone)
        print(f"stored 3 x {args.returns} returns in {time.perf_counter() - started:.1f} s")
        return [
            timed(client, "Zinc GET /returns", "/returns", ZINC, args),
            timed(client, "Zinc GET /returns?status=approved", "/returns?status=approved", ZINC, args),
            timed(client, "Kibo GET returns?filter=status eq Authorized", KIBO_FILTERED, kibo_headers, args),
            timed(client, "Kibo OMS search ?status=OPEN", "/api/v2/return/?status=OPEN", oms_headers, args),
        ]


KIBO_FILTERED = "/api/commerce/returns?filter=status%20eq%20Authorized"


def dashboard(args: argparse.Namespace) -> list[Row]:
    with world(args.db) as (client, state):
        template = zinc_template(client, state)
        clone = zinc_clone(random.Random(8))
        stored_copies(state, "zinc", ZINC_RETURNS, template=template, count=args.admin_returns, clone=clone)
        for _ in range(args.journal):
            client.get(f"/returns/{template['id']}", headers=ZINC)
        newest = client.get("/__admin/requests?limit=1", headers=DASHBOARD).json()["requests"][0]["id"]
        search = template["order_id"][:8]
        records = "/__admin/records?provider=zinc&kind=return&limit=200"
        reads = [
            ("journal list", "/__admin/requests?limit=200"),
            ("journal: one exchange", f"/__admin/requests?direction=all&limit=10000&after={newest - 1}"),
            ("records list", records),
            ("records search q", f"{records}&q={search}"),
            ("records state filter", f"{records}&state=approved"),
            ("one record + history", f"/__admin/records/zinc/return/{template['id']}"),
            ("clock", "/__admin/clock"),
            ("faults", "/__admin/faults"),
            ("world", "/__admin/world"),
            ("webhooks", "/__admin/webhooks"),
            ("webhook deliveries", "/__admin/webhooks/deliveries?limit=200"),
        ]
        return [timed(client, f"admin {what}", url, DASHBOARD, args) for what, url in reads]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--returns", type=int, default=100_000, help="stored returns per listing (default 100000)")
    parser.add_argument("--admin-returns", type=int, default=10_000, help="Zinc returns for the dashboard")
    parser.add_argument("--journal", type=int, default=10_000, help="journaled requests for the dashboard")
    parser.add_argument("--requests", type=int, default=200, help="requests per row (default 200)")
    parser.add_argument("--max-seconds", type=float, default=20.0, help="stop a row after this long (at least 5)")
    parser.add_argument("--db", default=":memory:", help="the store: :memory: (default), a file or a PostgreSQL URL")
    parser.add_argument("--only", choices=("listings", "dashboard"), help="one of the two parts")
    args = parser.parse_args()
    rows = [] if args.only == "dashboard" else listings(args)
    rows += [] if args.only == "listings" else dashboard(args)
    print(f"\n{args.returns} returns per listing; dashboard: {args.admin_returns} returns, {args.journal} journaled")
    print("| read | p50 ms | p99 ms | max ms | requests | total |\n|---|---|---|---|---|---|")
    for row in rows:
        print(row.cells())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
