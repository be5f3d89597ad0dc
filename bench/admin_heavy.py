"""Does heavy admin work stall other clients? p99 of Zinc `GET /returns` while many orders are added.

    python -m bench.admin_heavy [--count 100000] [--clients 4] [--idle-seconds 5]

Starts `returnkit serve` (frozen clock, the server on CPU 0 and this client on CPU 1, as in
bench/flows.py), measures `GET /returns` from `--clients` sequential clients while idle, then
while one `POST /__admin/world/orders` adds `--count` Zinc orders, and prints both latency
distributions and how long the add took. Run it with `PYTHONPATH=<a checkout>/src` to measure
another version of returnkit with the same script.
"""

from __future__ import annotations

import argparse
import os
import threading
import time

import httpx

from bench.flows import free_port, start

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


def reads_until(base: str, done: threading.Event, latencies: list[float]) -> None:
    """One client: `GET /returns` back to back until `done`, each latency appended (seconds)."""
    with httpx.Client(base_url=base, headers=ZINC, timeout=600) as client:
        while not done.is_set():
            started = time.perf_counter()
            client.get("/returns").raise_for_status()
            latencies.append(time.perf_counter() - started)


def measure(base: str, clients: int, work: threading.Thread | None, idle_seconds: float) -> list[float]:
    done, latencies = threading.Event(), list[float]()
    readers = [threading.Thread(target=reads_until, args=(base, done, latencies)) for _ in range(clients)]
    for reader in readers:
        reader.start()
    if work is None:
        time.sleep(idle_seconds)  # a benchmark, not a test: real time is what is measured
    else:
        work.start()
        work.join()
    done.set()
    for reader in readers:
        reader.join()
    return sorted(latencies)


def summary(label: str, latencies: list[float]) -> str:
    def at(share: float) -> float:
        return latencies[min(int(len(latencies) * share), len(latencies) - 1)] * 1000

    return f"{label}: {len(latencies)} GET /returns, p50 {at(0.5):.1f} ms, p99 {at(0.99):.1f} ms, max {at(1.0):.1f} ms"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--count", type=int, default=100_000, help="Zinc orders to add (default 100000)")
    parser.add_argument("--clients", type=int, default=4, help="concurrent GET /returns clients (default 4)")
    parser.add_argument("--idle-seconds", type=float, default=5.0, help="length of the idle measurement")
    args = parser.parse_args()
    os.sched_setaffinity(0, {1})
    port = free_port()
    server = start(port)
    base = f"http://127.0.0.1:{port}"
    took: list[float] = []
    added: list[int] = []

    def add() -> None:
        started = time.perf_counter()
        body = {"provider": "zinc", "count": args.count}
        answer = httpx.post(f"{base}/__admin/world/orders", json=body, timeout=3600)
        took.append(time.perf_counter() - started)
        added.append(len(answer.json()["orders"]) if answer.status_code == 201 else 0)

    try:
        idle = measure(base, args.clients, None, args.idle_seconds)
        busy = measure(base, args.clients, threading.Thread(target=add), args.idle_seconds)
    finally:
        server.terminate()
        server.wait()
    if added != [args.count]:
        raise SystemExit(f"the add failed: {added}")
    print(summary("idle", idle))
    print(summary(f"while adding {args.count} orders ({took[0]:.1f} s)", busy))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
