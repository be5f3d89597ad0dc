"""The request journal: every exchange the server answered, newest last, bounded.

Inbound entries are the requests the server answered. Outbound entries are the webhook attempts
it made (`JournalEntry.outbound`): the request it sent (method, target path, headers, body), the
receiver's status (0 when none came) and answer, and what the attempt was (`Outbound`). Only an
outbound entry has `direction` and `webhook` in its JSON, so inbound entries read as they always did.
Proxied entries are the exchanges `returnkit proxy` forwarded to a real upstream (`JournalEntry.proxied`):
`direction` `proxied` and `proxy` (upstream, its status and timing, both directions' violations).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from returnkit.core.jsonbytes import dumps, loads
from returnkit.core.redact import redact
from returnkit.core.store import JOURNAL_SEQUENCE, JournalRow, Store

# The journal is bounded by entries, so its memory is bounded only if each entry is too: a larger
# response body (a world of 100 000 orders) is kept as its size. Requests are bounded alike, before.
BODY_LIMIT = 64 * 1024
HEADERS_LIMIT = 16 * 1024  # the server's own header limit: past it, a 431, and the journal keeps sizes
HEADERS_KEPT = 64


@dataclass(frozen=True, slots=True)
class Outbound:
    """What an outbound entry adds: which attempt of which delivery, where it went and how long it took."""

    event: str
    target: str  # the URL it was sent to
    delivery: int
    attempt: int
    duration_ms: float
    error: str | None = None  # why no answer came (timeout, refused connection)

    def as_json(self) -> dict[str, Any]:
        return {
            "event": self.event,
            "target": self.target,
            "delivery": self.delivery,
            "attempt": self.attempt,
            "duration_ms": self.duration_ms,
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class Proxied:
    """What a proxied entry adds: where it went, what the upstream answered and how each direction
    broke the spec (`violations`: `direction` request | response, `kind`, `json_path`, `message`)."""

    upstream: str  # the URL the request was forwarded to
    upstream_status: int  # 0 when none came (unreachable, timed out) or it was not forwarded
    duration_ms: float
    forwarded: bool  # False when --strict refused the request or the upstream failed
    violations: tuple[dict[str, Any], ...] = ()
    error: str | None = None  # why no answer came

    def as_json(self) -> dict[str, Any]:
        return {
            "upstream": self.upstream,
            "upstream_status": self.upstream_status,
            "duration_ms": self.duration_ms,
            "forwarded": self.forwarded,
            "violations": list(self.violations),
            "error": self.error,
        }


@dataclass(frozen=True, slots=True)
class JournalEntry:
    id: int
    at: str
    provider: str | None
    operation: str | None
    method: str
    path: str
    query: str
    status: int
    request_body: Any
    response_body: Any
    verdict: dict[str, Any] | None = None
    principal: str | None = None
    note: str | None = None
    request_headers: dict[str, str] = field(default_factory=dict)
    response_headers: dict[str, str] | None = None  # the headers returnkit set on its answer (inbound only)
    conformance: str | None = None  # with --check-responses: how the response breaks the spec
    outbound: Outbound | None = None  # set for a webhook attempt returnkit made; None for a request it answered
    proxied: Proxied | None = None  # set for an exchange `returnkit proxy` forwarded (or refused, --strict)

    @property
    def direction(self) -> str:
        if self.proxied is not None:
            return "proxied"
        return "inbound" if self.outbound is None else "outbound"

    def as_json(
        self, *, request: dict[str, Any] | None = None, response: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """The entry as the journal shows it; `request` and `response` in place of the entry's own (the journal's
        masked and bounded ones)."""
        document = self._exchange_json(request, response)
        if self.outbound is not None:
            document["direction"] = self.direction
            document["webhook"] = self.outbound.as_json()
        if self.proxied is not None:
            document["direction"] = self.direction
            document["proxy"] = self.proxied.as_json()
        return document

    def _exchange_json(self, request: dict[str, Any] | None, response: dict[str, Any] | None) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "provider": self.provider,
            "operation": self.operation,
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "status": self.status,
            "principal": self.principal,
            "verdict": self.verdict,
            "note": self.note,
            "conformance": self.conformance,
            "request": request if request is not None else {"headers": self.request_headers, "body": self.request_body},
            "response": response if response is not None else self._response_json(),
        }

    def _response_json(self) -> dict[str, Any]:
        return _response(self.response_headers, self.response_body)


class Stored(NamedTuple):
    """One entry as kept: filter fields, and the rest serialised (one object for the GC, not dozens)."""

    provider: str | None
    path: str
    status: int
    method: str
    blob: bytes
    direction: str = "inbound"

    def as_json(self) -> dict[str, Any]:
        document: dict[str, Any] = loads(self.blob)
        return document


class Journal:
    """At most `limit` entries, kept by the store; the oldest is dropped first, and no response body
    over `BODY_LIMIT` is kept.

    Entries are kept serialised: ten thousand entries of nested dicts made every full garbage
    collection walk a few hundred thousand objects, a pause of 100 ms and more under load.
    """

    def __init__(self, store: Store, limit: int = 10_000) -> None:
        self.store = store
        self.limit = limit

    def next_id(self) -> int:
        return self.store.next_number(JOURNAL_SEQUENCE)

    def record(self, entry: JournalEntry, *, while_meta: tuple[str, Any] | None = None) -> None:
        """Keep `entry` with its credentials masked (`redact`): the journal is served to anyone with admin access.

        With `while_meta` (name, value), only while that meta entry still holds that value (`Store.journal_add`)."""
        routed = entry.operation is not None
        clean = redact(entry.path, entry.request_headers, entry.request_body, entry.response_body, routed)
        response = _response(entry.response_headers, clean.response_body)
        request = {"headers": _bounded_headers(clean.headers), "body": clean.request_body}
        document = entry.as_json(request=request, response=response)
        blob = dumps(document)
        if len(blob) > BODY_LIMIT and (size := len(dumps(response["body"]))) > BODY_LIMIT:
            response["body"] = f"<{size} bytes, not kept: over {BODY_LIMIT}>"
            blob = dumps(document)
        row = JournalRow(entry.id, entry.provider, entry.path, entry.status, entry.method, entry.direction, blob)
        self.store.journal_add(row, self.limit, while_meta=while_meta)

    def __len__(self) -> int:
        return self.store.journal_count()

    def __iter__(self) -> Iterator[Stored]:
        return iter(self.find())

    def find(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
        after: int | None = None,
        limit: int | None = None,
    ) -> list[Stored]:
        """The entries that match every filter, oldest first; with `after` and `limit`, the newest
        `limit` of those with a greater id (picked by the store, not here)."""
        filters = self._filters(provider, path, status, method, direction)
        rows = self.store.journal_find(**filters, after=after, limit=limit)
        return [Stored(row.provider, row.path, row.status, row.method, row.blob, row.direction) for row in rows]

    def count(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
        direction: str | None = None,
    ) -> int:
        """How many entries match every filter."""
        return self.store.journal_count(**self._filters(provider, path, status, method, direction))

    @staticmethod
    def _filters(
        provider: str | None, path: str | None, status: int | None, method: str | None, direction: str | None
    ) -> dict[str, Any]:
        upper = method.upper() if method is not None else None
        return {"provider": provider, "path": path, "status": status, "method": upper, "direction": direction}


def _bounded_headers(headers: dict[str, str]) -> dict[str, str]:
    """The headers as sent, or, past HEADERS_LIMIT bytes in all, each long value by its size only."""
    if sum(len(name) + len(value) for name, value in headers.items()) <= HEADERS_LIMIT:
        return headers
    kept = dict(list(headers.items())[:HEADERS_KEPT])
    bounded = {name: value if len(value) <= 256 else f"<{len(value)} bytes>" for name, value in kept.items()}
    if len(headers) > HEADERS_KEPT:
        bounded["…"] = f"<{len(headers) - HEADERS_KEPT} more headers>"
    return bounded


def _response(headers: dict[str, str] | None, body: Any) -> dict[str, Any]:
    """The answer as an entry shows it: its headers (inbound only), its body printable."""
    if headers is None:
        return {"body": _printable(body)}
    return {"headers": _bounded_headers(headers), "body": _printable(body)}


def _printable(body: Any) -> Any:
    return f"<{len(body)} bytes>" if isinstance(body, bytes) else body
