"""What a validation says: a verdict, and every error as data."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

Path = tuple[str | int, ...]
Raw = TypeVar("Raw")

# A verdict describes at most MAX_ERRORS errors and counts up to MAX_COUNTED more: a payload with
# 100,000 errors costs the describing of 50 and the finding of 1,050, and every face (CLI, server)
# answers in bounded size.
MAX_ERRORS = 50
MAX_COUNTED = 1_000


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
    """The verdict on one payload for one provider operation.

    `errors` describes at most MAX_ERRORS errors; `more` counts the errors found beyond them.
    """

    provider: str
    operation: str
    errors: tuple[PayloadError, ...] = ()
    more: int = 0
    more_than: bool = False  # counting stopped at MAX_COUNTED: there are more than `more` more

    @property
    def valid(self) -> bool:
        return not self.errors

    @property
    def error_count(self) -> int:
        return len(self.errors) + self.more

    @property
    def more_text(self) -> str:
        """`and 12 more errors` (`and over 1,000 more errors`) when errors were left undescribed, else ``."""
        if not self.more:
            return ""
        return f"and {'over ' if self.more_than else ''}{self.more:,} more error{'s' if self.more != 1 else ''}"

    def __bool__(self) -> bool:
        return self.valid


@dataclass(frozen=True, slots=True)
class Described:
    """The first errors described, and a count of the rest (see Verdict)."""

    errors: tuple[PayloadError, ...]
    more: int = 0
    more_than: bool = False

    def verdict(self, provider: str, operation: str) -> Verdict:
        return Verdict(provider, operation, self.errors, self.more, self.more_than)


def describe_capped(
    raw: Iterable[Raw],
    describe: Callable[[Raw], Iterable[PayloadError]],
    weight: Callable[[Raw], int] = lambda _raw: 1,
) -> Described:
    """The first MAX_ERRORS errors described and up to MAX_COUNTED more counted, reading `raw` no
    further (`weight` counts a raw error that stands for several, without describing it)."""
    described: list[PayloadError] = []
    more = 0
    for error in raw:
        if len(described) < MAX_ERRORS:
            described.extend(describe(error))
        elif more >= MAX_COUNTED:
            return Described(tuple(described[:MAX_ERRORS]), more + max(len(described) - MAX_ERRORS, 0), True)
        else:
            more += weight(error)
    extra = max(len(described) - MAX_ERRORS, 0)
    return Described(tuple(described[:MAX_ERRORS]), more + extra)
