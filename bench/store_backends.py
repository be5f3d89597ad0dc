"""Zinc `POST /returns` on each store: one instance on SQLite, one on PostgreSQL, two on PostgreSQL.

    .venv/bin/python -m bench.store_backends [--postgres-url URL] [--orders 30000] [--duration 10] [--connections 16]

Each setup starts `returnkit serve --db ... --clock frozen`, resets the world, seeds `--orders`
fresh Zinc orders through the admin API and loads `POST /returns` with one fresh body per request
(bench/bodies.lua) for `--duration` seconds, the way bench/tail.py does. Where things run, on this
2-core machine:

- wrk: CPU 1, one thread per instance loaded (`--connections` in all, split evenly);
- one instance: CPU 0; two instances: one on CPU 0, one on CPU 1 (beside wrk);
- PostgreSQL, when it runs on this machine: CPU 0 for the run (its affinity is put back after).
  The load is bounded by wrk's fixed connections: a closed loop, each connection sends its next
  request when its last one is answered.

Without `--postgres-url`, a throw-away cluster from tests/pgcluster.py is used when it can be
imported (its fsync is off: PostgreSQL's figures are then optimistic); without either, only the
SQLite row is measured. The table: requests per second, CPU ms per request of returnkit's
processes (utime+stime over the run ÷ requests, as the peers' runner counts it) and of
PostgreSQL's (all the cluster's processes, when it runs here), wrk's p50/p99 (two instances: the
worse of the two), non-2xx answers (more than none: too few orders for the run), and RSS per
instance at the end.
"""

from __future__ import annotations

import argparse
import importlib
import os
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.flows import cpu_seconds
from bench.serve_load import add_orders, call, free_port, fresh_bodies, rss_kb, serve_argv, wait_up
from bench.tail import TASKSET, run_wrk

SERVER_CPU = 0
LOAD_CPU = 1
SEEDING_CHUNK = 20_000


@dataclass(frozen=True)
class Setup:
    name: str
    db: str
    instance_cpus: tuple[int, ...]  # one instance per entry, pinned to that CPU


@dataclass(frozen=True)
class Measured:
    setup: str
    requests: int
    rps: float
    returnkit_cpu_ms: float
    database_cpu_ms: float | None  # None: the database's processes are not on this machine (or in-process)
    p50_ms: float
    p99_ms: float
    non2xx: int
    rss_mib: float


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--postgres-url", help="a database returnkit may fill (default: a throw-away cluster)")
    parser.add_argument("--orders", type=int, default=30_000, help="fresh orders per setup (≥ req/s × duration)")
    parser.add_argument("--duration", type=int, default=10, help="seconds of load per setup")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections in all")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, postgres_database(args.postgres_url) as postgres_url:
        setups = [Setup("1 × SQLite (file)", str(Path(tmp, "world.sqlite")), (SERVER_CPU,))]
        if postgres_url is not None:
            setups.append(Setup("1 × PostgreSQL", postgres_url, (SERVER_CPU,)))
            setups.append(Setup("2 × PostgreSQL", postgres_url, (SERVER_CPU, LOAD_CPU)))
        results = [measure(setup, args, Path(tmp)) for setup in setups]
    print_table(results)
    if postgres_url is None:
        print("no PostgreSQL: pass --postgres-url, or make tests/pgcluster.py importable", file=sys.stderr)
    return 0


@contextmanager
def postgres_database(url: str | None) -> Iterator[str | None]:
    """`url`, else a new database on a throw-away cluster (tests/pgcluster.py), else None."""
    if url is not None:
        yield url
        return
    try:
        pgcluster: Any = importlib.import_module("tests.pgcluster")  # the tests' fixture, optional here
    except ImportError:
        yield None
        return
    try:
        cluster = pgcluster.provide()
    except (RuntimeError, pgcluster.PostgresUnavailable) as unavailable:
        print(f"no throw-away PostgreSQL: {unavailable}", file=sys.stderr)
        yield None
        return
    try:
        yield cluster.create_database()
    finally:
        cluster.close()


def measure(setup: Setup, args: argparse.Namespace, tmp: Path) -> Measured:
    ports = [free_port() for _ in setup.instance_cpus]
    with database_on(setup.db, SERVER_CPU) as cluster:
        servers = [
            start(port, cpu, setup.db, args.seed, tmp) for port, cpu in zip(ports, setup.instance_cpus, strict=True)
        ]
        try:
            for port, server in zip(ports, servers, strict=True):
                wait_for(port, server, tmp)
            call(ports[0], "POST", "/__admin/reset")
            files = split(fresh_bodies(ports[0], add_orders(ports[0], args.orders, SEEDING_CHUNK)), len(ports), tmp)
            return measured_load(setup.name, servers, cluster, lambda: load(ports, files, args))
        finally:
            for server in servers:
                server.terminate()
                server.wait(timeout=30)


def measured_load(
    name: str,
    servers: list[subprocess.Popen[bytes]],
    cluster: Cluster | None,
    run: Callable[[], list[dict[str, Any]]],
) -> Measured:
    """`run` the load; the CPU time returnkit's processes (and PostgreSQL's) spent meanwhile, RSS after."""
    returnkit_before = sum(cpu_seconds(server.pid) for server in servers)
    database_before = cluster.cpu() if cluster else {}
    loads = run()
    returnkit_cpu = sum(cpu_seconds(server.pid) for server in servers) - returnkit_before
    database_cpu = cluster.cpu_since(database_before) if cluster else None
    rss = max(rss_kb(server.pid) for server in servers) / 1024
    return summarise(name, loads, returnkit_cpu, database_cpu, rss)


def start(port: int, cpu: int, db: str, seed: int, tmp: Path) -> subprocess.Popen[bytes]:
    command = [TASKSET, "-c", str(cpu), *serve_argv(port, seed, "frozen"), "--db", db]
    with (tmp / f"serve-{port}.log").open("wb") as log:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=log)


def wait_for(port: int, server: subprocess.Popen[bytes], tmp: Path) -> None:
    try:
        wait_up(port)
    except OSError:
        server.kill()
        log = (tmp / f"serve-{port}.log").read_text()
        raise SystemExit(f"returnkit serve on port {port} did not start:\n{log}") from None


def split(bodies: list[str], parts: int, tmp: Path) -> list[Path]:
    """Every `parts`-th body to one file per instance: no order is returned through two instances."""
    files = [tmp / f"bodies-{part}.jsonl" for part in range(parts)]
    for part, path in enumerate(files):
        path.write_text("\n".join(bodies[part::parts]) + "\n")
    return files


def load(ports: list[int], files: list[Path], args: argparse.Namespace) -> list[dict[str, Any]]:
    """One wrk per instance, all at once, all on LOAD_CPU (bench/tail.py's run_wrk pins it there)."""
    connections = max(1, args.connections // len(ports))
    with ThreadPoolExecutor(len(ports)) as pool:
        runs = [
            pool.submit(run_wrk, port, path, args.duration, connections)
            for port, path in zip(ports, files, strict=True)
        ]
        return [run.result() for run in runs]


def summarise(
    name: str, loads: list[dict[str, Any]], returnkit_cpu: float, database_cpu: float | None, rss_mib: float
) -> Measured:
    requests = sum(int(run["requests"]) for run in loads)
    per_request_ms = 1000 / max(requests, 1)
    return Measured(
        setup=name,
        requests=requests,
        rps=sum(float(run["rps"]) for run in loads),
        returnkit_cpu_ms=returnkit_cpu * per_request_ms,
        database_cpu_ms=None if database_cpu is None else database_cpu * per_request_ms,
        p50_ms=max(float(run["p50_ms"]) for run in loads),
        p99_ms=max(float(run["p99_ms"]) for run in loads),
        non2xx=sum(int(run["non2xx"]) for run in loads),
        rss_mib=rss_mib,
    )


# PostgreSQL's own processes, when the cluster runs on this machine ------------------------------


class Cluster:
    """A PostgreSQL cluster's processes on this machine: the postmaster and its children, new backends included."""

    def __init__(self, postmaster: int) -> None:
        self.postmaster = postmaster

    def pids(self) -> list[int]:
        return [self.postmaster, *children(self.postmaster)]

    def cpu(self) -> dict[int, float]:
        seconds = {}
        for pid in self.pids():
            try:
                seconds[pid] = cpu_seconds(pid)
            except OSError:
                continue  # ended while being read
        return seconds

    def cpu_since(self, before: dict[int, float]) -> float:
        """CPU seconds since `before` of the processes alive now (a backend that ended meanwhile is not counted)."""
        return sum(seconds - before.get(pid, 0.0) for pid, seconds in self.cpu().items())


@contextmanager
def database_on(db: str, cpu: int) -> Iterator[Cluster | None]:
    """A PostgreSQL on this machine, its processes pinned to `cpu` for the run (put back after); else None."""
    postmaster = local_postmaster(db) if db.startswith("postgres") else None
    if postmaster is None:
        yield None
        return
    cluster = Cluster(postmaster)
    before = {pid: os.sched_getaffinity(pid) for pid in cluster.pids()}
    pin(list(before), {cpu})
    try:
        yield cluster
    finally:
        for pid, cpus in before.items():
            pin([pid], cpus)


def local_postmaster(url: str) -> int | None:
    """The pid of the postmaster serving `url`, when it runs on this machine."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as connection:
        row = connection.execute("SELECT pg_backend_pid()").fetchone()
        backend = Path(f"/proc/{row[0] if row else 0}")
        if not backend.exists() or (backend / "comm").read_text().strip() != "postgres":
            return None
        return parent_of(backend)


def parent_of(process: Path) -> int:
    return int((process / "stat").read_text().rsplit(")", 1)[1].split()[1])


def children(parent: int) -> list[int]:
    found = []
    for process in Path("/proc").glob("[0-9]*"):
        try:
            if parent_of(process) == parent:
                found.append(int(process.name))
        except (OSError, ValueError):
            continue  # ended while being read
    return found


def pin(pids: list[int], cpus: set[int]) -> None:
    for pid in pids:
        try:
            os.sched_setaffinity(pid, cpus)
        except (ProcessLookupError, PermissionError):
            continue  # ended, or not ours to move: it runs where the system puts it


def print_table(results: list[Measured]) -> None:
    header = f"{'setup':<20} {'req/s':>7} {'returnkit CPU ms/req':>21} {'PostgreSQL CPU ms/req':>22}"
    print(f"{header} {'p50 ms':>7} {'p99 ms':>7} {'non-2xx':>8} {'RSS MiB/instance':>17}")
    for row in results:
        database = "-" if row.database_cpu_ms is None else f"{row.database_cpu_ms:.3f}"
        line = f"{row.setup:<20} {row.rps:>7.0f} {row.returnkit_cpu_ms:>21.3f} {database:>22}"
        print(f"{line} {row.p50_ms:>7.1f} {row.p99_ms:>7.1f} {row.non2xx:>8} {row.rss_mib:>17.1f}")


if __name__ == "__main__":
    sys.exit(main())
