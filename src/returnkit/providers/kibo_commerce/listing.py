"""Kibo's paged collections: `startIndex`/`pageSize`, and `filter`/`sortBy` in Kibo's non-fulfillment
syntax (docs: sorting-and-filtering-apis).

`filter=status eq Authorized and returnNumber gt 3`; operators eq ne gt lt ge le. `sortBy=createDate
desc, returnNumber`. A malformed expression or an unknown field is the caller's error (400). The
fields are GetReturns' unless a collection names its own.

A collection of stored records (`select`) leaves to the store what maps onto its columns: the
leading `status eq` clauses (the record's state) and a sort by the kind's sort key alone (or none:
the order kept). What else the expression asks is answered here, over the records the store narrowed
to, exactly as before: the clauses in their order, the sort stable.
"""

from __future__ import annotations

import math
import operator
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any

from returnkit.core.records import INSERTION, Ordering, RecordFilter, Records
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
        return self.collection(len(found), found[self.start : self.start + self.size])

    def collection(self, total: int, items: list[dict[str, Any]]) -> dict[str, Any]:
        """Kibo's collection of this page's `items` out of `total`."""
        return {
            "startIndex": self.start,
            "pageSize": self.size,
            "pageCount": math.ceil(total / self.size),
            "totalCount": total,
            "items": items,
        }


@dataclass(frozen=True, slots=True)
class Columns:
    """What of a collection's fields the store keeps in columns: `state` (the record's state, one of
    `states`) and `sort` (the kind's sort key, `Records.sort`)."""

    state: str
    states: Collection[str]
    sort: str


@dataclass(frozen=True, slots=True)
class Clause:
    """One `<field> <op> <value>` of a filter, and its test of a record."""

    field: str
    op: str
    wanted: str
    test: Callable[[dict[str, Any]], bool]


def select(
    records: Records[dict[str, Any]],
    world: World,
    *,
    owner: str,
    request: Request,
    paging: Paging,
    columns: Columns,
) -> tuple[int, list[dict[str, Any]]]:
    """The owner's records that `filter` keeps, in `sortBy`'s order: how many, and those of the page."""
    clauses = parse_filter(request.param("filter"), FIELDS)
    states, rest = _pushed_states(clauses, columns)
    where = RecordFilter(owner=owner, states=states)
    order = _store_order(request.param("sortBy"), columns.sort)
    if not rest and order is not None:
        page = records.find(world, where, order=order, offset=paging.start, limit=paging.size)
        return records.count_where(world, where), page
    kept = [record for record in records.find(world, where) if all(clause.test(record) for clause in rest)]
    found = sorted_by(kept, request.param("sortBy"))
    return len(found), found[paging.start : paging.start + paging.size]


def _pushed_states(clauses: list[Clause], columns: Columns) -> tuple[tuple[str | None, ...] | None, list[Clause]]:
    """The states the leading `<state field> eq` clauses allow (None: any), and the clauses after them.

    Only a leading run is the store's: the clauses are tested in order and a later one may refuse its
    value (a number expected), which it must do for the same records as before."""
    states: set[str] | None = None
    for index, clause in enumerate(clauses):
        if clause.field != columns.state or clause.op != "eq":
            return _states(states), clauses[index:]
        equal = {state for state in columns.states if clause.test({columns.state: state})}
        states = equal if states is None else states & equal
    return _states(states), []


def _states(states: set[str] | None) -> tuple[str | None, ...] | None:
    return None if states is None else tuple(sorted(states))


def _store_order(expression: str | None, sort_field: str) -> Ordering | None:
    """The store's order for `sortBy` when it sorts by the kind's sort key alone (or not at all); else None."""
    parts = [part.strip() for part in (expression or "").split(",") if part.strip()]
    if not parts:
        return INSERTION
    name, _, direction = parts[0].partition(" ")
    descending = direction.strip().lower()
    if len(parts) > 1 or name.lower() != sort_field.lower() or descending not in ("", "asc", "desc"):
        return None
    # Python's sort is stable, descending too: equal keys keep the order the records were kept in.
    return (("sort", descending == "desc"), ("seq", False))


def filtered(records: list[dict[str, Any]], expression: str | None, fields: Fields = FIELDS) -> list[dict[str, Any]]:
    clauses = parse_filter(expression, fields)
    return [record for record in records if all(clause.test(record) for clause in clauses)]


def parse_filter(expression: str | None, fields: Fields) -> list[Clause]:
    if not expression:
        return []
    return [_clause(part, fields) for part in re.split(r"\s+and\s+", expression, flags=re.IGNORECASE)]


def _clause(text: str, fields: Fields) -> Clause:
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

    return Clause(field, op.lower(), wanted, test)


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
