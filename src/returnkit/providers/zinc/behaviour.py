"""Zinc returns: filed `open`, resolved on the virtual clock to `approved` or `denied`.

The resolution is computed whenever a return is read (nothing runs in the background): after
`resolution_seconds` a return takes the decision fixed at filing from the seed and the request
(x-returnkit-inferred: Zinc documents neither the delay nor the rule). Approved returns carry
signed label URLs that expire 7 days after each read (docs: "Re-fetch the return to refresh").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returnkit.core import labels
from returnkit.core.clock import iso
from returnkit.core.world import derive_int, derive_uuid
from returnkit.providers.kit import World
from returnkit.providers.zinc.world import PROVIDER

PRIVATE_FIELDS = ("owner", "filed_at", "resolves_at", "decision", "decision_note")
RETURNABLE_ITEM_STATUSES = {"shipped", "delivered", "ordered"}


def file_return(
    world: World, owner: str, payload: Mapping[str, Any], fault: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """A new open return; a `deny` fault decides it will be denied."""
    now = world.now()
    number = world.store.next_number(f"{PROVIDER}.return")
    items = [{"order_item_id": item["order_item_id"], "quantity": item["quantity"]} for item in payload["items"]]
    fingerprint = (payload["order_id"], sorted((i["order_item_id"], i["quantity"]) for i in items), payload["reason"])
    mocks = world.mocks["returns"]
    roll = derive_int(world.seed, PROVIDER, "decision", fingerprint) % 100
    notes = mocks["denial_notes"]
    record = {
        "id": derive_uuid(world.seed, PROVIDER, "return", number),
        "order_id": payload["order_id"],
        "status": "open",
        "reason": payload["reason"],
        "notes": payload.get("notes"),
        "resolution_notes": None,
        "items": items,
        "label_urls": [],
        "merchant_return_id": None,
        "created_at": iso(world.clock.now()),
        "updated_at": iso(world.clock.now()),
        "owner": owner,
        "filed_at": now,
        "resolves_at": now + float(mocks["resolution_seconds"]),
        "decision": "denied" if fault or roll >= int(mocks["approve_percent"]) else "approved",
        "decision_note": notes[derive_int(world.seed, PROVIDER, "note", fingerprint) % len(notes)],
    }
    world.store.put(PROVIDER, "return", record["id"], record, owner=owner, ref=payload["order_id"])
    return record


def current(record: Mapping[str, Any], world: World, base_url: str) -> dict[str, Any]:
    """The return as the client sees it now: resolved if its time has come, private fields dropped."""
    view = {key: value for key, value in record.items() if key not in PRIVATE_FIELDS}
    if view["status"] != "open" or world.now() < record["resolves_at"]:
        return view
    from datetime import UTC, datetime

    resolved = iso(datetime.fromtimestamp(record["resolves_at"], UTC))
    view.update(status=record["decision"], updated_at=resolved)
    if record["decision"] == "denied":
        view["resolution_notes"] = record["decision_note"]
    else:
        view["merchant_return_id"] = f"RMA{derive_int(world.seed, PROVIDER, 'rma', record['id']) % 10**10:010d}"
        view["label_urls"] = [label_url(world, base_url, record["id"])]
    return view


def label_url(world: World, base_url: str, return_id: str) -> str:
    expires = int(world.now() + float(world.mocks["returns"]["label_ttl_seconds"]))
    return labels.label_url(base_url, world.store, PROVIDER, f"{return_id}.pdf", expires)


def returns_of_order(world: World, order_id: str, base_url: str) -> list[dict[str, Any]]:
    return [current(record, world, base_url) for record in world.store.query(PROVIDER, "return", ref=order_id)]


def refusal(
    world: World, order: Mapping[str, Any], payload: Mapping[str, Any], base_url: str
) -> tuple[int, str, str, dict[str, Any]] | None:
    """(status, code, message, details) when the return cannot be filed, else None."""
    if order["status"] != "order_placed":
        message = f"Order {order['id']} is {order['status']}; only orders in order_placed status can be returned"
        return 409, "return_not_allowed", message, {"order_status": order["status"]}
    ordered = {item["id"]: item for item in order["items"]}
    wanted = [item["order_item_id"] for item in payload["items"]]
    if len(set(wanted)) != len(wanted):
        return 409, "return_not_allowed", "An order item is listed more than once", {"order_item_ids": wanted}
    existing = returns_of_order(world, order["id"], base_url)
    for item in payload["items"]:
        problem = _item_refusal(ordered.get(item["order_item_id"]), item, order["id"], existing)
        if problem:
            return problem
    return None


def _item_refusal(
    ordered: Mapping[str, Any] | None, item: Mapping[str, Any], order_id: str, existing: list[dict[str, Any]]
) -> tuple[int, str, str, dict[str, Any]] | None:
    item_id = item["order_item_id"]
    details: dict[str, Any] = {"order_item_id": item_id}
    if ordered is None:
        return 404, "not_found", f"Order item {item_id} is not part of order {order_id}", details
    if ordered["status"] not in RETURNABLE_ITEM_STATUSES:
        return 409, "return_not_allowed", f"Order item {item_id} is {ordered['status']} and cannot be returned", details
    open_return = next((r for r in existing if r["status"] == "open" and _covers(r, item_id)), None)
    if open_return:
        message = f"Order item {item_id} already has an open return"
        return 409, "already_exists", message, {**details, "return_request_id": open_return["id"]}
    left = ordered["quantity"] - _returned_quantity(existing, item_id)
    if item["quantity"] > left:
        message = f"Quantity {item['quantity']} exceeds the {left} still returnable for order item {item_id}"
        return 409, "return_not_allowed", message, {**details, "returnable_quantity": left}
    return None


def _covers(record: Mapping[str, Any], item_id: str) -> bool:
    return any(item["order_item_id"] == item_id for item in record["items"])


def _returned_quantity(existing: list[dict[str, Any]], item_id: str) -> int:
    settled = (r for r in existing if r["status"] in {"approved", "credited"})
    return sum(i["quantity"] for r in settled for i in r["items"] if i["order_item_id"] == item_id)
