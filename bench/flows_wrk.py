"""Kibo, Rye and ABOUT YOU two-step flows under wrk: requests/s, latency and server CPU per request.

    PYTHONPATH=<tree>/src .venv/bin/python -m bench.flows_wrk [--flow kibo rye aboutyou] [--duration 10]
        [--connections 16] [--rounds 1] [--warmup 5] [--src DIR ...]

Per round and flow: a fresh `returnkit serve --clock frozen` on CPU 0 (the returnkit that
PYTHONPATH, or each `--src` in turn, finds first), fresh orders seeded through the admin API, then
wrk (one thread, `--connections`) on CPU 1 with bench/flows.lua: a warm-up of `--warmup` seconds
on bodies of its own, then the measured `--duration`. Each fresh body is a first request whose
answer names what it made; its follow-up goes out before the next first request:

- kibo: POST /api/commerce/returns (a fresh shipped order), then Authorize the return it made;
- rye: the `returnOrder` mutation (every line of a fresh delivered order), then `orderByID`;
- aboutyou: POST /api/v1/orders/return (one fresh shipped order item), then
  GET /api/v1/results/return-orders?batch_request_id=<the batch it queued>.

Rate limits (Rye 100 requests/s per key; ABOUT YOU returns 50/min) count on the frozen virtual
clock: every N requests wrk sends POST /__admin/clock/advance, N leaving room for the requests
still in flight on the other connections when a window turns. The measured run's bodies are the
warm-up's rate x duration x 1.5; a run that still runs out of bodies is done again with more
(at most 3 times; then its note says so, and its rate is too low).

Columns: flow requests answered (clock advances apart), their rate, wrk's p50/p99 (advances
included), non-2xx answers, failed (a 2xx whose body is not the flow's success, an unrecognised
2xx, a socket error or timeout), server CPU (utime+stime over the measured run) per flow
request, then how busy the server and wrk were (CPU seconds / run seconds: the server near 100 %
and wrk well below is a server-bound run). Non-2xx + failed above 1 % of the requests marks the
run broken.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench import kibo_flow, rye_flow
from bench.flows import cpu_seconds, free_port

LUA = Path(__file__).resolve().with_name("flows.lua")
TASKSET = shutil.which("taskset") or "taskset"
WRK = shutil.which("wrk") or "wrk"
SERVER_CPU, LOAD_CPU = "0", "1"
GUESSED_FIRSTS_PER_SECOND = 1000  # bodies for the warm-up, before any rate is known
MARGIN = 1.5
EXHAUSTED_FACTOR = 3
ATTEMPTS = 3  # measured runs per flow and tree, while one runs out of bodies
BROKEN_SHARE = 0.01


@dataclass(frozen=True)
class Limit:
    """A rate limit on the virtual clock: `budget` requests per `window_seconds`, counting `counted` ones."""

    budget: int
    window_seconds: int
    counted: str  # "all" requests, or only the "first" of each pair

    def advance_every(self, connections: int) -> int:
        """Requests between clock advances: when a window turns, up to `connections` - 1 requests of
        the block before may still be in flight, and as many of the block after may come first."""
        every = self.budget - 2 * (connections - 1)
        if every < 1:
            raise SystemExit(f"{connections} connections can exceed {self.budget} per window: use fewer")
        return every


@dataclass(frozen=True)
class Flow:
    name: str
    first: tuple[str, str]  # method, path
    follow: tuple[str, str, str]  # method, path, body ("%ID%": the id the first answer names)
    bodies: Callable[[httpx.Client, int], list[str]]  # lines of flows.lua's bodies file, about `count`
    auth: Callable[[httpx.Client], str]  # the header line
    limit: Limit | None = None


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def header_pair(line: str) -> tuple[str, str]:
    name, value = line.split(":", 1)
    return name, value.strip()


def expect(answer: httpx.Response, status: int) -> Any:
    if answer.status_code != status:
        raise SystemExit(f"{answer.request.method} {answer.request.url.path}: {answer.status_code} {answer.text[:300]}")
    return answer.json()


def advance(client: httpx.Client, seconds: int) -> None:
    expect(client.post("/__admin/clock/advance", json={"seconds": seconds}), 200)


# Kibo Commerce ------------------------------------------------------------------------------------


def kibo_bodies(client: httpx.Client, count: int) -> list[str]:
    return [compact(body) for body in kibo_flow.bodies(str(client.base_url), count)]


def kibo_auth(client: httpx.Client) -> str:
    token = client.post("/api/platform/applications/authtickets/oauth", json=kibo_flow.APP).json()["access_token"]
    return f"Authorization: Bearer {token}"


# Rye ----------------------------------------------------------------------------------------------

# bench/rye_flow.py's mutation, plus the order's ids: an answer names the order it returned
# (Shopify: Rye's order id; Amazon: the marketplace order's id, mapped back in the bodies file).
RETURN_ORDER = (
    "mutation R($input: ReturnOrderInput!) { returnOrder(input: $input) { result { __typename"
    " ... on ReturnAmazonOrderResult { orders { returnId amazonOrderId lineItems { status } } }"
    " ... on ReturnShopifyOrderResult { orderId returnId status } } error { code message } } }"
)


def rye_bodies(client: httpx.Client, count: int) -> list[str]:
    ids = set(client.post("/__admin/world/orders", json={"provider": "rye", "count": count}).json()["orders"])
    developer = client.get("/__admin/world").json()["providers"]["rye"]["developers"][0]
    field = {"AMAZON": "productId", "SHOPIFY": "variantId"}
    lines = []
    for order in (o for o in developer["orders"] if o["id"] in ids):
        items = [{"id": line[field[order["marketplace"]]], "quantity": 1} for line in order["lines"]]
        variables = {"input": {"orderId": order["id"], "lineItems": items}}
        keys = " ".join([order["id"], *order["marketplaceOrderIds"]])
        lines.append(f"{compact({'query': RETURN_ORDER, 'variables': variables})}\t{keys}\t{order['id']}")
    return lines


def rye_auth(_client: httpx.Client) -> str:
    return "Authorization: " + rye_flow.AUTH["Authorization"]


# ABOUT YOU ----------------------------------------------------------------------------------------

ABOUTYOU_KEY = "X-API-Key: ay_sandbox_nordlicht_7f3a9c21"
SHIP_ENTRIES_PER_REQUEST = 2000  # well under the 1 MiB body limit
SHIP_REQUESTS_PER_WINDOW = 40  # ship: 50 a minute


def aboutyou_bodies(client: httpx.Client, count: int) -> list[str]:
    """Fresh orders (about two items each), every item shipped, then one return body per item."""
    added = client.post("/__admin/world/orders", json={"provider": "aboutyou", "count": count // 2 + 50})
    numbers = set(added.json()["orders"])
    merchant = client.get("/__admin/world").json()["providers"]["aboutyou"]["merchants"][0]
    orders = [o for o in merchant["orders"] if o["order_number"] in numbers]
    ship(client, [[item["id"] for item in order["order_items"]] for order in orders])
    items = [item["id"] for order in orders for item in order["order_items"]]
    return [compact({"items": [{"order_items": [item], "return_tracking_key": f"RT{item:09d}"}]}) for item in items]


def ship(client: httpx.Client, parcels: list[list[int]]) -> None:
    """Ship every parcel (fresh orders are open; only shipped items can be returned) and wait for it."""
    headers = dict([header_pair(ABOUTYOU_KEY)])
    batches: list[str] = []
    for start in range(0, len(parcels), SHIP_ENTRIES_PER_REQUEST):
        if batches and len(batches) % SHIP_REQUESTS_PER_WINDOW == 0:
            advance(client, 60)
        entries = [
            {
                "order_items": items,
                "carrier_key": "DHL",
                "shipment_tracking_key": f"00340434{items[0]:09d}",
                "return_tracking_key": f"RT{items[0]:09d}",
            }
            for items in parcels[start : start + SHIP_ENTRIES_PER_REQUEST]
        ]
        answer = client.post("/api/v1/orders/ship", json={"items": entries}, headers=headers)
        batches.append(expect(answer, 200)["batchRequestId"])
    advance(client, 60)  # every batch completes (2 s pending, 8 s processing)
    for batch in batches:
        params = {"batch_request_id": batch}
        results = expect(client.get("/api/v1/results/ship-orders", params=params, headers=headers), 200)
        refused = [result for result in results["items"] if not result["success"]]
        if results["status"] != "completed" or refused:
            raise SystemExit(f"shipping the fresh ABOUT YOU orders failed: {results['status']}, {refused[:1]}")


FLOWS = {
    "kibo": Flow(
        "kibo",
        ("POST", "/api/commerce/returns"),
        ("POST", "/api/commerce/returns/actions", '{"actionName":"Authorize","returnIds":["%ID%"]}'),
        kibo_bodies,
        kibo_auth,
    ),
    "rye": Flow(
        "rye",
        ("POST", "/v1/query"),
        ("POST", "/v1/query", compact({"query": rye_flow.ORDER, "variables": {"id": "%ID%"}})),
        rye_bodies,
        rye_auth,
        Limit(100, 1, "all"),
    ),
    "aboutyou": Flow(
        "aboutyou",
        ("POST", "/api/v1/orders/return"),
        ("GET", "/api/v1/results/return-orders?batch_request_id=%ID%", ""),
        aboutyou_bodies,
        lambda _client: ABOUTYOU_KEY,
        Limit(50, 60, "first"),
    ),
}


# The run ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    flow: str
    tree: str
    load: dict[str, Any]
    cpu_seconds: float  # the server's, over the measured run
    wrk_cpu_seconds: float

    @property
    def requests(self) -> int:
        return int(self.load["requests"]) - int(self.load["clock_answers"])

    @property
    def failed(self) -> int:
        load = self.load
        return int(load["failed"]) + int(load["unknown"]) + int(load["socket_errors"]) + int(load["timeouts"])

    def note(self) -> str:
        notes = []
        if self.load["non2xx"] + self.failed > BROKEN_SHARE * max(self.requests, 1):
            notes.append("BROKEN")
        if self.load["exhausted"]:
            notes.append("ran out of bodies: rate too low")
        return ", ".join(notes)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--flow", nargs="+", choices=list(FLOWS), default=list(FLOWS))
    parser.add_argument("--duration", type=int, default=10, help="measured seconds per flow")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up, on bodies of its own")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--src", action="append", help="a tree's src/ for the server (repeat: interleaved)")
    args = parser.parse_args()
    os.sched_setaffinity(0, {int(LOAD_CPU)})  # seeding's client stays off the server's CPU
    trees = args.src or [os.environ.get("PYTHONPATH", "")]
    rows = []
    for round_number in range(1, args.rounds + 1):
        for name in args.flow:
            for tree in trees:
                rows.append(measure(FLOWS[name], tree, args))
                print(f"round {round_number}: {format_row(rows[-1], len(trees) > 1)}", file=sys.stderr, flush=True)
    print_table(rows, len(trees) > 1)
    return 0


def measure(flow: Flow, tree: str, args: argparse.Namespace) -> Row:
    """A fresh server from `tree`: the warm-up, then the measured run (again, while it runs out of bodies)."""
    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        server = start(port, tree, Path(tmp, "serve.log"))
        try:
            client = httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=600)
            session = Session(flow, client, flow.auth(client), args)
            warmup = session.load(Path(tmp, "warmup.txt"), args.warmup * GUESSED_FIRSTS_PER_SECOND, args.warmup)
            needed = bodies_for(warmup, args.duration)
            for _ in range(ATTEMPTS):
                session.seed(Path(tmp, "bodies.txt"), needed)
                load, used, wrk_used = measured(session, server, Path(tmp, "bodies.txt"))
                if not load["exhausted"]:
                    break
                needed = bodies_for(load, args.duration)
        finally:
            server.terminate()
            server.wait(timeout=30)
    return Row(flow.name, tree_label(tree), load, used, wrk_used)


def measured(session: Session, server: subprocess.Popen[bytes], bodies: Path) -> tuple[dict[str, Any], float, float]:
    """wrk's figures, and the CPU seconds the server and wrk used over the run."""
    before, wrk_before = cpu_seconds(server.pid), children_cpu_seconds()
    load = session.run_wrk(bodies, session.args.duration)
    return load, cpu_seconds(server.pid) - before, children_cpu_seconds() - wrk_before


def children_cpu_seconds() -> float:
    """CPU time of this process's children that have ended: wrk, once it has (the server runs on)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def tree_label(tree: str) -> str:
    """`/work/wt/NAME/src` -> NAME: the table's name for the tree a server ran (no `tree`: this process's)."""
    if tree:
        path = Path(tree.split(os.pathsep, maxsplit=1)[0]).resolve()
    else:
        spec = importlib.util.find_spec("returnkit")
        path = Path(spec.origin or "").parents[1] if spec else Path("?")
    return path.parent.name if path.name == "src" else str(path)


def bodies_for(load: dict[str, Any], duration: int) -> int:
    """Fresh bodies for `duration` seconds at the rate of `load`, with a margin. A wrk thread that ran
    out of bodies stopped early, but wrk still divides by the whole duration: its rate is too low."""
    firsts_per_second = float(load["firsts_sent"]) / max(float(load["seconds"]), 0.001)
    factor = EXHAUSTED_FACTOR if load["exhausted"] else MARGIN
    return math.ceil(firsts_per_second * duration * factor) + 100


def start(port: int, tree: str, log: Path) -> subprocess.Popen[bytes]:
    """`returnkit serve` on SERVER_CPU, importing returnkit from `tree` (PYTHONPATH) first."""
    env = {**os.environ, "PYTHONPATH": tree} if tree else dict(os.environ)
    command = [TASKSET, "-c", SERVER_CPU, sys.executable, "-m", "returnkit.cli.main", "serve"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--clock", "frozen"]
    with log.open("wb") as sink:
        server = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=sink)
    for _ in range(300):
        try:
            httpx.get(f"http://127.0.0.1:{port}/__admin/clock", timeout=1)
            return server
        except httpx.TransportError:
            if server.poll() is not None:
                break
            time.sleep(0.1)
    server.kill()
    raise SystemExit(f"returnkit serve did not start:\n{log.read_text()}")


@dataclass(frozen=True)
class Session:
    """One flow against one server: seeding bodies files and running wrk over them."""

    flow: Flow
    client: httpx.Client
    auth: str  # the header line
    args: argparse.Namespace

    def load(self, bodies: Path, count: int, duration: int) -> dict[str, Any]:
        self.seed(bodies, count)
        return self.run_wrk(bodies, duration)

    def seed(self, bodies: Path, count: int) -> None:
        """About `count` fresh bodies, one a line."""
        bodies.write_text("\n".join(self.flow.bodies(self.client, count)) + "\n")

    def run_wrk(self, bodies: Path, duration: int) -> dict[str, Any]:
        """A fresh rate-limit window, then wrk over `bodies` for `duration` seconds; what flows.lua printed."""
        every, seconds, counted = 0, 1, "all"
        limit = self.flow.limit
        if limit is not None:
            every, seconds, counted = limit.advance_every(self.args.connections), limit.window_seconds, limit.counted
            advance(self.client, seconds)
        command = [TASKSET, "-c", LOAD_CPU, WRK, "-t1", f"-c{self.args.connections}", f"-d{duration}s"]
        command += ["--timeout", "10s", "-s", str(LUA), str(self.client.base_url).rstrip("/"), "--"]
        command += [self.flow.name, str(bodies), *self.flow.first, *self.flow.follow]
        command += [str(every), str(seconds), counted, self.auth]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
        line = next((line for line in output.splitlines() if line.startswith("FLOWS ")), None)
        if line is None:
            raise SystemExit(f"wrk printed no FLOWS line:\n{output}")
        result: dict[str, Any] = json.loads(line.removeprefix("FLOWS "))
        return result


HEADER = (
    "flow",
    "requests",
    "req/s",
    "p50 ms",
    "p99 ms",
    "non-2xx",
    "failed",
    "clock advances",
    "server CPU ms/req",
    "server busy",
    "wrk busy",
)


def cells(row: Row, with_tree: bool) -> list[str]:
    load = row.load
    name = f"{row.flow} ({row.tree})" if with_tree else row.flow
    return [
        name,
        str(row.requests),
        f"{row.requests / load['seconds']:.0f}",
        f"{load['p50_ms']:.1f}",
        f"{load['p99_ms']:.1f}",
        str(load["non2xx"]),
        str(row.failed),
        str(load["clock_answers"]),
        f"{row.cpu_seconds / max(row.requests, 1) * 1000:.3f}",
        f"{row.cpu_seconds / load['seconds']:.0%}",
        f"{row.wrk_cpu_seconds / load['seconds']:.0%}",
        row.note(),
    ]


def format_row(row: Row, with_tree: bool) -> str:
    return " | ".join(cell for cell in cells(row, with_tree) if cell)


def print_table(rows: list[Row], with_tree: bool) -> None:
    if rows and not with_tree:
        print(f"returnkit serve from: {rows[0].tree}")
    print("| " + " | ".join((*HEADER, "note")) + " |")
    print("|" + "---|" * (len(HEADER) + 1))
    for row in rows:
        print("| " + " | ".join(cells(row, with_tree)) + " |")
    print_medians(rows, with_tree)


def print_medians(rows: list[Row], with_tree: bool) -> None:
    """With several rounds: each flow's (and tree's) median rate and CPU per request."""
    groups: dict[tuple[str, str], list[Row]] = {}
    for row in rows:
        groups.setdefault((row.flow, row.tree), []).append(row)
    if all(len(group) < 2 for group in groups.values()):
        return
    print()
    for (flow, tree), group in groups.items():
        rate = statistics.median(row.requests / row.load["seconds"] for row in group)
        cpu = statistics.median(row.cpu_seconds / max(row.requests, 1) * 1000 for row in group)
        name = f"{flow} ({tree})" if with_tree else flow
        print(f"median of {len(group)} rounds, {name}: {rate:.0f} req/s, server CPU {cpu:.3f} ms/request")


if __name__ == "__main__":
    sys.exit(main())
