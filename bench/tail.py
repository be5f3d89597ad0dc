"""Where the p99 of `POST /returns` under load comes from: the garbage collector's pauses, measured.

    .venv/bin/python -m bench.tail [--orders 40000] [--duration 20] [--connections 64] [--journal-limit N]

Starts `returnkit serve` (the CLI's own code path) in a child process that records every
collection's generation and duration (`gc.callbacks`), seeds fresh orders through the admin API,
loads Zinc `POST /returns` with wrk (one fresh body per request, pinned like the peer runner: server
on CPU 0, wrk on CPU 1), then prints wrk's p50/p99 beside the collector's pauses per generation.
A run with a small `--journal-limit` shows how much of the full collections' cost is the journal.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench.serve_load import add_orders, free_port, fresh_bodies, wait_up

LUA = Path(__file__).resolve().with_name("bodies.lua")
TASKSET = shutil.which("taskset") or "taskset"
AUTH = "Authorization: Bearer zn_test_acme_5d2f8a91c4e7"


def traced_serve(port: int, stats_path: str, journal_limit: int | None) -> None:
    """The child: `returnkit serve` with every collection timed; the pauses are written on SIGTERM."""
    pauses: list[tuple[int, float]] = []
    started: list[float] = [0.0]

    def record(phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses.append((int(info["generation"]), time.perf_counter() - started[0]))

    in_app = _time_the_app()

    def dump(_signum: int, _frame: Any) -> None:
        Path(stats_path).write_text(json.dumps({"gc": pauses, "in_app": in_app, "stalls": STALLS}))
        os._exit(0)

    def restart(_signum: int, _frame: Any) -> None:
        pauses.clear()  # the load begins: seeding's collections are not the load's
        in_app.clear()
        STALLS.clear()

    gc.callbacks.append(record)
    signal.signal(signal.SIGTERM, dump)
    signal.signal(signal.SIGUSR1, restart)
    if journal_limit is not None:
        os.environ["RETURNKIT_BENCH_JOURNAL_LIMIT"] = str(journal_limit)
        _limit_journal(journal_limit)
    from returnkit.cli.main import main

    main(["serve", "--host", "127.0.0.1", "--port", str(port)])


STALLS: list[float] = []  # seconds the event loop was late by more than STALL, in the traced child
STALL = 0.05
TICK = 0.01


async def _watch_the_loop(stalls: list[float]) -> None:
    """A timer that should fire every TICK: how late it fires is how long the loop could not run it."""
    while True:
        began = time.perf_counter()
        await asyncio.sleep(TICK)
        late = time.perf_counter() - began - TICK
        if late > STALL:
            stalls.append(late)


def _time_the_app() -> list[float]:
    """Seconds each request spends inside returnkit's app (the Frontier: body read to answer sent)."""
    from returnkit.server import asgi

    durations: list[float] = []
    call = asgi.Frontier.__call__
    monitor: list[asyncio.Task[None]] = []

    async def timed(self: asgi.Frontier, scope: Any, receive: Any, send: Any) -> None:
        if not monitor:
            monitor.append(asyncio.get_running_loop().create_task(_watch_the_loop(STALLS)))
        began = time.perf_counter()
        await call(self, scope, receive, send)
        durations.append(time.perf_counter() - began)

    asgi.Frontier.__call__ = timed  # type: ignore[method-assign]
    return durations


def _limit_journal(limit: int) -> None:
    """The journal's bound comes from mocks/server.yaml; the experiment overrides it in this process only."""
    from returnkit.server import state

    build = state.ServerState.build.__func__  # type: ignore[attr-defined]

    def bounded(cls: type[state.ServerState], kits: Any, options: state.ServerOptions) -> state.ServerState:
        from dataclasses import replace

        return build(cls, kits, replace(options, journal_limit=limit))  # type: ignore[no-any-return]

    state.ServerState.build = classmethod(bounded)  # type: ignore[method-assign, assignment]


def run_wrk(port: int, bodies: Path, duration: int, connections: int) -> dict[str, Any]:
    command = [TASKSET, "-c", "1", "wrk", "-t1", f"-c{connections}", f"-d{duration}s", "--latency"]
    command += ["-s", str(LUA), f"http://127.0.0.1:{port}/returns", "--", str(bodies), AUTH]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("TAIL "))
    result: dict[str, Any] = json.loads(line[5:])
    return result


def summarise(pauses: list[tuple[int, float]], duration: float) -> dict[str, Any]:
    by_generation: dict[str, Any] = {}
    for generation in (0, 1, 2):
        times = sorted(seconds for gen, seconds in pauses if gen == generation)
        if not times:
            continue
        by_generation[f"gen{generation}"] = {
            "count": len(times),
            "per_second": round(len(times) / duration, 1),
            "median_ms": round(times[len(times) // 2] * 1000, 2),
            "max_ms": round(times[-1] * 1000, 1),
            "total_ms": round(sum(times) * 1000),
        }
    return by_generation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=40_000)
    parser.add_argument("--duration", type=int, default=20)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--journal-limit", type=int)
    parser.add_argument("--serve-traced", nargs=2, metavar=("PORT", "STATS"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_traced:
        traced_serve(int(args.serve_traced[0]), args.serve_traced[1], args.journal_limit)
        return 0
    port = free_port()
    stats = Path(tempfile.mkdtemp()) / "gc.json"
    child = [sys.executable, "-m", "bench.tail", "--serve-traced", str(port), str(stats)]
    if args.journal_limit is not None:
        child += ["--journal-limit", str(args.journal_limit)]
    server = subprocess.Popen([TASKSET, "-c", "0", *child], stdout=subprocess.DEVNULL)
    try:
        wait_up(port)
        order_ids = add_orders(port, args.orders, 20_000)
        bodies = Path(tempfile.mkdtemp()) / "bodies.jsonl"
        bodies.write_text("\n".join(fresh_bodies(port, order_ids)) + "\n")
        server.send_signal(signal.SIGUSR1)
        load = run_wrk(port, bodies, args.duration, args.connections)
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=30)
    recorded = json.loads(stats.read_text())
    pauses = [(gen, seconds) for gen, seconds in recorded["gc"]]
    in_app = sorted(recorded["in_app"])
    report = {
        "load": load,
        "journal_limit": args.journal_limit,
        "in_app_ms": {
            "p50": round(in_app[len(in_app) // 2] * 1000, 2),
            "p99": round(in_app[int(len(in_app) * 0.99)] * 1000, 2),
            "over_50ms": sum(1 for seconds in in_app if seconds > STALL),
        },
        "loop_late_over_50ms": {
            "count": len(recorded["stalls"]),
            "max_ms": round(max(recorded["stalls"], default=0) * 1000, 1),
        },
        "gc": summarise(pauses, args.duration),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
