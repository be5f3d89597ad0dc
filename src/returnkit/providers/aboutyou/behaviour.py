"""ABOUT YOU's batches: submitted, deduplicated, then pending -> processing -> completed | failed.

Submitting a batch schedules both of its time-driven steps (`PROCESS` after `pending_seconds`,
`COMPLETE` after `processing_seconds` more); the server's catch-up carries them out in due
order before any ABOUT YOU handler runs, so nothing runs in the background and a read only reads
what is stored. A batch's items are applied in submission order when it completes; each
`items[]` entry succeeds or fails as a whole (x-returnkit-inferred: the docs give one result per
entry and no partial success), and an entry that cannot be applied is a `Refusal` whose
messages become that entry's `errors`. Each entry that succeeds is announced to the merchant's
webhook subscribers (`order_items.shipped` / `.cancelled` / `.returned`, one per order it
touched, then `order.updated` for each order whose status it changed), dated when the batch
completed.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict

from returnkit.core.jsonbytes import dumps
from returnkit.core.outbox import DeliveryContext, Event, PayloadBuilder
from returnkit.core.records import record_change
from returnkit.core.store import Scheduled
from returnkit.core.world import derive_int, derive_uuid
from returnkit.providers.aboutyou import webhooks
from returnkit.providers.aboutyou.records import (
    BATCHES,
    DEDUP,
    ITEMS,
    ORDERS,
    PROVIDER,
    Batch,
    ItemResult,
    Order,
    OrderItem,
)
from returnkit.providers.aboutyou.world import order_status
from returnkit.providers.kit import Refusal, World

PROCESS = "process"  # pending -> processing
COMPLETE = "complete"  # processing -> completed | failed
IN_FLIGHT = frozenset({"pending", "processing"})


class Tracking(TypedDict, total=False):
    """What a shipment or a return writes on each of its order items besides the status."""

    shipment_tracking_key: str | None
    return_tracking_key: str | None


@dataclass(frozen=True, slots=True)
class Change:
    """What one `items[]` entry does to each of its order items."""

    new_status: str
    allowed: frozenset[str]  # the item statuses it may leave
    tracking: Tracking = field(default_factory=Tracking)
    carrier_key: str | None = None  # a shipment also sets the order's carrier


@dataclass(frozen=True, slots=True)
class Moved:
    """What one applied entry changed: the item ids it moved per order, and the orders whose status changed."""

    items: dict[str, list[int]]
    orders_changed: list[str]


def submit(
    world: World,
    owner: str,
    kind: str,
    payload: Mapping[str, Any],
    dedup_seconds: float,
    *,
    fault: Mapping[str, Any] | None = None,
) -> str:
    """The id of a new batch, or of the identical one from `owner` still in flight."""
    now = world.now()
    fingerprint = hashlib.sha256(dumps(payload, sort_keys=True)).hexdigest()
    dedup_key = f"{owner}|{kind}|{fingerprint}"
    seen = DEDUP.get(world, dedup_key)
    if seen and now < seen["until"] and _in_flight(world, seen["batch"]):
        return seen["batch"]
    number = world.store.next_number(f"{PROVIDER}.batch")
    batch: Batch = {
        "id": derive_uuid(world.seed, PROVIDER, "batch", number),
        "kind": kind,
        "owner": owner,
        "submitted": now,
        "items": list(payload["items"]),
        "results": [],
        "status": "pending",
        "updated": now,
        "fault": dict(fault) if fault else None,
    }
    transition(world, batch, "pending", now, created=True)
    timing = world.mocks["batches"]
    processing_at = now + float(timing["pending_seconds"])
    BATCHES.schedule(world, batch["id"], PROCESS, processing_at)
    BATCHES.schedule(world, batch["id"], COMPLETE, processing_at + float(timing["processing_seconds"]))
    DEDUP.put(world, dedup_key, {"batch": batch["id"], "until": now + dedup_seconds}, owner=owner)
    return batch["id"]


def _in_flight(world: World, batch_id: str) -> bool:
    batch = BATCHES.get(world, batch_id)
    return batch is not None and batch["status"] in IN_FLIGHT


def transition(world: World, batch: Batch, to_status: str, at: float, *, created: bool = False) -> Batch:
    """The one place a batch changes status (submitted pending, then processing, completed or failed).

    It stores the batch as of virtual time `at`. Webhooks for batch events are emitted from here.
    """
    record_change(world, BATCHES, batch["id"], to_status, at, created=created)
    return BATCHES.put(world, batch["id"], {**batch, "status": to_status, "updated": at}, owner=batch["owner"])


def process(world: World, due: Scheduled) -> None:
    """The scheduled `PROCESS`: a pending batch is being processed."""
    batch = BATCHES.get(world, due.key)
    if batch is not None and batch["status"] == "pending":
        transition(world, batch, "processing", due.due)


def complete(world: World, due: Scheduled) -> None:
    """The scheduled `COMPLETE`: apply the batch's items in order and record one result per item."""
    batch = BATCHES.get(world, due.key)
    if batch is None or batch["status"] not in IN_FLIGHT:
        return
    results = [_result(world, batch, position, item, due.due) for position, item in enumerate(batch["items"])]
    # x-returnkit-inferred: `failed` when no entry succeeded, `completed` otherwise.
    status = "completed" if any(result["success"] for result in results) else "failed"
    transition(world, {**batch, "results": results}, status, due.due)


def _result(world: World, batch: Batch, position: int, item: Mapping[str, Any], at: float) -> ItemResult:
    try:
        _check_injected(world, batch, position)
        moved = APPLY[batch["kind"]](world, batch["owner"], item)
    except Refusal as refusal:
        return {"requestItem": item, "success": False, "errors": list(refusal.details["errors"])}
    _announce(world, batch, moved, at)
    return {"requestItem": item, "success": True, "errors": []}


def _announce(world: World, batch: Batch, moved: Moved, at: float) -> None:
    """The entry's webhooks, in the order of its changes; with no subscriber nothing is built."""
    owner, event = batch["owner"], webhooks.ITEM_EVENTS[batch["kind"]]
    for number, item_ids in moved.items.items():
        world.emit(Event(PROVIDER, event, owner, number, at, _payload(world, event, at, number, item_ids)))
    for number in moved.orders_changed:
        updated = webhooks.ORDER_UPDATED
        world.emit(Event(PROVIDER, updated, owner, number, at, _payload(world, updated, at, number, None)))


def _payload(world: World, event: str, at: float, number: str, item_ids: list[int] | None) -> PayloadBuilder:
    """The message of one order: the items moved as a shipment, or (None) the order itself."""

    def build(context: DeliveryContext) -> dict[str, Any]:
        order = ORDERS.get(world, number)
        assert order is not None
        message = ORDERS.public(order) if item_ids is None else webhooks.shipment(order, item_ids)
        return webhooks.envelope(context, event, at, message)

    return build


def _refuse_entry(errors: list[str]) -> Refusal:
    """An `items[]` entry that cannot be applied: `errors` become its result's `errors`.

    Its status and code never reach the wire: the batch answers 200 with one result per entry.
    """
    return Refusal(409, "item_refused", "; ".join(errors), {"errors": errors})


def _check_injected(world: World, batch: Batch, position: int) -> None:
    """Refuse the entry a fail-items fault fails (a seeded draw per entry)."""
    fault = batch["fault"]
    if not fault:
        return
    draw = random.Random(derive_int(world.seed, PROVIDER, "fail", batch["id"], position)).random()  # noqa: S311
    if draw < fault["probability"]:
        raise _refuse_entry([f"Injected fault {fault['id']}: the item could not be processed"])


def apply_return(world: World, owner: str, entry: Mapping[str, Any]) -> Moved:
    """Only shipped items can be returned (x-returnkit-inferred: the user guide's flow)."""
    tracking: Tracking = {"return_tracking_key": entry["return_tracking_key"]}
    return _change(world, owner, entry["order_items"], Change("returned", frozenset({"shipped"}), tracking))


def apply_ship(world: World, owner: str, entry: Mapping[str, Any]) -> Moved:
    if entry["carrier_key"] not in world.mocks["carriers"]["keys"]:
        raise _refuse_entry([f"Carrier key '{entry['carrier_key']}' is not a valid active carrier key"])
    tracking: Tracking = {
        "shipment_tracking_key": entry["shipment_tracking_key"],
        "return_tracking_key": entry.get("return_tracking_key"),
    }
    change = Change("shipped", frozenset({"open"}), tracking, carrier_key=entry["carrier_key"])
    return _change(world, owner, entry["order_items"], change)


def apply_cancel(world: World, owner: str, entry: Mapping[str, Any]) -> Moved:
    return _change(world, owner, [entry["id"]], Change("cancelled", frozenset({"open"})))


APPLY: dict[str, Callable[[World, str, Mapping[str, Any]], Moved]] = {
    "return": apply_return,
    "ship": apply_ship,
    "cancel": apply_cancel,
}


def _change(world: World, owner: str, ids: list[int], change: Change) -> Moved:
    """Move every item in `ids` to the new status, or refuse with one error per refused id (none moves)."""
    errors = []
    for item_id in dict.fromkeys(ids):
        try:
            _check_item(world, owner, item_id, change)
        except Refusal as refusal:
            errors.append(refusal.message)
    if len(set(ids)) != len(ids):
        errors.append("The same order item is listed more than once")
    if errors:
        raise _refuse_entry(errors)
    moved: dict[str, list[int]] = {}
    status_before: dict[str, str] = {}
    for item_id in ids:
        number, before = _move_item(world, owner, item_id, change)
        moved.setdefault(number, []).append(item_id)
        status_before.setdefault(number, before)
    return Moved(moved, [number for number, before in status_before.items() if _status(world, number) != before])


def _status(world: World, order_number: str) -> str | None:
    order = ORDERS.get(world, order_number)
    return None if order is None else order["status"]


def _move_item(world: World, owner: str, item_id: int, change: Change) -> tuple[str, str]:
    """Move one item; its order's number and the order's status before the move."""
    order = _order_of(world, owner, item_id)
    assert order is not None
    before = order["status"]
    items = order["order_items"]
    at = next(position for position, item in enumerate(items) if item["id"] == item_id)
    items[at] = {**items[at], "status": change.new_status, **change.tracking}
    if change.carrier_key is not None:
        order["carrier_key"] = change.carrier_key
    order["status"] = order_status(order["order_items"])
    ORDERS.put(world, order["order_number"], order, owner=owner)
    return order["order_number"], before


def _check_item(world: World, owner: str, item_id: int, change: Change) -> None:
    order = _order_of(world, owner, item_id)
    if order is None:
        raise Refusal(404, "not_found", f"Order item {item_id} does not exist")
    item = _item_of(order, item_id)
    new_status = change.new_status
    if item["status"] == new_status:
        raise Refusal(409, "already_done", f"Order item {item_id} has already been {new_status}")
    if item["status"] not in change.allowed:
        message = f"Order item {item_id} cannot be {new_status}: its status is '{item['status']}'"
        raise Refusal(409, "not_allowed", message)


def _order_of(world: World, owner: str, item_id: int) -> Order | None:
    """The order holding `item_id` if `owner` owns it: another merchant's item does not exist for them."""
    link = ITEMS.owned(world, owner, str(item_id))
    return None if link is None else ORDERS.get(world, link["order"])


def _item_of(order: Order, item_id: int) -> OrderItem:
    return next(item for item in order["order_items"] if item["id"] == item_id)
