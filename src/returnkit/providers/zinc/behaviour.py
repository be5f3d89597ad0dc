"""Zinc returns: filed `open`, resolved on the virtual clock to `approved`, `denied` or `credited`.

Filing a return schedules its resolution (`RESOLVE`) `resolution_seconds` later; when the clock
reaches it, the server's catch-up carries it out (`resolve`), so a read only reads what is
stored. The decision is fixed at filing from the seed and the request (x-returnkit-inferred:
Zinc documents neither the delay nor the rule); a `deny` or `credit` business fault decides it.
Each change is announced to the account's webhook subscribers (`webhooks.py`). Approved returns
carry signed label URLs that expire 7 days after each read (docs: "Re-fetch the return to
refresh"), so those are made per read.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from returnkit.core import labels
from returnkit.core.clock import iso
from returnkit.core.outbox import Event
from returnkit.core.records import record_change
from returnkit.core.store import Scheduled
from returnkit.core.world import derive_int, derive_uuid
from returnkit.providers.kit import Refusal, World
from returnkit.providers.zinc import webhooks
from returnkit.providers.zinc.records import ORDERS, PROVIDER, RETURNS, Order, Return, ReturnItem

RETURNABLE_ITEM_STATUSES = {"shipped", "delivered", "ordered"}
RESOLVE = "resolve"  # the scheduled transition that takes an open return to its decision


def file_return(world: World, owner: str, payload: Mapping[str, Any], fault: Mapping[str, Any] | None = None) -> Return:
    """A new open return, its resolution scheduled; a `deny` (`credit`) fault decides it will be denied (credited)."""
    now, moment = world.now(), world.clock.now()
    number = world.store.next_number(f"{PROVIDER}.return")
    items: list[ReturnItem] = [
        {"order_item_id": item["order_item_id"], "quantity": item["quantity"]} for item in payload["items"]
    ]
    fingerprint = (payload["order_id"], sorted((i["order_item_id"], i["quantity"]) for i in items), payload["reason"])
    mocks = world.mocks["returns"]
    roll = derive_int(world.seed, PROVIDER, "decision", fingerprint) % 100
    notes = mocks["denial_notes"]
    record: Return = {
        "id": derive_uuid(world.seed, PROVIDER, "return", number),
        "order_id": payload["order_id"],
        "status": "open",
        "reason": payload["reason"],
        "notes": payload.get("notes"),
        "resolution_notes": None,
        "items": items,
        "label_urls": [],
        "merchant_return_id": None,
        "created_at": iso(moment),
        "updated_at": iso(moment),
        "owner": owner,
        "filed_at": now,
        "resolves_at": now + float(mocks["resolution_seconds"]),
        "decision": _decision(mocks, roll, fault),
        "decision_note": notes[derive_int(world.seed, PROVIDER, "note", fingerprint) % len(notes)],
    }
    filed = transition(world, record, "open", moment, created=True)
    RETURNS.schedule(world, record["id"], RESOLVE, record["resolves_at"])
    return filed


def _decision(mocks: Mapping[str, Any], roll: int, fault: Mapping[str, Any] | None) -> str:
    """`approved` for the first `approve_percent` of rolls, `credited` for the next `credit_percent`."""
    if fault:
        return "credited" if fault.get("kind") == "credit" else "denied"
    approve = int(mocks["approve_percent"])
    if roll < approve:
        return "approved"
    return "credited" if roll < approve + int(mocks.get("credit_percent", 0)) else "denied"


def transition(world: World, record: Return, to_status: str, at: datetime, *, created: bool = False) -> Return:
    """The one place a Zinc return changes status: filed `open`, resolved `approved`, `denied` or `credited`.

    It stores the return as of `at` (its `updated_at`) with what the new status brings: the
    denial's note, the approval's RMA number or the credit's amount; then announces it
    (`return.created`, `.approved`, `.denied`, `.credited`) to the account's subscribers.
    """
    record_change(world, RETURNS, record["id"], to_status, at, created=created)
    changed: Return = {**record, "status": to_status, "updated_at": iso(at)}
    if to_status == "denied":
        changed["resolution_notes"] = record["decision_note"]
    elif to_status == "approved":
        changed["merchant_return_id"] = f"RMA{derive_int(world.seed, PROVIDER, 'rma', record['id']) % 10**10:010d}"
    elif to_status == "credited":
        changed["credited_amount"] = _credit(world, record)
    stored = RETURNS.put(world, record["id"], changed, owner=record["owner"], ref=record["order_id"])
    _announce(world, stored, at)
    return stored


def _announce(world: World, record: Return, at: datetime) -> None:
    """The webhook of this change; with no subscriber nothing is built (one store lookup)."""
    event = webhooks.EVENT_OF_STATUS[record["status"]]

    def payload(_context: object) -> dict[str, Any]:
        return webhooks.envelope(event, shown(world, record, world.public_url), iso(at))

    world.emit(Event(PROVIDER, event, record["owner"], record["id"], at.timestamp(), payload))


def _credit(world: World, record: Return) -> int:
    """x-returnkit-inferred: the order's price in cents, in the share of its units returned."""
    order = ORDERS.get(world, record["order_id"])
    if order is None:
        return 0
    ordered = sum(item["quantity"] for item in order["items"]) or 1
    returned = sum(item["quantity"] for item in record["items"])
    return order["max_price"] * min(returned, ordered) // ordered


def resolve(world: World, due: Scheduled) -> None:
    """The scheduled `RESOLVE`: the open return takes its decision, dated when it fell due."""
    record = RETURNS.get(world, due.key)
    if record is not None and record["status"] == "open":
        transition(world, record, record["decision"], datetime.fromtimestamp(due.due, UTC))


def shown(world: World, record: Return, base_url: str) -> dict[str, Any]:
    """The return as the client sees it: the public view, an approved one with a label URL signed now."""
    view = RETURNS.public(record)
    if record["status"] == "approved":
        view["label_urls"] = [label_url(world, base_url, record["id"])]
    return view


def label_url(world: World, base_url: str, return_id: str) -> str:
    expires = int(world.now() + float(world.mocks["returns"]["label_ttl_seconds"]))
    return labels.label_url(base_url, world.store, PROVIDER, f"{return_id}.pdf", expires)


def returns_of_order(world: World, order_id: str, base_url: str) -> list[dict[str, Any]]:
    return [shown(world, record, base_url) for record in RETURNS.by_ref(world, order_id)]


def check_returnable(world: World, order: Order, payload: Mapping[str, Any]) -> None:
    """Raise the `Refusal` Zinc answers when this return cannot be filed against `order`."""
    if order["status"] != "order_placed":
        message = f"Order {order['id']} is {order['status']}; only orders in order_placed status can be returned"
        raise Refusal(409, "return_not_allowed", message, {"order_status": order["status"]})
    ordered = {item["id"]: item for item in order["items"]}
    wanted = [item["order_item_id"] for item in payload["items"]]
    if len(set(wanted)) != len(wanted):
        raise Refusal(409, "return_not_allowed", "An order item is listed more than once", {"order_item_ids": wanted})
    existing = RETURNS.by_ref(world, order["id"])
    for item in payload["items"]:
        _check_item(ordered.get(item["order_item_id"]), item, order["id"], existing)


def _check_item(
    ordered: Mapping[str, Any] | None, item: Mapping[str, Any], order_id: str, existing: list[Return]
) -> None:
    item_id = item["order_item_id"]
    details: dict[str, Any] = {"order_item_id": item_id}
    if ordered is None:
        raise Refusal(404, "not_found", f"Order item {item_id} is not part of order {order_id}", details)
    if ordered["status"] not in RETURNABLE_ITEM_STATUSES:
        message = f"Order item {item_id} is {ordered['status']} and cannot be returned"
        raise Refusal(409, "return_not_allowed", message, details)
    open_return = next((r for r in existing if r["status"] == "open" and _covers(r, item_id)), None)
    if open_return:
        message = f"Order item {item_id} already has an open return"
        raise Refusal(409, "already_exists", message, {**details, "return_request_id": open_return["id"]})
    left = ordered["quantity"] - _returned_quantity(existing, item_id)
    if item["quantity"] > left:
        message = f"Quantity {item['quantity']} exceeds the {left} still returnable for order item {item_id}"
        raise Refusal(409, "return_not_allowed", message, {**details, "returnable_quantity": left})


def _covers(record: Return, item_id: str) -> bool:
    return any(item["order_item_id"] == item_id for item in record["items"])


def _returned_quantity(existing: list[Return], item_id: str) -> int:
    settled = (r for r in existing if r["status"] in {"approved", "credited"})
    return sum(i["quantity"] for r in settled for i in r["items"] if i["order_item_id"] == item_id)
