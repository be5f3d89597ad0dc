"""Kibo Commerce returns: the state machine from the spec, refunds, receipt, restock, replacements.

The transitions come from the spec (`x-returnkit-state-machine` on performReturnActions), so
the spec and the mock cannot disagree. An action is available when the return's status has a
transition for it and that transition's preconditions hold; an action that is not available is
refused with Kibo's 409 (404 for Restock, as Kibo's own tests assert) and changes nothing.
A replacement order is fulfilled on the virtual clock (x-returnkit-inferred): a scheduled
transition, after which the return may close. Every change of status goes through `transition`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.records import Records, record_change
from returnkit.core.store import Scheduled
from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce import webhooks
from returnkit.providers.kibo_commerce.errors import conflict
from returnkit.providers.kibo_commerce.records import (
    PROVIDER,
    REPLACEMENTS,
    RETURNS,
    KiboReplacement,
    KiboReturn,
)
from returnkit.providers.kit import Refusal, World
from returnkit.spec import load_provider

FULFIL = "Fulfil"  # a replacement order's one action, taken by the clock
REPLACEMENT_MACHINE = {"Submitted": {FULFIL: "Completed"}}  # x-returnkit-inferred
FULFILMENT = "replacement-fulfilled"  # the scheduled transition's name (the kit's `transitions`)


@cache
def state_machine() -> dict[str, dict[str, str]]:
    """{status: {action: next status}} of a return, from the bundled spec."""
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
    return [order_id for order_id in record.get("replacementOrderIds", []) if not _fulfilled(world, order_id)]


def _fulfilled(world: World, order_id: str) -> bool:
    order = REPLACEMENTS.get(world, order_id)
    return order is None or order["status"] == "Completed"


def _refused(record: Mapping[str, Any], why: str, status: int = 409) -> Refusal:
    if status == 409:
        return conflict(why, returnId=record["id"])
    return Refusal(status, "ITEM_NOT_FOUND", f"Validation Error: {why}", {"returnId": record["id"]})


def _close(world: World, record: Mapping[str, Any]) -> None:
    if record["status"] == "Authorized" and not (refunded(record) or received(record)):
        raise _refused(record, "a return closes only after a payment was refunded or an item was received")
    still_open = open_replacements(world, record)
    if still_open:
        why = f"replacement order {still_open[0]} is still open; it must be fulfilled or cancelled first"
        raise _refused(record, why)


def _receive(_world: World, record: Mapping[str, Any]) -> None:
    if not received(record):
        raise _refused(record, "set quantityReceived on the items before Receive")


def _restock(_world: World, record: Mapping[str, Any]) -> None:
    if not any(item["quantityRestockable"] > item["quantityRestocked"] for item in record["items"]):
        raise _refused(record, "no item has a quantityRestockable left to restock", status=404)


def _ship(_world: World, record: Mapping[str, Any]) -> None:
    if not any(_replaceable(item, record) > 0 for item in record["items"]):
        raise _refused(record, "no item of this return is marked for replacement")


PRECONDITIONS: dict[str, Callable[[World, Mapping[str, Any]], None]] = {
    "Ship": _ship,
    "Close": _close,
    "Receive": _receive,
    "Restock": _restock,
}


def check(world: World, record: Mapping[str, Any], action: str) -> None:
    """Raise Kibo's refusal unless the return's status has `action` and its preconditions hold."""
    allowed = state_machine().get(record["status"], {})
    if action not in allowed:
        valid = ", ".join(allowed) or "none"
        raise _refused(
            record, f"action {action} is not valid for a return in status {record['status']} (valid: {valid})"
        )
    precondition = PRECONDITIONS.get(action)
    if precondition:
        precondition(world, record)


def available_actions(world: World, record: Mapping[str, Any]) -> list[str]:
    return [action for action in state_machine().get(record["status"], {}) if _allowed(world, record, action)]


def _allowed(world: World, record: Mapping[str, Any], action: str) -> bool:
    try:
        check(world, record, action)
    except Refusal:
        return False
    return True


def act(world: World, record: KiboReturn, action: str) -> None:
    """Carry out `action` (already checked) on `record`: what it does to the goods, then its transition."""
    if action == "Ship":  # one change, one `return.updated`: the transition's
        create_replacement(world, record, None, announce=False)
    if action == "Restock":
        for item in record["items"]:
            item["quantityRestocked"] = max(item["quantityRestocked"], item["quantityRestockable"])
    transition(world, RETURNS, record, action, world.clock.now())


def transition(world: World, records: Records[Any], record: dict[str, Any], action: str, at: datetime) -> None:
    """Move a return (along the spec's state machine) or a replacement order along `action`, at `at`; save it.

    Every change of status of a Kibo Commerce return or replacement order passes here and only
    here, whether a client asked for it or the clock made it due; a return's change is announced
    (`return.authorized` ... or `return.updated`), a replacement order's is not (no return topic).
    """
    machine = REPLACEMENT_MACHINE if records is REPLACEMENTS else state_machine()
    to_status = machine[record["status"]][action]
    record_change(world, records, record["id"], to_status, at, action=action)
    record["status"] = to_status
    if records is REPLACEMENTS:  # a child order has no audit dates of its own to stamp
        REPLACEMENTS.put(world, record["id"], record, owner=record["owner"], ref=record["parentReturnId"])
        return
    save(world, record, at)
    webhooks.announce(world, record, webhooks.topic_of(record["status"]), at)


def fulfil_replacement(world: World, due: Scheduled) -> None:
    """The kit's scheduled transition: the replacement order is fulfilled at its due time."""
    order = REPLACEMENTS.get(world, due.key)
    if order is not None and FULFIL in REPLACEMENT_MACHINE.get(order["status"], {}):
        order["fulfillmentStatus"] = "Fulfilled"
        transition(world, REPLACEMENTS, order, FULFIL, datetime.fromtimestamp(due.due, UTC))


def open_return(world: World, record: KiboReturn) -> None:
    """Save a new return, its history's first entry (created in its first status), and announce it (`return.opened`)."""
    now = world.clock.now()
    record_change(world, RETURNS, record["id"], record["status"], now, created=True)
    save(world, record, now)
    webhooks.announce(world, record, webhooks.OPENED, now)


def touch(world: World, record: KiboReturn, *, announce: bool = True) -> None:
    """Save a return changed now (its items, notes or payments; not its status); announce `return.updated`
    unless the caller announces the change itself."""
    now = world.clock.now()
    save(world, record, now)
    if announce:
        webhooks.announce(world, record, webhooks.UPDATED, now)


def save(world: World, record: KiboReturn, at: datetime) -> None:
    record["auditInfo"]["updateDate"] = iso(at)
    RETURNS.put(world, record["id"], record, owner=record["owner"], ref=record["originalOrderId"])


def create_replacement(
    world: World, record: KiboReturn, wanted: list[Mapping[str, Any]] | None, *, announce: bool = True
) -> KiboReplacement:
    """The child order replacing `wanted` items (all remaining Replace items when None), fulfilled on the clock."""
    lines = _replacement_lines(record, wanted)
    number = world.store.next_number(f"{PROVIDER}.replacement")
    order_id = derive_uuid(world.seed, PROVIDER, "replacement", number).replace("-", "")
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
    }
    stored = REPLACEMENTS.put(world, order_id, order, owner=record["owner"], ref=record["id"])
    delay = float(world.mocks["replacement_orders"]["fulfilled_after_seconds"])
    REPLACEMENTS.schedule(world, order_id, FULFILMENT, world.now() + delay)
    record.setdefault("replacementOrderIds", []).append(order_id)
    record["returnOrderId"] = order_id
    touch(world, record, announce=announce)
    return stored


def _replacement_lines(record: KiboReturn, wanted: list[Mapping[str, Any]] | None) -> list[dict[str, Any]]:
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
            raise conflict(f"return item {spec['returnItemId']} is not part of return {record['id']}")
        if spec["quantity"] > _replaceable(item, record):
            raise conflict(
                f"return item {item['id']} has {_replaceable(item, record)} left to replace, not {spec['quantity']}"
            )
        item["quantityReplaced"] = (item.get("quantityReplaced") or 0) + spec["quantity"]
        item["replaceStatus"] = "Replaced"
        lines.append(
            {"id": item["id"], "lineId": len(lines) + 1, "quantity": spec["quantity"], "product": item["product"]}
        )
    if not lines:
        raise conflict("no item of this return is marked for replacement")
    return lines


def _replaceable(item: Mapping[str, Any], record: Mapping[str, Any]) -> int:
    if (item.get("returnType") or record["returnType"]) != "Replace":
        return 0
    return int(item["quantityShipped"]) - int(item.get("quantityReplaced") or 0)


def view(world: World, record: Mapping[str, Any]) -> dict[str, Any]:
    public = RETURNS.public(record)
    public["availableActions"] = available_actions(world, record)
    return public
