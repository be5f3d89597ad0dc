"""One function per Kibo Commerce returns operation: request -> store changes -> response."""

from __future__ import annotations

from collections.abc import Mapping
from functools import cache
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce import auth, behaviour, creation, events, extras, listing, money
from returnkit.providers.kibo_commerce.errors import conflict, not_found
from returnkit.providers.kibo_commerce.records import ORDERS, PROVIDER, RETURNS, KiboOrder, KiboReturn
from returnkit.providers.kit import Handler, Refusal, Request, World
from returnkit.providers.wire import WireResponse


def token(request: Request, world: World) -> WireResponse:
    body = request.payload or {}
    issued = auth.issue_token(world, body.get("client_id"), body.get("client_secret"))
    if issued is None:
        raise Refusal(401, "UNAUTHORIZED", "Unauthorized: unknown client_id or client_secret")
    return WireResponse(200, issued)


def create_return(request: Request, world: World) -> WireResponse:
    if not request.body.strip():
        raise conflict("a return needs a body")  # Kibo's own tests: no body is a 409
    body = request.payload or {}
    order = ORDERS.owned(world, request.owner, str(body.get("originalOrderId") or ""))
    if order is None:
        raise not_found("order", str(body.get("originalOrderId")))
    if order["fulfillmentStatus"] != "Fulfilled":
        raise conflict(f"order {order['id']} has no shipped package to return", originalOrderId=order["id"])
    items = _new_items(world, order, body)
    return WireResponse(200, behaviour.view(world, _save_new_return(request, world, order, body, items)))


def _new_items(world: World, order: KiboOrder, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    return_type = body.get("returnType") or "Refund"
    items = [creation.new_return_item(world, order, wanted, return_type) for wanted in body.get("items") or []]
    if not items:
        raise conflict("a return needs at least one item")
    creation.refuse_over_return(world, order, items)
    return items


def _save_new_return(
    request: Request, world: World, order: KiboOrder, body: Mapping[str, Any], items: list[dict[str, Any]]
) -> KiboReturn:
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
    behaviour.open_return(world, record)
    return record


def get_return(request: Request, world: World) -> WireResponse:
    record = creation.owned_return(world, request.owner, request.path_params["returnId"])
    return WireResponse(200, behaviour.view(world, record))


def list_returns(request: Request, world: World) -> WireResponse:
    paging = listing.Paging.of(request, world)
    total, page = listing.select(
        RETURNS, world, owner=request.owner, request=request, paging=paging, columns=_return_columns()
    )
    return WireResponse(200, paging.collection(total, [behaviour.view(world, r) for r in page]))


@cache
def _return_columns() -> listing.Columns:
    """A return's status is its state, one of the state machine's; createDate its sort key (`RETURNS.sort`)."""
    machine = behaviour.state_machine()
    statuses = set(machine) | {status for actions in machine.values() for status in actions.values()}
    return listing.Columns(state="status", states=frozenset(statuses), sort="createDate")


def perform_actions(request: Request, world: World) -> WireResponse:
    action = request.payload.get("actionName")
    records = []
    for return_id in dict.fromkeys(request.payload.get("returnIds") or []):  # each return acts once
        record = creation.owned_return(world, request.owner, return_id)
        behaviour.check(world, record, str(action))
        records.append(record)
    for record in records:  # every return was checked first: a refusal changes nothing
        behaviour.act(world, record, str(action))
    views = [behaviour.view(world, r) for r in records]
    return WireResponse(
        200, {"startIndex": 0, "pageSize": len(views), "pageCount": 1, "totalCount": len(views), "items": views}
    )


def available_actions(request: Request, world: World) -> WireResponse:
    record = creation.owned_return(world, request.owner, request.path_params["returnId"])
    return WireResponse(200, behaviour.available_actions(world, record))


def delete_return(request: Request, world: World) -> WireResponse:
    record = creation.owned_return(world, request.owner, request.path_params["returnId"])
    if record["status"] != "Cancelled":
        raise conflict(f"only a cancelled return can be deleted; this one is {record['status']}")
    RETURNS.delete(world, record["id"])
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
    **events.HANDLERS,
}
