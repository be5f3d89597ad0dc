"""The request path: every step a request takes, in order, in one list: `REQUEST_PATH` (at the end).

The steps before routing and the stages each answer or pass (None); the first answer ends that
part, and every answer, whoever gives it, then takes the steps after the answer. Every refusal
speaks the API's own format (its `ErrorFormat`). The ASGI middlewares (`asgi.py`) only drive
this list around Connexion's router; ARCHITECTURE.md shows it (tests/test_architecture.py holds
the two equal).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from returnkit.core.clock import iso
from returnkit.core.faults import BUSINESS, Fault, latency
from returnkit.core.journal import JournalEntry
from returnkit.core.ratelimit import DEFAULT_HEADER_NAMES, Budget
from returnkit.core.redact import SECRET_FIELDS, masked
from returnkit.core.store import StoreUnavailable
from returnkit.providers.kit import Handler, ParameterError, Refusal, Request
from returnkit.providers.wire import WireResponse
from returnkit.server import headers as declared_headers
from returnkit.server.protocol import TARGET_LIMIT
from returnkit.server.state import GENERATION, Api, ServerState
from returnkit.spec import Operation
from returnkit.validation import PayloadError, Verdict
from returnkit.validation.jsonschema_engine import body_left_out

logger = logging.getLogger("returnkit.server")
OPERATION_SEPARATOR = ":"  # the routing view's operationIds: `zinc:create-return`
JOURNAL_BODY_LIMIT = 64 * 1024
# x-returnkit-inferred: the providers publish no header limit; 16 KiB is what common front ends allow.
HEADER_LIMIT = 16 * 1024
# The dashboard polls the journal every second: its reads of the admin API would crowd the journal out.
DASHBOARD_HEADER = "x-returnkit-dashboard"


@dataclass(slots=True)
class Exchange:
    """One request on its way along the path."""

    request: Request
    target_length: int | None = None  # set by the protocol when the target was over its limit
    header_bytes: int = 0
    owner: Api | None = None  # the API whose paths the request falls under: who refuses before routing
    api: Api | None = None  # the routing result, with `operation`: set once, by `route`
    operation: Operation | None = None
    body_too_large: bool = False
    body_incomplete: bool = False  # the client disconnected before sending all of its body
    generation: int = 0  # the world's generation (resets so far) when the request began
    faults_on: int | None = None  # how many faults were on when the request began (None: not known)
    faults: list[Fault] = field(default_factory=list)  # those `inject_fault` read: the request's view of them
    due_read: tuple[str, float | None] | None = None  # (provider, its earliest scheduled transition) at the start
    named_provider: str | None = None  # set for /{provider}/... paths: only its operations match
    routed_path: str = ""  # the path Connexion routes: the provider's own spelling
    fault: Fault | None = None
    verdict: Verdict | None = None
    headers: dict[str, str] = field(default_factory=dict)  # added to whatever the answer is
    note: str | None = None
    conformance: str | None = None  # how the answer breaks the API's spec (--check-responses)

    @property
    def answering(self) -> Api | None:
        """The API whose format the answer takes: the routed one, else the path's owner."""
        return self.api or self.owner


FORM = "application/x-www-form-urlencoded"
Step = Callable[[Exchange, ServerState], WireResponse | None]  # None: on to the next step
AfterStep = Callable[[Exchange, ServerState, WireResponse], WireResponse]


# Before routing ------------------------------------------------------------------------------


def path_to_route(exchange: Exchange, server: ServerState) -> WireResponse | None:
    """The path Connexion routes, from the API the path falls under (`owner`, found as the request
    began): `/zinc/returns` as `/returns` (then only Zinc's operations match), `/api/commerce/returns/`
    as `/api/commerce/returns` for an API that serves its paths' trailing-slash spelling (Kibo's legacy SDKs)."""
    path = exchange.request.path
    exchange.named_provider = server.named_prefix(path)
    if exchange.named_provider:
        path = path[len(exchange.named_provider) + 1 :]
    if exchange.owner is not None and exchange.owner.strip_trailing_slash and path.endswith("/"):
        path = path.rstrip("/")
    exchange.routed_path = path
    return None


def body_arrived(exchange: Exchange, _server: ServerState) -> WireResponse | None:
    """The body was read within the body limit (an oversized one is the 413 of `check_body`);
    a client that left before sending all of it is journaled, and nothing is done or sent."""
    if not exchange.body_incomplete:
        return None
    exchange.note = "the client went away before its request body arrived; nothing was done"
    return WireResponse(400, {"message": exchange.note})


def request_size(exchange: Exchange, _server: ServerState) -> WireResponse | None:
    """414 for a target over the limit, 431 for headers over it: in the API's own shape."""
    if exchange.target_length is not None:
        message = f"the request target is {exchange.target_length} bytes, over {TARGET_LIMIT}"
        return _refused_before_routing(exchange, 414, "url", message)
    if exchange.header_bytes > HEADER_LIMIT:
        message = f"the request headers are larger than {HEADER_LIMIT} bytes"
        return _refused_before_routing(exchange, 431, "headers", message)
    return None


def _refused_before_routing(exchange: Exchange, status: int, name: str, message: str) -> WireResponse:
    """The API's parameter-error shape (or returnkit's own) with the status of the refusal."""
    exchange.note = message
    if exchange.owner is None:
        return WireResponse(status, {"message": message})
    location = "header" if name == "headers" else "path"
    answer = exchange.owner.kit.errors.bad_parameter(ParameterError(name, message, location=location))
    return WireResponse(status, answer.body, answer.headers, answer.media_type)


# Routing -------------------------------------------------------------------------------------


def route(exchange: Exchange, server: ServerState, matched: str | None, path_params: Mapping[str, str]) -> None:
    """The one routing result: the API, its operation and the path parameters Connexion matched
    (`matched` is the routing view's `provider:operationId`, or None)."""
    if not matched:
        return
    name, operation_id = matched.split(OPERATION_SEPARATOR, 1)
    if exchange.named_provider not in (None, name):
        return  # /zinc/api/v1/orders/ is not a Zinc path
    exchange.api = server.apis[name]
    exchange.operation = server.catalog.operation(name, operation_id)
    request = exchange.request
    request.provider, request.operation_id, request.operation = name, operation_id, exchange.operation
    request.path_params = dict(path_params)


# The stages ----------------------------------------------------------------------------------


def known_operation(exchange: Exchange, _server: ServerState) -> WireResponse | None:
    if exchange.operation is not None:
        return None
    if exchange.owner is None:
        return WireResponse(404, {"message": f"no provider is served at {exchange.request.path}"})
    reason = f"{exchange.request.method} {exchange.request.path} is not an operation"
    return exchange.owner.kit.errors.not_found(reason)


def inject_fault(exchange: Exchange, server: ServerState) -> WireResponse | None:
    """A fault switched on through /__admin/faults, before the provider sees the request."""
    api, request = _routed(exchange)
    assert exchange.operation is not None
    errors = api.kit.errors
    # none switched on is the common case, known from the request's first read: no read of them then
    faults = exchange.faults = server.faults.switched_on() if exchange.faults_on != 0 else []
    if faults and request.method == "GET" and _stale(server, api.name, exchange, faults):
        return errors.not_found(f"{request.path} (eventual consistency: a write happened moments ago)")
    fault = server.faults.fire(api.name, exchange.operation.names, request.journal_id, faults) if faults else None
    if fault is None or fault.kind == "stale-read":
        return None
    exchange.fault = fault
    exchange.note = f"fault {fault.id}: {fault.kind}"
    if fault.kind in BUSINESS or fault.kind == "latency":
        _let_through(fault, request, server)
        return None
    if fault.kind == "rate-limit":
        return rate_limited(api, max(int(fault.seconds), 1))
    if fault.kind == "status":
        return errors.server_error(fault.status, f"Injected fault {fault.id}: HTTP {fault.status}")
    return WireResponse(200, b"")  # "empty"; "drop" is carried out when the answer is sent


def _let_through(fault: Fault, request: Request, server: ServerState) -> None:
    """Faults that do not answer: business ones reach the behaviour, latency passes on the clock."""
    if fault.kind == "latency":
        server.advance(latency(fault, server.seed, request.journal_id))
    else:
        request.business_fault = fault.as_json()


def _stale(server: ServerState, provider: str, exchange: Exchange, faults: list[Fault]) -> bool:
    """A stale-read fault is on and the provider accepted a write less than its `seconds` ago."""
    assert exchange.operation is not None
    names = exchange.operation.names
    stale = [
        fault
        for fault in faults
        if fault.kind == "stale-read"
        and fault.provider == provider
        and (not fault.operation or fault.operation in names)
    ]
    written = server.last_write(provider) if stale else None
    if written is None:
        return False
    for fault in stale:
        if server.clock.timestamp() - written < fault.seconds:
            server.faults.count(fault)
            exchange.fault = fault
            exchange.note = f"fault {fault.id}: stale-read"
            return True
    return False


def _stale_reads_on(exchange: Exchange, provider: str) -> bool:
    """A stale-read fault on `provider` was on when the request began: only then do its writes need noting
    (the time of a write made while none was on is never asked for)."""
    return any(fault.kind == "stale-read" and fault.provider == provider for fault in exchange.faults)


def authenticate(exchange: Exchange, server: ServerState) -> WireResponse | None:
    api, request = _routed(exchange)
    principal = api.kit.authenticate(request, api.world)
    if isinstance(principal, str):
        exchange.note = principal
        return api.kit.errors.unauthorized(principal)
    request.principal = principal
    return None


def rate_limit(exchange: Exchange, server: ServerState) -> WireResponse | None:
    api, request = _routed(exchange)
    budget = _budget(exchange)
    if budget is None or request.principal is None:
        return None
    allowance = server.limiter.take(request.principal.key, request.operation_id, budget, server.clock.timestamp())
    exchange.headers.update(allowance.headers())
    if allowance.allowed:
        return None
    exchange.note = f"rate limit of {budget.limit} per {budget.window_seconds:g} s exceeded"
    return rate_limited(api, allowance.retry_after)


def check_headers(exchange: Exchange, server: ServerState) -> WireResponse | None:
    """Header parameters the spec declares, against their schemas (credentials are the auth stage's)."""
    api, request = _routed(exchange)
    assert exchange.operation is not None
    try:
        declared_headers.check_headers(server.catalog.spec(api.name), exchange.operation, request.headers)
    except ParameterError as error:
        exchange.note = f"header {error.name}: {error.message}"
        return api.kit.errors.bad_parameter(error)
    return None


def check_body(exchange: Exchange, server: ServerState) -> WireResponse | None:
    api, request = _routed(exchange)
    if exchange.body_too_large:
        return api.kit.errors.too_large(server.body_limit)
    operation = exchange.operation
    if operation is None or operation.request_media_type is None or _optional_and_absent(exchange):
        return None
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not media_type and not request.body:
        return None  # nothing sent at all: the validation stage says what is missing
    wanted = "json" if "json" in operation.request_media_type else operation.request_media_type
    if wanted not in media_type:
        return api.kit.errors.unsupported_media_type(media_type or "none")
    return None


def validate_body(exchange: Exchange, server: ServerState) -> WireResponse | None:
    api, request = _routed(exchange)
    if exchange.operation is None or exchange.operation.request_schema is None:
        return None
    if _optional_and_absent(exchange):
        request.payload = [] if exchange.operation.request_schema.get("type") == "array" else {}
        return None
    validator = server.catalog.validator(api.name, request.operation_id)
    if exchange.operation.request_media_type == FORM:
        request.payload = dict(parse_qsl(request.body.decode("latin-1"), keep_blank_values=True))
        verdict = validator.validate(request.payload)
    else:
        verdict, request.payload = validator.read_json(request.body)
    exchange.verdict = verdict
    return None if verdict.valid else api.kit.errors.invalid(verdict)


def handle(exchange: Exchange, server: ServerState) -> WireResponse | None:
    api, request = _routed(exchange)
    handler = api.kit.handlers.get(request.operation_id)
    if handler is None:
        return WireResponse(501, {"message": f"returnkit does not simulate {api.name} {request.operation_id} yet"})
    if api.kit.transitions and _may_be_due(exchange, server, api.name):
        server.catch_up(api.name)  # what fell due since the last request, before the handler reads
    try:
        with server.store.transaction():
            answer = _run_handler(exchange, server, handler)
            if answer.status >= 400:
                raise _Refused(answer)  # a refusal changes nothing, not even an id sequence
            if request.method != "GET" and _stale_reads_on(exchange, api.name):
                server.note_write(api.name)
            return answer
    except _Refused as refused:
        return refused.answer
    except Refusal as refusal:
        return api.kit.errors.refused(refusal)
    except ParameterError as error:
        return api.kit.errors.bad_parameter(error)


def _may_be_due(exchange: Exchange, server: ServerState, provider: str) -> bool:
    """A transition of `provider` may be due now: the request's first read did not look, or saw one due by now."""
    if exchange.due_read is None or exchange.due_read[0] != provider:
        return True
    earliest = exchange.due_read[1]
    return earliest is not None and earliest <= server.clock.timestamp()


def _run_handler(exchange: Exchange, server: ServerState, handler: Handler) -> WireResponse:
    """The handler's answer; a handler that reset the world begins the new one (journal id 0)."""
    assert exchange.api is not None
    resets = server.resets_here
    world = exchange.api.world
    world.cause = exchange.request  # what an event emitted in this transaction may say caused it
    try:
        answer = handler(exchange.request, world)
    finally:
        world.cause = None
    if server.resets_here != resets:  # a handler runs to its end without yielding: this one reset it
        exchange.generation = server.generation
        exchange.request.journal_id = 0  # the reset comes first, before the ids it restarted
    return answer


def rate_limited(api: Api, retry_after: int) -> WireResponse:
    """The API's 429 body, with the `Retry-After` every provider sends."""
    return _with_header(api.kit.errors.rate_limited(retry_after), "Retry-After", str(retry_after))


def method_not_allowed(api: Api, allowed: list[str]) -> WireResponse:
    """The API's 405 body, with the `Allow` header HTTP requires."""
    return _with_header(api.kit.errors.method_not_allowed(allowed), "Allow", ", ".join(allowed))


def _with_header(answer: WireResponse, name: str, value: str) -> WireResponse:
    return WireResponse(answer.status, answer.body, {**answer.headers, name: value}, answer.media_type)


class _Refused(Exception):
    def __init__(self, answer: WireResponse) -> None:
        self.answer = answer


def _routed(exchange: Exchange) -> tuple[Api, Request]:
    assert exchange.api is not None, "known_operation runs first"
    return exchange.api, exchange.request


def _budget(exchange: Exchange) -> Budget | None:
    raw = exchange.operation.extensions.get("x-returnkit-rate-limit") if exchange.operation else None
    if not raw:
        return None
    names = raw.get("headers") or DEFAULT_HEADER_NAMES
    return Budget(int(raw["limit"]), float(raw["window_seconds"]), names, raw.get("fixed_headers") or {})


def _optional_and_absent(exchange: Exchange) -> bool:
    """No body where the spec says the body is optional (Kibo's ship: "replace all remaining items")."""
    return exchange.operation is not None and body_left_out(exchange.operation, exchange.request.body)


# After the answer ----------------------------------------------------------------------------


def api_headers(exchange: Exchange, server: ServerState, answer: WireResponse) -> WireResponse:
    """What the stages added (rate-limit headers) and what the API sends on every answer."""
    headers = dict(answer.headers)
    headers.update(exchange.headers)
    api = exchange.answering
    if api is not None:
        headers.update(api.kit.response_headers(exchange.request, api.world))
    return WireResponse(answer.status, answer.body, headers, answer.media_type)


def check_conformance(exchange: Exchange, server: ServerState, answer: WireResponse) -> WireResponse:
    """With --check-responses: how an operation's answer breaks its provider's spec, kept for the journal."""
    checker, api = server.response_checker, exchange.api
    if checker is None or api is None or not api.checked:
        return answer
    if exchange.fault is not None and exchange.fault.kind != "latency":
        return answer  # an injected failure is outside the spec on purpose
    request = exchange.request
    exchange.conformance = checker.violation(
        api.name, request.method, exchange.routed_path, dict(request.headers), answer
    )
    return answer


def journal(exchange: Exchange, server: ServerState, answer: WireResponse) -> WireResponse:
    """Every exchange of the current world, in the journal; the answer goes out even if this fails.

    Also when the database went away after the handler committed: the client gets the answer to
    what was done (a 503 would invite a retry of a write that stands), the journal misses one entry."""
    if _dashboard_read(exchange):
        return answer
    try:
        # only while the world is the one the request began in: a reset (on any instance) emptied the
        # journal, and an exchange begun before it belongs to the old world
        server.journal.record(_entry(exchange, server, answer), while_meta=(GENERATION, exchange.generation))
    except StoreUnavailable as down:
        server.outage.began(down)
    except Exception as exc:
        logger.exception("returnkit could not journal exchange %s: %r", exchange.request.journal_id, exc)
    return answer


def _dashboard_read(exchange: Exchange) -> bool:
    request = exchange.request
    admin = exchange.api is not None and exchange.api.name == "admin"
    return admin and request.method == "GET" and DASHBOARD_HEADER in request.headers


def _entry(exchange: Exchange, server: ServerState, answer: WireResponse) -> JournalEntry:
    return journal_entry(exchange, answer, iso(server.clock.now()))


def journal_entry(exchange: Exchange, answer: WireResponse, at: str) -> JournalEntry:
    """The exchange and its answer as the journal keeps them, dated `at` (the proxy's differ in a few fields)."""
    request, api = exchange.request, exchange.answering
    return JournalEntry(
        id=request.journal_id,
        at=at,
        provider=api.name if api else None,
        operation=request.operation_id or None,
        method=request.method,
        path=request.path,
        query="&".join(f"{name}={value}" for name, values in request.query.items() for value in values),
        status=answer.status,
        request_body=journal_body(request),
        response_body=answer.body,
        verdict=verdict_json(exchange.verdict),
        principal=request.principal.owner if request.principal else None,
        note=exchange.note,
        request_headers=dict(request.headers),
        response_headers={"content-type": answer.media_type, **answer.headers},
        conformance=exchange.conformance,
    )


def journal_body(request: Request) -> Any:
    """The body as the journal keeps it: parsed JSON, else text; large bodies only by size.

    The journal is bounded by entries, so its memory is bounded only if each entry is too.
    """
    if len(request.body) > JOURNAL_BODY_LIMIT:
        return f"<{len(request.body)} bytes, not kept: over {JOURNAL_BODY_LIMIT}>"
    if request.payload is not None:
        return request.payload
    return request.body.decode("utf-8", errors="replace") if request.body else None


def verdict_json(verdict: Verdict | None) -> dict[str, Any] | None:
    if verdict is None:
        return None
    errors = [
        {
            "json_path": e.json_path,
            "message": e.message,
            "keyword": e.keyword,
            "found": _found(e),
            "expected": e.expected if e.expected is not None else _shown(e.rule),
        }
        for e in verdict.errors
    ]
    return {"valid": verdict.valid, "errors": errors}


def _found(error: PayloadError) -> Any:
    """The value at fault, masked where it is a credential (`sharedSecret` where Kibo wants `client_secret`)."""
    key = error.path[-1] if error.path else None
    if isinstance(key, str) and key.lower() in SECRET_FIELDS and isinstance(error.value, str):
        return masked(error.value)
    return _shown(error.value)


def _shown(value: Any) -> Any:
    """A value as an error shows it: scalars as they are, an object or array by its kind only
    (the body holds it, and a missing property's `value` is the whole object)."""
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list | tuple):
        return "an array" if len(value) > 8 else list(value)  # an enum's values read well; a long list does not
    return value


# The path ------------------------------------------------------------------------------------

BEFORE_ROUTING: tuple[Step, ...] = (path_to_route, body_arrived, request_size)
ROUTING = (route,)
STAGES: tuple[Step, ...] = (
    known_operation,
    inject_fault,
    authenticate,
    rate_limit,
    check_headers,
    check_body,
    validate_body,
    handle,
)
AFTER_ANSWER: tuple[AfterStep, ...] = (api_headers, check_conformance, journal)
REQUEST_PATH: tuple[tuple[str, tuple[Callable[..., Any], ...]], ...] = (
    ("before routing", BEFORE_ROUTING),
    ("routing", ROUTING),
    ("stages", STAGES),
    ("after the answer", AFTER_ANSWER),
)


def run(steps: tuple[Step, ...], exchange: Exchange, server: ServerState) -> WireResponse | None:
    """The first answer of `steps`, in order, or None when none answers."""
    for step in steps:
        answer = step(exchange, server)
        if answer is not None:
            return answer
    return None


def finish(exchange: Exchange, server: ServerState, answer: WireResponse) -> WireResponse:
    """The answer as it is sent, after every step that follows an answer."""
    for step in AFTER_ANSWER:
        answer = step(exchange, server, answer)
    return answer
