"""The template every provider fills in, and what its handlers see.

A provider is a `ProviderKit`: how it seeds its part of the world, how it authenticates, one
handler per operationId, and its wire format for the errors the server raises before a handler
runs (unknown path, 401, 405, 413, 415, 429). Handlers are plain functions of
`(request, world) -> WireResponse`; they run inside one store transaction.

A provider that pushes events has a `WebhookKit` (its `webhooks.py`) on `ProviderKit.webhooks`;
its `behaviour.transition` announces each change with `world.emit(Event(...))` (`core/outbox.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from returnkit.core import outbox
from returnkit.core.clock import VirtualClock
from returnkit.core.outbox import Delivery, Event, Subscription
from returnkit.core.store import Scheduled, Store
from returnkit.providers.wire import WireResponse
from returnkit.spec import Operation
from returnkit.validation import Verdict

Query = Mapping[str, list[str]]


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the merchant or tenant (`owner`) and the credential (`key`) they used."""

    owner: str
    key: str


@dataclass(slots=True)
class Request:
    provider: str
    operation_id: str
    method: str
    path: str
    path_params: Mapping[str, str]
    query: Query
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    payload: Any = None
    principal: Principal | None = None
    base_url: str = "http://127.0.0.1:8000"
    journal_id: int = 0
    operation: Operation | None = None
    business_fault: Mapping[str, Any] | None = None  # a fault for the behaviour itself (deny, fail-items)

    def param(self, name: str) -> str | None:
        values = self.query.get(name)
        return values[-1] if values else None

    @property
    def owner(self) -> str:
        return self.principal.owner if self.principal else ""


PUBLIC_URL = "public_url"  # World.options key: the server's base URL, for links in webhook payloads
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8000"


@dataclass(slots=True)
class World:
    """What a handler may touch: the store, the clock, the seed and the provider's mock data.

    `cause` is the request being handled (set by the server's handle stage for its transaction),
    None while scheduled transitions run: what an event may say about what caused it (Kibo's
    correlation id).
    """

    store: Store
    clock: VirtualClock
    seed: int
    mocks: Mapping[str, Any]
    options: dict[str, Any] = field(default_factory=dict)
    cause: Request | None = None

    def now(self) -> float:
        return self.clock.timestamp()

    @property
    def public_url(self) -> str:
        """The server's base URL as its clients reach it (label URLs in payloads), without a trailing slash."""
        return str(self.options.get(PUBLIC_URL, DEFAULT_PUBLIC_URL)).rstrip("/")

    def emit(self, event: Event) -> int:
        """Announce a change to its subscribers, in the current store transaction; how many deliveries.

        With no subscriber it costs one store lookup: the payload is not even built.
        """
        return outbox.emit(self.store, self.seed, event)


class ParameterError(Exception):
    """A query or path parameter the provider would refuse; rendered by its `ErrorFormat`."""

    def __init__(
        self,
        name: str,
        message: str,
        value: Any = None,
        *,
        location: str = "query",
        kind: str = "value_error",
        context: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message)
        self.name = name
        self.message = message
        self.value = value
        self.location = location
        self.kind = kind  # pydantic's error type, for providers that speak FastAPI
        self.context = context  # pydantic's `ctx`, when it has one


class Refusal(Exception):
    """A provider's business refusal, the one way behaviour and handlers say no.

    `status` is the HTTP status, `code` the provider's own error code, `details` what the
    provider's format adds (ids, quantities). The handle stage renders it through the kit's
    `ErrorFormat.refused`, and the store transaction is rolled back.
    """

    def __init__(self, status: int, code: str, message: str, details: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details: Mapping[str, Any] = details or {}


class ErrorFormat(Protocol):
    """The provider's answer to what the server refuses: the status and body shape only.

    Headers every provider shares (`Allow` on a 405, `Retry-After` on a 429) are the server's.
    """

    def refused(self, refusal: Refusal) -> WireResponse:
        """A business refusal raised by the behaviour or a handler."""
        ...

    def invalid(self, verdict: Verdict) -> WireResponse: ...

    def bad_parameter(self, error: ParameterError) -> WireResponse: ...

    def unauthorized(self, reason: str) -> WireResponse: ...

    def not_found(self, reason: str) -> WireResponse: ...

    def method_not_allowed(self, allowed: list[str]) -> WireResponse: ...

    def unsupported_media_type(self, media_type: str) -> WireResponse: ...

    def too_large(self, limit: int) -> WireResponse: ...

    def rate_limited(self, retry_after: int) -> WireResponse: ...

    def server_error(self, status: int, reason: str) -> WireResponse:
        """A 5xx in the provider's format (injected faults)."""
        ...


@dataclass(frozen=True, slots=True)
class Handshake:
    """A request a provider sends to a URL before it delivers there (Rye's `WEBHOOK_URL_VERIFICATION`)."""

    body: bytes
    headers: Mapping[str, str]
    refusal: Callable[[int, bytes], str | None]  # the answer's status and body -> why the URL is refused, or None


class WebhookKit(Protocol):
    """How a provider pushes its events: a provider's `webhooks.py`, `ProviderKit.webhooks`.

    The events, payloads and emission are its behaviour's (`world.emit`); this is what the admin
    API, the sender, the CLI and `returnkit.webhooks` need to know of it.
    """

    @property
    def events(self) -> tuple[str, ...]:
        """Every event it can send, as its spec's `webhooks` declares them."""
        ...

    @property
    def signed(self) -> bool: ...

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        """Why the provider would refuse this subscription (Kibo: no tenant as `owner`), or None."""
        ...

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        """The secret of a new subscription that was given none (`number`: 1, 2 ... for seeding it);
        None for a provider that signs nothing. Kibo's is the application's shared secret."""
        ...

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        """Every header of one attempt (content type, event, signature), `sent_at` its `Date` where signed."""
        ...

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        """The signature headers of `body` (and the `Date` signed, where the scheme signs one); {} when unsigned."""
        ...

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        """Whether a receiver following the provider's documented recipe would accept this delivery."""
        ...

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        """What to send before a URL may receive events, None when the provider sends nothing first."""
        ...


Handler = Callable[[Request, World], WireResponse]
Transition = Callable[[World, Scheduled], None]
# Adds `count` fresh orders for `owner` (None: the first seeded one); answers (owner, order ids).
OrderAdder = Callable[[World, str | None, int], tuple[str, list[str]]]
# A stored record as the provider answers a read of it, with what it computes per read.
RecordView = Callable[[World, Mapping[str, Any]], dict[str, Any]]


class ProviderKit(Protocol):
    """Everything the server, the CLI and the admin API know of a provider, declared here only."""

    @property
    def name(self) -> str: ...

    @property
    def spec_file(self) -> str:
        """Its OpenAPI 3.1 document, in the bundled `specs/` folder."""
        ...

    @property
    def path_prefixes(self) -> tuple[str, ...]:
        """The real paths it owns, to answer unknown ones in its format."""
        ...

    @property
    def strip_trailing_slash(self) -> bool:
        """`/path/` is served as `/path` (a spelling some of the provider's own SDKs send)."""
        ...

    @property
    def add_orders(self) -> OrderAdder | None:
        """Adds fresh orders (`POST /__admin/orders`), or None when the provider cannot."""
        ...

    @property
    def errors(self) -> ErrorFormat: ...

    @property
    def handlers(self) -> Mapping[str, Handler]: ...

    @property
    def transitions(self) -> Mapping[str, Transition]:
        """The time-driven changes of its records, by name: what `Store.due` hands back when due."""
        ...

    @property
    def webhooks(self) -> WebhookKit | None:
        """How it pushes events, or None when it pushes none."""
        ...

    @property
    def record_views(self) -> Mapping[str, RecordView]:
        """By record kind, the fields a read computes (Kibo's `availableActions`); a kind not here reads as stored."""
        ...

    def seed(self, world: World) -> None: ...

    def authenticate(self, request: Request, world: World) -> Principal | str:
        """The caller, or the reason they are refused."""
        ...

    def describe(self, world: World) -> dict[str, Any]:
        """The provider's part of `GET /__admin/world`: credentials and orders."""
        ...

    def response_headers(self, request: Request, world: World) -> Mapping[str, str]: ...


def int_param(
    request: Request, name: str, default: int | None, minimum: int, maximum: int, *, empty_is_absent: bool = False
) -> int | None:
    """A query parameter read as an integer within bounds, or the provider's parameter error.

    An empty value (`?offset=`) is refused as not an integer, as FastAPI and most frameworks do;
    `empty_is_absent` is for frameworks that bind it to "not given" (ASP.NET's nullable ints).
    """
    raw = request.param(name)
    if raw is None or (raw == "" and empty_is_absent):
        return default
    try:
        value = int(raw)
    except ValueError:
        message = "Input should be a valid integer, unable to parse string as an integer"
        raise ParameterError(name, message, raw, kind="int_parsing") from None
    if value < minimum:
        message = f"Input should be greater than or equal to {minimum}"
        raise ParameterError(name, message, raw, kind="greater_than_equal", context={"ge": minimum})
    if value > maximum:
        message = f"Input should be less than or equal to {maximum}"
        raise ParameterError(name, message, raw, kind="less_than_equal", context={"le": maximum})
    return value


def choice_param(request: Request, name: str, choices: Collection[str], default: str | None = None) -> str | None:
    """A query parameter that must be one of `choices`, or the provider's parameter error."""
    raw = request.param(name)
    if raw is None:
        return default
    if raw not in choices:
        message = f"Input should be {' or '.join(repr(choice) for choice in choices)}"
        raise ParameterError(name, message, raw, kind="enum", context={"expected": ", ".join(choices)})
    return raw


def datetime_param(request: Request, name: str) -> datetime | None:
    """An RFC 3339 query parameter with its time zone, or the provider's parameter error."""
    raw = request.param(name)
    if raw is None:
        return None
    if not raw:
        message = "Input should be a valid datetime or date, input is too short"
        context = {"error": "input is too short"}
        raise ParameterError(name, message, raw, kind="datetime_from_date_parsing", context=context)
    try:
        moment = datetime.fromisoformat(raw)
    except ValueError:
        raise ParameterError(name, "Input should be a valid datetime", raw, kind="datetime_from_date_parsing") from None
    if moment.tzinfo is None:
        raise ParameterError(name, "Input should have timezone info", raw, kind="timezone_aware")
    return moment


class WorldModule(Protocol):
    """A provider's `world.py`."""

    def seed(self, world: World) -> None: ...

    def add_orders(self, world: World, owner: str | None, count: int) -> tuple[str, list[str]]: ...

    def describe(self, world: World) -> dict[str, Any]: ...


class AuthModule(Protocol):
    """A provider's `auth.py`."""

    def authenticate(self, request: Request, world: World) -> Principal | str: ...


class ModuleKit:
    """A kit assembled from a provider package's modules; a provider sets the class attributes."""

    name: str
    spec_file: str
    path_prefixes: tuple[str, ...]
    strip_trailing_slash: bool = False
    errors: ErrorFormat
    handlers: Mapping[str, Handler]
    transitions: Mapping[str, Transition] = {}
    webhooks: WebhookKit | None = None
    record_views: Mapping[str, RecordView] = {}
    world_module: WorldModule
    auth_module: AuthModule

    def seed(self, world: World) -> None:
        self.world_module.seed(world)

    @property
    def add_orders(self) -> OrderAdder | None:
        return self.world_module.add_orders

    def authenticate(self, request: Request, world: World) -> Principal | str:
        return self.auth_module.authenticate(request, world)

    def describe(self, world: World) -> dict[str, Any]:
        return self.world_module.describe(world)

    def response_headers(self, request: Request, world: World) -> Mapping[str, str]:
        return {}


def known_owner(owner: str | None, owners: list[str]) -> str:
    """`owner`, or the first one when it is None; a LookupError when it is not one of `owners`."""
    if owner is None:
        return owners[0]
    if owner not in owners:
        raise LookupError(f"unknown owner {owner!r}; known: {', '.join(owners)}")
    return owner
