"""One function per Zinc operation: request -> store changes -> response."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from returnkit.core.records import Ordering, RecordFilter
from returnkit.providers.kit import Handler, ParameterError, Refusal, Request, World, datetime_param, int_param
from returnkit.providers.wire import WireResponse
from returnkit.providers.zinc import behaviour, endpoint
from returnkit.providers.zinc.records import ORDERS, RETURNS, Order

MAX_OFFSET = 2**31 - 1  # specs/zinc.yaml, x-returnkit-inferred
NEWEST_FIRST: Ordering = (("sort", True), ("seq", True))  # created_at; equal timestamps: the last filed first


def create_return(request: Request, world: World) -> WireResponse:
    payload = request.payload
    order = _order(world, payload["order_id"], request.owner)
    behaviour.check_returnable(world, order, payload)
    record = behaviour.file_return(world, request.owner, payload, request.business_fault)
    return WireResponse(201, behaviour.shown(world, record, request.base_url))


def list_returns(request: Request, world: World) -> WireResponse:
    limit, offset = _page(request)
    status, search = request.param("status"), request.param("search")
    # a return's ref is its order's id: `search` finds it there
    where = RecordFilter(owner=request.owner, states=(status,) if status else None, ref_contains=search or None)
    page = RETURNS.find(world, where, order=NEWEST_FIRST, offset=offset, limit=limit)
    shown = [behaviour.shown(world, r, request.base_url) for r in page]
    return WireResponse(200, {"return_requests": shown, "total": RETURNS.count_where(world, where)})


def get_return(request: Request, world: World) -> WireResponse:
    return_id = _uuid_path(request, "return_request_id")
    record = RETURNS.owned(world, request.owner, return_id)
    if record is None:
        raise Refusal(404, "not_found", f"Return request {return_id} not found", {"return_request_id": return_id})
    return WireResponse(200, behaviour.shown(world, record, request.base_url))


def list_orders(request: Request, world: World) -> WireResponse:
    limit, offset = _page(request)
    tests = _order_filters(request, world)
    orders = ORDERS.by_owner(world, request.owner)
    orders.sort(key=lambda o: o["created_at"], reverse=True)
    found = [o for o in orders if all(test(o) for test in tests)]
    page = [_public_order(o, world, request.base_url) for o in found[offset : offset + limit]]  # decorate the page only
    return WireResponse(200, {"orders": page, "total": len(found), "limit": limit, "offset": offset})


def get_order(request: Request, world: World) -> WireResponse:
    order_id = _uuid_path(request, "order_id")
    return WireResponse(200, _public_order(_order(world, order_id, request.owner), world, request.base_url))


def _order(world: World, order_id: str, owner: str) -> Order:
    """The owner's order, or Zinc's 404: another account's order does not exist for them."""
    order = ORDERS.owned(world, owner, order_id)
    if order is None:
        raise Refusal(404, "not_found", f"Order {order_id} not found", {"order_id": order_id})
    return order


def _public_order(order: Order, world: World, base_url: str) -> dict[str, Any]:
    public = ORDERS.public(order)
    public["returns"] = behaviour.returns_of_order(world, order["id"], base_url)
    return public


def _order_filters(request: Request, world: World) -> list[Callable[[Mapping[str, Any]], bool]]:
    tests: list[Callable[[Mapping[str, Any]], bool]] = []
    if status := request.param("status_filter"):
        tests.append(lambda o: o["status"] == status)
    if order_id := request.param("order_id"):
        tests.append(lambda o: o["id"] == order_id)
    if search := request.param("search"):
        tests.append(lambda o: search.lower() in o["id"] or any(search in m for m in o["merchant_order_ids"]))
    if (return_status := request.param("return_status")) is not None:  # FastAPI refuses an empty enum value
        tests.append(_return_status_test(return_status, world))
    for name, after in (("created_after", True), ("created_before", False)):
        if (moment := datetime_param(request, name)) is not None:
            tests.append(_created_test(moment, after))
    return tests


def _return_status_test(value: str, world: World) -> Callable[[Mapping[str, Any]], bool]:
    if value not in {"open", "closed"}:
        expected = "'open' or 'closed'"
        message = f"Input should be {expected}"
        raise ParameterError("return_status", message, value, kind="enum", context={"expected": expected})
    wanted = {"open"} if value == "open" else {"approved", "denied", "credited"}
    return lambda o: any(r["status"] in wanted for r in RETURNS.by_ref(world, o["id"]))


def _created_test(moment: datetime, after: bool) -> Callable[[Mapping[str, Any]], bool]:
    def test(order: Mapping[str, Any]) -> bool:
        created = datetime.fromisoformat(order["created_at"])
        return created >= moment if after else created < moment

    return test


def _page(request: Request) -> tuple[int, int]:
    limit = int_param(request, "limit", 50, 1, 500)
    offset = int_param(request, "offset", 0, 0, MAX_OFFSET)
    assert limit is not None
    assert offset is not None
    return limit, offset


def _uuid_path(request: Request, name: str) -> str:
    raw = request.path_params.get(name, "")
    try:
        return str(uuid.UUID(raw))
    except ValueError:
        message = "Input should be a valid UUID, invalid character: expected an optional prefix of `urn:uuid:`"
        raise ParameterError(name, message, raw, location="path", kind="uuid_parsing") from None


HANDLERS: Mapping[str, Handler] = {
    "create_return_request_returns_post": create_return,
    "list_return_requests_returns_get": list_returns,
    "get_return_request_returns__return_request_id__get": get_return,
    "list_orders_orders_get": list_orders,
    "get_order_orders__order_id__get": get_order,
    "get_webhook_endpoint_webhooks_endpoint_get": endpoint.get_endpoint,
    "update_webhook_endpoint_webhooks_endpoint_put": endpoint.put_endpoint,
    "delete_webhook_endpoint_webhooks_endpoint_delete": endpoint.delete_endpoint,
}
