"""uvicorn's server, saying once it listens where it does: the start-up line of `returnkit serve`."""

from __future__ import annotations

import socket
import sys
from collections.abc import Callable

import uvicorn


class AnnouncedServer(uvicorn.Server):
    """Writes `line(port)` on stderr once it listens: with `--port 0`, the port the system gave it."""

    def __init__(self, config: uvicorn.Config, line: Callable[[int], str]) -> None:
        super().__init__(config)
        self._line = line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets=sockets)
        port: int = self.servers[0].sockets[0].getsockname()[1]
        print(self._line(port), file=sys.stderr, flush=True)
