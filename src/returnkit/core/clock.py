"""The virtual clock: the only source of time for every simulated behaviour.

A `frozen` clock moves only when told (`advance`), so tests never sleep. A `wall` clock also
follows real elapsed time from its start, so a developer watching a batch by hand sees it
complete; `advance` still jumps it forward.

The clock never passes `LATEST`: Python's datetimes end at 9999-12-31, and providers compute
dates ahead of now (a label valid 7 days, a Kibo replacement fulfilled an hour later, tokens).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Literal

ClockMode = Literal["frozen", "wall"]
# x-returnkit-inferred: a year before datetime's end leaves every provider's date arithmetic room.
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)


class ClockLimitError(ValueError):
    """An advance that would carry the clock past `LATEST`."""


class VirtualClock:
    def __init__(
        self, start: datetime, mode: ClockMode = "frozen", monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self.start = start.astimezone(UTC)
        self.mode = mode
        self.latest_elapsed = (LATEST - self.start).total_seconds()
        self._monotonic = monotonic
        self._anchor = monotonic()
        self._offset = 0.0

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())

    def timestamp(self) -> float:
        return self.start.timestamp() + self.elapsed()

    def elapsed(self) -> float:
        """Seconds since `start` on this clock (a wall clock, too, stops at `LATEST`)."""
        wall = self._monotonic() - self._anchor if self.mode == "wall" else 0.0
        return min(self._offset + wall, self.latest_elapsed)

    def remaining(self) -> float:
        """How many seconds the clock may still advance."""
        return self.latest_elapsed - self.elapsed()

    def advance(self, seconds: float) -> datetime:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        if seconds > self.remaining():
            raise ClockLimitError(
                f"the clock cannot pass {iso(LATEST)}, returnkit's latest time;"
                f" at most {math.floor(self.remaining())} seconds are left"
            )
        self._offset += seconds
        return self.now()

    def restore(self, elapsed: float) -> bool:
        """Resume at `elapsed` seconds after start (a persisted clock after a restart).

        An `elapsed` outside [0, latest] (a database written before the limit existed) is clamped
        into it; returns True when that happened.
        """
        kept = 0.0 if math.isnan(elapsed) else min(max(elapsed, 0.0), self.latest_elapsed)
        self._anchor = self._monotonic()
        self._offset = kept
        return kept != elapsed or math.isnan(elapsed)

    def reset(self) -> None:
        self.restore(0.0)


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, microseconds dropped: `2026-01-05T09:00:00Z`."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
