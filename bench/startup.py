"""`returnkit serve` start-up: time to the first 2xx of a provider request, to a 2xx from all five, and idle RSS.

Run: `.venv/bin/python -m bench.startup [--before REV] [--runs 5]`

Each run starts `returnkit serve` (every provider, the defaults: an in-memory world, seed 0) on a
free loopback port and sends Zinc's `GET /orders` until it is answered 2xx: "first 2xx" is the
time from the process's start to that answer. Then one request to each other provider (ABOUT
YOU's order list, Rye's GraphQL endpoint, Kibo Commerce's and Kibo OMS's token endpoints), each
answered 2xx: "all five 2xx" is the time until the last of them, so work a server leaves until
a provider's first request still counts, and the server's CPU time (user + system) by then, which
other loads on the machine stretch less than the wall time. RSS idle is the server's resident memory a second
after that. Median (min-max) of `--runs`; with `--before REV` the sources of git revision REV
run too, interleaved, side by side (see bench/oneshot.py).

RSS over a million requests (journal and webhooks on): `bench/serve_load.py memory --webhooks`.
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.oneshot import compared_trees, print_table

RETURNKIT = Path(sys.executable).with_name("returnkit")
Request = tuple[str, str, bytes | None, dict[str, str]]
JSON = {"Content-Type": "application/json"}
OMS_BASIC = base64.b64encode(b"oms_key_summit_61b0c2:oms_secret_summit_9e47d3").decode()
KIBO_APP = {
    "client_id": "northwind.returnkit.1.0.0.Release",
    "client_secret": "kibo_secret_northwind_3c9e71",
    "grant_type": "client_credentials",
}
FIRST: Request = ("GET", "/orders", None, {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"})
OTHERS: tuple[Request, ...] = (
    ("GET", "/api/v1/orders/", None, {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}),
    ("POST", "/v1/query", b'{"query": "{ __typename }"}', {**JSON, "Authorization": "Basic rye_test_lumen_2d7f91ac"}),
    ("POST", "/api/platform/applications/authtickets/oauth", json.dumps(KIBO_APP).encode(), JSON),
    (
        "POST",
        "/oauthserver/oauth2/token",
        b"grant_type=client_credentials",
        {"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {OMS_BASIC}"},
    ),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def status_of(port: int, request: Request) -> int:
    method, path, body, headers = request
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request(method, path, body, headers)
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def first_2xx(port: int, started: float, alive: Callable[[], bool]) -> float:
    while True:
        try:
            status = status_of(port, FIRST)
        except OSError:
            if not alive():
                raise SystemExit("returnkit serve exited before answering") from None
            time.sleep(0.005)
            continue
        if not 200 <= status < 300:
            raise SystemExit(f"Zinc GET /orders answered {status}")
        return time.perf_counter() - started


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def cpu_seconds(pid: int) -> float:
    """The process's CPU time (user + system): unlike the wall time, not stretched by other loads."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_start(source: Path) -> tuple[float, float, float, float]:
    """(seconds to the first 2xx, seconds to a 2xx from every provider, the server's CPU seconds
    by then, idle RSS in MiB)."""
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(source)}
    argv = [str(RETURNKIT), "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    server = subprocess.Popen(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        first = first_2xx(port, started, lambda: server.poll() is None)
        for request in OTHERS:
            status = status_of(port, request)
            if not 200 <= status < 300:
                raise SystemExit(f"{request[0]} {request[1]} answered {status}")
        every = time.perf_counter() - started
        cpu = cpu_seconds(server.pid)
        time.sleep(1)
        return first, every, cpu, rss_mib(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)


def cell(samples: list[float], unit: str, scale: float = 1) -> str:
    values = [s * scale for s in samples]
    return f"{statistics.median(values):,.0f} {unit} ({min(values):,.0f}–{max(values):,.0f})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", metavar="REV", help="also run the sources of this git revision, side by side")
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with compared_trees(args.before) as trees:
        for source in trees.values():
            one_start(source)  # warm-up: the page cache, .pyc files
        samples: dict[str, list[tuple[float, float, float, float]]] = {name: [] for name in trees}
        for _ in range(args.runs):
            for name, source in trees.items():
                samples[name].append(one_start(source))
    rows = [
        (
            f"first 2xx (Zinc GET /orders), median of {args.runs}",
            [cell([s[0] for s in v], "ms", 1000) for v in samples.values()],
        ),
        ("a 2xx from all five providers", [cell([s[1] for s in v], "ms", 1000) for v in samples.values()]),
        ("server CPU time by then", [cell([s[2] for s in v], "ms", 1000) for v in samples.values()]),
        ("RSS idle", [cell([s[3] for s in v], "MiB") for v in samples.values()]),
    ]
    print_table(list(trees), rows)


if __name__ == "__main__":
    main()
