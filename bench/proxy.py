"""The latency `returnkit proxy` adds to a request, against a loopback upstream (`returnkit serve`).

    .venv/bin/python -m bench.proxy [--requests 500] [--rounds 5]

Starts `returnkit serve --clock frozen` and `returnkit proxy --upstream` it (both the CLI's own code
path, in child processes), then sends the same requests to each, one at a time on one keep-alive
connection, the two interleaved round by round so that the machine's noise falls on both alike.
Prints p50 and p99 per case, direct and through the proxy, and their difference: what the proxy
adds (forwarding, request validation before, the response check and journal entry before the
answer's last bytes).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench.serve_load import free_port

PYTHON = sys.executable
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
Request = Callable[[httpx.Client], httpx.Response]
CASES: dict[str, Request] = {
    "GET /zinc/orders?limit=1 (200)": lambda http: http.get("/zinc/orders", params={"limit": 1}, headers=ZINC),
    "GET /zinc/returns (200, list)": lambda http: http.get("/zinc/returns", headers=ZINC),
    "POST /zinc/returns invalid (422)": lambda http: http.post("/zinc/returns", json={"items": []}, headers=ZINC),
}


@contextmanager
def running(argv: list[str], port: int) -> Iterator[str]:
    """A child process listening on `port`; its base URL."""
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1] / "src")}
    child = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=environment)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/__admin/health", trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                if time.monotonic() > deadline or child.poll() is not None:
                    raise RuntimeError(f"{argv[3]} did not start") from None
                time.sleep(0.1)
        yield url
    finally:
        child.terminate()
        child.wait(timeout=30)


def timed(http: httpx.Client, request: Request, count: int) -> list[float]:
    """Milliseconds per request, `count` requests one after the other."""
    times = []
    for _ in range(count):
        began = time.perf_counter()
        request(http)
        times.append((time.perf_counter() - began) * 1000)
    return times


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=500, help="per case, per round, per target")
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    upstream_port, proxy_port = free_port(), free_port()
    serve = [PYTHON, "-m", "returnkit.cli.main", "serve", "--port", str(upstream_port), "--clock", "frozen"]
    with running(serve, upstream_port) as upstream:
        proxy = [PYTHON, "-m", "returnkit.cli.main", "proxy", "--upstream", upstream, "--port", str(proxy_port)]
        with running(proxy, proxy_port) as proxied:
            results = measure(upstream, proxied, args.requests, args.rounds)
    print_table(results, args.requests * args.rounds)


def measure(upstream: str, proxied: str, count: int, rounds: int) -> dict[str, dict[str, list[float]]]:
    results: dict[str, dict[str, list[float]]] = {case: {"direct": [], "proxied": []} for case in CASES}
    with (
        httpx.Client(base_url=upstream, trust_env=False) as direct,
        httpx.Client(base_url=proxied, trust_env=False) as via,
    ):
        for request in CASES.values():  # warm-up: validators and oracles are built on first use
            timed(direct, request, 20)
            timed(via, request, 20)
        for _ in range(rounds):
            for case, request in CASES.items():
                results[case]["direct"] += timed(direct, request, count)
                results[case]["proxied"] += timed(via, request, count)
    return results


def print_table(results: dict[str, dict[str, list[float]]], samples: int) -> None:
    print(f"{samples} requests per case and target, sequential, one keep-alive connection each (ms)")
    print("| case | direct p50 | direct p99 | proxied p50 | proxied p99 | added p50 | added p99 |")
    print("|---|---|---|---|---|---|---|")
    for case, times in results.items():
        d50, d99 = percentile(times["direct"], 0.5), percentile(times["direct"], 0.99)
        p50, p99 = percentile(times["proxied"], 0.5), percentile(times["proxied"], 0.99)
        print(f"| {case} | {d50:.2f} | {d99:.2f} | {p50:.2f} | {p99:.2f} | {p50 - d50:+.2f} | {p99 - d99:+.2f} |")
    everything = [t for times in results.values() for t in times["proxied"]]
    print(f"mean proxied: {statistics.fmean(everything):.2f} ms")


if __name__ == "__main__":
    main()
