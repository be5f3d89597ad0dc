"""`returnkit proxy --record DIR`: each exchange as one JSON line of `DIR/exchanges.jsonl`, credentials masked.

A line is the exchange's journal entry (`JournalEntry.as_json()`: `direction` proxied, `proxy` with
the upstream's status, timing and both directions' violations), redacted as the journal redacts
(`core/redact.py`), response headers too. `returnkit report DIR` reads these lines.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

from returnkit.core.journal import JournalEntry
from returnkit.core.jsonbytes import dumps
from returnkit.core.redact import redact

RECORDING = "exchanges.jsonl"


def redacted(entry: JournalEntry) -> JournalEntry:
    """`entry` with every credential masked: request and response headers, and token endpoints' bodies."""
    routed = entry.operation is not None
    clean = redact(entry.path, entry.request_headers, entry.request_body, entry.response_body, routed)
    response_headers = redact(entry.path, entry.response_headers or {}, None, None).headers
    return replace(
        entry,
        request_headers=clean.headers,
        request_body=clean.request_body,
        response_body=clean.response_body,
        response_headers=response_headers,
    )


class Recorder:
    """Appends to `directory/exchanges.jsonl` (the directory is created when missing), one line per exchange."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.path = directory / RECORDING
        self._file = self.path.open("ab")

    def append(self, entry: JournalEntry) -> None:
        self._file.write(dumps(redacted(entry).as_json()) + b"\n")
        self._file.flush()  # a line is whole on disk as soon as its exchange ends: a report may read it

    def close(self) -> None:
        self._file.close()
