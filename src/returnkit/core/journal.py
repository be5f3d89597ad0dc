"""The request journal: every exchange the server answered, newest last, bounded."""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any


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

    def as_json(self) -> dict[str, Any]:
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
            "request": {"headers": self.request_headers, "body": self.request_body},
            "response": {"body": _printable(self.response_body)},
        }


class Journal:
    """At most `limit` entries; the oldest is dropped first."""

    def __init__(self, limit: int = 10_000) -> None:
        self.limit = limit
        self._entries: deque[JournalEntry] = deque(maxlen=limit)
        self._ids = itertools.count(1)

    def next_id(self) -> int:
        return next(self._ids)

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    def __len__(self) -> int:
        return len(self._entries)

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self._entries)

    def find(
        self,
        *,
        provider: str | None = None,
        path: str | None = None,
        status: int | None = None,
        method: str | None = None,
    ) -> list[JournalEntry]:
        return [
            entry
            for entry in self._entries
            if (provider is None or entry.provider == provider)
            and (path is None or entry.path == path)
            and (status is None or entry.status == status)
            and (method is None or entry.method == method.upper())
        ]

    def clear(self) -> None:
        self._entries.clear()
        self._ids = itertools.count(1)


def _printable(body: Any) -> Any:
    return f"<{len(body)} bytes>" if isinstance(body, bytes) else body
