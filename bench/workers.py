"""`returnkit serve --workers N` beside one worker: Zinc `POST /returns`, one fresh body per request.

    python -m bench.workers [--workers 1 2] [--rounds 2] [--duration 10] [--connections 64] [--orders 40000]

Each run starts `returnkit serve --workers N --db <a new SQLite file>` (or `--postgres-url URL`: a new
database per run is not made, so give a throw-away one), adds fresh Zinc orders, writes one valid
return body per order and loads the server with wrk (`bench/bodies.lua`), unpinned: the workers and
wrk share the machine's cores, as issue 18 measures it. Warm-up and measured load use different
bodies, so every request files a new return. Runs are interleaved (1, 2, 1, 2 …); the table gives
each run and the median ratio to one worker.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import tempfile
from pathlib import Path
from typing import Any

from bench.serve_load import AUTH, RETURNKIT, add_orders, free_port, fresh_bodies, wait_up

LUA = Path(__file__).resolve().with_name("bodies.lua")
WARM_UP_SECONDS = 3


def serve(port: int, workers: int, db: str) -> subprocess.Popen[bytes]:
    argv = [str(RETURNKIT), "serve", "--host", "127.0.0.1", "--port", str(port), "--clock", "frozen"]
    return subprocess.Popen([*argv, "--db", db, "--workers", str(workers)], stdout=subprocess.DEVNULL)


def wrk(port: int, bodies: Path, seconds: int, connections: int) -> dict[str, Any]:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(LUA)]
    command += [f"http://127.0.0.1:{port}/returns", "--", str(bodies), AUTH]
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    line = next(line for line in output.splitlines() if line.startswith("TAIL "))
    result: dict[str, Any] = json.loads(line[5:])
    return result


def one_run(workers: int, args: argparse.Namespace, scratch: Path) -> dict[str, Any]:
    port = free_port()
    db = args.postgres_url or str(scratch / f"world-{workers}-{port}.db")
    with serve(port, workers, db) as server:
        try:
            wait_up(port, timeout=120)
            bodies = fresh_bodies(port, add_orders(port, args.orders, 20_000))
            warm, measured = scratch / "warm.jsonl", scratch / "measured.jsonl"
            split = len(bodies) // 4
            warm.write_text("\n".join(bodies[:split]) + "\n")
            measured.write_text("\n".join(bodies[split:]) + "\n")
            wrk(port, warm, WARM_UP_SECONDS, args.connections)
            return {"workers": workers, **wrk(port, measured, args.duration, args.connections)}
        finally:
            server.terminate()
            server.wait(timeout=30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--orders", type=int, default=40_000, help="fresh orders per run (> req/s × 13 s)")
    parser.add_argument("--postgres-url", default=None)
    args = parser.parse_args(argv)
    runs: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(args.rounds):
            for workers in args.workers:
                runs.append(one_run(workers, args, Path(scratch)))
                print(json.dumps(runs[-1]), flush=True)
    base = statistics.median(run["rps"] for run in runs if run["workers"] == args.workers[0])
    print(f"\n| workers | req/s (median) | p50 ms | p99 ms | non-2xx | × {args.workers[0]} worker(s) |")
    print("|---|---|---|---|---|---|")
    for workers in args.workers:
        mine = [run for run in runs if run["workers"] == workers]
        rps = statistics.median(run["rps"] for run in mine)
        p50 = statistics.median(run["p50_ms"] for run in mine)
        p99 = statistics.median(run["p99_ms"] for run in mine)
        failed = sum(run["non2xx"] for run in mine)
        print(f"| {workers} | {rps:.0f} | {p50:.1f} | {p99:.1f} | {failed} | {rps / base:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
