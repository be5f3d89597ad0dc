"""What a validation says: a verdict, and every error as data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

Path = tuple[str | int, ...]


def json_path(path: Path) -> str:
    """`("items", 0, "quantity")` -> `$.items[0].quantity` (keys that are not identifiers are quoted)."""
    parts = ["$"]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif part.isidentifier():
            parts.append(f".{part}")
        else:
            escaped = part.replace("\\", "\\\\").replace("'", "\\'")
            parts.append(f"['{escaped}']")
    return "".join(parts)


@dataclass(frozen=True, slots=True)
class PayloadError:
    """One reason a payload is invalid.

    `path` locates the offending value in the payload (for a missing property, the property
    it should have had, and `value` is the object that lacks it); `schema_path` locates the
    rule in the spec; `keyword` names the rule
    (`required`, `minimum`, `enum`, `json`, `graphql`, ...) and `rule` is its value in the
    schema (the minimum, the enum's values, ...). Malformed JSON has `locations` (line, column)
    and `offset` (character position) of the fault.
    """

    path: Path
    message: str
    keyword: str
    schema_path: str = ""
    value: Any = None
    rule: Any = None
    expected: str | None = None
    suggestion: str | None = None
    locations: tuple[tuple[int, int], ...] = ()
    offset: int | None = None

    @property
    def json_path(self) -> str:
        return json_path(self.path)


@dataclass(frozen=True, slots=True)
class Verdict:
    """The verdict on one payload for one provider operation."""

    provider: str
    operation: str
    errors: tuple[PayloadError, ...] = ()

    @property
    def valid(self) -> bool:
        return not self.errors

    def __bool__(self) -> bool:
        return self.valid
