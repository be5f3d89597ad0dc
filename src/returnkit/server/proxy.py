"""`returnkit proxy`: a validation proxy in front of a real provider (its sandbox, or `returnkit serve`).

The app is `create_app`'s, with two middlewares changed: the Frontier (`ProxyFrontier`) reads the
body and takes the steps before routing as the server does; after Connexion's router, the
`ProxyPipeline` takes the server's stages for the admin API and, for a provider's path, only the
checking ones (`CHECKS`: known operation, declared headers, media type, the body's verdict), then
forwards the request unchanged to the upstream with httpx (`Forwarder`) and streams its answer back
unchanged. The answer is checked against the spec afterwards (`proxy_check.DriftChecker`, the
`--check-responses` oracle) and the exchange journaled (`direction` proxied) and recorded.

With `strict`, a request a check refuses is answered by the proxy with the stage's own answer (the
provider's format and status, byte for byte what `returnkit serve` sends) and not forwarded.
An upstream that cannot be reached is the provider's 502, one that does not answer in time its 504.
"""

from __future__ import annotations

import contextlib
import ssl
import time
import zlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from http.cookiejar import CookieJar, DefaultCookiePolicy
from pathlib import Path
from typing import Any

import httpx
from connexion import AsyncApp
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.resolver import Resolver
from starlette.exceptions import HTTPException
from starlette.types import Message, Receive, Scope, Send

from returnkit.core.clock import iso
from returnkit.core.journal import JournalEntry, Proxied
from returnkit.core.jsonbytes import loads
from returnkit.core.store import StoreUnavailable
from returnkit.providers import default_kits
from returnkit.providers.wire import JSON, WireResponse
from returnkit.server.admin import AdminApi
from returnkit.server.app import answered_by_pipeline
from returnkit.server.asgi import (
    EXCHANGE,
    ROUTING_CONTEXT,
    ConnectionDropped,
    Frontier,
    Pipeline,
    new_exchange,
    read_body,
    respond,
    send_answer,
)
from returnkit.server.bridge import combined_routing_view
from returnkit.server.dashboard import Dashboard
from returnkit.server.pipeline import (
    BEFORE_ROUTING,
    OPERATION_SEPARATOR,
    Exchange,
    api_headers,
    check_body,
    check_headers,
    journal_entry,
    known_operation,
    route,
    run,
    validate_body,
)
from returnkit.server.proxy_check import DriftChecker, Violation, request_violations, violation
from returnkit.server.proxy_record import Recorder, redacted
from returnkit.server.state import ServerOptions, ServerState
from returnkit.validation import Verdict

# The request's body is read whole (it is validated before it is forwarded): up to this much.
BODY_LIMIT = 32 * 1024 * 1024
# A response is streamed back as it comes; up to this much of it is kept to check and journal.
CHECKED_LIMIT = 4 * 1024 * 1024
DEFAULT_TIMEOUT = 30.0
FORWARD_PATH = "returnkit.forward_path"
# Hop-by-hop headers (RFC 9110 §7.6.1) belong to one connection, not to the exchange; `host` is
# the upstream's and `content-length` is recomputed from the body, which is forwarded unchanged.
HOP_BY_HOP = frozenset(
    {"connection", "keep-alive", "proxy-connection", "te", "trailer", "transfer-encoding", "upgrade", "host"}
)


def graphql_document(exchange: Exchange, _server: ServerState) -> WireResponse | None:
    """A GraphQL request's document and variables, judged by `validate_body` (Rye's `/v1/query`):
    the server's handler renders that verdict; the proxy, which has no handler, refuses here."""
    verdict = getattr(exchange.request.payload, "verdict", None)  # a GraphQLRequest's, without importing graphql-core
    if exchange.api is None or not isinstance(verdict, Verdict) or verdict.valid:
        return None
    exchange.verdict = verdict
    return exchange.api.kit.errors.invalid(verdict)


CHECKS = (known_operation, check_headers, check_body, validate_body, graphql_document)


@dataclass(frozen=True)
class ProxyOptions:
    upstream: str  # base URL: the request's path and query are appended to it
    provider: str | None = None  # every path is this provider's; None: found from the path as `serve` does
    strict: bool = False
    record: Path | None = None  # append each exchange to record/exchanges.jsonl
    upstream_timeout: float = DEFAULT_TIMEOUT
    ca_file: str | None = None  # trust this CA bundle for an HTTPS upstream (None: certifi, or SSL_CERT_FILE)


def create_proxy_app(proxy: ProxyOptions, options: ServerOptions | None = None) -> AsyncApp:
    """The proxy app, with its own journal and admin API (`/__admin/requests`, `/__admin/ui/`)."""
    options = options or ServerOptions()
    server = ServerState.build(default_kits(), _with_body_limit(options))
    if proxy.provider is not None and proxy.provider not in server.kits:
        raise ValueError(f"no provider {proxy.provider!r}; known: {', '.join(server.kits)}")
    forwarder = Forwarder(server, proxy)
    app = AsyncApp(
        __name__,
        middlewares=[
            partial(ProxyFrontier, server=server, forwarder=forwarder),
            RoutingMiddleware,
            partial(ProxyPipeline, server=server, forwarder=forwarder),
            LifespanMiddleware,
        ],
        resolver=Resolver(function_resolver=answered_by_pipeline),
        lifespan=partial(_lifespan, forwarder=forwarder),
    )
    documents = {name: server.catalog.spec(name).document for name in server.apis}
    app.add_api(combined_routing_view(documents, OPERATION_SEPARATOR), base_path="", name="returnkit")
    app.returnkit = server
    return app


def _with_body_limit(options: ServerOptions) -> ServerOptions:
    return replace(options, body_limit=options.body_limit or BODY_LIMIT)


@asynccontextmanager
async def _lifespan(_app: Any, forwarder: Forwarder) -> AsyncIterator[None]:
    try:
        yield
    finally:
        await forwarder.close()


class ProxyFrontier(Frontier):
    """The server's Frontier; a provider path's wrong method is forwarded too (refused with --strict)."""

    def __init__(self, app: Any, server: ServerState, forwarder: Forwarder) -> None:
        super().__init__(app, server, Dashboard(server, upstream=forwarder.upstream))
        self.forwarder = forwarder

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        exchange = new_exchange(scope, self.server)
        await read_body(receive, exchange, self.server.body_limit)
        path = exchange.request.path
        forward_path = scope.get("raw_path", path.encode()).decode("latin-1")  # as sent: %2F stays %2F
        named = self.server.named_prefix(path)
        if self.forwarder.provider and not _admin_path(path):
            exchange.request.path = f"/{self.forwarder.provider}{path}"  # routed as the provider's own path
        elif named:  # `/zinc/returns` is returnkit's spelling of Zinc's `/returns`: the upstream gets that
            forward_path = forward_path[len(named) + 1 :]
        refusal = run(BEFORE_ROUTING, exchange, self.server)
        exchange.request.path = path
        if refusal is not None:
            await self._refused(scope, exchange, send, refusal)
            return
        scope = {**scope, "path": exchange.routed_path, "raw_path": exchange.routed_path.encode()}
        extensions = scope.setdefault("extensions", {})
        extensions[EXCHANGE] = exchange
        extensions[FORWARD_PATH] = forward_path
        await self._through_the_router(scope, exchange, send)

    async def _refused(self, scope: Scope, exchange: Exchange, send: Send, refusal: WireResponse) -> None:
        if _admin_path(exchange.request.path):
            await respond(send, exchange, self.server, refusal)
        else:
            await self.forwarder.serve(exchange, scope, send, refusal)

    async def _through_the_router(self, scope: Scope, exchange: Exchange, send: Send) -> None:
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = True
            await send(message)

        try:
            await self.route(scope, watched_send)
        except HTTPException as exc:  # a known path with a method its spec does not have
            await self._refused(scope, exchange, send, self._not_allowed(exchange, exc))
        except (StoreUnavailable, ConnectionDropped):
            raise
        except Exception as exc:
            if started:
                raise
            exchange.note = f"returnkit failed: {exc!r}"
            await respond(send, exchange, self.server, _failed(exchange))


class ProxyPipeline(Pipeline):
    """After the router: the admin API as the server serves it; a provider's request checked and forwarded."""

    def __init__(self, app: Any, server: ServerState, forwarder: Forwarder) -> None:
        super().__init__(app, server)
        self.forwarder = forwarder

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or _admin_path(scope["extensions"][EXCHANGE].request.path):
            await super().__call__(scope, receive, send)
            return
        exchange: Exchange = scope["extensions"][EXCHANGE]
        matched = scope["extensions"].get(ROUTING_CONTEXT, {}).get("operation_id")
        route(exchange, self.server, matched, scope.get("path_params", {}))
        await self.forwarder.serve(exchange, scope, send, run(CHECKS, exchange, self.server))


@dataclass
class Upstream:
    """What came back from the upstream: its status, headers, the body as kept, or why nothing came."""

    status: int = 0
    headers: list[tuple[bytes, bytes]] | None = None
    body: bytes = b""
    complete: bool = True  # the whole body was kept (not cut at CHECKED_LIMIT)
    last: bytes = b""  # the body's last chunk, held back until the exchange is journaled
    error: str | None = None
    duration_ms: float = 0.0


class Forwarder:
    """Forwards one exchange, passes the answer back, checks it, journals and records it."""

    def __init__(self, server: ServerState, options: ProxyOptions) -> None:
        self.server = server
        self.options = options
        self.provider = options.provider
        self.upstream = options.upstream.rstrip("/")
        self.checker = DriftChecker(server.catalog)
        self.recorder = Recorder(options.record) if options.record is not None else None
        # --ca-file, else $SSL_CERT_FILE / $SSL_CERT_DIR (httpx reads them), else certifi's roots
        verify: ssl.SSLContext | bool = ssl.create_default_context(cafile=options.ca_file) if options.ca_file else True
        self.client = httpx.AsyncClient(
            timeout=options.upstream_timeout,
            verify=verify,
            follow_redirects=False,  # a redirect is the upstream's answer, passed back as it is
            trust_env=True,
            cookies=CookieJar(DefaultCookiePolicy(allowed_domains=[])),  # one client's cookies are not another's
        )

    async def close(self) -> None:
        await self.client.aclose()
        if self.recorder is not None:
            self.recorder.close()

    async def serve(self, exchange: Exchange, scope: Scope, send: Send, refusal: WireResponse | None) -> None:
        """Answer `exchange`: its refusal (--strict), else the upstream's answer, else the provider's 502/504."""
        url = self.url(scope)
        violations = request_violations(exchange.verdict, _refusal_reason(exchange, refusal))
        if refusal is not None and (self.options.strict or _unforwardable(exchange)):
            answer = api_headers(exchange, self.server, refusal)
            self.keep(exchange, answer, Proxied(url, 0, 0.0, False, tuple(violations)))
            if not exchange.body_incomplete:  # nobody is left to answer
                await send_answer(send, answer)
            return
        upstream = await self._forward(exchange, scope, url, send)
        if upstream.headers is None:  # nothing came: the provider's own 502 or 504
            answer = self._failure(exchange, upstream)
            await send_answer(send, answer)
            self.keep(exchange, answer, Proxied(url, 0, upstream.duration_ms, False, tuple(violations), upstream.error))
            return
        answer = _as_answer(upstream)
        violations += self._response_violations(exchange, answer, upstream)
        proxied = Proxied(url, upstream.status, upstream.duration_ms, True, tuple(violations), upstream.error)
        self.keep(exchange, answer, proxied)
        if upstream.error is not None:
            return  # the upstream broke off mid-answer: so does the proxy (uvicorn closes the connection)
        # As the server journals before it answers: a client that has the whole answer finds its entry.
        await send({"type": "http.response.body", "body": upstream.last, "more_body": False})

    def url(self, scope: Scope) -> str:
        path = scope["extensions"].get(FORWARD_PATH, scope["path"])
        query = scope.get("query_string", b"").decode("latin-1")
        return f"{self.upstream}{path}" + (f"?{query}" if query else "")

    async def _forward(self, exchange: Exchange, scope: Scope, url: str, send: Send) -> Upstream:
        request = exchange.request
        # As sent, repeated ones too (not the client's defaults: an httpx.Request, not build_request)
        headers = [(name, value) for name, value in scope["headers"] if not _hop_by_hop(name, b"content-length")]
        began = time.perf_counter()
        outgoing = httpx.Request(request.method, url, headers=headers, content=request.body)
        try:
            response = await self.client.send(outgoing, stream=True)
        except httpx.TimeoutException:
            return Upstream(
                error=f"the upstream did not answer within {self.options.upstream_timeout:g} s", duration_ms=_ms(began)
            )
        except httpx.HTTPError as failed:
            return Upstream(error=f"the upstream could not be reached: {failed!r}", duration_ms=_ms(began))
        try:
            return await self._pass_back(response, send, began)
        finally:
            await response.aclose()

    async def _pass_back(self, response: httpx.Response, send: Send, began: float) -> Upstream:
        """The upstream's status, headers and body to the client as they come (but the last chunk);
        the body kept to check."""
        headers = [(name.lower(), value) for name, value in response.headers.raw if not _hop_by_hop(name)]
        await send({"type": "http.response.start", "status": response.status_code, "headers": headers})
        upstream = Upstream(response.status_code, headers)
        kept: list[bytes] = []
        size = 0
        try:
            async for chunk in response.aiter_raw():
                if upstream.last:
                    await send({"type": "http.response.body", "body": upstream.last, "more_body": True})
                upstream.last = chunk
                size += len(chunk)
                if size <= CHECKED_LIMIT:
                    kept.append(chunk)
        except httpx.HTTPError as failed:
            upstream.error = f"the upstream broke off its answer: {failed!r}"
        upstream.body, upstream.complete = b"".join(kept), size <= CHECKED_LIMIT
        upstream.duration_ms = _ms(began)
        return upstream

    def _failure(self, exchange: Exchange, upstream: Upstream) -> WireResponse:
        status = 504 if upstream.error and "did not answer" in upstream.error else 502
        exchange.note = upstream.error
        api = exchange.answering
        reason = f"{upstream.error} ({self.upstream})"
        if api is None:
            return WireResponse(status, {"message": reason})
        return api_headers(exchange, self.server, api.kit.errors.server_error(status, reason))

    def _response_violations(self, exchange: Exchange, answer: WireResponse, upstream: Upstream) -> list[Violation]:
        if exchange.api is None or exchange.operation is None:
            return []
        if not upstream.complete or upstream.error is not None:
            return [violation("response", "not checked", "$", "the answer was not received whole")]
        decoded = _decoded(answer)
        if decoded is None:
            return []  # an encoding returnkit does not read: passed back, not checked
        request = exchange.request
        return self.checker.violations(
            exchange.api.name, request.method, exchange.routed_path, dict(request.headers), decoded
        )

    def keep(self, exchange: Exchange, answer: WireResponse, proxied: Proxied) -> None:
        """The exchange in the journal (redacted there) and, with --record, in the recording."""
        entry = self._entry(exchange, answer, proxied)
        try:  # the journal masks the request's credentials; an upstream's Set-Cookie is masked here
            self.server.journal.record(replace(entry, response_headers=redacted(entry).response_headers))
        except StoreUnavailable as down:
            self.server.outage.began(down)
        if self.recorder is not None:
            self.recorder.append(entry)

    def _entry(self, exchange: Exchange, answer: WireResponse, proxied: Proxied) -> JournalEntry:
        # the upstream is real: its exchanges happen in real time, not on the mock's clock
        entry = journal_entry(exchange, answer, iso(datetime.now(UTC)))
        return replace(
            entry,
            response_body=_readable(answer),
            response_headers=dict(answer.headers),  # as the upstream sent them
            conformance="; ".join(v["message"] for v in proxied.violations if v["direction"] == "response") or None,
            proxied=proxied,
        )


def _as_answer(upstream: Upstream) -> WireResponse:
    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in upstream.headers or []}
    media_type = headers.get("content-type", "")
    return WireResponse(upstream.status, upstream.body, headers, media_type)


def _decoded(answer: WireResponse) -> WireResponse | None:
    """The answer with its body as the spec describes it (gzip and deflate undone), or None."""
    encoding = answer.headers.get("content-encoding", "identity").lower().strip()
    if encoding in ("identity", ""):
        return answer
    if encoding not in ("gzip", "deflate"):
        return None
    try:
        body = zlib.decompress(answer.body, wbits=47)  # 47: a gzip or zlib header, told apart
    except zlib.error:
        return None
    return WireResponse(answer.status, body, answer.headers, answer.media_type)


def _readable(answer: WireResponse) -> Any:
    """The answer's body as the journal shows it: JSON parsed, else text."""
    decoded = _decoded(answer)
    body = decoded.body if decoded is not None else answer.body
    if not isinstance(body, bytes):
        return body
    if "json" in answer.media_type:
        with contextlib.suppress(ValueError):
            return loads(body)
    return body.decode("utf-8", errors="replace") if body else None


def _failed(exchange: Exchange) -> WireResponse:
    api = exchange.answering
    reason = "returnkit failed to answer; the journal holds the request"
    return api.kit.errors.server_error(500, reason) if api else WireResponse(500, {"message": reason}, media_type=JSON)


def _admin_path(path: str) -> bool:
    return any(path == prefix or path.startswith(f"{prefix}/") for prefix in AdminApi.path_prefixes)


def _unforwardable(exchange: Exchange) -> bool:
    """What the proxy did not keep whole cannot be forwarded unchanged: a body over the limit (413),
    a target over the limit (414), a body its client stopped sending."""
    return exchange.body_too_large or exchange.target_length is not None or exchange.body_incomplete


def _refusal_reason(exchange: Exchange, refusal: WireResponse | None) -> str | None:
    """Why a check refused the request (for the report), or None when none did."""
    if refusal is None:
        return None
    if exchange.operation is None and exchange.note is None:
        return f"{exchange.request.method} {exchange.request.path} is not an operation of the spec"
    return exchange.note or f"refused with {refusal.status}"


def _hop_by_hop(name: bytes, *also: bytes) -> bool:
    return name.decode("latin-1").lower() in HOP_BY_HOP or name.lower() in also


def _ms(began: float) -> float:
    return round((time.perf_counter() - began) * 1000, 3)
