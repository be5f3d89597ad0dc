"""The virtual clock: the only source of time for every simulated behaviour.

A `frozen` clock moves only when told (`advance`), so tests never sleep. A `wall` clock also
follows real elapsed time from its start, so a developer watching a batch by hand sees it
complete; `advance` still jumps it forward.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

ClockMode = Literal["frozen", "wall"]


class VirtualClock:
    def __init__(
        self, start: datetime, mode: ClockMode = "frozen", monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.start = start.astimezone(UTC)
        self.mode = mode
        self._monotonic = monotonic
        self._anchor = monotonic()
        self._offset = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())

    def timestamp(self) -> float:
        return self.start.timestamp() + self.elapsed()

    def elapsed(self) -> float:
        """Seconds since `start` on this clock."""
        wall = self._monotonic() - self._anchor if self.mode == "wall" else 0.0
        return self._offset + wall

    def advance(self, seconds: float) -> datetime:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += seconds
        return self.now()

    def restore(self, elapsed: float) -> None:
        """Resume at `elapsed` seconds after start (a persisted clock after a restart)."""
        self._anchor = self._monotonic()
        self._offset = elapsed

    def reset(self) -> None:
        self.restore(0.0)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, microseconds dropped: `2026-01-05T09:00:00Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
