"""Slow clients (slowloris): N connections that never finish their request headers.

Starts `returnkit serve` (default `--client-timeout`, or the one given), opens the connections,
and reports how many the server still holds open after each second, while a normal client's
GET /__admin/clock keeps being timed.

    .venv/bin/python -m bench.slow_clients [--connections 100] [--seconds 20] [--client-timeout 10]
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import time

import httpx

from bench.flows import RETURNKIT, free_port


def _still_open(connections: list[socket.socket]) -> int:
    open_count = 0
    for connection in connections:
        try:
            if connection.recv(1, socket.MSG_PEEK | socket.MSG_DONTWAIT) != b"":
                open_count += 1
        except BlockingIOError:
            open_count += 1  # nothing to read and not closed
        except OSError:
            pass
    return open_count


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--connections", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--client-timeout", type=float, default=None)
    args = parser.parse_args()
    port = free_port()
    options = ["--client-timeout", str(args.client_timeout)] if args.client_timeout is not None else []
    command = [str(RETURNKIT), "serve", "--port", str(port), "--clock", "frozen", *options]
    server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/__admin/clock", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        slow = [socket.create_connection(("127.0.0.1", port)) for _ in range(args.connections)]
        for connection in slow:
            connection.sendall(b"GET /returns HTTP/1.1\r\nHost: slow\r\nX-Slow: ")
        latencies: list[float] = []
        with httpx.Client(base_url=base) as client:
            for second in range(1, args.seconds + 1):
                deadline = time.monotonic() + 1
                while time.monotonic() < deadline:
                    started = time.perf_counter()
                    client.get("/__admin/clock")
                    latencies.append((time.perf_counter() - started) * 1000)
                    time.sleep(0.02)
                print(f"t={second:>3} s  slow connections still open: {_still_open(slow)}/{args.connections}")
        latencies.sort()
        p99 = latencies[int(len(latencies) * 0.99) - 1]
        print(f"normal GETs meanwhile: {len(latencies)}, p50 {statistics.median(latencies):.2f} ms, p99 {p99:.2f} ms")
    finally:
        server.terminate()
        server.wait()


if __name__ == "__main__":
    main()
