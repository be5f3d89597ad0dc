"""Faults a test can switch on through the admin API, deterministic under the seed.

Infrastructure faults replace or delay the answer (status, rate-limit, drop, empty, latency);
`stale-read` makes reads 404 for `seconds` after the provider's last accepted write (eventual
consistency); business faults change what the provider decides (`deny`: a Zinc return is
denied; `fail-items`: items of an ABOUT YOU batch fail, each with `probability`).

A fault matches a provider and, optionally, one operation (operationId or alias). `times` limits
how often it fires (none: until cleared); `probability` fires it on a share of the matching
requests, drawn from the seed and the request's journal id, so a run repeats exactly.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import asdict, dataclass
from typing import Any, Literal

from returnkit.core.world import derive_int

FaultKind = Literal["status", "rate-limit", "drop", "empty", "latency", "stale-read", "deny", "fail-items"]
# Business faults reach the provider's behaviour instead of replacing its answer.
BUSINESS = frozenset({"deny", "fail-items"})


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

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultBook:
    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, provider: str, kind: FaultKind, **options: Any) -> Fault:
        fault = Fault(id=next(self._ids), provider=provider, kind=kind, **options)
        self._faults.append(fault)
        return fault

    def __iter__(self) -> Any:
        return iter(self._faults)

    def clear(self) -> None:
        self._faults.clear()
        self._ids = itertools.count(1)

    def fire(self, provider: str, operation_names: tuple[str, ...], journal_id: int) -> Fault | None:
        """The first fault that matches and fires for this request (counting it), or None."""
        for fault in self._faults:
            if fault.provider != provider or (fault.operation and fault.operation not in operation_names):
                continue
            if fault.times is not None and fault.fired >= fault.times:
                continue
            if fault.probability < 1.0:
                draw = random.Random(derive_int(self.seed, "fault", fault.id, journal_id)).random()  # noqa: S311
                if draw >= fault.probability:
                    continue
            fault.fired += 1
            return fault
        return None


def latency(fault: Fault, seed: int, journal_id: int) -> float:
    """`seconds` plus a seeded draw from [0, `jitter`): the same delay for the same request every run."""
    draw = random.Random(derive_int(seed, "latency", fault.id, journal_id)).random()  # noqa: S311
    return fault.seconds + draw * fault.jitter
