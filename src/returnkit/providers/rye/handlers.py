"""Rye's one HTTP operation, `POST /v1/query`: real GraphQL (graphql-core) over the bundled SDL.

The root value answers `returnOrder`, `orderByID` and `returnByID`; every other field resolves
from plain dicts, and unions and interfaces from their `__typename`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLSchema,
    build_schema,
    execute_sync,
    get_operation_ast,
    parse,
    validate,
)

from returnkit.core.world import derive_uuid
from returnkit.errors import UnknownOperation
from returnkit.providers.kit import Handler, Request, World
from returnkit.providers.rye import behaviour
from returnkit.providers.rye.errors import render_validation_error
from returnkit.providers.rye.world import PROVIDER, price
from returnkit.providers.wire import WireResponse
from returnkit.spec import read_bundled
from returnkit.validation import default_catalog


class Root:
    """What the operation's root fields resolve to, for one request."""

    def __init__(self, request: Request, world: World) -> None:
        self.request = request
        self.world = world

    def returnOrder(self, _info: Any, input: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        order = _owned_order(self.world, str(input["orderId"]), self.request.owner)
        if order is None:
            return _error("ORDER_NOT_FOUND", f"Order {input['orderId']} not found")
        wanted: list[Mapping[str, Any]] = [dict(item) for item in input["lineItems"]]
        refused = behaviour.refusal(self.world, order, wanted)
        if refused:
            return _error(*refused)
        records = behaviour.request_returns(self.world, self.request.owner, order, wanted)
        return {"result": _result(self.world, order, records), "error": None}

    def cancelOrder(self, _info: Any, input: Mapping[str, Any]) -> dict[str, Any]:  # noqa: N802
        """Cancellation is outside returnkit's scope; Rye's own code for that is NOT_SUPPORTED."""
        message = "returnkit simulates returns, not cancellations"
        return {"result": None, "error": {"code": "NOT_SUPPORTED", "message": message}}

    def orderByID(self, _info: Any, id: str) -> dict[str, Any] | None:  # noqa: N802
        order = _owned_order(self.world, str(id), self.request.owner)
        return None if order is None else order_view(self.world, order, self.request.base_url)

    def returnByID(self, _info: Any, input: Mapping[str, Any]) -> dict[str, Any] | None:  # noqa: N802
        record = self.world.store.get(PROVIDER, "return", str(input["returnId"]))
        if record is None or record["orderId"] != str(input["orderId"]):
            return None
        if _owned_order(self.world, record["orderId"], self.request.owner) is None:
            return None
        lines = behaviour.return_lines(self.world, record)
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


def _error(code: str, message: str) -> dict[str, Any]:
    return {"result": None, "error": {"code": code, "message": message}}


def _result(world: World, order: Mapping[str, Any], records: list[dict[str, Any]]) -> dict[str, Any]:
    if order["marketplace"] == "AMAZON":
        orders = [
            {
                "returnId": r["id"],
                "amazonOrderId": r["marketplaceOrderId"],
                "lineItems": behaviour.return_lines(world, r),
            }
            for r in records
        ]
        return {"__typename": "ReturnAmazonOrderResult", "orders": orders}
    (record,) = records
    state = behaviour.status(world, record)
    lines = behaviour.return_lines(world, record)
    return {
        "__typename": "ReturnShopifyOrderResult",
        "orderId": order["id"],
        "returnId": record["id"],
        "lineItems": lines,
        "status": state,
    }


def _owned_order(world: World, order_id: str, owner: str) -> dict[str, Any] | None:
    order = world.store.get(PROVIDER, "order", order_id)
    return order if order is not None and order["owner"] == owner else None


def order_view(world: World, order: Mapping[str, Any], base_url: str) -> dict[str, Any]:
    records = world.store.query(PROVIDER, "return", ref=order["id"])
    returns = [behaviour.order_return(world, r, base_url) for r in records]
    states = [behaviour.status(world, r) for r in records]
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


def _events(world: World, order: Mapping[str, Any], records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    events = [
        {
            "__typename": "OrderPlacedOrderEvent",
            "id": derive_uuid(world.seed, PROVIDER, "placed", order["id"]),
            "createdAt": order["createdAt"],
        }
    ]
    for record in records:
        reached = list(EVENT_FOR).index(behaviour.status(world, record))
        for state in list(EVENT_FOR)[: reached + 1]:
            event_id = derive_uuid(world.seed, PROVIDER, "event", record["id"], state)
            events.append({"__typename": EVENT_FOR[state], "id": event_id, "createdAt": record["createdAt"]})
    return events


DOCUMENT_CACHE = 256  # distinct query texts kept parsed; clients send the same few documents


class Executor:
    """graphql-core over the bundled SDL; one schema per kit, built on first use."""

    def __init__(self) -> None:
        self._schema: GraphQLSchema | None = None
        self._documents: dict[str, DocumentNode | list[GraphQLError]] = {}

    @property
    def schema(self) -> GraphQLSchema:
        if self._schema is None:
            self._schema = build_schema(read_bundled("rye.graphql"))
        return self._schema

    def query(self, request: Request, world: World) -> WireResponse:
        payload = request.payload
        document = self.document(payload["query"])
        if isinstance(document, list):
            # errors first, as the GraphQL spec suggests and as validate-payload writes them (one verdict, one body)
            refusals = [_coded(e.formatted, document_error=True) for e in document]
            return WireResponse(200, {"errors": refusals, "data": None})
        if (refused := _variable_refusal(document, payload)) is not None:
            return refused
        result = execute_sync(
            self.schema,
            document,
            root_value=Root(request, world),
            variable_values=payload.get("variables"),
            operation_name=payload.get("operationName"),
        )
        body: dict[str, Any] = {"data": result.data}
        if result.errors:
            body["errors"] = [_coded(error.formatted, document_error=result.data is None) for error in result.errors]
        return WireResponse(200, body)

    def document(self, query: str) -> DocumentNode | list[GraphQLError]:
        """The parsed and validated document, kept for the next request that sends the same text."""
        if query not in self._documents:
            if len(self._documents) >= DOCUMENT_CACHE:
                self._documents.clear()
            self._documents[query] = _checked(self.schema, query)
        return self._documents[query]


def _variable_refusal(document: DocumentNode, payload: Mapping[str, Any]) -> WireResponse | None:
    """Variables the operation cannot take, refused in the words `validate-payload` uses (one verdict)."""
    operation = get_operation_ast(document, payload.get("operationName"))
    if operation is None:
        return None
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode):
            try:
                validator = default_catalog().validator(PROVIDER, selection.name.value)
            except UnknownOperation:
                continue  # introspection and fields returnkit does not list as operations
            verdict = validator.validate(payload)
            return None if verdict.valid else render_validation_error(verdict)
    return None


def _checked(schema: GraphQLSchema, query: str) -> DocumentNode | list[GraphQLError]:
    try:
        document = parse(query)
    except GraphQLError as error:
        return [error]
    errors = validate(schema, document)
    return list(errors) if errors else document


def _coded(error: Mapping[str, Any], *, document_error: bool) -> dict[str, Any]:
    """The error as `validate-payload rye ... --format provider` words it (same codes, gqlgen's)."""
    if not document_error:
        return dict(error)
    code = "GRAPHQL_PARSE_FAILED" if str(error["message"]).startswith("Syntax Error") else "GRAPHQL_VALIDATION_FAILED"
    return {**error, "extensions": {"code": code}}


def handlers(executor: Executor) -> Mapping[str, Handler]:
    return {"graphqlQuery": executor.query}
