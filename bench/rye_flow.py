"""Rye `returnOrder` (GraphQL) throughput against `returnkit serve` (run on demand).

    .venv/bin/python bench/rye_flow.py [--pairs 4000] [--concurrency 16]

Starts the server on CPU 0 (frozen clock), adds fresh delivered orders, then a client on CPU 1
sends one `returnOrder` mutation per order (all its lines) followed by an `orderByID` query,
`--concurrency` at a time. Prints pairs/s, request latency percentiles and the server's CPU
time per request.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

RETURNKIT = Path(sys.executable).with_name("returnkit")
AUTH = {"Authorization": "Basic rye_test_lumen_2d7f91ac"}
RETURN_ORDER = (
    "mutation R($input: ReturnOrderInput!) { returnOrder(input: $input) { result { __typename"
    " ... on ReturnAmazonOrderResult { orders { returnId lineItems { status } } }"
    " ... on ReturnShopifyOrderResult { returnId status } } error { code message } } }"
)
ORDER = "query O($id: ID!) { orderByID(id: $id) { id status returns { id lineItems { __typename } } } }"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(port: int) -> subprocess.Popen[bytes]:
    command = ["taskset", "-c", "0", str(RETURNKIT), "serve", "--port", str(port), "--clock", "frozen"]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            httpx.get(f"http://127.0.0.1:{port}/__admin/clock", timeout=1)
            return server
        except httpx.TransportError:
            time.sleep(0.1)
    raise SystemExit("returnkit serve did not start")


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


async def drive(base: str, work: list[dict[str, Any]], concurrency: int) -> list[float]:
    latencies: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30, limits=httpx.Limits(max_connections=concurrency)) as client:

        async def worker() -> None:
            while work:
                variables = work.pop()
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
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pairs", type=int, default=4000)
    parser.add_argument("--concurrency", type=int, default=16)
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    port = free_port()
    server = start(port)
    base = f"http://127.0.0.1:{port}"
    try:
        work = bodies(base, args.pairs)
        before, started = cpu_seconds(server.pid), time.perf_counter()
        latencies = sorted(asyncio.run(drive(base, work, args.concurrency)))
        elapsed, cpu = time.perf_counter() - started, cpu_seconds(server.pid) - before
    finally:
        server.terminate()
        server.wait()
    requests = len(latencies)
    rate = f"{requests / 2 / elapsed:.0f} pairs/s, {requests / elapsed:.0f} req/s"
    print(f"{requests // 2} returnOrder+orderByID pairs in {elapsed:.1f} s: {rate}")
    print(f"latency p50 {latencies[requests // 2] * 1000:.1f} ms, p99 {latencies[int(requests * 0.99)] * 1000:.1f} ms")
    print(f"server CPU {cpu / requests * 1000:.3f} ms/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
