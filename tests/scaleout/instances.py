"""Real `returnkit serve --db postgresql://...` processes on 127.0.0.1, driven through HTTP only.

Each starts with `--port 0`; its start-up line on stderr names the port it got, and it is ready once
`GET /__admin/health` answers 200.
"""

from __future__ import annotations

import contextlib
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

RETURNKIT = str(Path(sys.executable).parent / "returnkit")
READY_WITHIN_SECONDS = 20.0
POLL_SECONDS = 0.02
LISTENING = re.compile(r"http://127\.0\.0\.1:([1-9][0-9]*)")
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
AY = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}


def wait_for(condition: Callable[[], bool], within: float) -> bool:
    """Polls `condition` until it holds or `within` wall seconds passed: for the other side of a real
    race (an arrival, a process coming back), never for time-based behaviour (that is the virtual clock)."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(POLL_SECONDS)
    return condition()


@dataclass
class Instance:
    """One `returnkit serve` process and a client of it."""

    name: str
    process: subprocess.Popen[bytes]
    logs: Path
    client: httpx.Client

    def kill(self) -> None:
        """kill -9: no shutdown of any kind."""
        self.process.kill()
        self.process.wait(timeout=10)

    def output(self) -> str:
        return self.logs.read_text(errors="replace")


def launch(db: str, logs: Path, *options: str) -> subprocess.Popen[bytes]:
    command = [RETURNKIT, "serve", "--host", "127.0.0.1", "--port", "0", "--db", db, *options]
    with logs.open("wb") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)


def until_healthy(name: str, process: subprocess.Popen[bytes], logs: Path) -> Instance:
    """The instance once its start-up line named its port and its health is 200."""
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    client: httpx.Client | None = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"returnkit serve {name} exited with {process.returncode}:\n{logs.read_text()}")
        if client is None and (found := LISTENING.search(logs.read_text(errors="replace"))):
            client = httpx.Client(base_url=f"http://127.0.0.1:{found.group(1)}", timeout=30, trust_env=False)
        if client is not None:
            with contextlib.suppress(httpx.TransportError):
                if client.get("/__admin/health").status_code == 200:
                    return Instance(name, process, logs, client)
        time.sleep(POLL_SECONDS)
    process.kill()
    pytest.fail(f"returnkit serve {name} was not healthy within {READY_WITHIN_SECONDS} s:\n{logs.read_text()}")


@contextmanager
def serving(db: str, logs: Path, count: int = 2, *, clock: str = "frozen") -> Iterator[list[Instance]]:
    """`count` instances on `db`, all started at the same moment; stopped (if still running) afterwards."""
    names = [chr(ord("a") + number) for number in range(count)]
    with ExitStack() as stack:
        processes = [launch(db, logs / f"{name}.log", "--clock", clock) for name in names]
        for process in processes:
            stack.callback(_stop, process)
        instances = [
            until_healthy(name, process, logs / f"{name}.log") for name, process in zip(names, processes, strict=True)
        ]
        for instance in instances:
            stack.callback(instance.client.close)
        yield instances


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def zinc_return_body(client: httpx.Client, order_number: int = 0) -> dict[str, Any]:
    """A return of the first item of the account's `order_number`th placed order."""
    orders = client.get("/orders", params={"status_filter": "order_placed"}, headers=ZINC).json()["orders"]
    return zinc_return_of(orders[order_number])


def zinc_return_of(order: dict[str, Any]) -> dict[str, Any]:
    """A return of the first item of `order`."""
    return {
        "order_id": order["id"],
        "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}],
        "reason": "other",
    }
