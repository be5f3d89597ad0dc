"""Per key and endpoint request budgets in fixed windows on the virtual clock."""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Budget:
    limit: int
    window_seconds: float


@dataclass(frozen=True, slots=True)
class Allowance:
    allowed: bool
    limit: int
    remaining: int
    retry_after: int  # seconds until the window resets; 0 while allowed

    def headers(self) -> dict[str, str]:
        headers = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(self.remaining)}
        if not self.allowed:
            headers["Retry-After"] = str(self.retry_after)
        return headers


class FixedWindowLimiter:
    """Counts requests per (key, endpoint) in windows aligned to multiples of the window length.

    Rejected requests count too (one third-party client observed that on ABOUT YOU); that keeps
    a client that ignores 429 from ever getting through faster.
    """

    def __init__(self) -> None:
        self._counts: dict[tuple[str, str], tuple[int, int]] = {}

    def take(self, key: str, endpoint: str, budget: Budget, now: float) -> Allowance:
        window = int(now // budget.window_seconds)
        started, used = self._counts.get((key, endpoint), (window, 0))
        used = used + 1 if started == window else 1
        self._counts[(key, endpoint)] = (window, used)
        remaining = max(budget.limit - used, 0)
        reset_in = math.ceil((window + 1) * budget.window_seconds - now)
        allowed = used <= budget.limit
        return Allowance(allowed, budget.limit, remaining, 0 if allowed else max(reset_in, 1))

    def clear(self) -> None:
        self._counts.clear()
