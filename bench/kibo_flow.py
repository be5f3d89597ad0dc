"""Kibo Commerce create + authorize throughput against `returnkit serve` (run on demand).

    .venv/bin/python bench/kibo_flow.py [--pairs 4000] [--concurrency 16]

Starts the server on CPU 0 (frozen clock), adds fresh shipped orders, then a client on CPU 1
creates a return and authorizes it, `--concurrency` pairs at a time. Prints pairs/s, request
latency percentiles and the server's CPU time per request.
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
APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}


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
    print(f"{requests // 2} create+authorize pairs in {elapsed:.1f} s: {rate}")
    print(f"latency p50 {latencies[requests // 2] * 1000:.1f} ms, p99 {latencies[int(requests * 0.99)] * 1000:.1f} ms")
    print(f"server CPU {cpu / requests * 1000:.3f} ms/request")
    return 0


if __name__ == "__main__":
    sys.exit(main())
