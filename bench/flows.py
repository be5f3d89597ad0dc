"""What bench/kibo_flow.py and bench/rye_flow.py share: a pinned server, a pinned client, the report."""

from __future__ import annotations

import argparse
import asyncio
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import httpx

RETURNKIT = Path(sys.executable).with_name("returnkit")
Bodies = Callable[[str, int], list[dict[str, Any]]]
Drive = Callable[[str, list[dict[str, Any]], int], Coroutine[Any, Any, list[float]]]


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


def run(description: str, label: str, bodies: Bodies, drive: Drive) -> int:
    """Server on CPU 0, client on CPU 1: `drive` the `bodies`, then print rate, latency and CPU/request."""
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
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
    print(f"{requests // 2} {label} pairs in {elapsed:.1f} s: {rate}")
    print(f"latency p50 {latencies[requests // 2] * 1000:.1f} ms, p99 {latencies[int(requests * 0.99)] * 1000:.1f} ms")
    print(f"server CPU {cpu / requests * 1000:.3f} ms/request")
    return 0
