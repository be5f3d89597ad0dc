"""The two returnkit middlewares around Connexion's router, and the app that holds them."""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import parse_qs

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from returnkit.core.clock import iso
from returnkit.core.journal import JournalEntry
from returnkit.core.jsonbytes import dumps
from returnkit.providers.kit import ParameterError, ProviderKit, Request
from returnkit.providers.wire import WireResponse
from returnkit.server.continued import Continued
from returnkit.server.methods import AllowedMethods
from returnkit.server.pipeline import Exchange, method_not_allowed, run_stages
from returnkit.server.protocol import HEADER_BYTES, TARGET_LENGTH, TARGET_LIMIT
from returnkit.server.state import ServerState

logger = logging.getLogger("returnkit.server")
EXCHANGE = "returnkit.exchange"
ROUTING_CONTEXT = "connexion_routing"
OPERATION_SEPARATOR = ":"
JOURNAL_BODY_LIMIT = 64 * 1024
# x-returnkit-inferred: the providers publish no header limit; 16 KiB is what common front ends allow.
HEADER_LIMIT = 16 * 1024


class ConnectionDropped(Exception):
    """Raised after the response started: the server closes the connection mid-answer (a fault)."""


class ServerMiddleware:
    def __init__(self, app: ASGIApp, server: ServerState) -> None:
        self.app = app
        self.server = server


class Frontier(ServerMiddleware):
    """Outermost: reads the body within the limit, journals every exchange, never lets an error escape."""

    def __init__(self, app: ASGIApp, server: ServerState) -> None:
        super().__init__(app, server)
        self._methods: dict[str, AllowedMethods] = {}

    def _allowed_methods(self, kit: ProviderKit, path: str) -> list[str]:
        if kit.name not in self._methods:
            self._methods[kit.name] = AllowedMethods(self.server.catalog.spec(kit.name).operations)
        return self._methods[kit.name].for_path(path)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange = Exchange(request=_request(scope, self.server), generation=self.server.generation)
        await _read_body(receive, exchange, self.server.body_limit)
        exchange.kit = self.server.kit_for_path(exchange.request.path)
        if exchange.body_incomplete:
            self._finish(exchange, _body_incomplete(exchange))  # journaled; nobody is left to answer
            return
        refusal = _oversized_request(scope, exchange)
        if refusal is not None:
            await _send(send, self._finish(exchange, refusal))
            return
        exchange.named_provider = self.server.named_prefix(exchange.request.path)
        routed_path = exchange.request.path
        if exchange.named_provider:  # route /zinc/returns as /returns, then insist on a Zinc operation
            routed_path = routed_path[len(exchange.named_provider) + 1 :]
        if getattr(exchange.kit, "strip_trailing_slash", False) and routed_path.endswith("/"):
            routed_path = routed_path.rstrip("/")  # a legacy spelling of the same path (Kibo's old SDKs)
        exchange.routed_path = routed_path
        if routed_path != exchange.request.path:
            scope = {**scope, "path": routed_path, "raw_path": routed_path.encode()}
        scope.setdefault("extensions", {})[EXCHANGE] = exchange
        answer = await self._answer(scope, exchange)
        finished = self._finish(exchange, answer)
        if exchange.fault is not None and exchange.fault.kind == "drop":
            await send({"type": "http.response.start", "status": finished.status, "headers": []})
            raise ConnectionDropped(f"fault {exchange.fault.id}: connection dropped on purpose")
        await _send(send, finished)

    async def _answer(self, scope: Scope, exchange: Exchange) -> WireResponse:
        try:
            await self.app(scope, _no_more_body, _refuse_send)
        except HTTPException as exc:  # Connexion's router: a known path with another method
            if exchange.kit is None:
                return WireResponse(exc.status_code, {"message": exc.detail})
            exchange.note = f"{exchange.request.method} is not allowed here"
            return method_not_allowed(exchange.kit, self._allowed_methods(exchange.kit, exchange.routed_path))
        except Exception as exc:
            exchange.note = f"returnkit failed: {exc!r}"
            reason = "returnkit failed to answer; the journal holds the request"
            return (
                exchange.kit.errors.server_error(500, reason)
                if exchange.kit
                else WireResponse(500, {"message": reason})
            )
        return scope["extensions"].get("returnkit.answer") or WireResponse(500, {"message": "no answer"})

    def _finish(self, exchange: Exchange, answer: WireResponse) -> WireResponse:
        request = exchange.request
        headers = dict(answer.headers)
        headers.update(exchange.headers)
        kit = exchange.kit
        if kit is not None:
            headers.update(kit.response_headers(request, self.server.worlds[kit.name]))
        final = WireResponse(answer.status, answer.body, headers, answer.media_type)
        if exchange.generation != self.server.generation:
            if not _is_reset(exchange):
                return final  # begun before a reset, which emptied the journal: it belongs to the old world
            request.journal_id = 0  # the reset that began this world comes first, before the ids it restarted
        try:
            self._journal(exchange, final)
        except Exception as exc:  # the client still gets its answer; the log says what the journal lost
            logger.exception("returnkit could not journal exchange %s: %r", request.journal_id, exc)
        return final

    def _journal(self, exchange: Exchange, final: WireResponse) -> None:
        request, kit = exchange.request, exchange.kit
        conformance = self._conformance(exchange, final)
        self.server.journal.record(
            JournalEntry(
                id=request.journal_id,
                at=iso(self.server.clock.now()),
                provider=kit.name if kit else None,
                operation=request.operation_id or None,
                method=request.method,
                path=request.path,
                query=_query_string(request),
                status=final.status,
                request_body=_journal_body(request),
                response_body=final.body,
                verdict=_verdict_json(exchange),
                principal=request.principal.owner if request.principal else None,
                note=exchange.note,
                request_headers=dict(request.headers),
                conformance=conformance,
            )
        )

    def _conformance(self, exchange: Exchange, answer: WireResponse) -> str | None:
        """With --check-responses: how a provider operation's response breaks its spec, else None."""
        checker = self.server.response_checker
        if checker is None or exchange.kit is None or exchange.operation is None or exchange.kit.name == "admin":
            return None
        if exchange.fault is not None and exchange.fault.kind != "latency":
            return None  # an injected failure is outside the spec on purpose
        request = exchange.request
        return checker.violation(exchange.kit.name, request.method, exchange.routed_path, dict(request.headers), answer)


class Pipeline(ServerMiddleware):
    """After Connexion's router: the provider and operation are known; run the stages."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        exchange: Exchange = scope["extensions"][EXCHANGE]
        routed = scope["extensions"].get(ROUTING_CONTEXT, {}).get("operation_id")
        if routed and exchange.named_provider not in (None, routed.split(OPERATION_SEPARATOR, 1)[0]):
            routed = None  # /zinc/api/v1/orders/ is not a Zinc path
        if routed:
            provider, operation_id = routed.split(OPERATION_SEPARATOR, 1)
            exchange.kit = self.server.kits[provider]
            exchange.operation = self.server.catalog.operation(provider, operation_id)
            exchange.request.provider = provider
            exchange.request.operation_id = operation_id
            exchange.request.path_params = dict(scope.get("path_params", {}))
            exchange.request.operation = exchange.operation
        answer = run_stages(exchange, self.server)
        if isinstance(answer, Continued):  # heavy admin work: the rest runs in chunks, other clients in between
            answer = await answer.finish()
        scope["extensions"]["returnkit.answer"] = answer


def _request(scope: Scope, server: ServerState) -> Request:
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in scope["headers"]}
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
    host = headers.get("host") or "127.0.0.1"
    return Request(
        provider="",
        operation_id="",
        method=scope["method"],
        path=scope["path"],
        path_params={},
        query=query,
        headers=headers,
        body=b"",
        base_url=f"{scope.get('scheme', 'http')}://{host}",
        journal_id=server.journal.next_id(),
    )


async def _read_body(receive: Receive, exchange: Exchange, limit: int) -> None:
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


async def _no_more_body() -> Message:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _refuse_send(_message: Message) -> None:
    raise RuntimeError("the pipeline answers through the Frontier, never directly")


async def _send(send: Send, response: WireResponse) -> None:
    body = response.body if isinstance(response.body, bytes) else dumps(response.body)
    headers = [
        (b"content-type", response.media_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *((name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()),
    ]
    await send({"type": "http.response.start", "status": response.status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _query_string(request: Request) -> str:
    return "&".join(f"{name}={value}" for name, values in request.query.items() for value in values)


def _journal_body(request: Request) -> Any:
    """The body as the journal keeps it: parsed JSON, else text; large bodies only by size.

    The journal is bounded by entries, so its memory is bounded only if each entry is too.
    """
    if len(request.body) > JOURNAL_BODY_LIMIT:
        return f"<{len(request.body)} bytes, not kept: over {JOURNAL_BODY_LIMIT}>"
    if request.payload is not None:
        return request.payload
    return request.body.decode("utf-8", errors="replace") if request.body else None


def _verdict_json(exchange: Exchange) -> dict[str, Any] | None:
    verdict = exchange.verdict
    if verdict is None:
        return None
    errors = [{"json_path": e.json_path, "message": e.message, "keyword": e.keyword} for e in verdict.errors]
    return {"valid": verdict.valid, "errors": errors}


def _is_reset(exchange: Exchange) -> bool:
    return exchange.kit is not None and exchange.kit.name == "admin" and exchange.request.operation_id == "reset"


def _oversized_request(scope: Scope, exchange: Exchange) -> WireResponse | None:
    """414 for a target over the limit, 431 for headers over it: in the provider's own shape."""
    extensions = scope.get("extensions") or {}
    if TARGET_LENGTH in extensions:
        length = extensions[TARGET_LENGTH]
        return _refused(exchange, 414, "url", f"the request target is {length} bytes, over {TARGET_LIMIT}")
    header_bytes = extensions.get(HEADER_BYTES) or sum(len(name) + len(value) for name, value in scope["headers"])
    if header_bytes > HEADER_LIMIT:
        return _refused(exchange, 431, "headers", f"the request headers are larger than {HEADER_LIMIT} bytes")
    return None


def _refused(exchange: Exchange, status: int, name: str, message: str) -> WireResponse:
    """A refusal before routing, in the provider's parameter-error shape (or returnkit's own)."""
    exchange.note = message
    if exchange.kit is None:
        return WireResponse(status, {"message": message})
    location = "header" if name == "headers" else "path"
    answer = exchange.kit.errors.bad_parameter(ParameterError(name, message, location=location))
    return WireResponse(status, answer.body, answer.headers, answer.media_type)


def _body_incomplete(exchange: Exchange) -> WireResponse:
    exchange.note = "the client went away before its request body arrived; nothing was done"
    return WireResponse(400, {"message": exchange.note})
