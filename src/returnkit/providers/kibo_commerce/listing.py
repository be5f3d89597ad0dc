"""Kibo's paged collections: `startIndex`/`pageSize`, and `filter`/`sortBy` in Kibo's non-fulfillment
syntax (docs: sorting-and-filtering-apis).

`filter=status eq Authorized and returnNumber gt 3`; operators eq ne gt lt ge le. `sortBy=createDate
desc, returnNumber`. A malformed expression or an unknown field is the caller's error (400). The
fields are GetReturns' unless a collection names its own.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from returnkit.providers.kit import ParameterError, Request, World, int_param

INT32_MAX = 2**31 - 1  # the specs declare startIndex and pageSize as int32
Fields = Mapping[str, Callable[[dict[str, Any]], Any]]

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "lt": operator.lt,
    "ge": operator.ge,
    "le": operator.le,
}
FIELDS: Fields = {
    "id": lambda r: r["id"],
    "status": lambda r: r["status"],
    "returnType": lambda r: r["returnType"],
    "returnNumber": lambda r: r["returnNumber"],
    "originalOrderId": lambda r: r["originalOrderId"],
    "originalOrderNumber": lambda r: r["originalOrderNumber"],
    "createDate": lambda r: r["auditInfo"]["createDate"],
    "updateDate": lambda r: r["auditInfo"]["updateDate"],
    "refundAmount": lambda r: r["refundAmount"],
}
CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ne|gt|lt|ge|le)\s+(.+?)\s*$", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class Paging:
    """A page's bounds as the request asks: `pageSize` defaults to and is capped by the mocks' paging."""

    start: int
    size: int

    @classmethod
    def of(cls, request: Request, world: World) -> Paging:
        # ASP.NET binds an empty value of an optional (nullable) int to "not given": the default.
        start = int_param(request, "startIndex", 0, 0, INT32_MAX, empty_is_absent=True) or 0
        default = world.mocks["paging"]["default"]
        size = int_param(request, "pageSize", default, 1, INT32_MAX, empty_is_absent=True) or 1
        return cls(start, min(size, world.mocks["paging"]["max"]))

    def page(self, found: list[dict[str, Any]]) -> dict[str, Any]:
        """Kibo's collection of `found`: `startIndex`, `pageSize`, `pageCount`, `totalCount`, `items`."""
        return {
            "startIndex": self.start,
            "pageSize": self.size,
            "pageCount": math.ceil(len(found) / self.size),
            "totalCount": len(found),
            "items": found[self.start : self.start + self.size],
        }


def filtered(records: list[dict[str, Any]], expression: str | None, fields: Fields = FIELDS) -> list[dict[str, Any]]:
    if not expression:
        return records
    tests = [_clause(part, fields) for part in re.split(r"\s+and\s+", expression, flags=re.IGNORECASE)]
    return [record for record in records if all(test(record) for test in tests)]


def _clause(text: str, fields: Fields) -> Callable[[dict[str, Any]], bool]:
    match = CLAUSE.match(text)
    if not match:
        raise ParameterError("filter", f"{text!r} is not '<field> <eq|ne|gt|lt|ge|le> <value>'", text)
    name, op, raw = match.groups()
    field = _field(name, "filter", fields)
    compare = OPERATORS[op.lower()]
    wanted = raw.strip("'\"")

    def test(record: dict[str, Any]) -> bool:
        value = fields[field](record)
        try:
            return bool(compare(_comparable(value), _like(value, wanted)))
        except TypeError:
            return False

    return test


def sorted_by(records: list[dict[str, Any]], expression: str | None, fields: Fields = FIELDS) -> list[dict[str, Any]]:
    ordered = list(records)
    for part in reversed([p.strip() for p in (expression or "").split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        if direction.strip().lower() not in ("", "asc", "desc"):
            raise ParameterError("sortBy", f"{part!r}: the direction is asc or desc", part)
        read = fields[_field(name, "sortBy", fields)]
        ordered.sort(key=lambda r: _sort_key(read(r)), reverse=direction.strip().lower() == "desc")
    return ordered


def _field(name: str, parameter: str, fields: Fields) -> str:
    field = {known.lower(): known for known in fields}.get(name.lower())
    if field is None:
        raise ParameterError(parameter, f"unknown field {name!r}; known: {', '.join(fields)}", name)
    return field


def _comparable(value: Any) -> Any:
    return value.lower().rstrip("z") if isinstance(value, str) else value


def _like(value: Any, raw: str) -> Any:
    """The filter's text read as the field's type (numbers as numbers, text case-insensitively)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return raw.lower().rstrip("z")
    try:
        return float(raw)
    except ValueError:
        raise ParameterError("filter", f"{raw!r} is not a number", raw) from None


def _sort_key(value: Any) -> tuple[int, Any]:
    return (1, "") if value is None else (0, value)
