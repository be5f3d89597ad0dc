"""Webhooks waiting to go out: subscriptions, events, the outbox and each provider's retry policy.

How the other parts use it:

- **A provider emits** from its one `behaviour.transition`, once per event, in the order its
  changes happen: `world.emit(Event(provider, name, owner, resource, at, build))`. `build` is
  called once per matching subscription with a `DeliveryContext` and returns the payload (a
  dict), or None to leave that subscription out. With no matching subscription nothing is built
  or written: the cost is one store lookup. Everything is written in the caller's store
  transaction, so a refused request emits nothing. Payloads are not validated here (the sender
  validates each body once, at its first attempt). In Zinc's `transition`, for instance::

      world.emit(Event("zinc", "return.approved", record["owner"], key, at,
                       lambda context: webhooks.envelope("return.approved", record, world)))

- **The sender** (`server/webhooks.py`) takes `store.due_deliveries(now, limit)` in (due, id)
  order, sends each body with the kit's `WebhookKit.headers(...)`, and settles it in one call:
  `store.settle(delivery.id, attempt, due=..., status=...)`, where `policy.succeeded(status)`
  says whether it counts and `policy.next_due(attempt.at, delivery.tries + 1)` when it is tried
  again (None: `failed`). `RetryPolicy.from_spec(document)` reads the policy from the spec's
  top-level `x-returnkit-webhooks`.
  Webhook faults for the delivery come from `FaultBook.fire_for_delivery` (`core/faults.py`).
- **Subscriptions** are records of the provider's own (`subscribe`, `unsubscribe`,
  `subscriptions`); `target_refusal(url, allow)` says why a URL may not receive webhooks.

Pure: no I/O but the store's, no clock but the times it is given.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from returnkit.core.jsonbytes import dumps
from returnkit.errors import SpecError

if TYPE_CHECKING:
    from returnkit.core.store import Store

SUBSCRIPTION_KIND = "webhook-subscription"  # a record kind of each provider that has subscribers
POLICY_KEY = "x-returnkit-webhooks"
IN_PROCESS_SCHEMES = ("asgi", "wsgi")  # the pytest plugin's application targets, always allowed
LOOPBACK_NAMES = ("localhost",)

DeliveryStatus = Literal["pending", "delivered", "failed", "dropped", "cancelled"]
AttemptKind = Literal["scheduled", "duplicate", "redeliver", "handshake"]


@dataclass(frozen=True, slots=True)
class Subscription:
    """Who receives a provider's events: `owner` None is every owner, `events` None is every event."""

    id: str  # wh_<n>
    provider: str
    url: str
    owner: str | None = None
    events: tuple[str, ...] | None = None
    secret: str | None = None  # the key that signs its deliveries; None for unsigned providers
    source: str = "admin"  # admin | api (the provider's own endpoint) | mocks
    options: Mapping[str, Any] = field(default_factory=dict)  # provider-specific (Kibo's application, no_callback)

    def wants(self, owner: str, event: str) -> bool:
        return (self.owner is None or self.owner == owner) and (self.events is None or event in self.events)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "provider": self.provider,
            "url": self.url,
            "owner": self.owner,
            "events": list(self.events) if self.events is not None else None,
            "secret": self.secret,
            "source": self.source,
            "options": dict(self.options),
        }

    @classmethod
    def from_json(cls, document: Mapping[str, Any]) -> Subscription:
        events = document.get("events")
        return cls(
            id=document["id"],
            provider=document["provider"],
            url=document["url"],
            owner=document.get("owner"),
            events=tuple(events) if events is not None else None,
            secret=document.get("secret"),
            source=document.get("source", "admin"),
            options=document.get("options") or {},
        )


@dataclass(frozen=True, slots=True)
class DeliveryContext:
    """What an event's `build` knows of the one delivery it builds a payload for."""

    subscription: Subscription
    event_id: str  # a UUID fixed by the seed and `event_number`; the same for every subscription
    event_number: int  # 1, 2, 3 ... per provider: one per emitted event that had a subscriber
    number: int  # 1, 2, 3 ... per provider: one per delivery (ABOUT YOU's message id)


PayloadBuilder = Callable[[DeliveryContext], Mapping[str, Any] | None]


@dataclass(frozen=True, slots=True)
class Event:
    """One change of state, as the provider announces it."""

    provider: str
    name: str  # as the spec's `webhooks` declares it: `return.approved`, `RETURN_CLOSED`
    owner: str  # whose resource changed (merchant, tenant, developer)
    resource: str  # the resource's key: the deliveries of one resource go out in the order of its changes
    at: float  # virtual time of the change (a scheduled transition's due time, not when it was carried out)
    build: PayloadBuilder


@dataclass(frozen=True, slots=True)
class Attempt:
    """One try at sending a delivery, as it went."""

    number: int  # 1, 2, 3 ... per delivery, every kind counted
    at: float  # virtual time it was made
    wall: str  # wall-clock time it was sent (ISO 8601)
    kind: AttemptKind
    status: int | None  # the receiver's HTTP status; None when there was no answer
    error: str | None  # why there was no answer (timeout, refused connection, target not allowed)
    duration_ms: float
    headers: Mapping[str, str]  # what was sent with the body: signature and event headers


@dataclass(frozen=True, slots=True)
class Delivery:
    """One event for one subscription: a row of the outbox, its body fixed when the event was emitted."""

    id: int  # the outbox's; 0 before it is enqueued. Also the tie-break of equal due times: change order
    provider: str
    event: str
    event_id: str
    subscription: str
    owner: str
    resource: str
    body: bytes
    occurred: float  # virtual time of the change
    due: float | None  # next attempt (virtual time); None once settled for good
    status: DeliveryStatus = "pending"
    attempts: int = 0  # every attempt made
    tries: int = 0  # scheduled attempts made: what the retry policy counts
    conformance: str | None = None  # how the body broke the spec's payload schema, found at the first attempt


def emit(store: Store, seed: int, event: Event) -> int:
    """Enqueue `event` for every subscription that wants it, in the caller's transaction; how many."""
    wanted = [sub for sub in subscriptions(store, event.provider) if sub.wants(event.owner, event.name)]
    if not wanted:
        return 0
    from returnkit.core.world import (
        derive_uuid,
    )  # here, not above: core.world imports faker, `import returnkit` must not

    event_number = store.next_number(f"webhook.event.{event.provider}")
    event_id = derive_uuid(seed, event.provider, "webhook-event", event_number)
    enqueued = 0
    for sub in wanted:
        number = store.next_number(f"webhook.delivery.{event.provider}")
        payload = event.build(DeliveryContext(sub, event_id, event_number, number))
        if payload is None:
            continue
        store.enqueue(_delivery(event, event_id, sub, dumps(payload)))
        enqueued += 1
    return enqueued


def _delivery(event: Event, event_id: str, sub: Subscription, body: bytes) -> Delivery:
    return Delivery(
        id=0,
        provider=event.provider,
        event=event.name,
        event_id=event_id,
        subscription=sub.id,
        owner=event.owner,
        resource=event.resource,
        body=body,
        occurred=event.at,
        due=event.at,
    )


def subscriptions(store: Store, provider: str) -> list[Subscription]:
    """`provider`'s subscriptions, oldest first."""
    return [Subscription.from_json(document) for document in store.query(provider, SUBSCRIPTION_KIND)]


def next_subscription_id(store: Store) -> str:
    return f"wh_{store.next_number('webhook.subscription')}"


def subscribe(store: Store, subscription: Subscription) -> Subscription:
    """Keep `subscription` (replacing one with its id); events emitted from now on reach it."""
    store.put(
        subscription.provider,
        SUBSCRIPTION_KIND,
        subscription.id,
        subscription.as_json(),
        owner=subscription.owner or "",
    )
    return subscription


def unsubscribe(store: Store, subscription: Subscription) -> int:
    """Remove it; its pending deliveries become `cancelled`. How many were cancelled."""
    store.delete(subscription.provider, SUBSCRIPTION_KIND, subscription.id)
    return store.cancel_deliveries(subscription.id)


def find_subscription(store: Store, providers: Iterable[str], subscription_id: str) -> Subscription | None:
    for provider in providers:
        document = store.get(provider, SUBSCRIPTION_KIND, subscription_id)
        if document is not None:
            return Subscription.from_json(document)
    return None


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """When a delivery counts, and when a failed one is tried again: a spec's `x-returnkit-webhooks`.

    `every` seconds while `every * tries` stays within `until` (Kibo: 60 s for 14 days, 20 161
    attempts), or after each failure the next of `after` (Zinc: 60, 300 ... seconds), or never.
    A delayed first attempt moves the whole schedule with it.
    """

    timeout: float = 10.0
    success: frozenset[int] | None = None  # the statuses that count; None: any 2xx
    every: float | None = None
    until: float = 0.0
    after: tuple[float, ...] = ()
    signature: str | None = None  # the scheme's name, for people: each kit signs its own way

    def succeeded(self, status: int | None) -> bool:
        if status is None:
            return False
        return 200 <= status < 300 if self.success is None else status in self.success

    def next_due(self, attempted_at: float, tries: int) -> float | None:
        """When to try again after the `tries`-th scheduled attempt, made at `attempted_at`, failed; None: never."""
        if self.every is not None:
            return attempted_at + self.every if self.every * tries <= self.until else None
        if tries <= len(self.after):
            return attempted_at + self.after[tries - 1]
        return None

    def schedule(self, first: float) -> list[float]:
        """Every attempt's time when all of them fail: the first at `first`."""
        times = [first]
        while (later := self.next_due(times[-1], len(times))) is not None:
            times.append(later)
        return times

    @classmethod
    def from_spec(cls, document: Mapping[str, Any]) -> RetryPolicy | None:
        """The policy a spec declares, None when it declares no webhooks policy; a SpecError when malformed."""
        declared = document.get(POLICY_KEY)
        if declared is None:
            return None
        try:
            return _policy(declared)
        except (KeyError, TypeError, ValueError) as exc:
            raise SpecError(f"{POLICY_KEY} is malformed ({exc!r}); see specs/README.md for its shape") from None


def _policy(declared: Mapping[str, Any]) -> RetryPolicy:
    success = declared.get("success", {})
    retry = declared["retry"]
    statuses = success.get("status", "2xx")
    policy = RetryPolicy(
        timeout=float(success.get("timeout_seconds", 10)),
        success=None if str(statuses).lower() == "2xx" else frozenset(int(status) for status in statuses),
        signature=declared.get("signature"),
    )
    if "every_seconds" in retry:
        every, until = float(retry["every_seconds"]), float(retry["until_seconds"])
        if every <= 0 or until < 0:
            raise ValueError("every_seconds must be positive and until_seconds not negative")
        return replace(policy, every=every, until=until)
    if "after_seconds" in retry:
        after = tuple(float(seconds) for seconds in retry["after_seconds"])
        if any(seconds <= 0 for seconds in after):
            raise ValueError("after_seconds must all be positive")
        return replace(policy, after=after)
    if retry.get("none") is True:
        return policy
    raise ValueError("retry needs every_seconds and until_seconds, after_seconds, or none: true")


def target_refusal(url: str, allow: Iterable[str] = ()) -> str | None:
    """Why `url` may not receive webhooks, or None: loopback, in-process targets and `allow`ed hosts may.

    Hosts are compared as written (case aside): no DNS lookup is made.
    """
    parts = urlsplit(url)
    if parts.scheme in IN_PROCESS_SCHEMES:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"a webhook target is an http:// or https:// URL with a host, not {url!r}"
    host = parts.hostname.lower()
    if _loopback(host) or host in {name.lower() for name in allow}:
        return None
    return (
        "returnkit sends webhooks to loopback addresses only (127.0.0.0/8, ::1, localhost);"
        f" start it with --webhook-allow {host} to allow {host}"
    )


def target_allowed(url: str, allow: Iterable[str] = ()) -> bool:
    return target_refusal(url, allow) is None


def _loopback(host: str) -> bool:
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
