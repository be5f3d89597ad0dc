"""ABOUT YOU's batches: submitted, deduplicated, then pending -> processing -> completed | failed.

Progress is computed from stored times and the virtual clock whenever ABOUT YOU state is read
(`settle`), so nothing runs in the background. A batch's items are applied in submission order
when it completes; each `items[]` entry succeeds or fails as a whole (x-returnkit-inferred: the
docs give one result per entry and no partial success).
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Mapping
from typing import Any

from returnkit.core.jsonbytes import dumps
from returnkit.core.world import derive_int, derive_uuid
from returnkit.providers.aboutyou.world import PROVIDER, order_status
from returnkit.providers.kit import World

ItemResult = list[str]  # the errors of one request item; empty means success


def settle(world: World) -> None:
    """Complete every batch whose processing time has passed, oldest first."""
    now = world.now()
    for due in world.store.query(PROVIDER, "inflight"):
        if due["due"] > now:
            continue
        batch = world.store.get(PROVIDER, "batch", due["batch"])
        assert batch is not None
        complete(world, batch)
        world.store.delete(PROVIDER, "inflight", due["batch"])


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
    settle(world)
    now = world.now()
    fingerprint = hashlib.sha256(dumps(payload, sort_keys=True)).hexdigest()
    dedup_key = f"{owner}|{kind}|{fingerprint}"
    seen = world.store.get(PROVIDER, "dedup", dedup_key)
    if seen and now < seen["until"] and world.store.get(PROVIDER, "inflight", seen["batch"]):
        return str(seen["batch"])
    number = world.store.next_number(f"{PROVIDER}.batch")
    batch_id = derive_uuid(world.seed, PROVIDER, "batch", number)
    timing = world.mocks["batches"]
    batch = {
        "id": batch_id,
        "kind": kind,
        "owner": owner,
        "submitted": now,
        "processing_at": now + float(timing["pending_seconds"]),
        "items": list(payload["items"]),
        "results": None,
        "status": None,
        "fault": dict(fault) if fault else None,  # a fail-items fault makes items fail when the batch completes
    }
    world.store.put(PROVIDER, "batch", batch_id, batch, owner=owner)
    due = now + float(timing["pending_seconds"]) + float(timing["processing_seconds"])
    world.store.put(PROVIDER, "inflight", batch_id, {"batch": batch_id, "due": due})
    world.store.put(PROVIDER, "dedup", dedup_key, {"batch": batch_id, "until": now + dedup_seconds}, owner=owner)
    return batch_id


def status(batch: Mapping[str, Any], now: float) -> str:
    if batch["status"] is not None:
        return str(batch["status"])
    return "pending" if now < batch["processing_at"] else "processing"


def _injected(world: World, batch: Mapping[str, Any], position: int) -> ItemResult:
    """The error of an item a fail-items fault fails (a seeded draw per item), else none."""
    fault = batch.get("fault")
    if not fault:
        return []
    draw = random.Random(derive_int(world.seed, PROVIDER, "fail", batch["id"], position)).random()  # noqa: S311
    return [f"Injected fault {fault['id']}: the item could not be processed"] if draw < fault["probability"] else []


def complete(world: World, batch: dict[str, Any]) -> None:
    apply = APPLY[batch["kind"]]
    results = []
    for position, item in enumerate(batch["items"]):
        errors = _injected(world, batch, position) or apply(world, batch["owner"], item)
        results.append({"requestItem": item, "success": not errors, "errors": errors})
    batch["results"] = results
    # x-returnkit-inferred: `failed` when no entry succeeded, `completed` otherwise.
    batch["status"] = "completed" if any(result["success"] for result in results) else "failed"
    world.store.put(PROVIDER, "batch", batch["id"], batch, owner=batch["owner"])


def apply_return(world: World, owner: str, entry: Mapping[str, Any]) -> ItemResult:
    """Only shipped items can be returned (x-returnkit-inferred: the user guide's flow)."""
    return _change(
        world,
        owner,
        entry["order_items"],
        allowed={"shipped"},
        new_status="returned",
        fields={"return_tracking_key": entry["return_tracking_key"]},
    )


def apply_ship(world: World, owner: str, entry: Mapping[str, Any]) -> ItemResult:
    if entry["carrier_key"] not in world.mocks["carriers"]["keys"]:
        return [f"Carrier key '{entry['carrier_key']}' is not a valid active carrier key"]
    fields = {
        "shipment_tracking_key": entry["shipment_tracking_key"],
        "return_tracking_key": entry.get("return_tracking_key"),
        "carrier_key": entry["carrier_key"],
    }
    return _change(world, owner, entry["order_items"], allowed={"open"}, new_status="shipped", fields=fields)


def apply_cancel(world: World, owner: str, entry: Mapping[str, Any]) -> ItemResult:
    return _change(world, owner, [entry["id"]], allowed={"open"}, new_status="cancelled", fields={})


APPLY: dict[str, Callable[[World, str, Mapping[str, Any]], ItemResult]] = {
    "return": apply_return,
    "ship": apply_ship,
    "cancel": apply_cancel,
}


def _change(
    world: World, owner: str, ids: list[int], *, allowed: set[str], new_status: str, fields: Mapping[str, Any]
) -> ItemResult:
    """Move every item in `ids` to `new_status`, or none of them (with one error per refused id)."""
    errors = [
        error for item_id in dict.fromkeys(ids) if (error := _refusal(world, owner, item_id, allowed, new_status))
    ]
    if len(set(ids)) != len(ids):
        errors.append("The same order item is listed more than once")
    if errors:
        return errors
    for item_id in ids:
        order = _order_of(world, owner, item_id)
        assert order is not None
        item = next(item for item in order["order_items"] if item["id"] == item_id)
        item["status"] = new_status
        item.update({key: value for key, value in fields.items() if key in item})
        if "carrier_key" in fields:
            order["carrier_key"] = fields["carrier_key"]
        order["status"] = order_status(order["order_items"])
        world.store.put(PROVIDER, "order", order["order_number"], order, owner=owner)
    return []


def _refusal(world: World, owner: str, item_id: int, allowed: set[str], new_status: str) -> str | None:
    order = _order_of(world, owner, item_id)
    if order is None:
        return f"Order item {item_id} does not exist"
    item = next(item for item in order["order_items"] if item["id"] == item_id)
    if item["status"] == new_status:
        return f"Order item {item_id} has already been {new_status}"
    if item["status"] not in allowed:
        return f"Order item {item_id} cannot be {new_status}: its status is '{item['status']}'"
    return None


def _order_of(world: World, owner: str, item_id: int) -> dict[str, Any] | None:
    """The order holding `item_id` if `owner` owns it: another merchant's item does not exist for them."""
    link = world.store.get(PROVIDER, "item", str(item_id))
    if link is None or link["owner"] != owner:
        return None
    return world.store.get(PROVIDER, "order", link["order"])
