"""The request pipeline: one list, read top to bottom.

Connexion routes (its `RoutingMiddleware`, fed the 3.0 routing views); two returnkit
middlewares sit around it:

    Frontier (before routing)   read the body (bounded), journal the exchange, answer any
                                refusal Connexion's router raises (405) in the provider's format
    Pipeline (after routing)    STAGES, in order; the first stage that answers ends the request

Every refusal speaks the provider's own format (its `ErrorFormat`), never a generic one.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from returnkit.core.faults import BUSINESS, Fault, latency
from returnkit.core.ratelimit import DEFAULT_HEADER_NAMES, Budget
from returnkit.providers.kit import ParameterError, ProviderKit, Refusal, Request
from returnkit.providers.wire import WireResponse
from returnkit.server import headers as declared_headers
from returnkit.server.state import ServerState
from returnkit.spec import Operation
from returnkit.validation import Verdict
from returnkit.validation.jsonschema_engine import body_left_out


@dataclass(slots=True)
class Exchange:
    """One request on its way through the pipeline."""

    request: Request
    kit: ProviderKit | None = None
    operation: Operation | None = None
    body_too_large: bool = False
    body_incomplete: bool = False  # the client disconnected before sending all of its body
    generation: int = 0  # the world's generation (resets so far) when the request began
    named_provider: str | None = None  # set for /{provider}/... paths: only its operations match
    routed_path: str = ""  # the path Connexion routed: the provider's own spelling
    fault: Fault | None = None
    verdict: Verdict | None = None
    headers: dict[str, str] = field(default_factory=dict)  # added to whatever the answer is
    note: str | None = None


FORM = "application/x-www-form-urlencoded"
Stage = Callable[[Exchange, ServerState], WireResponse | None]


def known_operation(exchange: Exchange, _server: ServerState) -> WireResponse | None:
    if exchange.operation is not None:
        return None
    if exchange.kit is None:
        return WireResponse(404, {"message": f"no provider is served at {exchange.request.path}"})
    return exchange.kit.errors.not_found(f"{exchange.request.method} {exchange.request.path} is not an operation")


def inject_fault(exchange: Exchange, server: ServerState) -> WireResponse | None:
    """A fault switched on through /__admin/faults, before the provider sees the request."""
    kit, request = _routed(exchange)
    assert exchange.operation is not None
    if request.method == "GET" and _stale(server, kit.name, exchange):
        return kit.errors.not_found(f"{request.path} (eventual consistency: a write happened moments ago)")
    fault = server.faults.fire(kit.name, exchange.operation.names, request.journal_id)
    if fault is None or fault.kind == "stale-read":
        return None
    exchange.fault = fault
    exchange.note = f"fault {fault.id}: {fault.kind}"
    if fault.kind in BUSINESS or fault.kind == "latency":
        _let_through(fault, request, server)
        return None
    if fault.kind == "rate-limit":
        return rate_limited(kit, max(int(fault.seconds), 1))
    if fault.kind == "status":
        return kit.errors.server_error(fault.status, f"Injected fault {fault.id}: HTTP {fault.status}")
    return WireResponse(200, b"")  # "empty"; "drop" is carried out by the Frontier after journaling


def _let_through(fault: Fault, request: Request, server: ServerState) -> None:
    """Faults that do not answer: business ones reach the behaviour, latency passes on the clock."""
    if fault.kind == "latency":
        server.advance(latency(fault, server.seed, request.journal_id))
    else:
        request.business_fault = fault.as_json()


def _stale(server: ServerState, provider: str, exchange: Exchange) -> bool:
    """A stale-read fault is on and the provider accepted a write less than its `seconds` ago."""
    assert exchange.operation is not None
    written = server.last_write.get(provider)
    if written is None:
        return False
    for fault in server.faults:
        matches = fault.provider == provider and (not fault.operation or fault.operation in exchange.operation.names)
        if fault.kind == "stale-read" and matches and server.clock.timestamp() - written < fault.seconds:
            fault.fired += 1
            exchange.fault = fault
            exchange.note = f"fault {fault.id}: stale-read"
            return True
    return False


def authenticate(exchange: Exchange, server: ServerState) -> WireResponse | None:
    kit, request = _routed(exchange)
    principal = kit.authenticate(request, server.worlds[kit.name])
    if isinstance(principal, str):
        exchange.note = principal
        return kit.errors.unauthorized(principal)
    request.principal = principal
    return None


def rate_limit(exchange: Exchange, server: ServerState) -> WireResponse | None:
    kit, request = _routed(exchange)
    budget = _budget(exchange)
    if budget is None or request.principal is None:
        return None
    allowance = server.limiter.take(request.principal.key, request.operation_id, budget, server.clock.timestamp())
    exchange.headers.update(allowance.headers())
    if allowance.allowed:
        return None
    exchange.note = f"rate limit of {budget.limit} per {budget.window_seconds:g} s exceeded"
    return rate_limited(kit, allowance.retry_after)


def check_headers(exchange: Exchange, server: ServerState) -> WireResponse | None:
    """Header parameters the spec declares, against their schemas (credentials are the auth stage's)."""
    kit, request = _routed(exchange)
    assert exchange.operation is not None
    try:
        declared_headers.check_headers(server.catalog.spec(kit.name), exchange.operation, request.headers)
    except ParameterError as error:
        exchange.note = f"header {error.name}: {error.message}"
        return kit.errors.bad_parameter(error)
    return None


def check_body(exchange: Exchange, server: ServerState) -> WireResponse | None:
    kit, request = _routed(exchange)
    if exchange.body_too_large:
        return kit.errors.too_large(server.body_limit)
    operation = exchange.operation
    if operation is None or operation.request_media_type is None or _optional_and_absent(exchange):
        return None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media_type and not request.body:
        return None  # nothing sent at all: the validation stage says what is missing
    wanted = "json" if "json" in operation.request_media_type else operation.request_media_type
    if wanted not in media_type:
        return kit.errors.unsupported_media_type(media_type or "none")
    return None


def validate_body(exchange: Exchange, server: ServerState) -> WireResponse | None:
    kit, request = _routed(exchange)
    if exchange.operation is None or exchange.operation.request_schema is None:
        return None
    if _optional_and_absent(exchange):
        request.payload = [] if exchange.operation.request_schema.get("type") == "array" else {}
        return None
    validator = server.catalog.validator(kit.name, request.operation_id)
    if exchange.operation.request_media_type == FORM:
        request.payload = dict(parse_qsl(request.body.decode("latin-1"), keep_blank_values=True))
        verdict = validator.validate(request.payload)
    else:
        verdict, request.payload = validator.read_json(request.body)
    exchange.verdict = verdict
    return None if verdict.valid else kit.errors.invalid(verdict)


def handle(exchange: Exchange, server: ServerState) -> WireResponse | None:
    kit, request = _routed(exchange)
    handler = kit.handlers.get(request.operation_id)
    if handler is None:
        return WireResponse(501, {"message": f"returnkit does not simulate {kit.name} {request.operation_id} yet"})
    world = server.worlds[kit.name]
    server.catch_up(kit.name)  # what fell due since the last request, before the handler reads
    try:
        with server.store.transaction():
            answer = handler(request, world)
            if answer.status >= 400:
                raise _Refused(answer)  # a refusal changes nothing, not even an id sequence
            if server.clock.mode == "wall":
                server.save_clock()  # a restart with --db resumes no earlier than what was stored
            if request.method != "GET":
                server.last_write[kit.name] = server.clock.timestamp()
            return answer
    except _Refused as refused:
        return refused.answer
    except Refusal as refusal:
        return kit.errors.refused(refusal)
    except ParameterError as error:
        return kit.errors.bad_parameter(error)


def rate_limited(kit: ProviderKit, retry_after: int) -> WireResponse:
    """The provider's 429 body, with the `Retry-After` every provider sends."""
    return _with_header(kit.errors.rate_limited(retry_after), "Retry-After", str(retry_after))


def method_not_allowed(kit: ProviderKit, allowed: list[str]) -> WireResponse:
    """The provider's 405 body, with the `Allow` header HTTP requires."""
    return _with_header(kit.errors.method_not_allowed(allowed), "Allow", ", ".join(allowed))


def _with_header(answer: WireResponse, name: str, value: str) -> WireResponse:
    return WireResponse(answer.status, answer.body, {**answer.headers, name: value}, answer.media_type)


class _Refused(Exception):
    def __init__(self, answer: WireResponse) -> None:
        self.answer = answer


STAGES: tuple[Stage, ...] = (
    known_operation,
    inject_fault,
    authenticate,
    rate_limit,
    check_headers,
    check_body,
    validate_body,
    handle,
)


def run_stages(exchange: Exchange, server: ServerState) -> WireResponse:
    for stage in STAGES:
        answer = stage(exchange, server)
        if answer is not None:
            return answer
    raise AssertionError("the last stage always answers")  # pragma: no cover


def _routed(exchange: Exchange) -> tuple[ProviderKit, Request]:
    assert exchange.kit is not None, "known_operation runs first"
    return exchange.kit, exchange.request


def _budget(exchange: Exchange) -> Budget | None:
    assert exchange.kit is not None
    raw = exchange.operation.extensions.get("x-returnkit-rate-limit") if exchange.operation else None
    if not raw:
        return None
    names = raw.get("headers") or DEFAULT_HEADER_NAMES
    return Budget(int(raw["limit"]), float(raw["window_seconds"]), names, raw.get("fixed_headers") or {})


def _optional_and_absent(exchange: Exchange) -> bool:
    """No body where the spec says the body is optional (Kibo's ship: "replace all remaining items")."""
    return exchange.operation is not None and body_left_out(exchange.operation, exchange.request.body)
