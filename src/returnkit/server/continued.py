"""Answers whose work goes on after the handler returns: heavy admin work, done in chunks.

The request path is synchronous (each stage, each handler in one transaction), which is what
keeps it simple and fast; but a handler asked for 100 000 orders would hold the event loop, and
every other client, for half a minute. Such a handler does its first chunk as usual and answers
a `Continued`; the Pipeline middleware then awaits `rest()`, which does the remainder one chunk
(one transaction) at a time and lets the event loop serve other clients between chunks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from returnkit.providers.wire import WireResponse


@dataclass(frozen=True, slots=True)
class Continued(WireResponse):
    """The first chunk is done (its transaction commits like any answer); `rest` gives the final answer."""

    rest: Callable[[], Awaitable[WireResponse]] | None = None

    async def finish(self) -> WireResponse:
        assert self.rest is not None, "a Continued answer carries the rest of its work"
        return await self.rest()
