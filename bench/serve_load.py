"""Load `returnkit serve` on Zinc `POST /returns` beside the peer mock servers, and watch its memory.

A successful `POST /returns` files a return, so every request needs a fresh order (the same
item twice is a 409). Orders come from `POST /__admin/world/orders`, whose ids follow from
--seed and the chunk sizes, so a server started later with the same seed and the same chunks
gets the same orders again:

    .venv/bin/python bench/serve_load.py prepare [--orders 80000]   # bodies file + run_peers.sh command
    .venv/bin/python bench/serve_load.py memory [--requests 1000000] # idle RSS, then RSS every 100k requests
    .venv/bin/python bench/serve_load.py memory --webhooks           # … with returns filed, resolved, delivered
    .venv/bin/python bench/serve_load.py prepare --webhooks          # request path: subscriptions off vs on

`prepare` seeds a throw-away server, writes one fresh valid body per line (`--out`, a .jsonl
for the peers' wrk script) and prints the `/tmp/peers/run_peers.sh` command, whose
PEER_CMD_returnkit is `serve_load.py peer`: it starts the seeding in the background and
execs `returnkit serve`, so the server is ready (first 2xx to the file's last body) once
every order exists. Peers: /work/shared/peers/README.md; their wrk script restarts a .jsonl at
line 2 on every run (warm-up, 16, 64 connections), so apply bench/peers-post-lua.patch to the
copy first: it resumes where the previous run stopped. `memory` needs wrk and
bench/mixed.lua (GET of a return, 409 duplicate, 422 invalid body: the world does not grow);
with --webhooks a thread beside it runs `Churn` cycles (reset, file --churn returns, advance the
clock past their resolution: every change delivered to a loopback receiver).
"""

from __future__ import annotations

import argparse
import http.client
import http.server
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

LUA = Path(__file__).resolve().with_name("mixed.lua")
BODIES = Path(tempfile.gettempdir(), "returnkit-zinc.jsonl")
PEERS_DIR = Path(tempfile.gettempdir(), "peers")  # the copy of /work/shared/peers its README asks for
PATCH = Path(__file__).resolve().with_name("peers-post-lua.patch")
RETURNKIT = Path(sys.executable).with_name("returnkit")
AUTH = "Authorization: Bearer zn_test_acme_5d2f8a91c4e7"
PEERS = "prism wiremock connexion-uvicorn returnkit"


def call(port: int, method: str, path: str, body: Any = None, timeout: float = 600) -> tuple[int, Any]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        name, value = AUTH.split(": ", 1)
        headers = {name: value, "Content-Type": "application/json"}
        connection.request(method, path, None if body is None else json.dumps(body), headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def wait_up(port: int, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            call(port, "GET", "/__admin/clock", timeout=2)
            return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def serve_argv(port: int, seed: int, clock: str = "wall") -> list[str]:
    return [str(RETURNKIT), "serve", "--host", "127.0.0.1", "--port", str(port), "--seed", str(seed), "--clock", clock]


def chunks(total: int, size: int) -> Iterator[int]:
    """Chunks of `size`, then the last order alone: it is the one run_peers.sh probes for readiness."""
    for start in range(0, total - 1, size):
        yield min(size, total - 1 - start)
    yield 1


def add_orders(port: int, total: int, chunk: int, settle: float = 0) -> list[str]:
    ids: list[str] = []
    for count in chunks(total, chunk):
        if count == 1:
            # A probe that timed out (curl --max-time 2) while a big chunk blocked the server is still
            # answered later; let it meet a missing order (404), not file the probe's return (then 409).
            time.sleep(settle)
        status, answer = call(port, "POST", "/__admin/world/orders", {"provider": "zinc", "count": count})
        assert status == 201, (status, answer)
        ids += answer["orders"]
    return ids


def fresh_bodies(port: int, order_ids: list[str]) -> list[str]:
    """One valid return body per distinct new order: its first item, quantity 1."""
    _, world = call(port, "GET", "/__admin/world")
    orders = {o["id"]: o for a in world["providers"]["zinc"]["accounts"] for o in a["orders"]}
    return [
        json.dumps(
            {
                "order_id": oid,
                "items": [{"order_item_id": orders[oid]["items"][0]["id"], "quantity": 1}],
                "reason": "damaged",
            },
            separators=(",", ":"),
        )
        for oid in dict.fromkeys(order_ids)  # add_orders can repeat an id; the store keeps one order
    ]


def prepare(args: argparse.Namespace) -> int:
    port = free_port()
    with subprocess.Popen(serve_argv(port, args.seed), stdout=subprocess.DEVNULL) as server:
        try:
            wait_up(port)
            started = time.monotonic()
            ids = add_orders(port, args.orders, args.chunk)
            seconds = time.monotonic() - started
            bodies = fresh_bodies(port, ids)
        finally:
            server.terminate()
    args.out.write_text("\n".join(bodies) + "\n")
    Path(f"{args.out}.offset").unlink(missing_ok=True)  # the patched post.lua's resume point
    print(f"{len(bodies)} fresh bodies ({len(ids)} orders asked, seeded in {seconds:.1f} s) -> {args.out}")
    peer = [sys.executable, __file__, "peer", "--port", "{port}", "--seed", str(args.seed)]
    peer += ["--orders", str(args.orders), "--chunk", str(args.chunk), "--bodies", str(args.out)]
    command = shlex.join(peer).replace("'{port}'", "{port}")  # run_peers.sh fills in {port}
    if args.webhooks:
        print_webhooks_command(args, command)
        return 0
    post_lua = PEERS_DIR / "load" / "post.lua"
    if not post_lua.exists() or ".offset" not in post_lua.read_text():
        # Unpatched, every wrk run restarts at the file's second line: warm-up bodies come back as 409s.
        print(f"first (peers README set-up, then): patch -p1 -d {PEERS_DIR} < {PATCH}")
    print(
        f"cd {PEERS_DIR} && AUTH_HDR={shlex.quote(AUTH)} VALID_BODY={args.out} CONFORMANCE=0 ROUNDS=1 \\\n"
        f"  PEER_CMD_returnkit={shlex.quote(command)} \\\n"
        f'  PEERS="{PEERS}" ./run_peers.sh'
    )
    return 0


def print_webhooks_command(args: argparse.Namespace, command: str) -> None:
    """Subscriptions off vs on, both with the clock frozen: what emission adds to the request path.

    Each start of a server seeds the same orders, so each begins at the file's first body again."""
    variants = {
        "returnkit": f"{command} --clock frozen --rewind",
        "returnkit_hooks": f"{command} --clock frozen --rewind --subscribe",
    }
    exports = " \\\n".join(f"  PEER_CMD_{name}={shlex.quote(cmd)}" for name, cmd in variants.items())
    print(
        f"cd {PEERS_DIR} && AUTH_HDR={shlex.quote(AUTH)} VALID_BODY={args.out} CONFORMANCE=0 ROUNDS=3 \\\n"
        f"  BODIES=valid CONNS=64 WARMUP=10 DURATION=10 \\\n{exports} \\\n"
        '  PEERS="returnkit returnkit-hooks" ./run_peers.sh'
    )


def peer(args: argparse.Namespace) -> int:
    """PEER_CMD_returnkit: seed in the background (same session, exits when done), become the server."""
    if args.rewind:  # this server has the same fresh orders as the last one: use them from the first again
        Path(f"{args.bodies}.offset").unlink(missing_ok=True)
    seeder = [sys.executable, __file__, "seed", "--port", str(args.port), "--orders", str(args.orders)]
    seeder += ["--subscribe"] if args.subscribe else []
    subprocess.Popen([*seeder, "--chunk", str(args.chunk), "--bodies", str(args.bodies)])
    argv = serve_argv(args.port, args.seed, args.clock)
    os.execv(argv[0], argv)  # noqa: S606  # the runner stops the session by its id: the server must be in it


class Receiver(http.server.BaseHTTPRequestHandler):
    """A webhook receiver that takes every delivery with a 200."""

    deliveries = 0  # counted across threads under the GIL: an estimate is enough

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        Receiver.deliveries += 1
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def subscribe_receiver(port: int) -> http.server.ThreadingHTTPServer:
    """A loopback receiver, subscribed to every Zinc event of every account."""
    receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    subscribe(port, receiver)
    return receiver


def subscribe(port: int, receiver: http.server.ThreadingHTTPServer) -> None:
    url = f"http://127.0.0.1:{receiver.server_address[1]}/hooks"
    status, answer = call(port, "POST", "/__admin/webhooks", {"provider": "zinc", "url": url})
    assert status == 201, (status, answer)


def seed(args: argparse.Namespace) -> int:
    wait_up(args.port, timeout=120)
    receiver = subscribe_receiver(args.port) if args.subscribe else None
    created = set(add_orders(args.port, args.orders, args.chunk, settle=3))
    wanted = [json.loads(line)["order_id"] for line in args.bodies.read_text().splitlines() if line]
    missing = sum(1 for oid in wanted if oid not in created)
    print(f"seeded {len(created)} orders; {missing} of the {len(wanted)} bodies' orders missing", file=sys.stderr)
    if receiver is not None:
        receiver.serve_forever()  # until the runner stops the server's session, this process included
    return 1 if missing else 0


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise LookupError(pid)


class Churn(threading.Thread):
    """`memory --webhooks`: returns filed and resolved, with every change delivered to a loopback receiver.

    Each cycle resets the world (so it stays bounded: the seed's world plus one cycle's orders),
    adds the order and files the return wrk reads again (same seed, same requests: same ids), subscribes the
    receiver, adds `--churn` orders, files a return on each and advances the clock past their
    resolution, which sends every due delivery before it answers. A reset empties the journal,
    so the requests answered before it are added to `before_resets`.
    """

    def __init__(self, port: int, size: int, target: dict[str, Any], body: dict[str, Any]) -> None:
        super().__init__(daemon=True)
        self.port, self.size, self.target, self.body = port, size, target, body
        self.receiver = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
        threading.Thread(target=self.receiver.serve_forever, daemon=True).start()
        self.before_resets = 0
        self.cycles = 0
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.is_set():
            self.cycle()

    def cycle(self) -> None:
        newest = newest_id(self.port)
        status, _ = call(self.port, "POST", "/__admin/reset")
        assert status == 200, status
        self.before_resets += newest
        add_orders(self.port, 1, 1)
        call(self.port, "POST", "/returns", self.body)  # 201, or 409 if wrk's duplicate filed it first
        status, again = call(self.port, "GET", f"/returns/{self.target['id']}")
        assert status == 200, (status, again)
        subscribe(self.port, self.receiver)
        for body in fresh_bodies(self.port, add_orders(self.port, self.size, self.size)):
            status, answer = call(self.port, "POST", "/returns", json.loads(body))
            assert status == 201, (status, answer)
        status, answer = call(self.port, "POST", "/__admin/clock/advance", {"seconds": 3600})
        assert status == 200, (status, answer)
        self.cycles += 1


def newest_id(port: int) -> int:
    """The journal's newest id: the requests answered since the last reset."""
    _, journal = call(port, "GET", "/__admin/requests?limit=1")
    return int(journal["requests"][0]["id"]) if journal["requests"] else 0


def memory(args: argparse.Namespace) -> int:
    port = free_port()
    with (
        subprocess.Popen(serve_argv(port, args.seed), stdout=subprocess.DEVNULL) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        try:
            wait_up(port)
            time.sleep(1)
            samples = [(0, rss_kb(server.pid))]
            print(f"idle RSS after startup: {samples[0][1] / 1024:.1f} MiB")
            body = json.loads(fresh_bodies(port, add_orders(port, 1, 1))[0])
            status, filed = call(port, "POST", "/returns", body)
            assert status == 201, (status, filed)
            churn = Churn(port, args.churn, filed, body) if args.webhooks else None
            Path(tmp, "dup.json").write_text(json.dumps(body))
            Path(tmp, "invalid.json").write_text(json.dumps({**body, "reason": "changed_my_mind", "items": []}))
            argv = ["/usr/bin/taskset", "-c", "1", "/usr/bin/wrk", "-t1", f"-c{args.conns}", "-d3600s", "-s", str(LUA)]
            argv += [f"http://127.0.0.1:{port}", "--", f"/returns/{filed['id']}", f"{tmp}/dup.json"]
            with subprocess.Popen([*argv, f"{tmp}/invalid.json", AUTH], stdout=subprocess.PIPE, text=True) as wrk:
                if churn is not None:
                    churn.start()
                while samples[-1][0] < args.requests and wrk.poll() is None:
                    time.sleep(0.5)
                    answered = newest_id(port) + (churn.before_resets if churn is not None else 0)
                    if answered >= samples[-1][0] + args.every:
                        samples.append((answered, rss_kb(server.pid)))
                        print(f"{answered:>9} requests  RSS {samples[-1][1] / 1024:6.1f} MiB", flush=True)
                if churn is not None:
                    churn.stopped.set()
                    churn.join()
                    print(f"webhooks: {churn.cycles} cycles of {args.churn} returns, {Receiver.deliveries} deliveries")
                wrk.send_signal(signal.SIGINT)  # wrk then prints its summary
                print(wrk.communicate()[0].strip())
        finally:
            server.terminate()
    first = samples[1][1]
    drift = max(abs(kb - first) for _, kb in samples[1:]) / first
    print(f"RSS drift after the first {samples[1][0]} requests: {drift:.1%} (flat means within ±10 %)")
    later = samples[len(samples) // 2 :]  # warm-up (caches, the store's pages, the journal's bound) is over by then
    later_drift = max(abs(kb - later[0][1]) for _, kb in later) / later[0][1]
    print(f"RSS drift after the first {later[0][0]} requests: {later_drift:.1%}")
    return 0 if drift <= 0.10 else 1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    for name in ("prepare", "peer", "seed", "memory"):
        command = commands.add_parser(name)
        command.add_argument("--seed", type=int, default=0)
        command.add_argument("--orders", type=int, default=80_000, help="fresh orders (≈ rate × valid-load seconds)")
        command.add_argument("--chunk", type=int, default=20_000, help="orders per admin call (≤ 100000)")
        command.add_argument("--bodies", "--out", dest="out", type=Path, default=BODIES)
        command.add_argument("--port", type=int, default=0)
        command.add_argument("--subscribe", action="store_true", help="a loopback receiver subscribed to Zinc")
    commands.choices["prepare"].add_argument(
        "--webhooks", action="store_true", help="print the subscriptions off vs on comparison instead"
    )
    commands.choices["peer"].add_argument("--clock", choices=("wall", "frozen"), default="wall")
    commands.choices["peer"].add_argument("--rewind", action="store_true", help="start at the first body again")
    memory_command = commands.choices["memory"]
    memory_command.add_argument("--requests", type=int, default=1_000_000)
    memory_command.add_argument("--every", type=int, default=100_000, help="RSS sample interval in requests")
    memory_command.add_argument("--conns", type=int, default=16)
    memory_command.add_argument(
        "--webhooks", action="store_true", help="also file and resolve returns, delivered to a loopback receiver"
    )
    memory_command.add_argument("--churn", type=int, default=100, help="returns filed per --webhooks cycle")
    args = parser.parse_args(argv)
    args.bodies = args.out
    actions = {"prepare": prepare, "peer": peer, "seed": seed, "memory": memory}
    return actions[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
