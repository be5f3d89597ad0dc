"""The two returnkit middlewares around Connexion's router: thin drivers of `pipeline.REQUEST_PATH`.

The Frontier reads the body, takes the steps before routing and calls the router; the Pipeline,
after it, records the routing result and takes the stages. Whichever answers sends the answer
through the ASGI `send` it was given, after the steps that follow an answer (`respond`). The
Frontier watches `send` so that it answers a failure (the last-resort 500) only if nothing was
sent yet.
"""

from __future__ import annotations

from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from returnkit.core.jsonbytes import dumps
from returnkit.core.store import StoreUnavailable
from returnkit.providers.kit import Request
from returnkit.providers.wire import WireResponse
from returnkit.server.admin import HEALTH_PATH, health_unavailable
from returnkit.server.continued import Continued
from returnkit.server.dashboard import Dashboard, is_dashboard
from returnkit.server.methods import AllowedMethods
from returnkit.server.pipeline import (
    BEFORE_ROUTING,
    STAGES,
    Exchange,
    finish,
    method_not_allowed,
    route,
    run,
)
from returnkit.server.protocol import HEADER_BYTES, TARGET_LENGTH
from returnkit.server.routes import RouteTable
from returnkit.server.state import Api, ServerState

EXCHANGE = "returnkit.exchange"
UNAVAILABLE_REASON = "the service is temporarily unavailable (its database does not answer); try again shortly"
ROUTING_CONTEXT = "connexion_routing"


class ConnectionDropped(Exception):
    """Raised after the response started: the server closes the connection mid-answer (a fault)."""


class ServerMiddleware:
    def __init__(self, app: ASGIApp, server: ServerState) -> None:
        self.app = app
        self.server = server


class Frontier(ServerMiddleware):
    """Outermost: the body, the steps before routing, the router's 405, and never an escaped error."""

    def __init__(self, app: ASGIApp, server: ServerState, dashboard: Dashboard | None = None) -> None:
        super().__init__(app, server)
        self._methods: dict[str, AllowedMethods] = {}
        self._dashboard = dashboard or Dashboard(server)
        self._routes: RouteTable | None = None
        self._routes_read = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if is_dashboard(scope["path"]):  # static files, outside the request path (server/dashboard.py)
            await self._dashboard.serve(scope, send)
            return
        watched = _WatchedSend(send)
        try:
            with self.server.clock.one_reading():  # the stored clock, read once for the whole request
                await self._serve(scope, receive, watched)
        except StoreUnavailable as down:
            self.server.outage.began(down)
            if watched.started:
                raise  # the answer is on its way: nothing else can be sent
            await send_answer(send, unavailable(self.server, scope["path"], down))
            return
        self.server.outage.ended()

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = new_exchange(scope, self.server)
        await read_body(receive, exchange, self.server.body_limit)
        refusal = run(BEFORE_ROUTING, exchange, self.server)
        if refusal is not None:
            await respond(send, exchange, self.server, refusal)
            return
        if exchange.routed_path != exchange.request.path:
            scope = {**scope, "path": exchange.routed_path, "raw_path": exchange.routed_path.encode()}
        scope.setdefault("extensions", {})[EXCHANGE] = exchange
        await self._through_the_router(scope, exchange, send)

    async def _through_the_router(self, scope: Scope, exchange: Exchange, send: Send) -> None:
        """Routing and the stages (the Pipeline answers); the router's 405 and any failure, here."""
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.route(scope, watched_send)
        except HTTPException as exc:  # Connexion's router: a known path with another method
            await respond(send, exchange, self.server, self._not_allowed(exchange, exc))
        except StoreUnavailable:
            raise  # the API's 503, answered by __call__
        except Exception as exc:
            if started:
                raise  # the answer is on its way (or dropped on purpose): nothing else can be sent
            exchange.note = f"returnkit failed: {exc!r}"
            await respond(send, exchange, self.server, _failed(exchange.answering))

    async def route(self, scope: Scope, send: Send) -> None:
        """On to the operation Connexion's routes name (`server/routes.py`), else through its router."""
        if not self._routes_read:  # Connexion adds the routes once it has built every middleware
            self._routes, self._routes_read = RouteTable.of(self.app), True
        routed = self._routes.match(scope) if self._routes is not None else None
        if routed is None:
            await self.app(scope, no_more_body, send)
        else:
            await routed.operation.next_app(routed.scope(scope), no_more_body, send)

    def _not_allowed(self, exchange: Exchange, exc: HTTPException) -> WireResponse:
        api = exchange.owner
        if api is None:
            return WireResponse(exc.status_code, {"message": exc.detail})
        exchange.note = f"{exchange.request.method} is not allowed here"
        if api.name not in self._methods:
            self._methods[api.name] = AllowedMethods(self.server.catalog.spec(api.name).operations)
        return method_not_allowed(api, self._methods[api.name].for_path(exchange.routed_path))


class Pipeline(ServerMiddleware):
    """After Connexion's router: record what it matched, take the stages, send the answer."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange: Exchange = scope["extensions"][EXCHANGE]
        matched = scope["extensions"].get(ROUTING_CONTEXT, {}).get("operation_id")
        route(exchange, self.server, matched, scope.get("path_params", {}))
        answer = run(STAGES, exchange, self.server)
        assert answer is not None, "the last stage always answers"
        if isinstance(answer, Continued):  # heavy admin work: the rest runs in chunks, other clients in between
            answer = await answer.finish()
        await respond(send, exchange, self.server, answer)


async def respond(send: Send, exchange: Exchange, server: ServerState, answer: WireResponse) -> None:
    """The steps after the answer, then the answer through ASGI `send`: not at all to a client that
    left, and only its status line when a fault drops the connection."""
    final = finish(exchange, server, answer)
    if exchange.body_incomplete:
        return  # journaled; nobody is left to answer
    if exchange.fault is not None and exchange.fault.kind == "drop":
        await send({"type": "http.response.start", "status": final.status, "headers": []})
        raise ConnectionDropped(f"fault {exchange.fault.id}: connection dropped on purpose")
    await send_answer(send, final)


async def send_answer(send: Send, answer: WireResponse) -> None:
    body = answer.body if isinstance(answer.body, bytes) else dumps(answer.body)
    headers = [
        (b"content-type", answer.media_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in answer.headers.items()),
    ]
    await send({"type": "http.response.start", "status": answer.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def unavailable(server: ServerState, path: str, down: StoreUnavailable) -> WireResponse:
    """The database is gone: the API's own 503 (health: its `unavailable` document), `Retry-After: 1`.
    Nothing is journaled (the journal is in the database too)."""
    api = server.api_for_path(path)
    if path == HEALTH_PATH:
        answer = WireResponse(503, health_unavailable(server.store, down))
    elif api is None:
        answer = WireResponse(503, {"message": UNAVAILABLE_REASON})
    else:
        answer = api.kit.errors.server_error(503, UNAVAILABLE_REASON)
    return WireResponse(answer.status, answer.body, {**answer.headers, "Retry-After": "1"}, answer.media_type)


class _WatchedSend:
    """`send`, remembering whether an answer has begun."""

    def __init__(self, send: Send) -> None:
        self._send = send
        self.started = False

    async def __call__(self, message: Message) -> None:
        self.started = True
        await self._send(message)


def _failed(api: Api | None) -> WireResponse:
    reason = "returnkit failed to answer; the journal holds the request"
    return api.kit.errors.server_error(500, reason) if api else WireResponse(500, {"message": reason})


def new_exchange(scope: Scope, server: ServerState) -> Exchange:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    raw_query = scope.get("query_string", b"")
    query = parse_qs(raw_query.decode("latin-1"), keep_blank_values=True) if raw_query else {}
    host = headers.get("host") or "127.0.0.1"
    owner = server.api_for_path(scope["path"])
    provider = owner.name if owner is not None else ""
    start = server.begin_request(provider)
    request = Request(
        provider="",
        operation_id="",
        method=scope["method"],
        path=scope["path"],
        path_params={},
        query=query,
        headers=headers,
        body=b"",
        base_url=f"{scope.get('scheme', 'http')}://{host}",
        journal_id=start.number,
    )
    extensions = scope.get("extensions") or {}
    # as the protocol measured them: the target's length only when over its limit
    header_bytes = extensions.get(HEADER_BYTES) or sum(len(name) + len(value) for name, value in scope["headers"])
    return Exchange(
        request,
        extensions.get(TARGET_LENGTH),
        header_bytes,
        owner=owner,
        generation=int(start.meta or 0),
        faults_on=start.faults,
        due_read=(provider, start.next_due),
    )


async def read_body(receive: Receive, exchange: Exchange, limit: int) -> None:
    """Read the body into the request; stop once it passes `limit` bytes or the client leaves."""
    request = exchange.request
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and int(declared) > limit:
        exchange.body_too_large = True
        return
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            exchange.body_incomplete = True
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            exchange.body_too_large = True
            return
        chunks.append(chunk)
        more = message.get("more_body", False)
    request.body = b"".join(chunks)


async def no_more_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}
