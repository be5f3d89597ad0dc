"""uvicorn's httptools protocol with the limits a public-facing server needs.

- A request whose target (path and query) is longer than `TARGET_LIMIT` still reaches the
  app, with its path cut short and its query dropped, so the Frontier answers 414 in the
  provider's own format (httptools cannot split a URL over 64 KiB, and uvicorn would answer
  its own plain-text 400). What is kept of the URL and headers is bounded, whatever is sent.
- A client that does not finish sending its request (headers and body) within `read_timeout`
  seconds of starting it, or of connecting, is disconnected: slow clients cannot hold
  connections open.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

TARGET_LENGTH = "returnkit.target_length"  # scope extension: the full length of an over-long target
HEADER_BYTES = "returnkit.header_bytes"  # scope extension: every header byte sent, kept or not
# x-returnkit-inferred: the providers publish no URL limit; 16 KiB is what common front ends allow.
TARGET_LIMIT = 16 * 1024
HEADERS_KEPT = 64 * 1024  # past this, headers are counted but not kept (the Frontier answers 431)
READ_TIMEOUT_SECONDS = 10.0
# The event loop a returnkit server process runs on (uvicorn's `loop`; `--workers` keeps uvicorn's default,
# see cli/workers.py): asyncio's own, not uvloop. Under a saturating load uvloop left some connections'
# requests unread for hundreds of milliseconds while it served the others (Zinc POST /returns, 64
# connections: p99 76-431 ms, p90 39 ms); asyncio's loop serves them in turn (p99 43-54 ms) for 3-6 %
# fewer requests per second (bench/README.md, "The event loop").
EVENT_LOOP = "asyncio"


class BoundedHttpProtocol(HttpToolsProtocol):
    read_timeout = READ_TIMEOUT_SECONDS

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._target_length = 0
        self._header_bytes = 0
        self._read_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._start_read_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_read_timer()
        super().connection_lost(exc)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._target_length = 0
        self._header_bytes = 0
        if self._read_timer is None:
            self._start_read_timer()

    def on_url(self, url: bytes) -> None:
        self._target_length += len(url)
        if len(self.url) <= TARGET_LIMIT:
            self.url += url[: TARGET_LIMIT + 1 - len(self.url)]

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_bytes += len(name) + len(value)
        if self._header_bytes <= HEADERS_KEPT:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        too_long = self._target_length > TARGET_LIMIT
        if too_long:  # keep enough of the path to know the provider; the Frontier answers 414
            self.url = _path_prefix(self.url)
        super().on_headers_complete()
        extensions: dict[str, Any] = {HEADER_BYTES: self._header_bytes}
        if too_long:
            extensions[TARGET_LENGTH] = self._target_length
        self.scope["extensions"] = {**self.scope.get("extensions", {}), **extensions}

    def on_message_complete(self) -> None:
        self._stop_read_timer()
        super().on_message_complete()

    def _start_read_timer(self) -> None:
        self._stop_read_timer()
        self._read_timer = self.loop.call_later(self.read_timeout, self._read_timed_out)

    def _stop_read_timer(self) -> None:
        if self._read_timer is not None:
            self._read_timer.cancel()
            self._read_timer = None

    def _read_timed_out(self) -> None:
        self._read_timer = None
        if not self.transport.is_closing():
            self.logger.info("closing a connection that did not send its request within %s s", self.read_timeout)
            self.transport.close()


def _path_prefix(target: bytes) -> bytes:
    """The target's path cut to `TARGET_LIMIT`, without a percent-escape cut in half."""
    path = target.split(b"?", 1)[0][:TARGET_LIMIT]
    escape = path.rfind(b"%")
    if escape != -1 and escape > len(path) - 3:
        path = path[:escape]
    return path or b"/"


def bounded_protocol(read_timeout: float = READ_TIMEOUT_SECONDS) -> type[BoundedHttpProtocol]:
    """The protocol class to give uvicorn (`Config(http=...)`), with this read timeout."""
    return type("BoundedHttpProtocol", (BoundedHttpProtocol,), {"read_timeout": read_timeout})
