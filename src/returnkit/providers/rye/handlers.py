"""Rye's one HTTP operation, `POST /v1/query`: real GraphQL (graphql-core) over the bundled SDL.

The validation stage has parsed and validated the document (`validation/graphql_engine.py`,
the same code as `validate-payload`); the handler renders that verdict or executes that document.
The root value answers `returnOrder`, `orderByID` and `returnByID`; every other field resolves
from plain dicts, and unions and interfaces from their `__typename`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from graphql import execute_sync

from returnkit.core.world import derive_uuid
from returnkit.providers.kit import Handler, Refusal, Request, World
from returnkit.providers.rye import behaviour
from returnkit.providers.rye.errors import VALIDATION_FAILED, in_data, render_validation_error
from returnkit.providers.rye.records import ORDERS, PROVIDER, RETURNS, RyeOrder, RyeReturn
from returnkit.providers.rye.world import price
from returnkit.providers.wire import WireResponse
from returnkit.validation.graphql_engine import GraphQLRequest


class Root:
    """What the operation's root fields resolve to, for one request."""

    def __init__(self, request: Request, world: World) -> None:
        self.request = request
        self.world = world

    def returnOrder(self, _info: Any, input: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        return _in_data(lambda: self._return_order(input))

    def _return_order(self, input: Mapping[str, Any]) -> dict[str, Any]:
        order = ORDERS.owned(self.world, self.request.owner, str(input["orderId"]))
        if order is None:
            raise in_data("ORDER_NOT_FOUND", f"Order {input['orderId']} not found")
        wanted: list[Mapping[str, Any]] = [dict(item) for item in input["lineItems"]]
        behaviour.check_return(self.world, order, wanted)
        fault = self.request.business_fault
        records = behaviour.request_returns(self.world, self.request.owner, order, wanted, fault)
        return _result(order, records)

    def cancelOrder(self, _info: Any, input: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        """Cancellation is outside returnkit's scope; Rye's own code for that is NOT_SUPPORTED."""
        return _in_data(_not_supported)

    def orderByID(self, _info: Any, id: str) -> dict[str, Any] | None:  # noqa: N802
        order = ORDERS.owned(self.world, self.request.owner, str(id))
        return None if order is None else order_view(self.world, order, self.request.base_url)

    def returnByID(self, _info: Any, input: Mapping[str, Any]) -> dict[str, Any] | None:  # noqa: N802
        record = RETURNS.owned(self.world, self.request.owner, str(input["returnId"]))
        if record is None or record["orderId"] != str(input["orderId"]):
            return None
        lines = behaviour.return_lines(record)
        if record["marketplace"] == "AMAZON":
            return {
                "__typename": "ReturnAmazon",
                "marketplace": "AMAZON",
                "returnId": record["id"],
                "amazonOrderId": record["marketplaceOrderId"],
                "lineItems": lines,
            }
        return {
            "__typename": "ReturnShopify",
            "marketplace": "SHOPIFY",
            "returnId": record["id"],
            "orderId": record["orderId"],
            "lineItems": lines,
        }


def _in_data(mutate: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """A mutation's payload: its `result`, or the `Refusal` it raised as its `error` (HTTP 200)."""
    try:
        return {"result": mutate(), "error": None}
    except Refusal as refusal:
        return {"result": None, "error": {"code": refusal.code, "message": refusal.message}}


def _not_supported() -> dict[str, Any]:
    raise in_data("NOT_SUPPORTED", "returnkit simulates returns, not cancellations")


def _result(order: RyeOrder, records: list[RyeReturn]) -> dict[str, Any]:
    if order["marketplace"] == "AMAZON":
        orders = [
            {
                "returnId": r["id"],
                "amazonOrderId": r["marketplaceOrderId"],
                "lineItems": behaviour.return_lines(r),
            }
            for r in records
        ]
        return {"__typename": "ReturnAmazonOrderResult", "orders": orders}
    (record,) = records
    return {
        "__typename": "ReturnShopifyOrderResult",
        "orderId": order["id"],
        "returnId": record["id"],
        "lineItems": behaviour.return_lines(record),
        "status": record["status"],
    }


def order_view(world: World, order: RyeOrder, base_url: str) -> dict[str, Any]:
    records = RETURNS.by_ref(world, order["id"])
    returns = [behaviour.order_return(world, r, base_url) for r in records]
    states = [r["status"] for r in records]
    cents = order["cents"]
    return {
        "id": order["id"],
        "cart": {"id": order["cartId"]},
        "cartId": order["cartId"],
        "status": states[-1] if states else "SUCCEEDED",
        "createdAt": order["createdAt"],
        "lineItems": [_line_item(order, line) for line in order["lines"]],
        "marketplace": order["marketplace"],
        "marketplaceOrderIds": order["marketplaceOrderIds"],
        "metadata": None,
        "events": _events(world, order, records),
        "requiredActions": [],
        "returns": returns,
        "shipments": [_shipment(order)],
        "shipping": price(cents["shipping"]),
        "subtotal": price(cents["subtotal"]),
        "tax": price(cents["tax"]),
        "total": price(cents["subtotal"] + cents["shipping"] + cents["tax"]),
    }


def _line_item(order: Mapping[str, Any], line: Mapping[str, Any]) -> dict[str, Any]:
    if order["marketplace"] == "AMAZON":
        return {
            "__typename": "AmazonLineItem",
            "productId": line["productId"],
            "quantity": line["quantity"],
            "price": price(line["cents"]),
            "amazonBusinessPrice": None,
        }
    return {
        "__typename": "ShopifyLineItem",
        "productId": line["productId"],
        "variantId": line["variantId"],
        "quantity": line["quantity"],
    }


def _shipment(order: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "carrierName": "UPS",
        "carrierTrackingNumber": order["carrierTrackingNumber"],
        "carrierTrackingUrl": f"https://www.ups.com/track?tracknum={order['carrierTrackingNumber']}",
        "expectedDeliveryDate": order["shippedAt"],
        "status": "DELIVERED" if order["delivered"] else "SHIPPED",
    }


EVENT_FOR = {
    "RETURN_REQUESTED": "ReturnRequestedOrderEvent",
    "RETURN_REQUEST_ACCEPTED": "ReturnRequestAcceptedOrderEvent",
    "RETURN_APPROVED": "ReturnApprovedOrderEvent",
    "RETURN_CLOSED": "ReturnClosedOrderEvent",
}


def _events(world: World, order: RyeOrder, records: list[RyeReturn]) -> list[dict[str, Any]]:
    events = [
        {
            "__typename": "OrderPlacedOrderEvent",
            "id": derive_uuid(world.seed, PROVIDER, "placed", order["id"]),
            "createdAt": order["createdAt"],
        }
    ]
    for record in records:
        # x-returnkit-inferred: the SDK has no order event for a denied return, so it shows none.
        for state in (step for step in behaviour.steps_taken(record) if step in EVENT_FOR):
            event_id = derive_uuid(world.seed, PROVIDER, "event", record["id"], state)
            events.append({"__typename": EVENT_FOR[state], "id": event_id, "createdAt": record["createdAt"]})
    return events


def query(request: Request, world: World) -> WireResponse:
    """`POST /v1/query`: the checked request's verdict when it is refused, else its document executed."""
    checked = request.payload
    assert isinstance(checked, GraphQLRequest), "the validation stage hands over the checked request"
    if checked.document is None or not checked.verdict.valid:
        return render_validation_error(checked.verdict)
    result = execute_sync(
        checked.schema,
        checked.document,
        root_value=Root(request, world),
        variable_values=checked.get("variables"),
        operation_name=checked.get("operationName"),
    )
    body: dict[str, Any] = {"data": result.data}
    if result.errors:
        body["errors"] = [_coded(error.formatted, request_error=result.data is None) for error in result.errors]
    return WireResponse(200, body)


def _coded(error: Mapping[str, Any], *, request_error: bool) -> dict[str, Any]:
    """An execution error as gqlgen words it: a request it cannot run at all (no operation of that
    name, variables of a field returnkit does not list) is a validation failure."""
    return {**error, "extensions": {"code": VALIDATION_FAILED}} if request_error else dict(error)


HANDLERS: Mapping[str, Handler] = {"graphqlQuery": query}
