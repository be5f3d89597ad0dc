"""Building the items of a new Kibo return: which order line, which reasons, how many are left."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce.errors import conflict, not_found
from returnkit.providers.kibo_commerce.records import ORDERS, PROVIDER, RETURNS, KiboOrder, KiboReturn
from returnkit.providers.kit import Handler, Request, World
from returnkit.providers.wire import WireResponse

ACTIVE = {"Created", "Authorized", "Pending", "Received", "Refunded", "Shipped", "Restocked", "Closed"}


def new_return_item(
    world: World, order: Mapping[str, Any], wanted: Mapping[str, Any], return_type: str
) -> dict[str, Any]:
    """The return item for `wanted` (a line of `order`), or Kibo's refusal."""
    line = _order_line(order, wanted)
    if line is None:
        raise conflict("the item is not part of the original order", orderItemId=wanted.get("orderItemId"))
    reasons = wanted.get("reasons") or []
    known = {reason.replace(" ", "").lower() for reason in world.mocks["reasons"]}
    bad = [r.get("reason") for r in reasons if str(r.get("reason") or "").replace(" ", "").lower() not in known]
    if not reasons or bad:
        raise conflict(
            f"Return reason '{bad[0] if bad else None}' is not valid", **{"ReturnItem.Reasons": bad[0] if bad else None}
        )
    quantity = int(wanted.get("quantityShipped") or sum(int(r.get("quantity") or 0) for r in reasons) or 1)
    left = line["quantity"] - already_returned(world, order, line["id"])
    if quantity > left:
        raise conflict(f"quantity {quantity} is more than the {left} left to return of order item {line['id']}")
    return _new_item(world, line, wanted, reasons, quantity=quantity, return_type=return_type)


def _new_item(
    world: World,
    line: Mapping[str, Any],
    wanted: Mapping[str, Any],
    reasons: list[Any],
    *,
    quantity: int,
    return_type: str,
) -> dict[str, Any]:
    number = world.store.next_number(f"{PROVIDER}.return-item")
    return {
        "id": derive_uuid(world.seed, PROVIDER, "return-item", number).replace("-", ""),
        "orderItemId": line["id"],
        "orderLineId": line["lineId"],
        "product": line["product"],
        "reasons": [{"reason": r.get("reason"), "quantity": int(r.get("quantity") or quantity)} for r in reasons],
        "returnType": wanted.get("returnType") or return_type,
        "quantityShipped": quantity,
        "quantityReceived": 0,
        "quantityRestockable": 0,
        "quantityRestocked": 0,
        "quantityRefunded": 0,
        "quantityReplaced": 0,
        "receiveStatus": "NotRequested",
        "refundStatus": "NotRequested",
        "replaceStatus": "NotRequested",
        "returnNotRequired": False,
        "refundAmount": 0.0,
        "notes": [],
    }


def _order_line(order: Mapping[str, Any], wanted: Mapping[str, Any]) -> dict[str, Any] | None:
    code = (wanted.get("product") or {}).get("productCode")
    for line in order["items"]:
        if line["id"] == wanted.get("orderItemId") or line["lineId"] == wanted.get("orderLineId"):
            return dict(line)
        if code and line["product"]["productCode"] == code:
            return dict(line)
    return None


def already_returned(world: World, order: Mapping[str, Any], item_id: str) -> int:
    active = (r for r in RETURNS.by_ref(world, order["id"]) if r["status"] in ACTIVE)
    return sum(i["quantityShipped"] for r in active for i in r["items"] if i["orderItemId"] == item_id)


def owned_return(world: World, owner: str, return_id: str) -> KiboReturn:
    """The tenant's return, or Kibo's 404: another tenant's return does not exist for them."""
    record = RETURNS.owned(world, owner, return_id)
    if record is None:
        raise not_found("return", return_id)
    return record


def owned_order(world: World, owner: str, order_id: str) -> KiboOrder:
    """The tenant's order, or Kibo's 404."""
    order = ORDERS.owned(world, owner, order_id)
    if order is None:
        raise not_found("order", order_id)
    return order


def order_of(world: World, record: KiboReturn) -> KiboOrder:
    order = ORDERS.get(world, record["originalOrderId"])
    assert order is not None, "a return's order is never deleted"
    return order


ReturnHandler = Callable[[Request, World, KiboReturn, KiboOrder], WireResponse]


def on_return(handler: ReturnHandler) -> Handler:
    """A handler under `/returns/{returnId}`, given the tenant's return and its order (else Kibo's 404)."""

    def handle(request: Request, world: World) -> WireResponse:
        record = owned_return(world, request.owner, request.path_params.get("returnId", ""))
        return handler(request, world, record, order_of(world, record))

    handle.__name__ = handler.__name__
    return handle


def refuse_over_return(world: World, order: Mapping[str, Any], items: list[dict[str, Any]]) -> None:
    """Refuse the request's items when, added up per order line, they exceed what is left to return."""
    wanted = Counter[str]()
    for item in items:
        wanted[item["orderItemId"]] += item["quantityShipped"]
    for line in order["items"]:
        left = line["quantity"] - already_returned(world, order, line["id"])
        if wanted[line["id"]] > left:
            raise conflict(
                f"quantity {wanted[line['id']]} is more than the {left} left to return of order item {line['id']}"
            )
