"""The virtual clock: the only source of time for every simulated behaviour.

A `frozen` clock moves only when told (`advance`), so tests never sleep. A `wall` clock also
follows real elapsed time, so a developer watching a batch by hand sees it complete; `advance`
still jumps it forward.

Its state (`ClockState`: mode, elapsed seconds, the wall time they were counted at) lives in the
store, so every instance on one database reads one clock (issue 15). Within `one_reading()` (a
request, a sender's pass) the state is read once; `advance` is a read-modify-write in one store
transaction.

The clock never passes `LATEST`: Python's datetimes end at 9999-12-31, and providers compute
dates ahead of now (a label valid 7 days, a Kibo replacement fulfilled an hour later, tokens).
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager, nullcontext
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Literal, Protocol, cast

from returnkit.core.store import ClockState

ClockMode = Literal["frozen", "wall"]
# x-returnkit-inferred: a year before datetime's end leaves every provider's date arithmetic room.
LATEST = datetime(9998, 12, 31, 23, 59, 59, tzinfo=UTC)


class ClockLimitError(ValueError):
    """An advance that would carry the clock past `LATEST`."""


class ClockKeeper(Protocol):
    """Where the clock's state is kept: the store (`Store` has these), or `KeptHere` for a clock of its own."""

    def get_clock(self) -> ClockState | None: ...

    def set_clock(self, state: ClockState) -> None: ...

    def transaction(self) -> AbstractContextManager[object]: ...


class KeptHere:
    """A clock's state in this object alone (a clock made without a store: tests, scripts)."""

    def __init__(self) -> None:
        self._state: ClockState | None = None

    def get_clock(self) -> ClockState | None:
        return self._state

    def set_clock(self, state: ClockState) -> None:
        self._state = state

    def transaction(self) -> AbstractContextManager[object]:
        return nullcontext()


@dataclass(slots=True)
class _Reading:
    state: ClockState | None = None


class VirtualClock:
    def __init__(
        self,
        start: datetime,
        mode: ClockMode = "frozen",
        keeper: ClockKeeper | None = None,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.start = start.astimezone(UTC)
        self._start_timestamp = self.start.timestamp()
        self.initial_mode: ClockMode = mode  # a new world's mode; an existing one keeps its own
        self.latest_elapsed = (LATEST - self.start).total_seconds()
        self._keeper: ClockKeeper = keeper if keeper is not None else KeptHere()
        self._wall = wall
        self._reading: ContextVar[_Reading | None] = ContextVar(f"clock-{id(self)}", default=None)

    @property
    def mode(self) -> ClockMode:
        return cast(ClockMode, self.state().mode)

    def stored(self) -> ClockState | None:
        """The state as the keeper has it, None before a world set one."""
        return self._keeper.get_clock()

    def state(self) -> ClockState:
        """The stored state: read once per `one_reading()` block, else at each call."""
        reading = self._reading.get()
        if reading is not None and reading.state is not None:
            return reading.state
        state = self._keeper.get_clock() or ClockState(self.initial_mode, 0.0, self._wall())
        if reading is not None:
            reading.state = state
        return state

    @contextmanager
    def one_reading(self) -> Iterator[None]:
        """Read the stored clock at most once inside (a request, a pass); another instance's advance is
        seen by the next block. Nested blocks share the outer one's reading."""
        if self._reading.get() is not None:
            yield
            return
        token = self._reading.set(_Reading())
        try:
            yield
        finally:
            self._reading.reset(token)

    def prime(self, state: ClockState) -> None:
        """Take `state`, read by the caller together with other things, as this `one_reading()` block's
        reading (outside a block, or once the block has read, it changes nothing)."""
        reading = self._reading.get()
        if reading is not None and reading.state is None:
            reading.state = state

    def now(self) -> datetime:
        return self.start + timedelta(seconds=self.elapsed())

    def timestamp(self) -> float:
        return self._start_timestamp + self.elapsed()

    def elapsed(self) -> float:
        """Seconds since `start` on this clock (a wall clock, too, stops at `LATEST`)."""
        return self._elapsed(self.state())

    def _elapsed(self, state: ClockState) -> float:
        running = self._wall() - state.anchor if state.mode == "wall" else 0.0
        return min(state.elapsed + max(running, 0.0), self.latest_elapsed)

    def remaining(self) -> float:
        """How many seconds the clock may still advance."""
        return self.latest_elapsed - self.elapsed()

    def advance(self, seconds: float) -> datetime:
        if not math.isfinite(seconds) or seconds < 0:
            raise ValueError("the clock only moves forward, by a finite number of seconds")
        with self._keeper.transaction():
            state = self._keeper.get_clock() or self.state()  # read inside the transaction: another instance's too
            current = self._elapsed(state)
            left = self.latest_elapsed - current
            if seconds > left:
                raise ClockLimitError(
                    f"the clock cannot pass {iso(LATEST)}, returnkit's latest time;"
                    f" at most {math.floor(left)} seconds are left"
                )
            self._keep(ClockState(state.mode, current + seconds, self._wall()))
        return self.now()

    def restore(self, elapsed: float, mode: ClockMode | None = None) -> bool:
        """Resume at `elapsed` seconds after start (a clock kept by an older returnkit, a reset).

        An `elapsed` outside [0, latest] (a database written before the limit existed) is clamped
        into it; returns True when that happened.
        """
        kept = 0.0 if math.isnan(elapsed) else min(max(elapsed, 0.0), self.latest_elapsed)
        self._keep(ClockState(mode or self.mode, kept, self._wall()))
        return kept != elapsed or math.isnan(elapsed)

    def reset(self) -> None:
        """Back to the start, in the mode the world has (a new world's: `initial_mode`)."""
        self.restore(0.0)

    def _keep(self, state: ClockState) -> None:
        self._keeper.set_clock(state)
        reading = self._reading.get()
        if reading is not None:
            reading.state = state


def iso(moment: datetime) -> str:
    """RFC 3339 in UTC with a `Z`, microseconds dropped: `2026-01-05T09:00:00Z`."""
    return _iso_of_second(math.floor(moment.timestamp()))


@lru_cache(maxsize=4096)
def _iso_of_second(second: int) -> str:
    # a request dates several fields, and a busy server many requests, within one second: each formatted once
    return datetime.fromtimestamp(second, UTC).isoformat().replace("+00:00", "Z")
