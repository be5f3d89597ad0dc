"""The library's exceptions. Simulated provider errors are HTTP responses, never these.

ReturnkitError
├── SpecError                 a bundled spec is missing or cannot be read
└── LookupFailed              a name the caller gave is not known
    ├── UnknownProvider
    └── UnknownOperation
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class ReturnkitError(Exception):
    """Root of every exception returnkit raises."""


class SpecError(ReturnkitError):
    """A bundled spec is missing, unreadable or not what returnkit expects."""


class LookupFailed(ReturnkitError, LookupError):
    """A provider or operation name is not known; the message suggests close names."""

    kind = "name"

    def __init__(self, name: str, known: Iterable[str]) -> None:
        self.name = name
        self.known = sorted(known)
        close = difflib.get_close_matches(name, self.known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        super().__init__(f"unknown {self.kind} {name!r}{hint} (known: {', '.join(self.known)})")


class UnknownProvider(LookupFailed):
    kind = "provider"


class UnknownOperation(LookupFailed):
    kind = "operation"
