"""One function per Kibo Commerce returns operation: request -> store changes -> response."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce import auth, behaviour, creation, extras, listing, money
from returnkit.providers.kibo_commerce.errors import conflict, kibo_error, not_found
from returnkit.providers.kibo_commerce.world import PROVIDER
from returnkit.providers.kit import Handler, Request, World, int_param
from returnkit.providers.wire import WireResponse

INT32_MAX = 2**31 - 1  # the spec declares startIndex and pageSize as int32


def token(request: Request, world: World) -> WireResponse:
    body = request.payload or {}
    issued = auth.issue_token(world, body.get("client_id"), body.get("client_secret"))
    if issued is None:
        return kibo_error(401, "UNAUTHORIZED", "Unauthorized: unknown client_id or client_secret")
    return WireResponse(200, issued)


def create_return(request: Request, world: World) -> WireResponse:
    if not request.body.strip():
        return conflict("a return needs a body")  # Kibo's own tests: no body is a 409
    body = request.payload or {}
    order = creation.owned(world, "order", str(body.get("originalOrderId") or ""), request.owner)
    if order is None:
        return not_found("order", str(body.get("originalOrderId")))
    if order["fulfillmentStatus"] != "Fulfilled":
        return conflict(f"order {order['id']} has no shipped package to return", originalOrderId=order["id"])
    items = _new_items(world, order, body)
    if isinstance(items, WireResponse):
        return items
    return WireResponse(200, behaviour.view(world, _save_new_return(request, world, order, body, items)))


def _new_items(world: World, order: dict[str, Any], body: Mapping[str, Any]) -> list[dict[str, Any]] | WireResponse:
    items = []
    for wanted in body.get("items") or []:
        item = creation.new_return_item(world, order, wanted, body.get("returnType") or "Refund")
        if isinstance(item, WireResponse):
            return item
        items.append(item)
    if not items:
        return conflict("a return needs at least one item")
    over = creation.over_returned(world, order, items)
    return conflict(over) if over else items


def _save_new_return(
    request: Request, world: World, order: dict[str, Any], body: Mapping[str, Any], items: list[dict[str, Any]]
) -> dict[str, Any]:
    number = world.store.next_number(f"{PROVIDER}.return-number.{request.owner}")
    now = iso(world.clock.now())
    record = {
        "id": derive_uuid(world.seed, PROVIDER, "return", request.owner, number).replace("-", ""),
        "returnNumber": number,
        "originalOrderId": order["id"],
        "originalOrderNumber": order["orderNumber"],
        "returnOrderId": None,
        "returnType": body.get("returnType") or "Refund",
        "status": "Created",
        "receiveStatus": "NotRequested",
        "refundStatus": "NotRequested",
        "replaceStatus": "NotRequested",
        "currencyCode": order["currencyCode"],
        "tenantId": order["tenantId"],
        "siteId": order["siteId"],
        "customerInteractionType": body.get("customerInteractionType") or "Website",
        "items": items,
        "notes": [],
        "payments": [],
        "refundAmount": 0.0,
        "rmaDeadline": body.get("rmaDeadline"),
        "auditInfo": {"createDate": now, "updateDate": now, "createBy": None, "updateBy": None},
        "owner": request.owner,
        "replacementOrderIds": [],
    }
    behaviour.touch(world, record)
    return record


def get_return(request: Request, world: World) -> WireResponse:
    record = creation.owned(world, "return", request.path_params["returnId"], request.owner)
    return (
        not_found("return", request.path_params["returnId"])
        if record is None
        else WireResponse(200, behaviour.view(world, record))
    )


def list_returns(request: Request, world: World) -> WireResponse:
    # ASP.NET binds an empty value of an optional (nullable) int to "not given": the default.
    start = int_param(request, "startIndex", 0, 0, INT32_MAX, empty_is_absent=True) or 0
    size = int_param(request, "pageSize", world.mocks["paging"]["default"], 1, INT32_MAX, empty_is_absent=True) or 1
    size = min(size, world.mocks["paging"]["max"])
    records = [behaviour.view(world, r) for r in world.store.query(PROVIDER, "return", owner=request.owner)]
    found = listing.sorted_by(listing.filtered(records, request.param("filter")), request.param("sortBy"))
    body = {"startIndex": start, "pageSize": size, "pageCount": math.ceil(len(found) / size), "totalCount": len(found)}
    return WireResponse(200, {**body, "items": found[start : start + size]})


def perform_actions(request: Request, world: World) -> WireResponse:
    action = request.payload.get("actionName")
    records = []
    for return_id in dict.fromkeys(request.payload.get("returnIds") or []):  # each return acts once
        record = creation.owned(world, "return", return_id, request.owner)
        if record is None:
            return not_found("return", return_id)
        refused = behaviour.refusal(world, record, str(action))
        if refused:
            status, why = refused
            return kibo_error(
                status,
                "VALIDATION_CONFLICT" if status == 409 else "ITEM_NOT_FOUND",
                f"Validation Error: {why}",
                returnId=return_id,
            )
        records.append(record)
    for record in records:  # every return was checked first: a refusal changes nothing
        behaviour.apply(world, record, str(action))
    views = [behaviour.view(world, r) for r in records]
    return WireResponse(
        200, {"startIndex": 0, "pageSize": len(views), "pageCount": 1, "totalCount": len(views), "items": views}
    )


def available_actions(request: Request, world: World) -> WireResponse:
    record = creation.owned(world, "return", request.path_params["returnId"], request.owner)
    if record is None:
        return not_found("return", request.path_params["returnId"])
    return WireResponse(200, behaviour.available_actions(world, record))


def delete_return(request: Request, world: World) -> WireResponse:
    record = creation.owned(world, "return", request.path_params["returnId"], request.owner)
    if record is None:
        return not_found("return", request.path_params["returnId"])
    if record["status"] != "Cancelled":
        return conflict(f"only a cancelled return can be deleted; this one is {record['status']}")
    world.store.delete(PROVIDER, "return", record["id"])
    return WireResponse(200, b"")


def reasons(request: Request, world: World) -> WireResponse:
    return WireResponse(200, {"totalCount": len(world.mocks["reasons"]), "items": list(world.mocks["reasons"])})


HANDLERS: Mapping[str, Handler] = {
    "oauthAuthenticateApp": token,
    "createReturn": create_return,
    "getReturn": get_return,
    "getReturns": list_returns,
    "performReturnActions": perform_actions,
    "getAvailableReturnActions": available_actions,
    "deleteReturn": delete_return,
    "getReasons": reasons,
    **money.HANDLERS,
    **extras.HANDLERS,
}
