"""Per key and endpoint request budgets in fixed windows on the virtual clock."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Protocol

# The header names a provider's spec may rename (`x-returnkit-rate-limit.headers`), with their defaults.
DEFAULT_HEADER_NAMES: Mapping[str, str] = {"limit": "X-RateLimit-Limit", "remaining": "X-RateLimit-Remaining"}


@dataclass(frozen=True, slots=True)
class Budget:
    limit: int
    window_seconds: float
    header_names: Mapping[str, str] = field(default_factory=lambda: DEFAULT_HEADER_NAMES)
    """Which of `limit`, `remaining` and `reset` (Unix seconds of the window's end) to send, and as what."""
    fixed_headers: Mapping[str, str] = field(default_factory=dict)
    """Sent as they are with every counted answer (Rye's `Ratelimit-Tier`)."""


@dataclass(frozen=True, slots=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets; 0 while allowed
    reset_at: int = 0  # Unix seconds (virtual clock) when the window resets
    budget: Budget | None = None

    def headers(self) -> dict[str, str]:
        budget = self.budget or Budget(self.limit, 0)
        values = {"limit": self.limit, "remaining": self.remaining, "reset": self.reset_at}
        headers = {name: str(values[key]) for key, name in budget.header_names.items()}
        headers.update(budget.fixed_headers)
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class RequestCounter(Protocol):
    """What the limiter needs of the store (`Store.count_request`)."""

    def count_request(self, key: str, window: int) -> int: ...


class FixedWindowLimiter:
    """Counts requests per (key, endpoint) in windows aligned to multiples of the window length.

    The counts are the store's, so instances on one database share each budget. Rejected requests
    count too (one third-party client observed that on ABOUT YOU); that keeps a client that
    ignores 429 from ever getting through faster.
    """

    def __init__(self, counter: RequestCounter) -> None:
        self._counter = counter

    def take(self, key: str, endpoint: str, budget: Budget, now: float) -> Allowance:
        window = int(now // budget.window_seconds)
        used = self._counter.count_request(f"{key}|{endpoint}|{budget.window_seconds:g}", window)
        remaining = max(budget.limit - used, 0)
        ends = (window + 1) * budget.window_seconds
        allowed = used <= budget.limit
        retry_after = 0 if allowed else max(math.ceil(ends - now), 1)
        return Allowance(allowed, budget.limit, remaining, retry_after, math.ceil(ends), budget)
