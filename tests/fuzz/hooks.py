"""Schemathesis hooks (loaded by `schemathesis run` through schemathesis.toml): the seeded world.

Generated ids never name a real order, so without help every create would answer 404 and the
stateful phase would have nothing to chain. Each positive create case gets the ids of a real order
from `GET /__admin/world` of the server under test (RETURNKIT_FUZZ_URL), in turn; negative cases
are left alone, so what schemathesis meant to break stays broken. Bodies are replaced, never
changed in place: the coverage phase shares one body between several cases.
"""

from __future__ import annotations

import itertools
import json
import os
from collections.abc import Callable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from schemathesis import Case, CheckContext, GenerationMode, HookContext, Response
from schemathesis.core.failures import Failure
from schemathesis.specs.graphql.schemas import GraphQLSchema

Order = dict[str, Any]
Request = tuple[dict[str, Any], dict[str, Any]]  # body, query
Filler = Callable[[Request, Order], Request]
AnyCase = Case[Any]


@cache
def world() -> dict[str, Any]:
    response = httpx.get(f"{os.environ['RETURNKIT_FUZZ_URL']}/__admin/world", timeout=10)
    response.raise_for_status()
    providers: dict[str, Any] = response.json()["providers"]
    return providers


def first_owner_orders(provider: str, owners: str) -> list[Order]:
    orders: list[Order] = world()[provider][owners][0]["orders"]  # the owner whose credentials the run uses
    return orders


@cache
def turns(label: str) -> Iterator[Order]:
    """Orders a create operation may use, in a fixed cycle (so that a run is repeatable)."""
    return itertools.cycle(ELIGIBLE[label]())


def aboutyou_items(status: str) -> Callable[[], list[Order]]:
    def items() -> list[Order]:
        orders = first_owner_orders("aboutyou", "merchants")
        return [item for order in orders for item in order["order_items"] if item["status"] == status]

    return items


def zinc_orders() -> list[Order]:
    return [o for o in first_owner_orders("zinc", "accounts") if o["status"] == "order_placed"]


def kibo_orders() -> list[Order]:
    return [o for o in first_owner_orders("kibo-commerce", "tenants") if o["fulfillmentStatus"] == "Fulfilled"]


def oms_orders() -> list[Order]:
    return first_owner_orders("kibo-oms", "manufacturers")


def fill_aboutyou(request: Request, item: Order) -> Request:
    body, query = request
    return {**body, "items": [{**parcel, "order_items": [item["id"]]} for parcel in body["items"]]}, query


def fill_zinc(request: Request, order: Order) -> Request:
    body, query = request
    line = {"order_item_id": order["items"][0]["id"], "quantity": 1}
    return {**body, "order_id": order["id"], "items": [line]}, query


def fill_kibo(request: Request, order: Order) -> Request:
    body, query = request
    line = order["items"][0]
    returned = {"orderItemId": line["id"], "reasons": [{"reason": "Damaged", "quantity": 1}], "quantityShipped": 1}
    return {**body, "originalOrderId": order["id"], "returnType": "Refund", "items": [returned]}, query


def fill_oms(request: Request, order: Order) -> Request:
    body, query = request
    line = {"orderItemID": order["items"][0]["orderItemID"], "quantity": 1, "reason": "DAMAGED"}
    kept = {key: value for key, value in body.items() if key not in ("orderID", "shipmentID")}
    return {**kept, "item": [line]}, {**query, "orderID": order["orderID"], "shipmentID": order["shipmentID"]}


ELIGIBLE: dict[str, Callable[[], list[Order]]] = {
    "POST /api/v1/orders/return": aboutyou_items("shipped"),
    "POST /api/v1/orders/ship": aboutyou_items("open"),
    "POST /api/v1/orders/cancel": aboutyou_items("open"),
    "POST /returns": zinc_orders,
    "POST /api/commerce/returns": kibo_orders,
    "POST /api/v2/return/": oms_orders,
}
FILL: dict[str, Filler] = {
    "POST /api/v1/orders/return": fill_aboutyou,
    "POST /api/v1/orders/ship": fill_aboutyou,
    "POST /api/v1/orders/cancel": fill_aboutyou,
    "POST /returns": fill_zinc,
    "POST /api/commerce/returns": fill_kibo,
    "POST /api/v2/return/": fill_oms,
}


def wholly_positive(case: AnyCase) -> bool:
    meta = case.meta
    if meta is None:
        return False
    return meta.generation.mode == GenerationMode.POSITIVE and all(
        info.mode == GenerationMode.POSITIVE for info in meta.components.values()
    )


@schemathesis.hook
def map_case(context: HookContext, case: AnyCase) -> AnyCase:
    label = case.operation.label
    if label in FILL and isinstance(case.body, dict) and wholly_positive(case):
        case.body, case.query = FILL[label]((case.body, dict(case.query or {})), next(turns(label)))
    return case


@schemathesis.check
def graphql_answer_is_well_formed(ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Rye's endpoint answers every generated GraphQL document with a GraphQL body and never a resolver failure."""
    if not isinstance(case.operation.schema, GraphQLSchema):
        return None
    if response.status_code != 200:  # GraphQL-over-HTTP under application/json
        raise AssertionError(f"GraphQL request answered {response.status_code}, not 200")
    body = response.json()
    if not isinstance(body, dict) or "data" not in body or not set(body) <= {"data", "errors"}:
        raise AssertionError(f"not a GraphQL response body: {body!r}")
    for error in body.get("errors") or []:  # only documents that break the SDL, never a resolver failure
        if "Cannot return null" in error["message"] or "locations" not in error:
            raise AssertionError(f"a resolver failed instead of a document error: {error!r}")
    return True


# Failures that are not returnkit's: each entry is (failure code, what identifies it, why it is not a bug).
NOT_A_BUG: tuple[tuple[str, Callable[[Failure, AnyCase, Response], bool], str], ...] = (
    (
        "ST201",
        lambda failure, _case, _response: "in header - object with unexpected properties" in failure.message,
        "RFC 9110 section 5.1: a recipient ignores header fields it does not recognise",
    ),
    (
        "ST201",
        lambda failure, _case, _response: "query: violates `additionalProperties`" in failure.message,
        "the providers' frameworks (FastAPI, ASP.NET, Java) ignore query parameters they do not declare",
    ),
    (
        "ST202",
        lambda _failure, _case, response: '"" is not a "date-time"' in str(answer(response).get("message")),
        "schemathesis sends '' for format: date-time; returnkit asserts formats, as Kibo's servers do",
    ),
    (
        "ST202",
        lambda _failure, _case, response: (
            response.status_code == 400 and answer(response).get("code") in (5012, 5013, 5015)
        ),
        "Kibo OMS refuses business rules (ids that disagree, item not on the return, nothing left) with 400 5012/5013/"
        "5015 (its status codes)",
    ),
    (
        "ST202",
        lambda _failure, _case, response: str(answer(response).get("message")).startswith(
            ("Invalid parameter filter:", "Invalid parameter sortBy:")
        ),
        "Kibo's filter and sortBy have a grammar (field operator value, known fields) its spec states in prose;"
        " schemathesis sends any string",
    ),
    (
        "ST201",
        lambda _failure, case, _response: (
            case.operation.path.startswith("/api/commerce") and "" in (case.query or {}).values()
        ),
        "Kibo's ASP.NET binds an empty query value to null for its int? parameters: not given (inferred in the spec)",
    ),
    (
        "ST112",
        lambda _failure, case, _response: case.operation.path in ("/__admin/world", "/__admin/world/orders"),
        "adding tens of thousands of orders, and listing them all, takes longer than 10 s by design (known: the"
        " world listing is not paged yet)",
    ),
    (
        "ST205",
        lambda _failure, case, _response: (
            case.operation.path.startswith("/api/commerce/returns/{") and "/items/{" in case.operation.path
        ),
        "Kibo's spec has two path items of one shape (DELETE .../{orderId}/items/{orderItemId}, GET .../{returnId}/"
        "items/{returnItemId}, as Kibo's own OpenAPI has them): one resource, one Allow for both",
    ),
    (
        "ST204",
        lambda _failure, case, _response: case.path == "/api/v1/webhooks/types" and case.method.upper() == "DELETE",
        "ABOUT YOU's literal /api/v1/webhooks/types sits beside DELETE /api/v1/webhooks/{subscription_id}: the"
        " template matches DELETE .../types, as in any router, and 'types' is not an id (400)",
    ),
    (
        "ST202",
        lambda _failure, _case, response: any(
            words in response.text for words in ("a webhook target is an http", "returnkit sends webhooks to loopback")
        ),
        "a webhook URL must be http(s) and on loopback unless --webhook-allow allows its host: the mock's own safety"
        " rule (issue 14), not the provider's schema",
    ),
    (
        "ST202",
        lambda _failure, case, response: case.path == "/__admin/faults" and "webhook" in response.text,
        "which fault kinds apply depends on the operation (webhook: or not) and on whether the provider signs;"
        " the 400 says why in words a JSON Schema if/then could not give",
    ),
    (
        "ST202",
        lambda _failure, case, response: case.path == "/__admin/webhooks" and response.status_code == 400,
        "which events, owners, applications and secrets a subscription may name depends on its provider (its spec's"
        " webhooks, its seeded world); the 400 says which, the admin spec cannot list them per provider",
    ),
)


def answer(response: Response) -> dict[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


@schemathesis.hook
def filter_failure(context: HookContext, failure: Failure, case: AnyCase, response: Response) -> bool:
    return not any(failure.code == code and matches(failure, case, response) for code, matches, _ in NOT_A_BUG)


# What the links did, counted from the responses themselves (the server's journal keeps only the last 10 000
# exchanges, fewer than a long run sends): creates answered 2xx, and later 2xx requests that named a created id.
CREATED_ID = {
    "POST /api/v1/orders/return": "batchRequestId",
    "POST /returns": "id",
    "POST /api/commerce/returns": "id",
    "POST /api/v2/return/": "returnID",
}
created_ids: set[str] = set()
tally = {"created": 0, "used": 0}


def names_any(case: AnyCase, ids: set[str]) -> bool:
    sent = f"{case.path_parameters} {case.query} {case.body!r}"
    return any(new_id in sent for new_id in ids)


RYE_CALLS_PER_VIRTUAL_SECOND = 50  # under Rye's 100 a second per key: the frozen clock moves 1 s per 50 calls
rye_calls = [0]


def keep_rye_within_its_rate_limit(case: AnyCase) -> None:
    """Rye's budget is per virtual second and the server's clock is frozen: move it on, as time would."""
    label = case.operation.label
    if not (label.startswith(("Query.", "Mutation.")) or label.endswith("/v1/query")):
        return
    rye_calls[0] += 1
    if rye_calls[0] % RYE_CALLS_PER_VIRTUAL_SECOND == 0:
        httpx.post(f"{os.environ['RETURNKIT_FUZZ_URL']}/__admin/clock/advance", json={"seconds": 1}, timeout=10)


@schemathesis.hook
def after_call(context: HookContext, case: AnyCase, response: Response) -> None:
    keep_rye_within_its_rate_limit(case)
    ledger = os.environ.get("RETURNKIT_FUZZ_LEDGER")
    if ledger is None or not 200 <= response.status_code < 300:
        return
    label = case.operation.label
    if label in CREATED_ID and answer(response).get(CREATED_ID[label]) is not None:
        created_ids.add(str(answer(response)[CREATED_ID[label]]))
        tally["created"] += 1
    elif names_any(case, created_ids):
        tally["used"] += 1
    Path(ledger).write_text(json.dumps(tally))
