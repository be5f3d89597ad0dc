"""Rye `returnOrder` (GraphQL) throughput against `returnkit serve` (run on demand).

    .venv/bin/python -m bench.rye_flow [--pairs 4000] [--concurrency 16]

Starts the server on CPU 0 (frozen clock), adds fresh delivered orders, then a client on CPU 1
sends one `returnOrder` mutation per order (all its lines) followed by an `orderByID` query,
`--concurrency` at a time. Prints pairs/s, request latency percentiles and the server's CPU
time per request. Rye allows 100 requests a second per key, so the frozen clock is moved one
second every 60 requests (keep `--concurrency` under 20).
"""

from __future__ import annotations

import asyncio
import sys
import time
from typing import Any

import httpx

from bench.flows import run

AUTH = {"Authorization": "Basic rye_test_lumen_2d7f91ac"}
RETURN_ORDER = (
    "mutation R($input: ReturnOrderInput!) { returnOrder(input: $input) { result { __typename"
    " ... on ReturnAmazonOrderResult { orders { returnId lineItems { status } } }"
    " ... on ReturnShopifyOrderResult { returnId status } } error { code message } } }"
)
ORDER = "query O($id: ID!) { orderByID(id: $id) { id status returns { id lineItems { __typename } } } }"


def bodies(base: str, pairs: int) -> list[dict[str, Any]]:
    client = httpx.Client(base_url=base, timeout=300)
    added = client.post("/__admin/world/orders", json={"provider": "rye", "count": pairs})
    ids = set(added.json()["orders"])
    developer = client.get("/__admin/world").json()["providers"]["rye"]["developers"][0]
    orders = [o for o in developer["orders"] if o["id"] in ids]
    field = {"AMAZON": "productId", "SHOPIFY": "variantId"}
    return [
        {"orderId": o["id"], "lineItems": [{"id": line[field[o["marketplace"]]], "quantity": 1} for line in o["lines"]]}
        for o in orders
    ]


# Rye allows 100 requests a second per key: the frozen clock moves one second every 60 requests,
# so with at most 2 x concurrency more in flight no window goes over.
REQUESTS_PER_VIRTUAL_SECOND = 60


async def drive(base: str, work: list[dict[str, Any]], concurrency: int) -> list[float]:
    latencies: list[float] = []
    in_window = [0]
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            while work:
                variables = work.pop()
                in_window[0] += 2
                if in_window[0] >= REQUESTS_PER_VIRTUAL_SECOND:
                    in_window[0] = 0
                    await client.post("/__admin/clock/advance", json={"seconds": 1})
                started = time.perf_counter()
                query = {"query": RETURN_ORDER, "variables": {"input": variables}}
                answer = (await client.post("/v1/query", json=query, headers=AUTH)).json()
                latencies.append(time.perf_counter() - started)
                assert answer["data"]["returnOrder"]["error"] is None, answer
                started = time.perf_counter()
                read = {"query": ORDER, "variables": {"id": variables["orderId"]}}
                shown = (await client.post("/v1/query", json=read, headers=AUTH)).json()
                latencies.append(time.perf_counter() - started)
                assert shown["data"]["orderByID"]["returns"], shown

        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies


def main() -> int:
    return run(__doc__ or "", "returnOrder+orderByID", bodies, drive)


if __name__ == "__main__":
    sys.exit(main())
