"""Kibo Commerce returns: the state machine from the spec, refunds, receipt, restock, replacements.

The transitions come from the spec (`x-returnkit-state-machine` on performReturnActions), so
the spec and the mock cannot disagree. An action is available when the return's status has a
transition for it and that transition's preconditions hold; an action that is not available is
refused with Kibo's 409 (404 for Restock, as Kibo's own tests assert) and changes nothing.
A replacement order is fulfilled on the virtual clock (x-returnkit-inferred), after which the
return may close.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import cache
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce.world import PROVIDER
from returnkit.providers.kit import World
from returnkit.spec import load_provider

Refusal = tuple[int, str] | None  # (status, why)


@cache
def transitions() -> dict[str, dict[str, str]]:
    """{status: {action: next status}} from the bundled spec."""
    machine = load_provider(PROVIDER).operation("performReturnActions").extensions["x-returnkit-state-machine"]
    table: dict[str, dict[str, str]] = {}
    for transition in machine["transitions"]:
        table.setdefault(transition["from"], {})[transition["action"]] = transition["to"]
    return table


def refunded(record: Mapping[str, Any]) -> bool:
    return any(i["interactionType"] == "Credit" for p in record.get("payments") or [] for i in p["interactions"])


def received(record: Mapping[str, Any]) -> bool:
    return any(item["quantityReceived"] > 0 for item in record["items"])


def open_replacements(world: World, record: Mapping[str, Any]) -> list[str]:
    return [
        order_id
        for order_id in record.get("replacementOrderIds", [])
        if replacement_status(world, order_id) != "Completed"
    ]


def replacement_status(world: World, order_id: str) -> str:
    order = world.store.get(PROVIDER, "replacement", order_id)
    return "Completed" if order is None or world.now() >= order["fulfilledAt"] else "Submitted"


def _close(world: World, record: Mapping[str, Any]) -> Refusal:
    if record["status"] == "Authorized" and not (refunded(record) or received(record)):
        return 409, "a return closes only after a payment was refunded or an item was received"
    still_open = open_replacements(world, record)
    if still_open:
        return 409, f"replacement order {still_open[0]} is still open; it must be fulfilled or cancelled first"
    return None


def _receive(_world: World, record: Mapping[str, Any]) -> Refusal:
    return None if received(record) else (409, "set quantityReceived on the items before Receive")


def _restock(_world: World, record: Mapping[str, Any]) -> Refusal:
    restockable = any(item["quantityRestockable"] > item["quantityRestocked"] for item in record["items"])
    return None if restockable else (404, "no item has a quantityRestockable left to restock")


def _ship(_world: World, record: Mapping[str, Any]) -> Refusal:
    replaceable = any(_replaceable(item, record) > 0 for item in record["items"])
    return None if replaceable else (409, "no item of this return is marked for replacement")


PRECONDITIONS: dict[str, Callable[[World, Mapping[str, Any]], Refusal]] = {
    "Ship": _ship,
    "Close": _close,
    "Receive": _receive,
    "Restock": _restock,
}


def refusal(world: World, record: Mapping[str, Any], action: str) -> Refusal:
    allowed = transitions().get(record["status"], {})
    if action not in allowed:
        valid = ", ".join(allowed) or "none"
        return 409, f"action {action} is not valid for a return in status {record['status']} (valid: {valid})"
    check = PRECONDITIONS.get(action)
    return check(world, record) if check else None


def available_actions(world: World, record: Mapping[str, Any]) -> list[str]:
    return [action for action in transitions().get(record["status"], {}) if refusal(world, record, action) is None]


def apply(world: World, record: dict[str, Any], action: str) -> None:
    """Move `record` along `action` (already checked) and save it."""
    if action == "Ship":
        create_replacement(world, record, None)
    if action == "Restock":
        for item in record["items"]:
            item["quantityRestocked"] = max(item["quantityRestocked"], item["quantityRestockable"])
    record["status"] = transitions()[record["status"]][action]
    touch(world, record)


def touch(world: World, record: dict[str, Any]) -> None:
    record["auditInfo"]["updateDate"] = iso(world.clock.now())
    world.store.put(PROVIDER, "return", record["id"], record, owner=record["owner"], ref=record["originalOrderId"])


def create_replacement(
    world: World, record: dict[str, Any], wanted: list[Mapping[str, Any]] | None
) -> dict[str, Any] | str:
    """The child order replacing `wanted` items (all remaining Replace items when None), or why not."""
    lines = _replacement_lines(record, wanted)
    if isinstance(lines, str):
        return lines
    number = world.store.next_number(f"{PROVIDER}.replacement")
    order_id = derive_uuid(world.seed, PROVIDER, "replacement", number).replace("-", "")
    delay = float(world.mocks["replacement_orders"]["fulfilled_after_seconds"])
    order = {
        "id": order_id,
        "orderNumber": 900000 + number,
        "parentReturnId": record["id"],
        "parentReturnNumber": record["returnNumber"],
        "parentOrderId": record["originalOrderId"],
        "status": "Submitted",
        "type": "Online",
        "paymentStatus": "Pending",
        "fulfillmentStatus": "NotShipped",
        "items": lines,
        "fulfilledAt": world.now() + delay,
    }
    world.store.put(PROVIDER, "replacement", order_id, order, owner=record["owner"], ref=record["id"])
    record.setdefault("replacementOrderIds", []).append(order_id)
    record["returnOrderId"] = order_id
    touch(world, record)
    return order


def _replacement_lines(record: dict[str, Any], wanted: list[Mapping[str, Any]] | None) -> list[dict[str, Any]] | str:
    items = {item["id"]: item for item in record["items"]}
    if wanted is None:
        wanted = [
            {"returnItemId": item["id"], "quantity": _replaceable(item, record)}
            for item in record["items"]
            if _replaceable(item, record) > 0
        ]
    lines: list[dict[str, Any]] = []
    for spec in wanted:
        item = items.get(spec["returnItemId"])
        if item is None:
            return f"return item {spec['returnItemId']} is not part of return {record['id']}"
        if spec["quantity"] > _replaceable(item, record):
            return f"return item {item['id']} has {_replaceable(item, record)} left to replace, not {spec['quantity']}"
        item["quantityReplaced"] = (item.get("quantityReplaced") or 0) + spec["quantity"]
        item["replaceStatus"] = "Replaced"
        lines.append(
            {"id": item["id"], "lineId": len(lines) + 1, "quantity": spec["quantity"], "product": item["product"]}
        )
    return lines or "no item of this return is marked for replacement"


def _replaceable(item: Mapping[str, Any], record: Mapping[str, Any]) -> int:
    if (item.get("returnType") or record["returnType"]) != "Replace":
        return 0
    return int(item["quantityShipped"]) - int(item.get("quantityReplaced") or 0)


def view(world: World, record: Mapping[str, Any]) -> dict[str, Any]:
    public = {key: value for key, value in record.items() if key not in ("owner", "replacementOrderIds")}
    public["availableActions"] = available_actions(world, record)
    return public
