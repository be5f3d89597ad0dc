"""The pytest plugin (entry point `pytest11`): `pip install returnkit` is enough.

    def test_my_client_files_a_return(returnkit):
        client = MyZincClient(base_url=returnkit.base_url, api_key="Bearer zn_test_acme_5d2f8a91c4e7")
        client.file_return(...)
        returnkit.clock.advance(seconds=120)
        returnkit.journal.assert_called("zinc", "POST", "/returns", times=1)

`returnkit_server` (session) is one listening server with a frozen clock; `returnkit` (each
test) resets its world, clock and journal first, and at teardown fails the test if the server
refused a request the test did not expect (`returnkit.expect_rejections()`). In-process clients
use `returnkit.transport()` / `returnkit.async_transport()` instead of `base_url`: same app,
same state, no network. `returnkit.webhooks` subscribes a URL or your own ASGI/WSGI app (called
in process, no port) to a provider's webhooks; `clock.advance` delivers what fell due.

With `--returnkit-admin-token TOKEN` (or `$RETURNKIT_ADMIN_TOKEN`) the session's server requires
that admin token, as `returnkit serve` would, and the fixture sends it; `returnkit.admin_headers`
carries it for your own admin calls.

With `--returnkit-upstream URL` the session's server is a validation proxy (`returnkit proxy`) in
front of URL, a provider's sandbox, instead of the mock: the same tests send their requests
through it to the sandbox, and a test fails when the sandbox answered outside the spec.
`returnkit.journal` then lists the proxied exchanges.
"""

from __future__ import annotations

import os
import socket
import threading
import time
from collections.abc import Collection, Iterator, Sequence
from http import HTTPStatus
from typing import Any

import httpx
import pytest
import uvicorn

from returnkit import webhooks as public_webhooks
from returnkit.providers.kit import ProviderKit
from returnkit.server.admin import ADMIN_ENV
from returnkit.server.app import ServerOptions, create_app, server_state
from returnkit.server.protocol import EVENT_LOOP, bounded_protocol
from returnkit.server.webhooks import Dispatcher, is_asgi
from returnkit.testing.transport import AsyncReturnkitTransport, ReturnkitTransport

STARTUP_SECONDS = 10.0


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("returnkit")
    group.addoption("--returnkit-seed", type=int, default=0, help="seed of the returnkit world (default 0)")
    group.addoption(
        "--returnkit-admin-token",
        default=None,
        help=f"the session's server requires this admin token, and the fixture sends it (default: ${ADMIN_ENV})",
    )
    group.addoption(
        "--returnkit-upstream",
        default=None,
        metavar="URL",
        help="run the tests through a validation proxy to URL (a provider's sandbox) instead of the mock",
    )


class ReturnkitServer:
    """returnkit serving on a free loopback port in a background thread."""

    def __init__(
        self,
        seed: int,
        admin_token: str | None = None,
        kits: Sequence[ProviderKit] | None = None,
        upstream: str | None = None,
    ) -> None:
        self.admin_token = admin_token
        self.upstream = upstream
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port: int = probe.getsockname()[1]
        self.base_url = f"http://127.0.0.1:{self.port}"
        options = ServerOptions(
            seed=seed, clock_mode="frozen", check_responses=True, admin_token=admin_token, public_url=self.base_url
        )
        self.app = create_app(options, kits) if upstream is None else _proxy(upstream, options)
        config = uvicorn.Config(
            self.app,
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            lifespan="on",
            http=bounded_protocol(),
            loop=EVENT_LOOP,
        )
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="returnkit-server", daemon=True)

    def start(self) -> None:
        self._thread.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while not self._server.started:  # waiting for a real socket, not for simulated time
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("returnkit did not start listening")
            time.sleep(0.01)
        self._wait_until_healthy(deadline)

    def _wait_until_healthy(self, deadline: float) -> None:
        """Ready when `GET /__admin/health` says its database answers (what load balancers and CI wait on)."""
        with httpx.Client(base_url=self.base_url, trust_env=False) as client:
            while True:
                health = client.get("/__admin/health")
                if health.status_code == HTTPStatus.OK:
                    return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"returnkit's database does not answer: {health.text}")
                time.sleep(0.05)

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=STARTUP_SECONDS)


def _proxy(upstream: str, options: ServerOptions) -> Any:
    """`returnkit proxy --upstream URL`'s app (server/proxy.py, loaded only when asked for)."""
    from returnkit.server.proxy import ProxyOptions, create_proxy_app

    return create_proxy_app(ProxyOptions(upstream=upstream), options)


class Clock:
    def __init__(self, admin: httpx.Client) -> None:
        self._admin = admin

    def advance(self, *, seconds: float) -> str:
        """Move the virtual clock forward; returns the new time (RFC 3339)."""
        answer = self._admin.post("/__admin/clock/advance", json={"seconds": seconds})
        answer.raise_for_status()
        now: str = answer.json()["now"]
        return now

    def now(self) -> str:
        now: str = self._admin.get("/__admin/clock").json()["now"]
        return now


class Journal:
    """What the server saw since the test began."""

    def __init__(self, admin: httpx.Client, providers: Collection[str], direction: str = "inbound") -> None:
        self._admin = admin
        self._providers = providers
        self._direction = direction  # proxied: the exchanges a proxy forwarded (--returnkit-upstream)
        self.rejections_expected = False

    def calls(
        self, provider: str | None = None, method: str | None = None, path: str | None = None
    ) -> list[dict[str, Any]]:
        """Requests to the providers (not the admin API), oldest first, with bodies and verdicts."""
        params = {k: v for k, v in {"provider": provider, "method": method, "path": path}.items() if v}
        query: dict[str, str | int] = {**params, "limit": 10_000, "direction": self._direction}
        entries: list[dict[str, Any]] = self._admin.get("/__admin/requests", params=query).json()["requests"]
        return [entry for entry in entries if entry["provider"] in self._providers]

    def assert_called(self, provider: str, method: str, path: str, *, times: int | None = None) -> list[dict[str, Any]]:
        found = self.calls(provider, method, path)
        if times is None and not found:
            raise AssertionError(f"{provider} {method} {path} was never called; calls: {self._summary()}")
        if times is not None and len(found) != times:
            raise AssertionError(
                f"{provider} {method} {path} was called {len(found)} times, not {times}; calls: {self._summary()}"
            )
        return found

    def rejected(self) -> list[dict[str, Any]]:
        return [entry for entry in self.calls() if entry["status"] >= 400]

    def nonconforming(self) -> list[dict[str, Any]]:
        """Exchanges whose response broke the provider's spec, and webhooks whose payload broke it
        (returnkit's own fault, never the client's)."""
        sent = self._admin.get("/__admin/requests", params={"direction": "outbound", "limit": 10_000}).json()
        return [entry for entry in [*self.calls(), *sent["requests"]] if entry.get("conformance")]

    def _summary(self) -> str:
        return ", ".join(f"{e['method']} {e['path']} -> {e['status']}" for e in self.calls()) or "none"


class Faults:
    """Switch faults on for this test (they are cleared with the world before the next one)."""

    def __init__(self, admin: httpx.Client) -> None:
        self._admin = admin

    def add(self, provider: str, kind: str, **options: Any) -> dict[str, Any]:
        """`kind`: status, rate-limit, drop, empty or latency.

        Options: operation, status, seconds, times, probability (see the admin API's add_fault).
        """
        answer = self._admin.post("/__admin/faults", json={"provider": provider, "kind": kind, **options})
        answer.raise_for_status()
        fault: dict[str, Any] = answer.json()
        return fault

    def clear(self) -> None:
        self._admin.delete("/__admin/faults").raise_for_status()


class Webhooks:
    """The test's subscriptions and what was sent to them (deliveries happen as the clock advances).

    returnkit.webhooks.subscribe("zinc", my_fastapi_app, path="/hooks/zinc")
    ... file a return ...
    returnkit.clock.advance(seconds=120)
    returnkit.webhooks.assert_delivered("zinc", "return.approved", times=1)
    """

    sign = staticmethod(public_webhooks.sign)
    verify = staticmethod(public_webhooks.verify)

    def __init__(self, admin: httpx.Client, dispatcher: Dispatcher) -> None:
        self._admin = admin
        self._dispatcher = dispatcher

    def subscribe(
        self,
        provider: str,
        target: str | Any,
        *,
        path: str = "/",
        owner: str | None = None,
        events: Sequence[str] | None = None,
        secret: str | None = None,
        **options: Any,
    ) -> dict[str, Any]:
        """Send `provider`'s events to `target`: a URL, or an ASGI or WSGI application called in process
        (no port). Returns the subscription, its `secret` the key its deliveries are signed with."""
        url = target if isinstance(target, str) else self._in_process(target, path)
        fields = {"owner": owner, "events": list(events) if events is not None else None, "secret": secret, **options}
        given = {name: value for name, value in fields.items() if value is not None}
        answer = self._admin.post("/__admin/webhooks", json={"provider": provider, "url": url, **given})
        if answer.status_code != 201:
            raise AssertionError(f"returnkit refused the subscription: {answer.status_code} {answer.text}")
        subscription: dict[str, Any] = answer.json()
        return subscription

    def _in_process(self, app: Any, path: str) -> str:
        token = f"app{len(self._dispatcher.apps) + 1}"
        self._dispatcher.apps[token] = app
        scheme = "asgi" if is_asgi(app) else "wsgi"
        return f"{scheme}://{token}/{path.lstrip('/')}"

    def deliveries(
        self,
        provider: str | None = None,
        event: str | None = None,
        status: str | None = None,
        subscription: str | None = None,
    ) -> list[dict[str, Any]]:
        """The outbox, oldest first, each delivery with its attempts (`GET /__admin/webhooks/deliveries`)."""
        filters = {"provider": provider, "event": event, "status": status, "subscription": subscription}
        params = {name: value for name, value in filters.items() if value is not None}
        answer = self._admin.get("/__admin/webhooks/deliveries", params={**params, "limit": 10_000, "attempts": "all"})
        answer.raise_for_status()
        found: list[dict[str, Any]] = answer.json()["deliveries"]
        return found

    def assert_delivered(self, provider: str, event: str, *, times: int | None = None) -> list[dict[str, Any]]:
        """The deliveries of `event` that a receiver accepted: at least one, or exactly `times`."""
        delivered = self.deliveries(provider, event, "delivered")
        if (times is None and not delivered) or (times is not None and len(delivered) != times):
            seen = ", ".join(f"{d['event']} {d['status']}" for d in self.deliveries(provider)) or "none"
            wanted = "at least once" if times is None else f"{times} times"
            raise AssertionError(
                f"{provider} {event} was delivered {len(delivered)} times, not {wanted}; deliveries: {seen}"
            )
        return delivered

    def clear(self) -> None:
        """Forget the in-process applications (their subscriptions go with the world's reset)."""
        self._dispatcher.apps.clear()


class Returnkit:
    """The per-test handle: URLs, transports, world, clock and journal of the session's server."""

    def __init__(self, server: ReturnkitServer) -> None:
        self.server = server
        self.base_url = server.base_url
        self.app = server.app
        self._admin = httpx.Client(base_url=server.base_url, headers=self.admin_headers, timeout=30)
        self.clock = Clock(self._admin)
        direction = "inbound" if server.upstream is None else "proxied"
        self.journal = Journal(self._admin, tuple(server_state(server.app).kits), direction)
        self.faults = Faults(self._admin)
        self.webhooks = Webhooks(self._admin, server_state(server.app).dispatcher)

    @property
    def admin_headers(self) -> dict[str, str]:
        """What a request of your own to `/__admin/*` needs: the admin token, when the server has one."""
        token = self.server.admin_token
        return {"Authorization": f"Bearer {token}"} if token else {}

    @property
    def world(self) -> dict[str, Any]:
        """Credentials and orders per provider (GET /__admin/world)."""
        world: dict[str, Any] = self._admin.get("/__admin/world").json()["providers"]
        return world

    def transport(self) -> ReturnkitTransport:
        return ReturnkitTransport(self.app)

    def async_transport(self) -> AsyncReturnkitTransport:
        return AsyncReturnkitTransport(self.app)

    def expect_rejections(self) -> None:
        """This test sends requests the server refuses on purpose: do not fail it for them."""
        self.journal.rejections_expected = True

    def reset(self) -> None:
        self._admin.post("/__admin/reset").raise_for_status()
        self.webhooks.clear()
        self.journal.rejections_expected = False

    def close(self) -> None:
        self._admin.close()


@pytest.fixture(scope="session")
def returnkit_server(request: pytest.FixtureRequest) -> Iterator[ReturnkitServer]:
    token = request.config.getoption("--returnkit-admin-token") or os.environ.get(ADMIN_ENV) or None
    upstream = request.config.getoption("--returnkit-upstream")
    server = ReturnkitServer(seed=request.config.getoption("--returnkit-seed"), admin_token=token, upstream=upstream)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def returnkit(returnkit_server: ReturnkitServer) -> Iterator[Returnkit]:
    handle = Returnkit(returnkit_server)
    handle.reset()
    yield handle
    rejected = [] if handle.journal.rejections_expected else handle.journal.rejected()
    broken = handle.journal.nonconforming()
    handle.close()
    if broken:
        lines = "\n".join(f"  {e['method']} {e['path']} -> {e['status']}: {e['conformance']}" for e in broken)
        pytest.fail(f"returnkit answered outside the provider's spec (a returnkit bug, please report):\n{lines}")
    if rejected:
        lines = "\n".join(f"  {e['method']} {e['path']} -> {e['status']}: {e['response']['body']}" for e in rejected)
        pytest.fail(
            f"returnkit refused requests this test did not expect (call returnkit.expect_rejections()):\n{lines}"
        )
