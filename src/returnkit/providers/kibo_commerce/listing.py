"""GetReturns' `filter` and `sortBy`: Kibo's non-fulfillment syntax (docs: sorting-and-filtering-apis).

`filter=status eq Authorized and returnNumber gt 3`; operators eq ne gt lt ge le. `sortBy=createDate
desc, returnNumber`. A malformed expression or an unknown field is the caller's error (400).
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable
from typing import Any

from returnkit.providers.kit import ParameterError

OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "lt": operator.lt,
    "ge": operator.ge,
    "le": operator.le,
}
FIELDS: dict[str, Callable[[dict[str, Any]], Any]] = {
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
FIELD_NAMES = {name.lower(): name for name in FIELDS}
CLAUSE = re.compile(r"^\s*(\w+)\s+(eq|ne|gt|lt|ge|le)\s+(.+?)\s*$", re.IGNORECASE)


def filtered(records: list[dict[str, Any]], expression: str | None) -> list[dict[str, Any]]:
    if not expression:
        return records
    tests = [_clause(part) for part in re.split(r"\s+and\s+", expression, flags=re.IGNORECASE)]
    return [record for record in records if all(test(record) for test in tests)]


def _clause(text: str) -> Callable[[dict[str, Any]], bool]:
    match = CLAUSE.match(text)
    if not match:
        raise ParameterError("filter", f"{text!r} is not '<field> <eq|ne|gt|lt|ge|le> <value>'", text)
    name, op, raw = match.groups()
    field = _field(name, "filter")
    compare = OPERATORS[op.lower()]
    wanted = raw.strip("'\"")

    def test(record: dict[str, Any]) -> bool:
        value = FIELDS[field](record)
        try:
            return bool(compare(_comparable(value), _like(value, wanted)))
        except TypeError:
            return False

    return test


def sorted_by(records: list[dict[str, Any]], expression: str | None) -> list[dict[str, Any]]:
    ordered = list(records)
    for part in reversed([p.strip() for p in (expression or "").split(",") if p.strip()]):
        name, _, direction = part.partition(" ")
        if direction.strip().lower() not in ("", "asc", "desc"):
            raise ParameterError("sortBy", f"{part!r}: the direction is asc or desc", part)
        field = _field(name, "sortBy")
        ordered.sort(key=lambda r: _sort_key(FIELDS[field](r)), reverse=direction.strip().lower() == "desc")
    return ordered


def _field(name: str, parameter: str) -> str:
    field = FIELD_NAMES.get(name.lower())
    if field is None:
        raise ParameterError(parameter, f"unknown field {name!r}; known: {', '.join(FIELDS)}", name)
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
