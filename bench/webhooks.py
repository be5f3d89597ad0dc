"""Webhook delivery: throughput, and whether a hanging receiver slows anyone else.

    python -m bench.webhooks throughput [--events 2000]
    python -m bench.webhooks hang [--hang-seconds 30] [--clients 4]
    python -m bench.webhooks request-cost [--seconds 15] [--clients 4]

throughput: enqueues `--events` events for one subscription (in one transaction, so only the
sending is timed), then times `POST /__admin/clock/advance {"seconds": 0}`, which sends them all:
events/s to a loopback receiver (`http.server`, keep-alive), and to an in-process Starlette app.

hang: starts a server (wall clock) in a process of its own, measures Zinc `GET /returns` from
`--clients` sequential clients for a while, then again while one subscription's receiver holds a
delivery for `--hang-seconds` (the provider's timeout set above it), and prints both p50 and p99.

request-cost: a server (frozen clock, so nothing is sent) answers `POST /pings` from `--clients`
sequential clients, first with no subscription, then with one: requests/s, p50 and p99 of each,
what emission adds to the request path.

The emitting provider is the test suite's Pingo (`tests/webhooks/fake.py`) until the bundled
providers emit; run from the repository root with `PYTHONPATH=src:.`.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

import httpx

from bench.flows import cpu_seconds, free_port
from returnkit.core.outbox import Event
from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app, server_state
from returnkit.testing.transport import ReturnkitTransport
from tests.webhooks.fake import KEY, SPEC, TIMEOUT_SECONDS, pingo_kit
from tests.webhooks.receiver import listening

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


def pingo_spec(timeout: float = TIMEOUT_SECONDS) -> Path:
    path = Path(tempfile.mkdtemp()) / "pingo.yaml"
    path.write_text(SPEC.replace(f"timeout_seconds: {TIMEOUT_SECONDS}", f"timeout_seconds: {timeout}"))
    return path


def throughput(events: int, target: Any) -> float:
    """Events per second delivered to `target` (a URL, or an ASGI app registered in process)."""
    app = create_app(ServerOptions(clock_mode="frozen"), kits=[*default_kits(), pingo_kit(pingo_spec())])
    state = server_state(app)
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit") as client:
        url = target
        if not isinstance(target, str):
            state.dispatcher.apps["bench"] = target
            url = "asgi://bench/hooks"
        client.post("/__admin/webhooks", json={"provider": "pingo", "url": url}).raise_for_status()
        world, at = state.worlds["pingo"], state.clock.timestamp()
        with state.store.transaction():
            for n in range(events):
                world.emit(Event("pingo", "ping.created", "acme", f"P{n}", at, lambda c: {"id": c.event_id}))
        started = time.perf_counter()
        client.post("/__admin/clock/advance", json={"seconds": 0}, timeout=600).raise_for_status()
        took = time.perf_counter() - started
        delivered = client.get("/__admin/webhooks/deliveries", params={"status": "delivered", "limit": 1}).json()
        assert delivered["total"] == events, delivered["total"]
    return events / took


def starlette_receiver() -> Any:
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import Response
    from starlette.routing import Route

    async def hook(request: Request) -> Response:
        await request.body()
        return Response(status_code=204)

    return Starlette(routes=[Route("/hooks", hook, methods=["POST"])])


def reads(base: str, seconds: float, clients: int) -> list[float]:
    latencies: list[float] = []
    until = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(base_url=base, headers=ZINC, timeout=60) as client:
            while time.monotonic() < until:
                started = time.perf_counter()
                client.get("/returns").raise_for_status()
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies)


def pingo_server(clock: str, timeout: float = TIMEOUT_SECONDS) -> tuple[str, subprocess.Popen[bytes]]:
    port = free_port()
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(root / "src"), str(root)])}
    spec = pingo_spec(timeout)
    command = [sys.executable, "-m", "tests.webhooks.pingo_serve", str(spec), str(port), "--db", ":memory:"]
    server = subprocess.Popen([*command, "--clock", clock], cwd=root, env=env)
    base = f"http://127.0.0.1:{port}"
    for _ in range(200):
        try:
            httpx.get(f"{base}/__admin/clock", timeout=1)
            break
        except httpx.TransportError:
            time.sleep(0.05)
    return base, server


def request_cost(seconds: float, clients: int) -> None:
    """Each run on a new server, alternating, so neither inherits the other's world."""
    for label in ("no subscription", "one subscription") * 3:
        base, server = pingo_server("frozen")
        try:
            if label == "one subscription":
                hook = {"provider": "pingo", "url": "http://127.0.0.1:9/hooks"}
                httpx.post(f"{base}/__admin/webhooks", json=hook).raise_for_status()
            cpu_before = cpu_seconds(server.pid)
            latencies = posts(base, seconds, clients)
            cpu_ms = (cpu_seconds(server.pid) - cpu_before) * 1000 / len(latencies)
            report(
                f"{label}: POST /pings, {len(latencies) / seconds:.0f}/s, server CPU {cpu_ms:.3f} ms each;", latencies
            )
        finally:
            server.terminate()
            server.wait()


def posts(base: str, seconds: float, clients: int) -> list[float]:
    latencies: list[float] = []
    until = time.monotonic() + seconds

    def client_loop() -> None:
        with httpx.Client(base_url=base, headers={"X-Pingo-Key": KEY}, timeout=60) as client:
            while time.monotonic() < until:
                started = time.perf_counter()
                client.post("/pings", json={"text": "x"}).raise_for_status()
                latencies.append(time.perf_counter() - started)

    threads = [threading.Thread(target=client_loop) for _ in range(clients)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(latencies)


def hang(hang_seconds: float, clients: int) -> None:
    base, server = pingo_server("wall", timeout=hang_seconds + 15)
    try:
        window = hang_seconds * 0.8
        report("baseline: GET /returns,", reads(base, window, clients))
        with listening() as receiver:
            receiver.hang = threading.Event()
            receiver.hang.set()
            httpx.post(f"{base}/__admin/webhooks", json={"provider": "pingo", "url": receiver.url}).raise_for_status()
            httpx.post(f"{base}/pings", json={"text": "x"}, headers={"X-Pingo-Key": KEY}).raise_for_status()
            if not receiver.arrived.wait(timeout=5):
                raise SystemExit("the delivery did not start")
            held = time.monotonic()
            report(f"while a receiver hangs ({hang_seconds:g} s): GET /returns,", reads(base, window, clients))
            time.sleep(max(hang_seconds - (time.monotonic() - held), 0))
            receiver.released.set()
    finally:
        server.terminate()
        server.wait()


def report(label: str, latencies: list[float]) -> None:
    p50 = statistics.median(latencies) * 1000
    p99 = latencies[int(len(latencies) * 0.99) - 1] * 1000
    print(f"{label} {len(latencies)} requests, p50 {p50:.2f} ms, p99 {p99:.2f} ms")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("what", choices=("throughput", "hang", "request-cost"))
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--events", type=int, default=2000)
    parser.add_argument("--hang-seconds", type=float, default=30.0)
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    if args.what == "throughput":
        with listening() as receiver:
            print(f"loopback receiver: {throughput(args.events, receiver.url):.0f} events/s")
        print(f"in-process Starlette app: {throughput(args.events, starlette_receiver()):.0f} events/s")
    elif args.what == "hang":
        hang(args.hang_seconds, args.clients)
    else:
        request_cost(args.seconds, args.clients)
    return 0


if __name__ == "__main__":
    sys.exit(main())
