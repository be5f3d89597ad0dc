"""The plugin's `returnkit.webhooks`: a test's own ASGI (Starlette) or WSGI app receives signed events
in process, no port, as the clock advances; Pingo (`tests/webhooks/fake.py`) is the provider."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

import returnkit.webhooks
from returnkit.providers import default_kits
from returnkit.testing.plugin import Returnkit, ReturnkitServer
from tests.webhooks.fake import KEY, SIGNATURE, SPEC, pingo_kit


@pytest.fixture(scope="module")
def pingo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ReturnkitServer]:
    spec = Path(tmp_path_factory.mktemp("pingo")) / "pingo.yaml"
    spec.write_text(SPEC)
    server = ReturnkitServer(seed=0, kits=[*default_kits(), pingo_kit(spec)])
    server.start()
    yield server
    server.stop()


@pytest.fixture
def rk(pingo_server: ReturnkitServer) -> Iterator[Returnkit]:
    handle = Returnkit(pingo_server)
    handle.reset()
    yield handle
    handle.close()


def make_ping(rk: Returnkit) -> str:
    answer = httpx.post(f"{rk.base_url}/pings", json={"text": "hi"}, headers={"X-Pingo-Key": KEY})
    assert answer.status_code == 201
    identifier: str = answer.json()["id"]
    return identifier


def receiving_app(
    secrets: dict[str, str], seen: list[tuple[str, bool]], on_event: Callable[[], None] | None = None
) -> Starlette:
    """A user's handler: checks the signature with its own HMAC, answers 401 when it does not match."""

    async def hook(request: Request) -> Response:
        body = await request.body()
        expected = hmac.new(secrets["key"].encode(), body, hashlib.sha256).hexdigest()
        valid = hmac.compare_digest(request.headers.get(SIGNATURE, ""), expected)
        seen.append((json.loads(body)["event"], valid))
        if on_event is not None:
            on_event()
        return JSONResponse({"ok": valid}, status_code=200 if valid else 401)

    return Starlette(routes=[Route("/hooks/pingo", hook, methods=["POST"])])


def test_a_starlette_app_receives_each_signed_event_in_process(rk: Returnkit) -> None:
    secrets: dict[str, str] = {}
    seen: list[tuple[str, bool]] = []
    subscription = rk.webhooks.subscribe("pingo", receiving_app(secrets, seen), path="/hooks/pingo")
    secrets["key"] = subscription["secret"]
    assert subscription["url"].startswith("asgi://")
    make_ping(rk)
    rk.clock.advance(seconds=60)
    assert seen == [("ping.created", True), ("ping.answered", True)]
    (delivered,) = rk.webhooks.assert_delivered("pingo", "ping.created", times=1)
    assert delivered["attempts"][0]["status"] == 200
    with pytest.raises(AssertionError, match="delivered 1 times, not 2 times"):
        rk.webhooks.assert_delivered("pingo", "ping.answered", times=2)


def test_a_handler_that_rejects_the_signature_makes_the_delivery_pending(rk: Returnkit) -> None:
    seen: list[tuple[str, bool]] = []
    rk.webhooks.subscribe(
        "pingo", receiving_app({"key": "not the secret"}, seen), path="/hooks/pingo", events=["ping.created"]
    )
    make_ping(rk)
    rk.clock.advance(seconds=0)
    assert seen == [("ping.created", False)]
    (pending,) = rk.webhooks.deliveries("pingo", status="pending")
    assert pending["attempts"][0]["status"] == 401
    with pytest.raises(AssertionError, match="was delivered 0 times"):
        rk.webhooks.assert_delivered("pingo", "ping.created")


def test_a_handler_may_call_the_mock_back_while_the_advance_waits_for_it(rk: Returnkit) -> None:
    worlds: list[int] = []

    def call_back() -> None:  # a synchronous client inside an async handler, as users write them
        worlds.append(httpx.get(f"{rk.base_url}/__admin/world", timeout=10).status_code)

    secrets: dict[str, str] = {}
    subscription = rk.webhooks.subscribe("pingo", receiving_app(secrets, [], call_back), path="/hooks/pingo")
    secrets["key"] = subscription["secret"]
    make_ping(rk)
    rk.clock.advance(seconds=60)
    assert worlds == [200, 200]


def test_a_wsgi_app_receives_events_too(rk: Returnkit) -> None:
    bodies: list[bytes] = []

    def wsgi_app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        bodies.append(environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0)))
        start_response("204 No Content", [])
        return [b""]

    rk.webhooks.subscribe("pingo", wsgi_app, events=["ping.created"])
    make_ping(rk)
    rk.clock.advance(seconds=0)
    assert [json.loads(body)["event"] for body in bodies] == ["ping.created"]
    rk.webhooks.assert_delivered("pingo", "ping.created", times=1)


def test_the_public_sign_and_verify_are_on_the_handle(rk: Returnkit) -> None:
    assert rk.webhooks.sign is returnkit.webhooks.sign
    assert rk.webhooks.verify is returnkit.webhooks.verify
