"""One function per ABOUT YOU operation: request -> store changes -> response."""

from __future__ import annotations

import math
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from returnkit.providers.aboutyou import behaviour, subscriptions
from returnkit.providers.aboutyou.records import BATCHES
from returnkit.providers.aboutyou.world import merchant_orders
from returnkit.providers.kit import Handler, ParameterError, Refusal, Request, World, datetime_param, int_param
from returnkit.providers.wire import WireResponse

DEFAULT_DEDUP_SECONDS = 300.0


def submitter(kind: str) -> Handler:
    def submit(request: Request, world: World) -> WireResponse:
        dedup = _dedup_seconds(request, world)
        batch_id = behaviour.submit(world, request.owner, kind, request.payload, dedup, fault=request.business_fault)
        return WireResponse(200, {"batchRequestId": batch_id})

    submit.__name__ = f"submit_{kind}"
    return submit


ORDER_STATUSES = ("open", "shipped", "cancelled", "returned", "mixed")
TYPED_ORDER_FILTERS = ("page", "per_page", "order_status", "orders_from", "orders_to")


def refuse_empty(request: Request, names: tuple[str, ...]) -> None:
    """`?page=` is a value the provider's framework cannot parse, not an absent parameter.

    x-returnkit-inferred: Django Ninja (pydantic) fails to read "" as an integer, date-time, enum
    member or UUID; string filters (order_number, cursor) take "" as a value.
    """
    for name in names:
        if request.param(name) == "":
            raise ParameterError(name, "an empty value is not valid", "")


def results_of(kind: str) -> Handler:
    def results(request: Request, world: World) -> WireResponse:
        refuse_empty(request, ("batch_request_id",))
        batch_id = request.param("batch_request_id")
        if batch_id is None:
            raise ParameterError("batch_request_id", "field required")
        try:
            uuid.UUID(batch_id)
        except ValueError:
            raise ParameterError("batch_request_id", f"{batch_id!r} is not a valid UUID", batch_id) from None
        batch = BATCHES.owned(world, request.owner, batch_id)
        if batch is None or batch["kind"] != kind:
            raise Refusal(404, "not_found", f"Batch request {batch_id} not found")
        return WireResponse(200, {"batchRequestId": batch_id, "status": batch["status"], "items": batch["results"]})

    results.__name__ = f"{kind}_results"
    return results


def list_orders(request: Request, world: World) -> WireResponse:
    refuse_empty(request, TYPED_ORDER_FILTERS)
    status = request.param("order_status")
    if status is not None and status not in ORDER_STATUSES:
        raise ParameterError("order_status", f"Input should be {_one_of(ORDER_STATUSES)}", status)
    page = int_param(request, "page", 1, 1, 1_000_000) or 1
    per_page = int_param(request, "per_page", 20, 1, 100) or 20
    orders = [order for order in merchant_orders(world, request.owner) if _matches(order, request)]
    orders.sort(key=lambda order: order["created_at"], reverse=True)
    start = (page - 1) * per_page
    pagination = {"page": page, "per_page": per_page, "pages": math.ceil(len(orders) / per_page), "total": len(orders)}
    return WireResponse(200, {"items": orders[start : start + per_page], "pagination": pagination})


def _matches(order: Mapping[str, Any], request: Request) -> bool:
    number, status = request.param("order_number"), request.param("order_status")
    since, until = datetime_param(request, "orders_from"), datetime_param(request, "orders_to")
    created = datetime.fromisoformat(order["created_at"])
    return (
        (number is None or order["order_number"] == number)
        and (status is None or order["status"] == status)
        and (since is None or created >= since)
        and (until is None or created < until)
    )


def _one_of(choices: tuple[str, ...]) -> str:
    quoted = [f"'{choice}'" for choice in choices]
    return f"{', '.join(quoted[:-1])} or {quoted[-1]}"


def _dedup_seconds(request: Request, world: World) -> float:
    configured = world.mocks.get("dedup_window_seconds")
    if configured is not None:
        return float(configured)
    spec = request.operation.extensions.get("x-returnkit-dedup", {}) if request.operation else {}
    return float(spec.get("window_seconds", DEFAULT_DEDUP_SECONDS))


HANDLERS: Mapping[str, Handler] = {
    "scapi_app_endpoints_order_api_get_orders": list_orders,
    "scapi_app_endpoints_order_api_ship_order_items": submitter("ship"),
    "scapi_app_endpoints_order_api_cancel_order_items": submitter("cancel"),
    "scapi_app_endpoints_order_api_return_order_items": submitter("return"),
    "scapi_app_endpoints_result_api_get_ship_order_batch_results": results_of("ship"),
    "scapi_app_endpoints_result_api_get_cancel_order_batch_results": results_of("cancel"),
    "scapi_app_endpoints_result_api_get_return_order_batch_results": results_of("return"),
    "scapi_app_endpoints_webhook_api_get_webhook_event_types": subscriptions.list_types,
    "scapi_app_endpoints_webhook_api_subscribe": subscriptions.subscribe,
    "scapi_app_endpoints_webhook_api_get_subscriptions": subscriptions.list_subscriptions,
    "scapi_app_endpoints_webhook_api_unsubscribe": subscriptions.unsubscribe,
}
