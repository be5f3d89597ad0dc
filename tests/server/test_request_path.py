"""The request path's drivers: a failure anywhere becomes the provider's 500, journaled; every
answer leaves through the ASGI `send` the app was given, as plain ASGI messages."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import anyio
from starlette.types import Message

from returnkit.core.jsonbytes import dumps
from returnkit.providers.kit import Handler, Request, World
from returnkit.providers.wire import WireResponse
from returnkit.providers.zinc import Zinc
from returnkit.server.app import ServerOptions, create_app
from returnkit.server.pipeline import REQUEST_PATH
from tests.http import serving

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


class FailingZinc(Zinc):
    """Zinc whose list of orders fails inside the handler (a returnkit bug, as the server sees it)."""

    @property
    def handlers(self) -> Mapping[str, Handler]:  # type: ignore[override]
        def failing(request: Request, world: World) -> WireResponse:
            raise RuntimeError("the handler broke")

        return {**super().handlers, "list_orders_orders_get": failing}


def test_a_failing_handler_is_the_providers_500_and_the_journal_says_why() -> None:
    app = create_app(ServerOptions(seed=7, clock_mode="frozen"), kits=[FailingZinc()])
    with serving(app) as http:
        answer = http.get("/orders", headers=ZINC)
        assert answer.status_code == 500
        reason = "returnkit failed to answer; the journal holds the request"
        assert answer.content == dumps(Zinc().errors.server_error(500, reason).body)
        assert "x-request-id" in answer.headers  # the steps after the answer ran for it too
        (entry,) = http.get("/__admin/requests", params={"provider": "zinc"}).json()["requests"]
    assert entry["status"] == 500
    assert entry["note"] == "returnkit failed: RuntimeError('the handler broke')"


def test_the_answer_is_sent_as_plain_asgi_messages() -> None:
    app = create_app(ServerOptions(seed=7, clock_mode="frozen"))
    sent: list[Message] = []
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": "/orders",
        "raw_path": b"/orders",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), (b"authorization", ZINC["Authorization"].encode())],
        "extensions": {},
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    anyio.run(app, scope, receive, send)
    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200
    assert set(scope["extensions"]) <= {"returnkit.exchange", "connexion_routing"}


def test_the_request_path_names_each_step_once() -> None:
    names = [step.__name__ for _, steps in REQUEST_PATH for step in steps]
    assert len(names) == len(set(names)) == 15
