"""Kibo Commerce's smaller operations: notes, returnable items, items added to or removed from a return."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce import behaviour, creation
from returnkit.providers.kibo_commerce.errors import conflict, not_found
from returnkit.providers.kibo_commerce.records import PROVIDER, KiboOrder, KiboReturn
from returnkit.providers.kit import Handler, Request, World
from returnkit.providers.wire import WireResponse

EDITABLE = {"Created"}


@creation.on_return
def get_notes(request: Request, world: World, record: dict[str, Any], _order: dict[str, Any]) -> WireResponse:
    return WireResponse(200, record["notes"])


@creation.on_return
def create_note(request: Request, world: World, record: dict[str, Any], _order: dict[str, Any]) -> WireResponse:
    now = iso(world.clock.now())
    note = {
        "id": derive_uuid(world.seed, PROVIDER, "note", world.store.next_number(f"{PROVIDER}.note")).replace("-", ""),
        "text": request.payload.get("text"),
        "auditInfo": {"createDate": now, "updateDate": now, "createBy": None, "updateBy": None},
    }
    record["notes"].append(note)
    behaviour.touch(world, record)
    return WireResponse(200, note)


def _note(request: Request, world: World) -> tuple[KiboReturn, dict[str, Any]]:
    """The tenant's return and its note named in the path, or Kibo's 404."""
    record = creation.owned_return(world, request.owner, request.path_params.get("returnId", ""))
    note = next((n for n in record["notes"] if n["id"] == request.path_params["noteId"]), None)
    if note is None:
        raise not_found("note", request.path_params["noteId"])
    return record, note


def get_note(request: Request, world: World) -> WireResponse:
    _record, note = _note(request, world)
    return WireResponse(200, note)


def update_note(request: Request, world: World) -> WireResponse:
    record, note = _note(request, world)
    note["text"] = request.payload.get("text", note["text"])
    note["auditInfo"]["updateDate"] = iso(world.clock.now())
    behaviour.touch(world, record)
    return WireResponse(200, note)


def delete_note(request: Request, world: World) -> WireResponse:
    record, note = _note(request, world)
    record["notes"] = [n for n in record["notes"] if n["id"] != note["id"]]
    behaviour.touch(world, record)
    return WireResponse(200, b"")


def returnable_items(request: Request, world: World) -> WireResponse:
    order = creation.owned_order(world, request.owner, request.path_params["orderId"])
    shipped = order["fulfillmentStatus"] == "Fulfilled"
    items = [_returnable(line, shipped, creation.already_returned(world, order, line["id"])) for line in order["items"]]
    return WireResponse(200, {"totalCount": len(items), "items": items})


def _returnable(line: Mapping[str, Any], shipped: bool, returned: int) -> dict[str, Any]:
    fulfilled = line["quantity"] if shipped else 0
    return {
        "productCode": line["product"]["productCode"],
        "productName": line["product"]["name"],
        "orderItemId": line["id"],
        "orderLineId": line["lineId"],
        "quantityOrdered": line["quantity"],
        "quantityFulfilled": fulfilled,
        "quantityReturned": returned,
        "quantityRejected": 0,
        "quantityReturnable": max(fulfilled - returned, 0),
        "fulfillmentStatus": "Fulfilled" if shipped else "NotFulfilled",
    }


@creation.on_return
def create_item(request: Request, world: World, record: KiboReturn, order: KiboOrder) -> WireResponse:
    if record["status"] not in EDITABLE:
        raise conflict(f"items can be added only to a Created return; this one is {record['status']}")
    item = creation.new_return_item(world, order, request.payload, record["returnType"])
    record["items"].append(item)
    behaviour.touch(world, record)
    return WireResponse(200, behaviour.view(world, record))


def delete_order_item(request: Request, world: World) -> WireResponse:
    return_id = request.param("returnId") or request.path_params["orderId"]
    record = creation.owned_return(world, request.owner, return_id)
    wanted = request.param("returnItemId") or request.path_params["orderItemId"]
    kept = [i for i in record["items"] if wanted not in (i["id"], i["orderItemId"])]
    if len(kept) == len(record["items"]):
        raise not_found("returnItem", wanted)
    if record["status"] not in EDITABLE:
        raise conflict(f"items can be removed only from a Created return; this one is {record['status']}")
    record["items"] = kept
    behaviour.touch(world, record)
    return WireResponse(200, behaviour.view(world, record))


@creation.on_return
def available_payment_actions(request: Request, world: World, record: KiboReturn, order: KiboOrder) -> WireResponse:
    payment = next((p for p in order["payments"] if p["id"] == request.path_params["paymentId"]), None)
    if payment is None:
        raise not_found("payment", request.path_params["paymentId"])
    left = payment["amountCollected"] - payment["amountCredited"]
    refundable = record["status"] in {"Authorized", "Pending", "Received", "Shipped", "Restocked", "Refunded"}
    return WireResponse(200, ["CreditPayment"] if refundable and left > 0 else [])


def get_tenant(request: Request, world: World) -> WireResponse:
    """The token's tenant, with this server's own host as its API domain (the SDK calls https://<domain>/api)."""
    tenant = next((t for t in world.mocks["tenants"] if str(t["id"]) == request.owner), None)
    if tenant is None or request.path_params.get("tenantId") != request.owner:
        raise not_found("tenant", request.path_params.get("tenantId", ""))
    host = request.base_url.split("://", 1)[1]
    site = {"id": tenant["site"], "name": tenant["name"], "catalogId": 1, "domain": host}
    body = {
        "id": tenant["id"],
        "name": tenant["name"],
        "domain": host,
        "isDevTenant": True,
        "isUnified": True,
        "sites": [site],
    }
    return WireResponse(200, body)


HANDLERS: Mapping[str, Handler] = {
    "getReturnNotes": get_notes,
    "createReturnNote": create_note,
    "getReturnNote": get_note,
    "updateReturnNote": update_note,
    "deleteReturnNote": delete_note,
    "getOrderReturnableItems": returnable_items,
    "createReturnItem": create_item,
    "deleteOrderItem": delete_order_item,
    "getAvailablePaymentActionsForReturn": available_payment_actions,
    "getTenant": get_tenant,
}
