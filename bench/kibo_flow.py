"""Kibo Commerce create + authorize throughput against `returnkit serve` (run on demand).

    .venv/bin/python -m bench.kibo_flow [--pairs 4000] [--concurrency 16]

Starts the server on CPU 0 (frozen clock), adds fresh shipped orders, then a client on CPU 1
creates a return and authorizes it, `--concurrency` pairs at a time. Prints pairs/s, request
latency percentiles and the server's CPU time per request.
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx

from bench.flows import run

APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}


def bodies(base: str, pairs: int) -> list[dict[str, Any]]:
    client = httpx.Client(base_url=base, timeout=300)
    added = client.post("/__admin/world/orders", json={"provider": "kibo-commerce", "owner": "40001", "count": pairs})
    ids = set(added.json()["orders"])
    tenant = next(
        t for t in client.get("/__admin/world").json()["providers"]["kibo-commerce"]["tenants"] if t["id"] == 40001
    )
    orders = [o for o in tenant["orders"] if o["id"] in ids]
    return [
        {
            "originalOrderId": o["id"],
            "returnType": "Refund",
            "items": [
                {
                    "orderItemId": o["items"][0]["id"],
                    "reasons": [{"reason": "Damaged", "quantity": 1}],
                    "quantityShipped": 1,
                }
            ],
        }
        for o in orders
    ]


async def drive(base: str, work: list[dict[str, Any]], concurrency: int) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:
        token = (await client.post("/api/platform/applications/authtickets/oauth", json=APP)).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def worker() -> None:
            while work:
                body = work.pop()
                started = time.perf_counter()
                created = (await client.post("/api/commerce/returns", json=body, headers=headers)).json()
                latencies.append(time.perf_counter() - started)
                started = time.perf_counter()
                action = {"actionName": "Authorize", "returnIds": [created["id"]]}
                response = await client.post("/api/commerce/returns/actions", json=action, headers=headers)
                latencies.append(time.perf_counter() - started)
                assert response.json()["items"][0]["status"] == "Authorized"

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def main() -> int:
    return run(__doc__ or "", "create+authorize", bodies, drive)


if __name__ == "__main__":
    sys.exit(main())
