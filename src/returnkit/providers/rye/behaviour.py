"""Rye returns: requested by `returnOrder`, then accepted, approved (with a label) and closed on the clock,
or accepted and denied when a `deny` business fault was on for the request.

One return per marketplace order the lines belong to (an Amazon-backed Rye order can split into
several Amazon orders). Business failures are `Refusal`s the resolver puts inside `data`
(`ReturnOrderError`), never GraphQL errors. Each later step is a scheduled transition (`advance`),
due a fixed delay after the request; the delays are x-returnkit-inferred (mocks/rye.yaml). Each
documented step is announced to the developer's webhook subscribers (`webhooks.py`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from returnkit.core import labels
from returnkit.core.clock import iso
from returnkit.core.outbox import DeliveryContext, Event
from returnkit.core.records import record_change
from returnkit.core.store import Scheduled
from returnkit.core.world import derive_uuid
from returnkit.providers.kit import World
from returnkit.providers.rye import webhooks
from returnkit.providers.rye.errors import in_data
from returnkit.providers.rye.records import PROVIDER, RETURNS, RyeOrder, RyeReturn
from returnkit.providers.rye.world import price

LIFECYCLE = ("RETURN_REQUESTED", "RETURN_REQUEST_ACCEPTED", "RETURN_APPROVED", "RETURN_CLOSED")
# x-returnkit-inferred: a denied return is accepted for review first and denied when it would have been approved.
DENIED_LIFECYCLE = ("RETURN_REQUESTED", "RETURN_REQUEST_ACCEPTED", "RETURN_DENIED")
DELAY_OF = {  # the setting in mocks/rye.yaml that says when a step falls due, counted from the request
    "RETURN_REQUEST_ACCEPTED": "accepted_after_seconds",
    "RETURN_APPROVED": "approved_after_seconds",
    "RETURN_DENIED": "approved_after_seconds",
    "RETURN_CLOSED": "closed_after_seconds",
}
OPEN = {"RETURN_REQUESTED", "RETURN_REQUEST_ACCEPTED", "RETURN_APPROVED"}
ADVANCE = "advance"  # the one scheduled transition: a return's next step


def check_return(world: World, order: Mapping[str, Any], wanted: list[Mapping[str, Any]]) -> None:
    """Refuse (a `Refusal`, shown inside `data`) when the return cannot be requested."""
    if not order["delivered"]:
        raise in_data("ORDER_SHIPPING_IN_PROGRESS", f"Order {order['id']} is being shipped and cannot be returned yet")
    returns = RETURNS.by_ref(world, order["id"])
    for item in _combined(wanted):
        line = line_for(order, item["id"])
        if line is None:
            raise in_data("LINE_ITEM_NOT_IN_ORDER", f"Line item {item['id']} is not part of order {order['id']}")
        _check_line(returns, line, item)


def _combined(wanted: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One entry per line id with the quantities added up: a line listed twice is asked for twice.
    A quantity that is not positive keeps its own entry, so it is refused as it stands."""
    totals: dict[str, int] = {}
    combined: list[dict[str, Any]] = []
    for item in wanted:
        if item["quantity"] <= 0:
            combined.append(dict(item))
        else:
            totals[item["id"]] = totals.get(item["id"], 0) + item["quantity"]
    return combined + [{"id": key, "quantity": quantity} for key, quantity in totals.items()]


def _check_line(returns: list[RyeReturn], line: Mapping[str, Any], item: Mapping[str, Any]) -> None:
    key = item["id"]
    mine = [(r, x) for r in returns for x in r["lines"] if x["id"] == key]
    if any(r["status"] in OPEN for r, _ in mine):
        raise in_data("RETURN_IN_PROGRESS", f"Request with product {key} is already in progress")
    returned = sum(x["quantity"] for r, x in mine if r["status"] != "RETURN_DENIED")
    if returned >= line["quantity"]:
        raise in_data("ALREADY_RETURNED", f"Product {key} has already been returned")
    if not 0 < item["quantity"] <= line["quantity"] - returned:
        raise in_data(
            "INVALID_QUANTITY",
            f"Quantity {item['quantity']} of product {key}: {line['quantity'] - returned} can be returned",
        )


def line_for(order: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    field = "productId" if order["marketplace"] == "AMAZON" else "variantId"
    return next((dict(line) for line in order["lines"] if line[field] == key), None)


def request_returns(
    world: World,
    owner: str,
    order: RyeOrder,
    wanted: list[Mapping[str, Any]],
    fault: Mapping[str, Any] | None = None,
) -> list[RyeReturn]:
    """New returns, one per marketplace order the wanted lines belong to; a `deny` fault denies them."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in wanted:
        line = line_for(order, item["id"])
        assert line is not None
        groups.setdefault(line["marketplaceOrderId"], []).append(
            {"id": item["id"], "quantity": item["quantity"], "cents": line["cents"]}
        )
    records = []
    for marketplace_order_id, lines in groups.items():
        number = world.store.next_number(f"{PROVIDER}.return")
        record: RyeReturn = {
            "id": derive_uuid(world.seed, PROVIDER, "return", number),
            "orderId": order["id"],
            "marketplace": order["marketplace"],
            "marketplaceOrderId": marketplace_order_id,
            "lines": lines,
            "created": world.now(),
            "createdAt": iso(world.clock.now()),
            "status": "",  # none yet: requesting it is its first transition
            "updatedAt": "",
            "owner": owner,
            "denied": bool(fault and fault.get("kind") == "deny"),
        }
        records.append(transition(world, record, LIFECYCLE[0], record["created"]))
    return records


def transition(world: World, record: RyeReturn, to_status: str, at: float) -> RyeReturn:
    """Every change of a Rye return's status passes through here, its request included: the one place
    the lifecycle is written (and where the next issue emits Rye's webhooks from).

    `at` is the virtual time of the change (a scheduled step's due time, not the time it is carried
    out), so `updatedAt` reads the same whenever the client looks. The next step is scheduled, or
    taken at once when it is already due; the record is returned as it then stands.
    """
    created = record["status"] == ""  # a new return has no status until its request, its first transition
    record_change(world, RETURNS, record["id"], to_status, at, created=created)
    changed: RyeReturn = {**record, "status": to_status, "updatedAt": iso(datetime.fromtimestamp(at, UTC))}
    stored = RETURNS.put(world, changed["id"], changed, owner=changed["owner"], ref=changed["orderId"])
    _announce(world, stored, at)
    return _schedule_next(world, stored)


def _announce(world: World, record: RyeReturn, at: float) -> None:
    """The webhook of this step, when Rye documents one; with no subscriber nothing is built.

    x-returnkit-inferred: `RETURN_REQUEST_ACCEPTED` is a status, but no page names a webhook for it.
    """
    event = record["status"]
    if event not in webhooks.RETURN_EVENTS:
        return

    def payload(context: DeliveryContext) -> dict[str, Any]:
        data = webhooks.without_typenames(order_return(world, record, world.public_url))
        return webhooks.envelope(context.event_id, event, record, at, data)

    world.emit(Event(PROVIDER, event, record["owner"], record["id"], at, payload))


def advance(world: World, entry: Scheduled) -> None:
    """The `advance` transition: the return's next step, fallen due at `entry.due`."""
    record = RETURNS.get(world, entry.key)
    following = None if record is None else _next_step(record)
    if record is not None and following is not None:
        transition(world, record, following, entry.due)


def _schedule_next(world: World, record: RyeReturn) -> RyeReturn:
    following = _next_step(record)
    if following is None:
        return record
    due = record["created"] + float(world.mocks["returns"][DELAY_OF[following]])
    if due <= world.now():  # a delay of 0, or a step that fell due while catching up on an earlier one
        return transition(world, record, following, due)
    RETURNS.schedule(world, record["id"], ADVANCE, due)
    return record


def _next_step(record: RyeReturn) -> str | None:
    steps = DENIED_LIFECYCLE if record.get("denied") else LIFECYCLE
    reached = steps.index(record["status"])
    return steps[reached + 1] if reached + 1 < len(steps) else None


def steps_taken(record: RyeReturn) -> tuple[str, ...]:
    """Every status the return has had, its current one last."""
    steps = DENIED_LIFECYCLE if record.get("denied") else LIFECYCLE
    return steps[: steps.index(record["status"]) + 1]


def return_lines(record: RyeReturn) -> list[dict[str, Any]]:
    state = record["status"]
    if record["marketplace"] == "AMAZON":
        return [
            {
                "__typename": "AmazonReturnLineItem",
                "productId": x["id"],
                "quantity": x["quantity"],
                "status": state,
                "price": price(x["cents"])["displayValue"],
            }
            for x in record["lines"]
        ]
    return [
        {
            "__typename": "ShopifyReturnLineItem",
            "variantId": x["id"],
            "quantity": x["quantity"],
            "status": state,
            "price": f"{x['cents'] / 100:.2f}",
            "currencyCode": "USD",
        }
        for x in record["lines"]
    ]


def order_return(world: World, record: RyeReturn, base_url: str) -> dict[str, Any]:
    """The return as `Order.returns` shows it; a label once approved, its URL signed afresh on each read."""
    label = None
    if record["status"] in {"RETURN_APPROVED", "RETURN_CLOSED"}:
        expires = int(world.now() + 7 * 24 * 3600)
        label = labels.label_url(base_url, world.store, PROVIDER, f"{record['id']}.pdf", expires)
    return {
        "id": record["id"],
        "orderId": record["orderId"],
        "shippingLabelUrl": label,
        "createdAt": record["createdAt"],
        "updatedAt": record["updatedAt"],
        "marketplace": record["marketplace"],
        "marketplaceOrderId": record["marketplaceOrderId"],
        "lineItems": return_lines(record),
    }
