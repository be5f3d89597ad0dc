"""Money and goods on a Kibo return: refunds, receipt and restock quantities, restock, replacements.

Refunds (`CreditPayment`) go to an existing payment of the parent order or to a new StoreCredit
or Check payment; each records a `Credit` interaction on the return and none may take the
order's refunds past what was collected (docs: returns-api-overview; Kibo's SDK tests).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce import behaviour, creation
from returnkit.providers.kibo_commerce.errors import conflict, invalid_parameter, not_found
from returnkit.providers.kibo_commerce.records import ORDERS, PROVIDER, REPLACEMENTS, KiboOrder, KiboReturn
from returnkit.providers.kit import Handler, Request, World
from returnkit.providers.wire import WireResponse

REFUNDABLE = {"Authorized", "Pending", "Received", "Shipped", "Restocked", "Refunded"}
NEW_PAYMENT_TYPES = {"StoreCredit", "Check"}
FINAL = {"Closed", "Cancelled", "Rejected"}


@creation.on_return
def get_payments(request: Request, world: World, _record: KiboReturn, order: KiboOrder) -> WireResponse:
    return WireResponse(200, {"totalCount": len(order["payments"]), "items": order["payments"]})


@creation.on_return
def get_payment(request: Request, world: World, record: KiboReturn, order: KiboOrder) -> WireResponse:
    payment = _payment(order, record, request.path_params["paymentId"])
    if payment is None:
        raise not_found("payment", request.path_params["paymentId"])
    return WireResponse(200, payment)


@creation.on_return
def credit_existing(request: Request, world: World, record: KiboReturn, order: KiboOrder) -> WireResponse:
    payment = next((p for p in order["payments"] if p["id"] == request.path_params["paymentId"]), None)
    if payment is None:
        raise not_found("payment", request.path_params["paymentId"])
    _refuse_refund(record, order, request.payload, payment["amountCollected"] - payment["amountCredited"])
    amount = float(request.payload["amount"])
    payment["interactions"].append(
        _credit(world, payment["id"], order["id"], record["id"], amount=amount, action=request.payload)
    )
    payment["amountCredited"] = round(payment["amountCredited"] + amount, 2)
    payment["status"] = "Credited"
    return _refunded(world, record, order, payment, amount)


@creation.on_return
def credit_new(request: Request, world: World, record: KiboReturn, order: KiboOrder) -> WireResponse:
    payment_type = ((request.payload.get("newBillingInfo") or {}).get("paymentType")) or ""
    if payment_type not in NEW_PAYMENT_TYPES:
        raise conflict(f"a new refund payment is StoreCredit or Check, not {payment_type or 'missing'}")
    _refuse_refund(record, order, request.payload, order["totalCollected"] - order["amountRefunded"])
    amount = float(request.payload["amount"])
    payment_id = derive_uuid(world.seed, PROVIDER, "payment", world.store.next_number(f"{PROVIDER}.payment")).replace(
        "-", ""
    )
    payment = {
        "id": payment_id,
        "orderId": order["id"],
        "paymentType": payment_type,
        "status": "Credited",
        "availableActions": [],
        "interactions": [_credit(world, payment_id, order["id"], record["id"], amount=amount, action=request.payload)],
        "amountCollected": 0.0,
        "amountCredited": amount,
        "amountRequested": 0.0,
        "isRecurring": False,
        "billingInfo": {"paymentType": payment_type, "isSameBillingShippingAddress": False, "isRecurring": False},
    }
    return _refunded(world, record, order, payment, amount)


def _refuse_refund(record: Mapping[str, Any], order: Mapping[str, Any], action: Mapping[str, Any], left: float) -> None:
    """Refuse a refund that is not a CreditPayment of a positive amount within `left`, on a refundable return."""
    if action.get("actionName") != "CreditPayment":
        raise conflict(f"payment action {action.get('actionName')} is not valid for a return; use CreditPayment")
    if record["status"] not in REFUNDABLE:
        raise conflict(f"a return in status {record['status']} cannot be refunded; authorize it first")
    amount = action.get("amount")
    if not isinstance(amount, int | float) or amount <= 0:
        raise invalid_parameter("amount must be a positive number")
    total_left = order["totalCollected"] - order["amountRefunded"]
    if amount > round(min(left, total_left), 2):
        raise conflict(
            f"refund of {amount} is more than the {round(min(left, total_left), 2)} left to refund", orderId=order["id"]
        )


def _credit(
    world: World, payment_id: str, order_id: str, return_id: str, *, amount: float, action: Mapping[str, Any]
) -> dict[str, Any]:
    return {
        "id": derive_uuid(
            world.seed, PROVIDER, "interaction", world.store.next_number(f"{PROVIDER}.interaction")
        ).replace("-", ""),
        "paymentId": payment_id,
        "orderId": order_id,
        "returnId": return_id,
        "interactionType": "Credit",
        "status": "Credited",
        "amount": amount,
        "currencyCode": action.get("currencyCode") or "USD",
        "checkNumber": action.get("checkNumber"),
        "interactionDate": iso(world.clock.now()),
        "isManual": False,
        "isPending": False,
    }


def _refunded(
    world: World, record: KiboReturn, order: KiboOrder, payment: dict[str, Any], amount: float
) -> WireResponse:
    order["amountRefunded"] = round(order["amountRefunded"] + amount, 2)
    order["amountAvailableForRefund"] = round(order["totalCollected"] - order["amountRefunded"], 2)
    ORDERS.put(world, order["id"], order, owner=order["owner"])
    record["payments"] = [p for p in record["payments"] if p["id"] != payment["id"]] + [payment]
    record["refundAmount"] = round(record["refundAmount"] + amount, 2)
    record["refundStatus"] = "Refunded"
    behaviour.touch(world, record)
    return WireResponse(200, behaviour.view(world, record))


def _payment(order: Mapping[str, Any], record: Mapping[str, Any], payment_id: str) -> dict[str, Any] | None:
    payments = [*order["payments"], *record["payments"]]
    return next((p for p in payments if p["id"] == payment_id), None)


@creation.on_return
def update_return(request: Request, world: World, record: KiboReturn, _order: KiboOrder) -> WireResponse:
    if record["status"] in FINAL:
        raise conflict(f"a {record['status']} return cannot be changed")
    items = {item["id"]: item for item in record["items"]}
    for change in request.payload.get("items") or []:
        item = items.get(change.get("id"))
        if item is None:
            raise not_found("returnItem", str(change.get("id")))
        _set_quantities(item, change)
    if request.payload.get("rmaDeadline") is not None:
        record["rmaDeadline"] = request.payload["rmaDeadline"]
    behaviour.touch(world, record)
    return WireResponse(200, behaviour.view(world, record))


def _set_quantities(item: dict[str, Any], change: Mapping[str, Any]) -> None:
    """Take the received and restockable quantities of `change`, or refuse them."""
    received = int(change.get("quantityReceived", item["quantityReceived"]) or 0)
    restockable = int(change.get("quantityRestockable", item["quantityRestockable"]) or 0)
    if received > item["quantityShipped"]:
        raise conflict(f"quantityReceived {received} is more than the {item['quantityShipped']} being returned")
    if restockable > received:
        raise invalid_parameter(f"quantityRestockable {restockable} is more than quantityReceived {received}")
    item["quantityReceived"], item["quantityRestockable"] = received, restockable
    item["receiveStatus"] = "Received" if received else item["receiveStatus"]


@creation.on_return
def restock(request: Request, world: World, record: KiboReturn, _order: KiboOrder) -> WireResponse:
    items = {item["id"]: item for item in record["items"]}
    wanted = Counter[str]()
    for line in request.payload:
        item_id, quantity = line.get("returnItemId"), line.get("quantity", 0)  # .NET binds an absent int as 0
        if item_id not in items:
            raise not_found("returnItem", str(item_id))
        if quantity < 1:  # Kibo's business validation: a 409 VALIDATION_CONFLICT, as for other refused amounts
            raise conflict(f"a restock quantity must be at least 1, not {quantity}")
        wanted[item_id] += quantity
    for item_id, quantity in wanted.items():
        item = items[item_id]
        left = item["quantityRestockable"] - item["quantityRestocked"]
        if quantity > left:
            raise conflict(f"return item {item['id']} has {left} restockable units left, not {quantity}")
    for item_id, quantity in wanted.items():
        items[item_id]["quantityRestocked"] += quantity
    behaviour.touch(world, record)
    return WireResponse(200, behaviour.view(world, record))


@creation.on_return
def ship(request: Request, world: World, record: KiboReturn, _order: KiboOrder) -> WireResponse:
    if record["status"] in FINAL or record["status"] == "Created":
        raise conflict(f"a return in status {record['status']} cannot ship a replacement; authorize it first")
    order = behaviour.create_replacement(world, record, request.payload or None)
    return WireResponse(200, REPLACEMENTS.public(order))


@creation.on_return
def return_items(request: Request, world: World, record: KiboReturn, _order: KiboOrder) -> WireResponse:
    return WireResponse(200, {"totalCount": len(record["items"]), "items": record["items"]})


@creation.on_return
def return_item(request: Request, world: World, record: KiboReturn, _order: KiboOrder) -> WireResponse:
    item = next((i for i in record["items"] if i["id"] == request.path_params["returnItemId"]), None)
    if item is None:
        raise not_found("returnItem", request.path_params["returnItemId"])
    return WireResponse(200, item)


HANDLERS: Mapping[str, Handler] = {
    "getPayments": get_payments,
    "getPayment": get_payment,
    "performPaymentActionForReturn": credit_existing,
    "createPaymentActionForReturn": credit_new,
    "updateReturn": update_return,
    "restockReturnItems": restock,
    "createReturnShippingOrder": ship,
    "getReturnItems": return_items,
    "getReturnItem": return_item,
}
