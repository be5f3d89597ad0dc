"""The sender of webhooks: takes due deliveries from the outbox and POSTs them to their subscribers.

When it runs:

- **Frozen clock:** only inside `POST /__admin/clock/advance` (`Dispatcher.advance`). The clock
  steps through every due time up to the target; at each it carries out the transitions due
  (they emit) and sends the deliveries due, in (due, id) order, before the advance answers. A
  receiver that fetches the resource sees the world as of the event's time.
- **Wall clock:** a background task (`Dispatcher.run`, started in the app's lifespan) sends within
  a second of the due time.

Several instances on one store send each delivery once: a sender takes due deliveries by claiming
them for its instance (`Store.claim_deliveries`); the faults a delayed delivery keeps for its later
attempt and the verified mocks subscriptions are in the store's meta, for whichever instance sends.

Never on a provider's request path, and never with a store transaction open across an `await`
(`SQLiteStore`'s lock is per thread, so other coroutines would silently join it). One lane per
target URL keeps its first attempts in change order, whichever subscriptions lead there; lanes run
side by side, so a hanging receiver holds only its own, up to the provider's timeout.

In-process targets (`asgi://<token>/path`, `wsgi://<token>/path`, the pytest plugin's) are
applications registered in `Dispatcher.apps`. ASGI apps run on a loop of their own in another
thread, so a handler that calls the server back with a synchronous client cannot deadlock it.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import math
import threading
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import Future
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import httpx

from returnkit.core.clock import iso
from returnkit.core.faults import SIGNATURE_MODES, Fault, delivery_delay
from returnkit.core.journal import JournalEntry, Outbound
from returnkit.core.jsonbytes import loads
from returnkit.core.outbox import (
    IN_PROCESS_SCHEMES,
    Attempt,
    AttemptKind,
    Delivery,
    DeliveryStatus,
    RetryPolicy,
    Subscription,
    find_subscription,
    subscriptions,
    target_refusal,
)
from returnkit.core.store import StoreUnavailable
from returnkit.providers.kit import Handshake
from returnkit.providers.wire import sentence

if TYPE_CHECKING:
    from returnkit.server.state import ServerState

logger = logging.getLogger("returnkit.webhooks")
BATCH = 16  # deliveries claimed from the outbox per query
# A claim lasts until every claimed delivery could have been sent (a duplicate fault: twice) to a
# receiver that never answers, plus this margin: no other instance sends it meanwhile, and one that
# died lets go of it then.
CLAIM_MARGIN_SECONDS = 60.0
DELAY_KEPT = "webhook.delay_kept."  # + delivery id: the faults fired with a delayed first attempt
VERIFIED = "webhook.verified."  # + subscription id: a mocks subscription's URL passed verification
WALL_POLL_SECONDS = 1.0  # the wall-clock loop looks at the outbox at least this often
MIN_WAIT_SECONDS = 0.01  # between two passes, so a due time in the past does not spin the loop
ANSWER_KEPT = 4096  # bytes of a receiver's answer kept in the journal
# x-returnkit-inferred: how soon a mocks subscription's URL is asked again after failing verification.
HANDSHAKE_RETRY_SECONDS = 60.0
NO_POLICY = RetryPolicy()  # a provider whose spec declares none: one attempt, any 2xx, 10 s


@dataclass(frozen=True, slots=True)
class Sent:
    """What came of one POST."""

    status: int | None
    error: str | None
    duration_ms: float
    answer: bytes = b""


class Dispatcher:
    """One server's sender: its policies, its in-process applications and the lock of its passes."""

    def __init__(self, server: ServerState) -> None:
        self.server = server
        self.apps: dict[str, Any] = {}  # token -> ASGI or WSGI application (the plugin's targets)
        self._policies: dict[str, RetryPolicy] = {}
        self._lock: asyncio.Lock | None = None
        self._receiver_loop: _ReceiverLoop | None = None

    # When -----------------------------------------------------------------------------------

    def active(self) -> bool:
        """Whether anything may go out: a subscription exists or a delivery waits."""
        return self.subscribed() or bool(self.server.store.due_deliveries(math.inf, 1))

    def subscribed(self) -> bool:
        return any(subscriptions(self.server.store, name) for name in self.server.kits)

    async def advance(self, seconds: float) -> None:
        """Move the clock `seconds` on, stopping at each due time to run what fell due and send it."""
        server = self.server
        target = server.clock.timestamp() + seconds
        async with self.lock(), self._client() as client:
            while True:
                server.catch_up_all()
                sent = await self._send_due(client, server.clock.timestamp())
                due = server.store.next_due()
                if due is None or due > target:
                    break
                now = server.clock.timestamp()
                if due <= now and not sent:
                    break  # due and not sendable (a transition of a provider not served): do not spin
                self._step_to(max(due, now))
            self._step_to(target)
            server.catch_up_all()
            await self._send_due(client, server.clock.timestamp())

    def _step_to(self, moment: float) -> None:
        clock = self.server.clock
        clock.advance(max(moment - clock.timestamp(), 0.0))

    async def run(self) -> None:
        """The wall-clock loop: catch up and send what is due, then wait until the next due time (at most 1 s).

        A database that stops answering ends no pass for good: it is said once, and tried again each second;
        any other failure of a pass is logged and the loop goes on."""
        async with self._client() as client:
            while True:
                wait = WALL_POLL_SECONDS
                try:
                    with self.server.clock.one_reading():
                        wait = await self._wall_pass(client)
                    self.server.outage.ended()
                except StoreUnavailable as down:
                    self.server.outage.began(down)
                except Exception:  # one bad pass must not end the sending of every later one
                    logger.exception("returnkit's webhook sender failed a pass; it tries again")
                await asyncio.sleep(wait)

    async def _wall_pass(self, client: httpx.AsyncClient) -> float:
        """One pass of the wall-clock loop; how long until the next."""
        async with self.lock():
            subscribed = self.subscribed()
            if subscribed:  # what fell due emits on time, with no request to catch it up
                self.server.catch_up_all()
            await self._send_due(client, self.server.clock.timestamp())
        return self._until_next_due(subscribed)

    def _until_next_due(self, subscribed: bool) -> float:
        """Until the next transition (which may emit) or delivery falls due; at most a second.

        Without subscriptions no transition can emit, so only the outbox counts (transitions are
        then carried out by the requests that read them, as always)."""
        if subscribed:
            due = self.server.store.next_due()
        else:
            waiting = self.server.store.due_deliveries(math.inf, 1)
            due = waiting[0].due if waiting else None
        now = self.server.clock.timestamp()
        if due is None or due <= now:  # still due after a pass: stuck (or just emitted), not worth a spin
            return WALL_POLL_SECONDS
        return min(max(due - now, MIN_WAIT_SECONDS), WALL_POLL_SECONDS)

    def lock(self) -> asyncio.Lock:
        """One pass at a time (an advance, a wall-clock pass, a redelivery); made on the running loop."""
        if self._lock is None:
            self._lock = asyncio.Lock()
        return self._lock

    # What -----------------------------------------------------------------------------------

    async def _send_due(self, client: httpx.AsyncClient, now: float) -> int:
        """Every delivery due by `now`: one lane per target URL, its deliveries in (due, id) order."""
        sent = 0
        while batch := self.server.store.claim_deliveries(now, BATCH, self.server.instance, self._claimed_until()):
            lanes: dict[str, list[Delivery]] = {}
            for delivery in batch:
                lanes.setdefault(self._lane(delivery), []).append(delivery)
            await asyncio.gather(*(self._send_lane(client, lane) for lane in lanes.values()))
            sent += len(batch)
        return sent

    def _claimed_until(self) -> float:
        """Wall time (Unix seconds) until which a claim of `BATCH` deliveries holds."""
        slowest = max((self.policy(name).timeout for name in self.server.kits), default=NO_POLICY.timeout)
        return time.time() + 2 * BATCH * slowest + CLAIM_MARGIN_SECONDS

    def _lane(self, delivery: Delivery) -> str:
        """The URL a delivery goes to: several subscriptions to one receiver (ABOUT YOU's, one per event
        type) share a lane, so one resource's events reach it in the order of its changes."""
        subscription = find_subscription(self.server.store, [delivery.provider], delivery.subscription)
        return delivery.subscription if subscription is None else subscription.url

    async def _send_lane(self, client: httpx.AsyncClient, lane: list[Delivery]) -> None:
        """One subscription's due deliveries in order; a `reorder` fault swaps one with the next, a
        `delay` fault moves a first attempt later."""
        waiting = list(lane)
        while waiting:
            delivery = waiting.pop(0)
            faults = self._faults(delivery)
            if self._delayed(delivery, faults):
                continue
            if waiting and any(fault.kind == "reorder" for fault in faults):
                overtaking = waiting.pop(0)
                overtaking_faults = self._faults(overtaking)
                if not self._delayed(overtaking, overtaking_faults):
                    await self.attempt(client, overtaking, "scheduled", overtaking_faults)
            await self.attempt(client, delivery, "scheduled", faults)

    def _faults(self, delivery: Delivery) -> list[Fault]:
        """The faults for this attempt: those kept when it was delayed, else those that fire now."""
        store = self.server.store
        kept = store.get_meta(DELAY_KEPT + str(delivery.id))
        if kept is not None:
            store.set_meta(DELAY_KEPT + str(delivery.id), None)
            return [Fault(**document) for document in kept]
        return self.server.faults.fire_for_delivery(delivery.provider, delivery.event, delivery.id)

    def _delayed(self, delivery: Delivery, faults: Sequence[Fault]) -> bool:
        """A `delay` fault moves a delivery's first attempt `seconds` (+ seeded jitter) later on the clock.

        The other faults that fired with it are kept for that attempt, so they are neither lost nor
        counted twice; the delayed attempt is not delayed again."""
        delays = [fault for fault in faults if fault.kind == "delay"]
        if not delays or delivery.attempts > 0 or delivery.due is None:
            return False
        later = delivery.due + sum(delivery_delay(fault, self.server.seed, delivery.id) for fault in delays)
        kept = [fault.as_json() for fault in faults if fault.kind != "delay"]
        with self.server.store.transaction():  # kept where any instance that sends it later finds them
            self.server.store.set_meta(DELAY_KEPT + str(delivery.id), kept)
            self.server.store.reschedule(delivery.id, later)
        return True

    async def redeliver(self, delivery: Delivery) -> Delivery:
        """Send `delivery` once more now, out of its schedule; the delivery as it then is."""
        async with self.lock(), self._client() as client:
            await self.attempt(client, delivery, "redeliver")
        again = self.server.store.delivery(delivery.id)
        assert again is not None
        return again

    async def handshake(self, subscription: Subscription, handshake: Handshake) -> str | None:
        """Send the provider's verification request to a new subscription's URL: why it is refused, or None."""
        policy = self.policy(subscription.provider)
        async with self._client() as client:
            sent = await self._post(client, subscription, handshake.body, handshake.headers, policy)
        if sent.status is None:
            return f"{subscription.url} did not answer the verification request: {sent.error}"
        return handshake.refusal(sent.status, sent.answer)

    async def attempt(
        self, client: httpx.AsyncClient, delivery: Delivery, kind: AttemptKind, faults: Sequence[Fault] = ()
    ) -> None:
        """One attempt: send, then settle it and journal it (each write a transaction of its own)."""
        server = self.server
        subscription = find_subscription(server.store, [delivery.provider], delivery.subscription)
        if subscription is None:
            self._settle(delivery, self._attempt(delivery, kind, Sent(None, "the subscription was removed", 0.0), {}))
            return
        if self._held_back(delivery, faults):
            return
        if not await self._verified(client, subscription, delivery):
            return
        conformance = self._conformance(delivery) if delivery.attempts == 0 else None
        headers = self._headers(subscription, delivery, faults)
        sent = await self._post(client, subscription, delivery.body, headers, self.policy(delivery.provider))
        attempt = self._attempt(delivery, kind, sent, headers)
        self._settle(delivery, attempt, conformance)
        self._journal(delivery, subscription, attempt, sent, conformance)
        if kind == "scheduled" and any(fault.kind == "duplicate" for fault in faults):
            settled = server.store.delivery(delivery.id)
            if settled is not None:
                await self.attempt(client, settled, "duplicate")

    async def _verified(self, client: httpx.AsyncClient, subscription: Subscription, delivery: Delivery) -> bool:
        """A subscription from `mocks/server.yaml` of a provider that verifies URLs (Rye) passes the
        verification request before its first delivery; until it does, its deliveries wait."""
        webhooks = self.server.kits[subscription.provider].webhooks
        store = self.server.store
        if subscription.source != "mocks" or webhooks is None or store.get_meta(VERIFIED + subscription.id):
            return True
        handshake = webhooks.handshake(self.server.worlds[subscription.provider], subscription)
        if handshake is None:
            return True
        sent = await self._post(client, subscription, handshake.body, handshake.headers, self.policy(delivery.provider))
        why = sent.error if sent.status is None else handshake.refusal(sent.status, sent.answer)
        if why is None:
            store.set_meta(VERIFIED + subscription.id, True)
            return True
        attempt = self._attempt(delivery, "handshake", replace(sent, error=why), handshake.headers)
        later = attempt.at + HANDSHAKE_RETRY_SECONDS
        self.server.store.settle(delivery.id, attempt, due=later, status="pending")
        return False

    def _held_back(self, delivery: Delivery, faults: Sequence[Fault]) -> bool:
        """A `drop` fault settles the delivery unsent, with an attempt that says so."""
        for fault in faults:
            if fault.kind == "drop":
                note = f"fault {fault.id}: dropped, never sent"
                self._settle(
                    delivery, self._attempt(delivery, "scheduled", Sent(None, note, 0.0), {}), status="dropped"
                )
                return True
        return False

    def _conformance(self, delivery: Delivery) -> str | None:
        """How the body breaks the spec's payload schema for its event (checked at the first attempt only)."""
        try:
            validator = self.server.catalog.validator(delivery.provider, f"webhook:{delivery.event}")
        except LookupError:
            return None  # the spec declares no such webhook: nothing to hold the body to
        verdict, _ = validator.read_json(delivery.body)
        if verdict.valid:
            return None
        return f"webhook:{delivery.event} payload: " + "; ".join(sentence(error) for error in verdict.errors)

    def _headers(self, subscription: Subscription, delivery: Delivery, faults: Sequence[Fault]) -> dict[str, str]:
        webhooks = self.server.kits[delivery.provider].webhooks
        if webhooks is None:
            return {"Content-Type": "application/json"}
        headers = webhooks.headers(subscription, delivery, self._sent_at(subscription))
        headers.update(subscription.options.get("headers") or {})
        for fault in faults:
            if fault.kind == "bad-signature":
                headers = spoiled(headers, webhooks.sign("x", delivery.body), fault.mode or SIGNATURE_MODES[0])
        return headers

    def _sent_at(self, subscription: Subscription) -> datetime:
        """The time a signed `Date` carries: the wall clock (what Kibo's SDKs accept) unless virtual is asked for."""
        wanted = subscription.options.get("date") or self.server.webhook_date
        return self.server.clock.now() if wanted == "virtual" else datetime.now(UTC).replace(microsecond=0)

    def policy(self, provider: str) -> RetryPolicy:
        if provider not in self._policies:
            document = self.server.catalog.spec(provider).document
            self._policies[provider] = RetryPolicy.from_spec(document) or NO_POLICY
        return self._policies[provider]

    # How ------------------------------------------------------------------------------------

    @staticmethod
    def _client() -> httpx.AsyncClient:
        """No proxies from the environment (loopback must stay loopback), no redirects followed."""
        return httpx.AsyncClient(trust_env=False, follow_redirects=False, limits=httpx.Limits(max_connections=64))

    async def _post(
        self,
        client: httpx.AsyncClient,
        subscription: Subscription,
        body: bytes,
        headers: Mapping[str, str],
        policy: RetryPolicy,
    ) -> Sent:
        refusal = target_refusal(subscription.url, self.server.webhook_allow)
        if refusal is not None:
            return Sent(None, f"target not allowed: {refusal}", 0.0)
        started = time.perf_counter()
        try:
            response = await asyncio.wait_for(
                self._send(client, subscription.url, body, headers, policy.timeout), policy.timeout
            )
        except (TimeoutError, httpx.TimeoutException):
            return Sent(None, f"no answer within {policy.timeout:g} s", _since(started))
        except (httpx.HTTPError, OSError) as failure:
            return Sent(None, f"{type(failure).__name__}: {failure}", _since(started))
        return Sent(response.status_code, None, _since(started), response.content[:ANSWER_KEPT])

    async def _send(
        self, client: httpx.AsyncClient, url: str, body: bytes, headers: Mapping[str, str], timeout: float
    ) -> httpx.Response:
        parts = urlsplit(url)
        if parts.scheme not in IN_PROCESS_SCHEMES:
            return await client.post(url, content=body, headers=dict(headers), timeout=httpx.Timeout(timeout))
        app = self.apps.get(parts.netloc)
        if app is None:
            raise httpx.ConnectError(f"no application is registered as {parts.netloc} (was the test's fixture reset?)")
        path = parts.path or "/"
        if parts.scheme == "wsgi":
            return await asyncio.to_thread(_post_to_wsgi, app, path, body, headers)
        future = self.receiver_loop().run(_post_to_asgi(app, path, body, headers))
        return await asyncio.wrap_future(future)

    def receiver_loop(self) -> _ReceiverLoop:
        if self._receiver_loop is None:
            self._receiver_loop = _ReceiverLoop()
        return self._receiver_loop

    def close(self) -> None:
        if self._receiver_loop is not None:
            self._receiver_loop.stop()
            self._receiver_loop = None

    # Afterwards -----------------------------------------------------------------------------

    def _attempt(self, delivery: Delivery, kind: AttemptKind, sent: Sent, headers: Mapping[str, str]) -> Attempt:
        return Attempt(
            number=delivery.attempts + 1,
            at=self.server.clock.timestamp(),
            wall=datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            kind=kind,
            status=sent.status,
            error=sent.error,
            duration_ms=round(sent.duration_ms, 3),
            headers=dict(headers),
        )

    def _settle(
        self,
        delivery: Delivery,
        attempt: Attempt,
        conformance: str | None = None,
        status: DeliveryStatus | None = None,
    ) -> None:
        due, outcome = (None, status) if status is not None else self._outcome(delivery, attempt)
        self.server.store.settle(delivery.id, attempt, due=due, status=outcome, conformance=conformance)

    def _outcome(self, delivery: Delivery, attempt: Attempt) -> tuple[float | None, DeliveryStatus]:
        """What follows an attempt: delivered; tried again at the policy's next time; or failed for good.

        A duplicate or a redelivery does not move the schedule; one that succeeds settles a pending delivery."""
        policy = self.policy(delivery.provider)
        if attempt.error == "the subscription was removed":
            return None, "cancelled"
        if policy.succeeded(attempt.status):
            return None, "delivered"
        if attempt.kind != "scheduled":
            return delivery.due, delivery.status
        later = policy.next_due(attempt.at, delivery.tries + 1)
        return (later, "pending") if later is not None else (None, "failed")

    def _journal(
        self, delivery: Delivery, subscription: Subscription, attempt: Attempt, sent: Sent, conformance: str | None
    ) -> None:
        """The attempt as an outbound journal entry: what was sent (no secret) and what came back."""
        server = self.server
        outbound = Outbound(
            delivery.event, subscription.url, delivery.id, attempt.number, attempt.duration_ms, attempt.error
        )
        server.journal.record(
            JournalEntry(
                id=server.journal.next_id(),
                at=iso(server.clock.now()),
                provider=delivery.provider,
                operation=f"webhook:{delivery.event}",
                method="POST",
                path=subscription.url,
                query="",
                status=attempt.status or 0,
                request_body=loads(delivery.body),
                response_body=_readable(sent.answer),
                request_headers=dict(attempt.headers),
                conformance=conformance,
                outbound=outbound,
            )
        )


def spoiled(headers: Mapping[str, str], signature: Mapping[str, str], mode: str) -> dict[str, str]:
    """`headers` with the signature headers made wrong (signed with another secret), cut short or left out."""
    spoilt = dict(headers)
    for name in signature:
        if name.lower() == "date":
            continue
        if mode == "missing":
            spoilt.pop(name, None)
        elif mode == "truncated":
            spoilt[name] = spoilt.get(name, "")[: max(len(spoilt.get(name, "")) // 2, 1)]
        else:
            spoilt[name] = signature[name]
    return spoilt


def _since(started: float) -> float:
    return (time.perf_counter() - started) * 1000


def _readable(answer: bytes) -> Any:
    try:
        return loads(answer) if answer else ""
    except ValueError:
        return answer.decode("utf-8", "replace")


# In-process applications ------------------------------------------------------------------------


class _ReceiverLoop:
    """An event loop in a thread of its own, where in-process ASGI receivers run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, name="returnkit-webhook-receivers", daemon=True)
        self.thread.start()

    def run(self, work: Awaitable[httpx.Response]) -> Future[httpx.Response]:
        return asyncio.run_coroutine_threadsafe(_awaited(work), self.loop)

    def stop(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)
        if not self.thread.is_alive():
            self.loop.close()


async def _awaited(work: Awaitable[httpx.Response]) -> httpx.Response:
    return await work


async def _post_to_asgi(app: Any, path: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://receiver") as client:
        response = await client.post(path, content=body, headers=dict(headers))
        await response.aread()
        return response


def _post_to_wsgi(app: Any, path: str, body: bytes, headers: Mapping[str, str]) -> httpx.Response:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://receiver") as client:
        return client.post(path, content=body, headers=dict(headers))


def is_asgi(app: Any) -> bool:
    """An ASGI application is a coroutine function (or an object whose `__call__` is one); else WSGI."""
    call: Callable[..., Any] | None = getattr(app, "__call__", None)  # noqa: B004
    return inspect.iscoroutinefunction(app) or (call is not None and inspect.iscoroutinefunction(call))
