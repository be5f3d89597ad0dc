"""Faults a test can switch on through the admin API, deterministic under the seed.

Infrastructure faults replace or delay the answer (status, rate-limit, drop, empty, latency);
`stale-read` makes reads 404 for `seconds` after the provider's last accepted write (eventual
consistency); business faults change what the provider decides (`deny`: a Zinc return is
denied; `fail-items`: items of an ABOUT YOU batch fail, each with `probability`).

A fault matches a provider and, optionally, one operation (operationId or alias). `times` limits
how often it fires (none: until cleared); `probability` fires it on a share of the matching
requests, drawn from the seed and the request's journal id, so a run repeats exactly.

Webhook faults apply to the deliveries of one event (`operation: webhook:<event>`) or of every
event (`webhook:*`), never to requests: `duplicate` (sent twice), `reorder` (swapped with the
next one due), `delay` (`seconds` + seeded `jitter` later on the clock), `drop` (never sent) and
`bad-signature` (`mode`: wrong, truncated or missing). Their draws come from the seed and the
delivery's id (`fire_for_delivery`).
"""

from __future__ import annotations

import random
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass
from typing import Any, Literal

from returnkit.core.store import Store
from returnkit.core.world import derive_int

FaultKind = Literal[
    "status",
    "rate-limit",
    "drop",
    "empty",
    "latency",
    "stale-read",
    "deny",
    "credit",
    "fail-items",
    "duplicate",
    "reorder",
    "delay",
    "bad-signature",
]
# Business faults reach the provider's behaviour instead of replacing its answer.
BUSINESS = frozenset({"deny", "credit", "fail-items"})
WEBHOOK_PREFIX = "webhook:"
EVERY_WEBHOOK = "webhook:*"
WEBHOOK_ONLY = frozenset({"duplicate", "reorder", "delay", "bad-signature"})
WEBHOOK_KINDS = WEBHOOK_ONLY | {"drop"}
SIGNATURE_MODES = ("wrong", "truncated", "missing")


@dataclass
class Fault:
    id: int
    provider: str
    kind: FaultKind
    operation: str | None = None
    status: int = 503
    seconds: float = 0.0
    jitter: float = 0.0  # latency: plus a seeded share of this many seconds
    times: int | None = None
    probability: float = 1.0
    fired: int = 0
    mode: str | None = None  # bad-signature: wrong (the default), truncated or missing

    @property
    def for_webhooks(self) -> bool:
        return self.operation is not None and self.operation.startswith(WEBHOOK_PREFIX)

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        if self.mode is None:  # only a bad-signature fault has a mode; the others read as they always did
            del document["mode"]
        return document


class FaultBook:
    """The faults switched on, kept by the store: instances on one database share them and their counts."""

    def __init__(self, store: Store, seed: int) -> None:
        self.store = store
        self.seed = seed

    def add(self, provider: str, kind: FaultKind, **options: Any) -> Fault:
        fault = Fault(id=0, provider=provider, kind=kind, **options)
        fault.id = self.store.add_fault(fault.as_json())
        return fault

    def __iter__(self) -> Iterator[Fault]:
        return iter(self.switched_on())

    def switched_on(self) -> list[Fault]:
        return [Fault(**document) for document in self.store.faults()]

    def clear(self) -> None:
        self.store.clear_faults()

    def fire(
        self, provider: str, operation_names: tuple[str, ...], journal_id: int, faults: Iterable[Fault] | None = None
    ) -> Fault | None:
        """The first fault that matches and fires for this request (counting it), or None."""
        for fault in self.switched_on() if faults is None else faults:
            if fault.provider != provider or (fault.operation and fault.operation not in operation_names):
                continue
            if fault.for_webhooks or fault.kind in WEBHOOK_ONLY:
                continue
            if self._fires(fault, ("fault", fault.id, journal_id)):
                return fault
        return None

    def fire_for_delivery(self, provider: str, event: str, delivery_id: int) -> list[Fault]:
        """Every webhook fault that matches and fires for this delivery (each counted), in the order added."""
        names = (WEBHOOK_PREFIX + event, EVERY_WEBHOOK)
        return [
            fault
            for fault in self.switched_on()
            if fault.provider == provider
            and fault.operation in names
            and self._fires(fault, ("webhook-fault", fault.id, delivery_id))
        ]

    def count(self, fault: Fault) -> None:
        """Count one firing of a fault that is not limited by `times` (a stale read)."""
        self.store.fire_fault(fault.id, None)
        fault.fired += 1

    def _fires(self, fault: Fault, draw_key: tuple[object, ...]) -> bool:
        """Whether `fault` fires now (counting it): drawn within its `probability`, and within its
        `times` across every instance (one atomic update)."""
        if fault.probability < 1.0:
            draw = random.Random(derive_int(self.seed, *draw_key)).random()  # noqa: S311
            if draw >= fault.probability:
                return False
        if not self.store.fire_fault(fault.id, fault.times):
            return False
        fault.fired += 1
        return True


def webhook_refusal(kind: str, operation: str | None, *, signed: bool, provider: str) -> str | None:
    """Why a fault of `kind` on `operation` makes no sense (the admin API's 400), or None."""
    on_webhooks = operation is not None and operation.startswith(WEBHOOK_PREFIX)
    if kind in WEBHOOK_ONLY and not on_webhooks:
        return f"{kind} is a webhook fault: give operation {WEBHOOK_PREFIX}<event> or {EVERY_WEBHOOK}"
    if on_webhooks and kind not in WEBHOOK_KINDS:
        return f"{kind} is not a webhook fault; on {operation} only {', '.join(sorted(WEBHOOK_KINDS))} apply"
    if kind == "bad-signature" and not signed:
        return f"{provider} does not sign its webhooks"
    return None


def latency(fault: Fault, seed: int, journal_id: int) -> float:
    """`seconds` plus a seeded draw from [0, `jitter`): the same delay for the same request every run."""
    draw = random.Random(derive_int(seed, "latency", fault.id, journal_id)).random()  # noqa: S311
    return fault.seconds + draw * fault.jitter


def delivery_delay(fault: Fault, seed: int, delivery_id: int) -> float:
    """A `delay` fault's seconds for one delivery: `seconds` plus a seeded draw from [0, `jitter`)."""
    draw = random.Random(derive_int(seed, "webhook-delay", fault.id, delivery_id)).random()  # noqa: S311
    return fault.seconds + draw * fault.jitter
