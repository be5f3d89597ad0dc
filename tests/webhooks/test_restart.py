"""At least once across a crash: with `--db`, events pending when the server is killed (-9) are
delivered after it restarts, and one whose receiver was still answering is sent again."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.listening import _free_port
from tests.webhooks.fake import KEY
from tests.webhooks.receiver import listening

READY_WITHIN_SECONDS = 15.0
ROOT = Path(__file__).resolve().parents[2]


@contextmanager
def pingo_serving(spec: Path, db: Path, logs: Path) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    port = _free_port()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])}
    command = [sys.executable, "-m", "tests.webhooks.pingo_serve", str(spec), str(port), "--db", str(db)]
    with (logs / "stderr.txt").open("ab") as stderr:
        server = subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=stderr)
    base_url = f"http://127.0.0.1:{port}"
    try:
        wait_until_ready(base_url, server, logs)
        yield base_url, server
    finally:
        if server.poll() is None:
            server.kill()
        server.wait()


def wait_until_ready(base_url: str, server: subprocess.Popen[bytes], logs: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:  # waiting for a real process to listen, not for simulated time
        if server.poll() is not None:
            pytest.fail(f"the server exited: {(logs / 'stderr.txt').read_text()}")
        try:
            if httpx.get(f"{base_url}/__admin/clock", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    pytest.fail("the server did not answer")


def killed(server: subprocess.Popen[bytes]) -> None:
    server.send_signal(signal.SIGKILL)
    server.wait()


def test_events_pending_at_a_kill_are_all_delivered_after_the_restart(pingo_spec: Path, tmp_path: Path) -> None:
    db = tmp_path / "world.db"
    with listening() as receiver:
        down = receiver.url.replace(receiver.url.split("/")[2], f"127.0.0.1:{_free_port()}")
        with pingo_serving(pingo_spec, db, tmp_path) as (base_url, server):
            subscription = {"provider": "pingo", "url": receiver.url, "events": ["ping.created"]}
            assert httpx.post(f"{base_url}/__admin/webhooks", json=subscription).status_code == 201
            downed = {"provider": "pingo", "url": down, "events": ["ping.created"]}
            assert httpx.post(f"{base_url}/__admin/webhooks", json=downed).status_code == 201
            pings = [
                httpx.post(f"{base_url}/pings", json={"text": str(n)}, headers={"X-Pingo-Key": KEY}).json()["id"]
                for n in range(5)
            ]
            killed(server)
        assert receiver.received == []
        with pingo_serving(pingo_spec, db, tmp_path) as (base_url, _):
            assert httpx.post(f"{base_url}/__admin/clock/advance", json={"seconds": 0}, timeout=30).status_code == 200
            arrived = [json.loads(r.body)["ping"] for r in receiver.received]
            assert arrived == pings
            statuses = httpx.get(f"{base_url}/__admin/webhooks/deliveries", params={"status": "pending"}).json()
            assert statuses["total"] == len(pings)  # the receiver that is down: retried later, none lost


def test_a_delivery_cut_off_by_the_kill_is_sent_again_after_the_restart(pingo_spec: Path, tmp_path: Path) -> None:
    db = tmp_path / "world.db"
    with listening() as receiver:
        receiver.hang = threading.Event()
        receiver.hang.set()
        with pingo_serving(pingo_spec, db, tmp_path) as (base_url, server):
            subscription = {"provider": "pingo", "url": receiver.url, "events": ["ping.created"]}
            assert httpx.post(f"{base_url}/__admin/webhooks", json=subscription).status_code == 201
            httpx.post(f"{base_url}/pings", json={"text": "x"}, headers={"X-Pingo-Key": KEY})
            advancing = threading.Thread(target=lambda: _quietly(f"{base_url}/__admin/clock/advance"), daemon=True)
            advancing.start()
            assert receiver.arrived.wait(timeout=10)  # the delivery is in flight: the receiver holds it
            killed(server)
        receiver.hang.clear()
        receiver.released.set()
        with pingo_serving(pingo_spec, db, tmp_path) as (base_url, _):
            assert httpx.post(f"{base_url}/__admin/clock/advance", json={"seconds": 0}, timeout=30).status_code == 200
            assert [json.loads(r.body)["ping"] for r in receiver.received] == ["P1", "P1"]
            (delivery,) = httpx.get(f"{base_url}/__admin/webhooks/deliveries").json()["deliveries"]
            assert delivery["status"] == "delivered"


def _quietly(url: str) -> None:
    with contextlib.suppress(httpx.TransportError):  # the server was killed while it answered
        httpx.post(url, json={"seconds": 0}, timeout=30)
