"""The admin API (`/__admin/...`): world, clock, journal, fresh orders, reset.

It is not a provider, but it is served through the same request path (its own spec,
`specs/returnkit-admin.yaml`, validated by the same engine) so that its errors are as precise as
the providers'.

Access: open on a loopback host; bound to any other host, or given a token, it needs
`Authorization: Bearer <token>` (`admin_access` decides, `returnkit serve` prints the rule).
Signed label URLs never need the token: clients fetch them as a provider handed them out.
Adding many orders runs in chunks (`server/continued.py`) so other clients are served meanwhile.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any, get_args
from urllib.parse import urlsplit

from returnkit.core import labels, outbox
from returnkit.core.clock import ClockLimitError, iso
from returnkit.core.faults import EVERY_WEBHOOK, WEBHOOK_PREFIX, webhook_refusal
from returnkit.core.jsonbytes import loads
from returnkit.core.records import history
from returnkit.core.store import Ordering, RecordFilter, Store, StoreUnavailable
from returnkit.providers.kit import (
    Handler,
    Handshake,
    OrderAdder,
    ParameterError,
    Principal,
    Request,
    Transition,
    WebhookKit,
    World,
    choice_param,
    int_param,
)
from returnkit.providers.message_errors import MessageErrors
from returnkit.providers.wire import WireResponse, sentence
from returnkit.server.continued import Continued
from returnkit.validation import Verdict

if TYPE_CHECKING:
    from returnkit.server.state import ServerState


class AdminErrors(MessageErrors):
    """`{"message"}` like most providers, plus `errors[]` with a path for each problem."""

    def __init__(self) -> None:
        super().__init__(self.invalid)

    def invalid(self, verdict: Verdict) -> WireResponse:
        errors = [{"path": e.json_path, "message": e.message} for e in verdict.errors]
        return WireResponse(400, {"message": "; ".join(sentence(e) for e in verdict.errors), "errors": errors})

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        problem = {"path": error.name, "message": error.message}
        return WireResponse(400, {"message": f"{error.name}: {error.message}", "errors": [problem]})

    def unauthorized(self, reason: str) -> WireResponse:
        return WireResponse(401, {"message": reason}, {"WWW-Authenticate": 'Bearer realm="returnkit admin"'})


ADMIN_ENV = "RETURNKIT_ADMIN_TOKEN"  # the environment variable that gives the admin token
HEALTH_PATH = "/__admin/health"
# Label URLs are signed; health reveals nothing and is polled by load balancers and CI scripts.
WITHOUT_TOKEN = frozenset({"get_label", "get_health"})


@dataclass(frozen=True)
class AdminAccess:
    """Who may use the admin API of a server bound to a host, and the start-up line that says so."""

    token: str | None
    banner: str


def admin_access(host: str, token: str | None) -> AdminAccess:
    """A token given is always required; without one, loopback is open and any other host gets a new token."""
    if token:
        return AdminAccess(
            token,
            "admin API: requires Authorization: Bearer <the token given by --admin-token or RETURNKIT_ADMIN_TOKEN>",
        )
    if is_loopback(host):
        return AdminAccess(
            None,
            f"admin API: open (bound to loopback {host}; --admin-token or RETURNKIT_ADMIN_TOKEN would require a token)",
        )
    generated = secrets.token_hex(24)
    return AdminAccess(
        generated, f"admin API: {host} is not loopback, so /__admin/* requires Authorization: Bearer {generated}"
    )


def is_loopback(host: str) -> bool:
    """127.0.0.0/8, ::1 or localhost: only this machine can connect."""
    if host.lower().rstrip(".") == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


# Orders added per transaction, between which other clients are served: about 40 ms of work (Zinc's
# orders cost the most). Fixed, not timed, so the orders added follow from the seed and the count.
ORDERS_PER_CHUNK = 100
YIELD_SECONDS = 0.001
SUBSCRIPTION_OPTIONS = ("application", "no_callback", "date", "headers")  # provider-specific fields of a subscription
MAX_ID = 9_007_199_254_740_991  # the largest id a JSON number holds exactly
ATTEMPTS_SHOWN = 20  # the newest attempts a delivery lists unless `attempts=all` is asked for


@dataclass
class AddedOrders:
    provider: str
    owner: str
    orders: list[str]
    count: int  # how many were asked for


class AdminApi:
    """returnkit's own API over one server's state; the request path serves it beside the providers."""

    name = "admin"
    spec_file = "returnkit-admin.yaml"
    path_prefixes = ("/__admin",)
    errors = AdminErrors()
    transitions: Mapping[str, Transition] = {}

    def __init__(self, server: ServerState) -> None:
        self.server = server
        self._adding = False  # a large add of orders is going on in chunks
        self.handlers: Mapping[str, Handler] = {
            "get_world": self.get_world,
            "add_orders": self.add_orders,
            "get_clock": self.get_clock,
            "advance_clock": self.advance_clock,
            "list_requests": self.list_requests,
            "reset": self.reset,
            "get_label": self.get_label,
            "list_faults": self.list_faults,
            "add_fault": self.add_fault,
            "clear_faults": self.clear_faults,
            "add_webhook": self.add_webhook,
            "list_webhooks": self.list_webhooks,
            "remove_webhook": self.remove_webhook,
            "list_deliveries": self.list_deliveries,
            "redeliver": self.redeliver,
            "get_health": self.get_health,
            "list_records": self.list_records,
            "get_record": self.get_record,
        }

    def authenticate(self, request: Request, world: World) -> Principal | str:
        """Open without a token; with one, every operation but the (signed) label URLs needs it."""
        if request.method not in ("GET", "HEAD") and _from_another_origin(request):
            origin = request.headers["origin"]
            return f"the admin API takes no changes from a web page of another origin ({origin})"
        token = self.server.admin_token
        if token is None or request.operation_id in WITHOUT_TOKEN:
            return Principal("admin", "")
        scheme, _, given = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(given.strip().encode(), token.encode()):
            return Principal("admin", token)
        if not given:
            return "the admin API needs Authorization: Bearer <admin token> (returnkit serve prints which rule applies)"
        return "the admin token is not valid"

    def response_headers(self, request: Request, world: World) -> Mapping[str, str]:
        return {}

    def clock(self) -> dict[str, Any]:
        clock = self.server.clock
        return {"now": iso(clock.now()), "elapsed_seconds": round(clock.elapsed(), 6), "mode": clock.mode}

    def get_world(self, request: Request, world: World) -> WireResponse:
        self.server.catch_up_all()  # with the wall clock, what fell due since the last request shows too
        providers = {name: kit.describe(self.server.worlds[name]) for name, kit in self.server.kits.items()}
        return WireResponse(200, {"seed": self.server.seed, "clock": self.clock(), "providers": providers})

    def add_orders(self, request: Request, world: World) -> WireResponse:
        if self._adding:  # one add at a time: the orders a request gets follow from the seed and the count
            return WireResponse(
                409, {"message": "a large add of orders is under way; send this one when it has answered"}
            )
        provider, count = request.payload["provider"], int(request.payload.get("count", 1))
        kit = self.server.kits.get(provider)
        adder = kit.add_orders if kit is not None else None
        if adder is None:
            return WireResponse(404, {"message": f"{provider} cannot add orders"})
        provider_world = self.server.worlds[provider]
        try:
            owner, orders = adder(provider_world, request.payload.get("owner"), min(count, ORDERS_PER_CHUNK))
        except LookupError as unknown:
            return WireResponse(404, {"message": str(unknown)})
        if count <= ORDERS_PER_CHUNK:
            return WireResponse(201, {"provider": provider, "owner": owner, "orders": orders})
        added = AddedOrders(provider, owner, orders, count)
        self._adding = True
        return Continued(201, None, rest=partial(self._add_the_rest, adder, provider_world, added))

    async def _add_the_rest(self, adder: OrderAdder, world: World, added: AddedOrders) -> WireResponse:
        """One chunk per transaction, yielding to the event loop between chunks; stops if the world is reset."""
        try:
            return await self._add_in_chunks(adder, world, added)
        finally:
            self._adding = False

    async def _add_in_chunks(self, adder: OrderAdder, world: World, added: AddedOrders) -> WireResponse:
        generation = self.server.generation
        while len(added.orders) < added.count:
            # A real millisecond, not sleep(0): a waiting request needs a few turns of the event loop
            # (read it, start its task, answer), and with sleep(0) the next chunk would come first.
            await asyncio.sleep(YIELD_SECONDS)
            if self.server.generation != generation:
                message = f"the world was reset while orders were added: {len(added.orders)} of {added.count} were lost"
                return WireResponse(409, {"message": message})
            with self.server.store.transaction():
                _, more = adder(world, added.owner, min(ORDERS_PER_CHUNK, added.count - len(added.orders)))
            added.orders.extend(more)
        return WireResponse(201, {"provider": added.provider, "owner": added.owner, "orders": added.orders})

    def get_clock(self, request: Request, world: World) -> WireResponse:
        return WireResponse(200, self.clock())

    def advance_clock(self, request: Request, world: World) -> WireResponse:
        seconds = float(request.payload["seconds"])
        dispatcher = self.server.dispatcher
        if dispatcher.active():  # step through each due time, sending what fell due, before answering
            if seconds > self.server.clock.remaining():
                return self._past_the_limit(seconds)
            return Continued(200, None, rest=partial(self._advance_delivering, seconds))
        try:
            self.server.clock.advance(seconds)
        except ClockLimitError as limit:
            return self.errors.bad_parameter(ParameterError("seconds", str(limit)))
        self.server.catch_up_all()  # what fell due happens now, in order, not when it is next read
        return WireResponse(200, self.clock())

    def _past_the_limit(self, seconds: float) -> WireResponse:
        try:
            self.server.clock.advance(seconds)  # refuses, unmoved: its message says how much is left
        except ClockLimitError as limit:
            return self.errors.bad_parameter(ParameterError("seconds", str(limit)))
        raise AssertionError("an advance past the clock's limit was not refused")

    async def _advance_delivering(self, seconds: float) -> WireResponse:
        await self.server.dispatcher.advance(seconds)
        return WireResponse(200, self.clock())

    def list_requests(self, request: Request, world: World) -> WireResponse:
        status = int_param(request, "status", None, 100, 599)
        limit = int_param(request, "limit", 100, 1, 10_000)
        after = int_param(request, "after", None, 0, MAX_ID)  # what a poller has not seen yet
        filters: dict[str, Any] = {
            "provider": request.param("provider"),
            "path": request.param("path"),
            "status": status,
            "method": request.param("method"),
            "direction": _direction(choice_param(request, "direction", DIRECTIONS)),
        }
        newest = self.server.journal.find(**filters, after=after, limit=limit or None)
        total = self.server.journal.count(**filters)
        return WireResponse(200, {"total": total, "requests": [entry.as_json() for entry in newest]})

    def list_records(self, request: Request, world: World) -> WireResponse:
        """One provider's records of one kind: how many in each state, and the newest `limit` that match
        `state` and `q` (oldest first), counted and picked by the store."""
        provider = request.param("provider") or ""
        if provider not in self.server.kits:
            raise ParameterError("provider", f"no provider {provider}")
        kind = choice_param(request, "kind", RECORD_KINDS, "return") or "return"
        limit = int_param(request, "limit", 200, 1, 10_000) or 200
        self.server.catch_up(provider)  # what fell due shows, as a read of the provider's own would
        store = self.server.store
        states = {_state_name(state): count for state, count in store.count_states(provider, kind).items()}
        wanted = request.param("state")
        where = RecordFilter(
            states=None if wanted is None else (None, wanted) if wanted == NO_STATE else (wanted,),
            text_contains=request.param("q") or None,
        )
        newest = store.find(provider, kind, where, order=NEWEST_FIRST, limit=limit)
        newest.reverse()
        # fewer than `limit` found: that is all of them (a search over every document is not made twice)
        total = len(newest) if len(newest) < limit else store.count_where(provider, kind, where)
        return WireResponse(200, {"total": total, "states": states, "records": newest})

    def get_record(self, request: Request, world: World) -> WireResponse:
        """One record as stored and as its provider answers a read of it, its history (oldest first) and its
        scheduled transitions, times in ISO."""
        provider, kind, key = (request.path_params[name] for name in ("provider", "kind", "key"))
        if provider not in self.server.kits or kind not in RECORD_KINDS:
            return WireResponse(404, {"message": f"no {provider} {kind} records"})
        self.server.catch_up(provider)
        record = self.server.store.get(provider, kind, key)
        if record is None:
            return WireResponse(404, {"message": f"no {provider} {kind} {key}"})
        changes = [{**change, "at": _iso(change["at"])} for change in history(self.server, provider, kind, key)]
        due = [
            {"transition": step.transition, "due": _iso(step.due)}
            for step in self.server.store.scheduled(provider, kind, key)
        ]
        view = self.server.kits[provider].record_views.get(kind)
        read = view(self.server.worlds[provider], record) if view else record
        return WireResponse(200, {"record": record, "read": read, "history": changes, "scheduled": due})

    def get_label(self, request: Request, world: World) -> WireResponse:
        why = labels.refusal(
            self.server.store, request.path, request.param("expires"), request.param("signature"), world.now()
        )
        if why:
            return WireResponse(403, {"message": why})
        return WireResponse(200, labels.PDF, media_type="application/pdf")

    def list_faults(self, request: Request, world: World) -> WireResponse:
        return WireResponse(200, {"faults": [fault.as_json() for fault in self.server.faults]})

    def add_fault(self, request: Request, world: World) -> WireResponse:
        options = dict(request.payload)
        provider, kind = options.pop("provider"), options.pop("kind")
        operation = options.get("operation")
        kit = self.server.kits.get(provider)
        signed = kit is not None and kit.webhooks is not None and kit.webhooks.signed
        why = webhook_refusal(kind, operation, signed=signed, provider=provider)
        if why is not None:
            return self.errors.bad_parameter(ParameterError("kind", why))
        if operation is not None and operation.startswith(WEBHOOK_PREFIX):
            event = operation.removeprefix(WEBHOOK_PREFIX)
            events = kit.webhooks.events if kit is not None and kit.webhooks is not None else ()
            if not events or (operation != EVERY_WEBHOOK and event not in events):
                return WireResponse(404, {"message": f"{provider} sends no webhook {event}"})
        elif operation is not None:
            try:
                options["operation"] = self.server.catalog.operation(provider, operation).operation_id
            except LookupError as unknown:
                return WireResponse(404, {"message": str(unknown)})
        return WireResponse(201, self.server.faults.add(provider, kind, **options).as_json())

    def clear_faults(self, request: Request, world: World) -> WireResponse:
        self.server.faults.clear()
        return WireResponse(200, {"faults": []})

    def add_webhook(self, request: Request, world: World) -> WireResponse:
        """A subscription: the provider's events (all, or those listed) to `url`, signed with its secret."""
        given = dict(request.payload)
        provider = given.pop("provider")
        kit = self.server.kits.get(provider)
        webhooks = kit.webhooks if kit is not None else None
        if webhooks is None:
            return self._bad("provider", f"{provider} sends no webhooks through returnkit")
        refused = self._refused_subscription(provider, webhooks, given)
        if refused is not None:
            return self._bad(*refused)
        draft = self._draft(provider, given)
        why = webhooks.check_subscription(self.server.worlds[provider], draft)
        if why is not None:
            return self._bad("owner" if "owner" in why else "url", why)
        subscription = self.server.with_secret(draft)
        handshake = webhooks.handshake(self.server.worlds[provider], subscription)
        if handshake is not None:  # Rye: the URL must answer its verification request first
            return Continued(201, None, rest=partial(self._after_handshake, subscription, handshake))
        outbox.subscribe(self.server.store, subscription)
        return WireResponse(201, subscription.as_json())

    def _refused_subscription(
        self, provider: str, webhooks: WebhookKit, given: Mapping[str, Any]
    ) -> tuple[str, str] | None:
        """The field at fault and why, for what any provider would refuse; None when it may go on."""
        unknown = [event for event in given.get("events") or () if event not in webhooks.events]
        if unknown:
            return "events", f"{provider} sends no {', '.join(unknown)}; it sends {', '.join(webhooks.events)}"
        refusal = outbox.target_refusal(given["url"], self.server.webhook_allow)
        if refusal is not None:
            return "url", refusal
        if given.get("secret") is not None and not webhooks.signed:
            return "secret", f"{provider} does not sign its webhooks: a subscription of it has no secret"
        return None

    async def _after_handshake(self, subscription: outbox.Subscription, handshake: Handshake) -> WireResponse:
        why = await self.server.dispatcher.handshake(subscription, handshake)
        if why is not None:
            return WireResponse(422, {"message": why})
        with self.server.store.transaction():
            outbox.subscribe(self.server.store, subscription)
        return WireResponse(201, subscription.as_json())

    def _draft(self, provider: str, given: Mapping[str, Any]) -> outbox.Subscription:
        options = {name: given[name] for name in SUBSCRIPTION_OPTIONS if name in given}
        events = given.get("events")
        return outbox.Subscription(
            id=outbox.next_subscription_id(self.server.store),
            provider=provider,
            url=given["url"],
            owner=given.get("owner"),
            events=tuple(events) if events is not None else None,
            secret=given.get("secret"),
            options=options,
        )

    def _bad(self, name: str, message: str) -> WireResponse:
        return self.errors.bad_parameter(ParameterError(name, message, location="body"))

    def list_webhooks(self, request: Request, world: World) -> WireResponse:
        wanted = request.param("provider")
        found = [
            subscription.as_json()
            for name in self.server.kits
            if wanted in (None, name)
            for subscription in outbox.subscriptions(self.server.store, name)
        ]
        return WireResponse(200, {"subscriptions": found})

    def remove_webhook(self, request: Request, world: World) -> WireResponse:
        identifier = request.path_params["id"]
        subscription = outbox.find_subscription(self.server.store, self.server.kits, identifier)
        if subscription is None:
            return WireResponse(404, {"message": f"no webhook subscription {identifier}"})
        outbox.unsubscribe(self.server.store, subscription)
        return WireResponse(204, None)

    def list_deliveries(self, request: Request, world: World) -> WireResponse:
        limit = int_param(request, "limit", 100, 1, 10_000) or 100
        found = self.server.store.deliveries(
            provider=request.param("provider"),
            event=request.param("event"),
            status=choice_param(request, "status", get_args(outbox.DeliveryStatus)),
            subscription=request.param("subscription"),
        )
        every_attempt = choice_param(request, "attempts", ("last", "all"), "last") == "all"
        shown = [self._delivery_json(delivery, every_attempt) for delivery in found[-limit:]]
        return WireResponse(200, {"total": len(found), "deliveries": shown})

    def _delivery_json(self, delivery: outbox.Delivery, every_attempt: bool = True) -> dict[str, Any]:
        attempts = self.server.store.attempts(delivery.id)
        kept = attempts if every_attempt else attempts[-ATTEMPTS_SHOWN:]
        return {
            "id": delivery.id,
            "provider": delivery.provider,
            "event": delivery.event,
            "event_id": delivery.event_id,
            "subscription": delivery.subscription,
            "owner": delivery.owner,
            "resource": delivery.resource,
            "status": delivery.status,
            "occurred": iso(datetime.fromtimestamp(delivery.occurred, UTC)),
            "due": iso(datetime.fromtimestamp(delivery.due, UTC)) if delivery.due is not None else None,
            "attempts_count": delivery.attempts,
            "attempts": [_attempt_json(attempt) for attempt in kept],
            "body": loads(delivery.body),
            "conformance": delivery.conformance,
        }

    def redeliver(self, request: Request, world: World) -> WireResponse:
        raw = request.path_params["id"]
        if not (raw.isascii() and raw.isdigit()):
            raise ParameterError("id", "a delivery id is a whole number", raw, location="path")
        identifier = int(raw)
        delivery = self.server.store.delivery(identifier)
        if delivery is None:
            return WireResponse(404, {"message": f"no delivery {identifier}"})
        return Continued(200, None, rest=partial(self._redelivered, delivery))

    async def _redelivered(self, delivery: outbox.Delivery) -> WireResponse:
        again = await self.server.dispatcher.redeliver(delivery)
        return WireResponse(200, self._delivery_json(again))

    def reset(self, request: Request, world: World) -> WireResponse:
        self.server.reset()
        return WireResponse(200, self.clock())

    def get_health(self, request: Request, world: World) -> WireResponse:
        """Whether the database answers (load balancers and CI wait on it; a down one: `asgi.unavailable`)."""
        store = self.server.store
        try:
            store.ping()
        except StoreUnavailable as down:
            return WireResponse(503, health_unavailable(store, down), {"Retry-After": "1"})
        document = {"status": "ok", "store": store.backend, "schema_version": store.schema_version}
        return WireResponse(200, {**document, "clock": iso(self.server.clock.now()), "instance": self.server.instance})


def health_unavailable(store: Store, down: StoreUnavailable) -> dict[str, Any]:
    return {"status": "unavailable", "store": store.backend, "error": str(down)}


def _attempt_json(attempt: outbox.Attempt) -> dict[str, Any]:
    return {
        "number": attempt.number,
        "kind": attempt.kind,
        "at": iso(datetime.fromtimestamp(attempt.at, UTC)),
        "wall": attempt.wall,
        "status": attempt.status,
        "error": attempt.error,
        "duration_ms": attempt.duration_ms,
        "headers": dict(attempt.headers),
    }


DIRECTIONS = ("inbound", "outbound", "proxied", "all")
RECORD_KINDS = ("return", "order", "batch", "item", "replacement")  # never tokens: they are credentials


def _iso(seconds: float) -> str:
    return iso(datetime.fromtimestamp(seconds, UTC))


NO_STATE = "(none)"  # the state shown of a record without one
NEWEST_FIRST: Ordering = (("seq", True),)


def _state_name(state: str | None) -> str:
    return NO_STATE if state is None else state


def _direction(given: str | None) -> str | None:
    """The journal's requests answered (the default: what it always listed), the webhooks sent, or both."""
    if given == "all":
        return None
    return given or "inbound"


def _from_another_origin(request: Request) -> bool:
    """A browser sent this for a page of another origin (its `Origin` is not this server's host):
    an open admin API on loopback must not be reset or faulted by any web page the user opens."""
    origin = request.headers.get("origin")
    if origin is None:
        return False  # not a browser's cross-site request: curl, SDKs, tests
    return urlsplit(origin).netloc.lower() != request.headers.get("host", "").lower()
