"""The proxy and its upstreams, each listening on a free loopback port in a background thread."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
import uvicorn

from returnkit.server.app import ServerOptions, create_app
from returnkit.server.protocol import bounded_protocol
from returnkit.server.proxy import ProxyOptions, create_proxy_app

STARTUP_SECONDS = 10.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def listening(app: Any, **ssl: str) -> Iterator[str]:
    """`app` under uvicorn on a free loopback port (HTTPS with `ssl_certfile`/`ssl_keyfile`); its base URL."""
    port = free_port()
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        log_level="error",
        lifespan="on",
        http=bounded_protocol(),
        **ssl,  # type: ignore[arg-type]
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_SECONDS
    while not server.started:  # waiting for a real socket, not simulated time
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the app did not start listening")
        time.sleep(0.01)
    try:
        yield f"{'https' if ssl else 'http'}://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_SECONDS)


@contextmanager
def proxy_to(upstream: str, body_limit: int | None = None, **options: Any) -> Iterator[tuple[str, Any]]:
    """A proxy in front of `upstream`: its base URL and its app."""
    server = ServerOptions(clock_mode="frozen", body_limit=body_limit)
    app = create_proxy_app(ProxyOptions(upstream=upstream, **options), server)
    with listening(app) as url:
        yield url, app


@pytest.fixture(scope="module")
def upstream_serve() -> Iterator[str]:
    """`returnkit serve`'s app (frozen clock, every response checked against its spec) as the upstream."""
    app = create_app(ServerOptions(seed=3, clock_mode="frozen", check_responses=True))
    with listening(app) as url:
        yield url


class Hang:
    """An upstream handler that never answers until the test is over (set free at teardown, never slept on)."""

    def __init__(self) -> None:
        self.release = asyncio.Event()
        self.loop: asyncio.AbstractEventLoop | None = None

    async def wait(self) -> None:
        self.loop = asyncio.get_running_loop()
        await self.release.wait()

    def free(self) -> None:
        if self.loop is not None:
            self.loop.call_soon_threadsafe(self.release.set)
