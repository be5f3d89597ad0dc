"""Rye returns: requested by `returnOrder`, then accepted, approved (with a label) and closed on the clock.

One return per marketplace order the lines belong to (an Amazon-backed Rye order can split into
several Amazon orders). Business failures are values (`ReturnOrderError`), never GraphQL errors.
The delays are x-returnkit-inferred (mocks/rye.yaml).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from returnkit.core import labels
from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid
from returnkit.providers.kit import World
from returnkit.providers.rye.world import PROVIDER, price

OPEN = {"RETURN_REQUESTED", "RETURN_REQUEST_ACCEPTED", "RETURN_APPROVED"}


def status(world: World, record: Mapping[str, Any]) -> str:
    elapsed = world.now() - record["created"]
    timing = world.mocks["returns"]
    if elapsed < float(timing["accepted_after_seconds"]):
        return "RETURN_REQUESTED"
    if elapsed < float(timing["approved_after_seconds"]):
        return "RETURN_REQUEST_ACCEPTED"
    if elapsed < float(timing["closed_after_seconds"]):
        return "RETURN_APPROVED"
    return "RETURN_CLOSED"


def refusal(world: World, order: Mapping[str, Any], wanted: list[Mapping[str, Any]]) -> tuple[str, str] | None:
    """(code, message) when the return cannot be requested, else None."""
    if not order["delivered"]:
        return "ORDER_SHIPPING_IN_PROGRESS", f"Order {order['id']} is being shipped and cannot be returned yet"
    returns = world.store.query(PROVIDER, "return", ref=order["id"])
    for item in _combined(wanted):
        line = line_for(order, item["id"])
        if line is None:
            return "LINE_ITEM_NOT_IN_ORDER", f"Line item {item['id']} is not part of order {order['id']}"
        problem = _line_refusal(world, returns, line, item)
        if problem:
            return problem
    return None


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


def _line_refusal(
    world: World, returns: list[dict[str, Any]], line: Mapping[str, Any], item: Mapping[str, Any]
) -> tuple[str, str] | None:
    key = item["id"]
    mine = [(r, x) for r in returns for x in r["lines"] if x["id"] == key]
    if any(status(world, r) in OPEN for r, _ in mine):
        return "RETURN_IN_PROGRESS", f"Request with product {key} is already in progress"
    returned = sum(x["quantity"] for _, x in mine)
    if returned >= line["quantity"]:
        return "ALREADY_RETURNED", f"Product {key} has already been returned"
    if not 0 < item["quantity"] <= line["quantity"] - returned:
        return (
            "INVALID_QUANTITY",
            f"Quantity {item['quantity']} of product {key}: {line['quantity'] - returned} can be returned",
        )
    return None


def line_for(order: Mapping[str, Any], key: str) -> dict[str, Any] | None:
    field = "productId" if order["marketplace"] == "AMAZON" else "variantId"
    return next((dict(line) for line in order["lines"] if line[field] == key), None)


def request_returns(
    world: World, owner: str, order: Mapping[str, Any], wanted: list[Mapping[str, Any]]
) -> list[dict[str, Any]]:
    """New returns, one per marketplace order the wanted lines belong to."""
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
        record = {
            "id": derive_uuid(world.seed, PROVIDER, "return", number),
            "orderId": order["id"],
            "marketplace": order["marketplace"],
            "marketplaceOrderId": marketplace_order_id,
            "lines": lines,
            "created": world.now(),
            "createdAt": iso(world.clock.now()),
        }
        world.store.put(PROVIDER, "return", record["id"], record, owner=owner, ref=order["id"])
        records.append(record)
    return records


def return_lines(world: World, record: Mapping[str, Any]) -> list[dict[str, Any]]:
    state = status(world, record)
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


def order_return(world: World, record: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    """The return as `Order.returns` shows it."""
    state = status(world, record)
    label = None
    if state in {"RETURN_APPROVED", "RETURN_CLOSED"}:
        expires = int(world.now() + 7 * 24 * 3600)
        label = labels.label_url(base_url, world.store, PROVIDER, f"{record['id']}.pdf", expires)
    return {
        "id": record["id"],
        "orderId": record["orderId"],
        "shippingLabelUrl": label,
        "createdAt": record["createdAt"],
        "updatedAt": _changed_at(world, record),
        "marketplace": record["marketplace"],
        "marketplaceOrderId": record["marketplaceOrderId"],
        "lineItems": return_lines(world, record),
    }


def _changed_at(world: World, record: Mapping[str, Any]) -> str:
    timing = world.mocks["returns"]
    steps = [
        0.0,
        *(float(timing[k]) for k in ("accepted_after_seconds", "approved_after_seconds", "closed_after_seconds")),
    ]
    passed = max(step for step in steps if record["created"] + step <= world.now())
    return iso(datetime.fromtimestamp(record["created"] + passed, UTC))
