"""Helpers of the lifecycle tests: a real `returnkit serve --clock frozen` process, the admin calls a
client makes, and a payload checked against a shape written in the test (key sets and types)."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx

from tests.listening import returnkit_serve
from tests.webhooks.receiver import Received

START = datetime.fromisoformat("2026-03-02T09:00:00+00:00").timestamp()  # mocks/server.yaml
ADVANCE_TIMEOUT = 120.0  # a long advance sends every retry that fell due before it answers


@contextmanager
def served(logs: Path) -> Iterator[httpx.Client]:
    with returnkit_serve(logs, "--clock", "frozen") as base_url, httpx.Client(base_url=base_url, timeout=30) as client:
        yield client


def subscribe(client: httpx.Client, provider: str, url: str, **fields: Any) -> dict[str, Any]:
    answer = client.post("/__admin/webhooks", json={"provider": provider, "url": url, **fields})
    assert answer.status_code == 201, answer.text
    subscription: dict[str, Any] = answer.json()
    return subscription


def advance(client: httpx.Client, seconds: float) -> None:
    answer = client.post("/__admin/clock/advance", json={"seconds": seconds}, timeout=ADVANCE_TIMEOUT)
    assert answer.status_code == 200, answer.text


def deliveries(client: httpx.Client, provider: str, every_attempt: bool = True, **filters: str) -> list[dict[str, Any]]:
    """The provider's deliveries, with every attempt (else the last 20, as the admin API lists them)."""
    params = {"provider": provider, **filters, **({"attempts": "all"} if every_attempt else {})}
    answer = client.get("/__admin/webhooks/deliveries", params=params)
    assert answer.status_code == 200, answer.text
    found: list[dict[str, Any]] = answer.json()["deliveries"]
    return found


def elapsed(iso_time: str) -> float:
    """Seconds of virtual time since the world's start."""
    return datetime.fromisoformat(iso_time.replace("Z", "+00:00")).timestamp() - START


def world(client: httpx.Client, provider: str) -> dict[str, Any]:
    found: dict[str, Any] = client.get("/__admin/world").json()["providers"][provider]
    return found


@dataclass(frozen=True)
class MayLack:
    """A key the published shape shows that a payload may leave out (an optional field)."""

    shape: Any


OTHER_KEYS = ...  # as a key of a shape: keys the shape does not list are allowed (a truncated published list)


def assert_shape(value: Any, shape: Any, where: str = "$") -> None:
    """`shape`: a type (or tuple of types), a dict of keys to shapes, or a one-element list (each item).

    A dict's keys must be exactly its keys, less those marked `MayLack`, plus any when it has `OTHER_KEYS`.
    """
    if isinstance(shape, dict):
        assert isinstance(value, dict), f"{where}: {value!r} is not an object"
        listed = {k for k in shape if k is not OTHER_KEYS}
        required = {k for k in listed if not isinstance(shape[k], MayLack)}
        assert required <= set(value), f"{where}: {sorted(required - set(value))} missing"
        if OTHER_KEYS not in shape:
            assert set(value) <= listed, f"{where}: {sorted(set(value) - listed)} not in the published shape"
        for key in listed & set(value):
            inner = shape[key]
            assert_shape(value[key], inner.shape if isinstance(inner, MayLack) else inner, f"{where}.{key}")
    elif isinstance(shape, list):
        assert isinstance(value, list), f"{where}: {value!r} is not an array"
        for index, item in enumerate(value):
            assert_shape(item, shape[0], f"{where}[{index}]")
    else:
        allowed = shape if isinstance(shape, tuple) else (shape,)
        assert isinstance(value, allowed), f"{where}: {value!r} is not {shape}"
        assert bool in allowed or not isinstance(value, bool), f"{where}: {value!r} is a boolean"


Answer = tuple[int, bytes]


@dataclass
class Hook:
    """A loopback receiver whose answer a function of the test decides (echo a challenge, fetch a resource)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    answers: list[Answer] = field(default_factory=list)
    respond: Callable[[Received], Answer] = lambda _: (200, b"")

    def header(self, index: int, name: str) -> str:
        return {k.lower(): v for k, v in self.received[index].headers.items()}[name.lower()]

    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.body) for r in self.received]


def _hook_handler(hook: Hook) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True

        def do_POST(self) -> None:
            arrived = Received(
                self.path, dict(self.headers.items()), self.rfile.read(int(self.headers["Content-Length"]))
            )
            hook.received.append(arrived)
            status, reply = hook.respond(arrived)
            hook.answers.append((status, reply))
            self.send_response(status)
            self.send_header("Content-Length", str(len(reply)))
            self.end_headers()
            self.wfile.write(reply)

        def log_message(self, format: str, *args: object) -> None:
            return None

    return Handler


@contextmanager
def hooked(respond: Callable[[Received], Answer]) -> Iterator[Hook]:
    hook = Hook(respond=respond)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _hook_handler(hook))
    server.daemon_threads = True
    hook.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield hook
    finally:
        server.shutdown()
        server.server_close()
