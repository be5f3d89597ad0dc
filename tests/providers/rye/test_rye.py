"""Rye through HTTP: real GraphQL, returnOrder's in-band errors, orders and returns advancing on the clock."""

from __future__ import annotations

import io
from datetime import datetime
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from tests.conftest import world_of
from tests.http import CheckedClient, TestClient

LUMEN = {"Authorization": "Basic rye_test_lumen_2d7f91ac", "Rye-Shopper-IP": "203.0.113.7"}
COBALT = {"Authorization": "Bearer rye_test_cobalt_8e14b6f0"}
RETURN_ORDER = """
mutation Return($input: ReturnOrderInput!) {
  returnOrder(input: $input) {
    result {
      __typename
      ... on ReturnAmazonOrderResult { orders { returnId amazonOrderId lineItems { productId quantity status } } }
      ... on ReturnShopifyOrderResult { orderId returnId status lineItems { variantId quantity status currencyCode } }
    }
    error { code message }
  }
}
"""
ORDER = """
query Order($id: ID!) {
  order: orderByID(id: $id) {
    id status
    returns { id shippingLabelUrl marketplaceOrderId lineItems { ...ReturnLine } }
    events { __typename }
  }
}
fragment ReturnLine on ReturnLineItem {
  ... on AmazonReturnLineItem { productId status }
  ... on ShopifyReturnLineItem { variantId status }
}
"""


@pytest.fixture
def rye(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "rye", LUMEN)


def graphql(rye: CheckedClient, query: str, **variables: Any) -> dict[str, Any]:
    response = rye.post("/v1/query", json={"query": query, "variables": variables})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def an_order(http: TestClient, marketplace: str, delivered: bool = True, developer: int = 0) -> dict[str, Any]:
    orders = world_of(http, "rye")["developers"][developer]["orders"]
    found: dict[str, Any] = next(o for o in orders if o["marketplace"] == marketplace and o["delivered"] == delivered)
    return found


def key(order: dict[str, Any], line: dict[str, Any]) -> str:
    return str(line["productId"] if order["marketplace"] == "AMAZON" else line["variantId"])


def return_all(rye: CheckedClient, order: dict[str, Any], quantity: int = 1) -> dict[str, Any]:
    lines = [{"id": key(order, line), "quantity": quantity} for line in order["lines"]]
    answer: dict[str, Any] = graphql(rye, RETURN_ORDER, input={"orderId": order["id"], "lineItems": lines})["data"][
        "returnOrder"
    ]
    return answer


def advance(http: TestClient, seconds: float) -> None:
    assert http.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def test_an_amazon_return_has_one_entry_per_amazon_order(http: TestClient, rye: CheckedClient) -> None:
    order = an_order(http, "AMAZON")
    answer = return_all(rye, order)
    assert answer["error"] is None
    result = answer["result"]
    assert result["__typename"] == "ReturnAmazonOrderResult"
    assert [o["amazonOrderId"] for o in result["orders"]] == order["marketplaceOrderIds"]
    assert [len(o["lineItems"]) for o in result["orders"]] == [2, 1]
    assert {line["status"] for o in result["orders"] for line in o["lineItems"]} == {"RETURN_REQUESTED"}


def test_a_shopify_return_is_a_shopify_result(http: TestClient, rye: CheckedClient) -> None:
    order = an_order(http, "SHOPIFY")
    result = return_all(rye, order)["result"]
    assert (result["__typename"], result["orderId"], result["status"]) == (
        "ReturnShopifyOrderResult",
        order["id"],
        "RETURN_REQUESTED",
    )
    assert [line["variantId"] for line in result["lineItems"]] == [line["variantId"] for line in order["lines"]]


@pytest.mark.parametrize(
    ("case", "code"),
    [
        ("unknown order", "ORDER_NOT_FOUND"),
        ("another developer's order", "ORDER_NOT_FOUND"),
        ("unknown line", "LINE_ITEM_NOT_IN_ORDER"),
        ("too many", "INVALID_QUANTITY"),
        ("in transit", "ORDER_SHIPPING_IN_PROGRESS"),
        ("again", "RETURN_IN_PROGRESS"),
    ],
)
def test_business_failures_come_back_in_data_with_their_codes(
    http: TestClient, rye: CheckedClient, case: str, code: str
) -> None:
    order = an_order(
        http, "AMAZON", delivered=case != "in transit", developer=1 if case == "another developer's order" else 0
    )
    line = order["lines"][0]
    item = {"id": key(order, line), "quantity": line["quantity"] + 1 if case == "too many" else 1}
    if case == "unknown line":
        item["id"] = "B000000000"
    if case == "again":
        return_all(rye, order)
    order_id = "00000000-0000-4000-8000-000000000000" if case == "unknown order" else order["id"]
    answer = graphql(rye, RETURN_ORDER, input={"orderId": order_id, "lineItems": [item]})["data"]["returnOrder"]
    assert (answer["result"], answer["error"]["code"]) == (None, code)
    assert answer["error"]["message"]


def test_order_by_id_shows_the_returns_advancing_on_the_clock(http: TestClient, rye: CheckedClient) -> None:
    order = an_order(http, "AMAZON")
    return_all(rye, order)
    states = []
    elapsed = 0
    for target in (0, 60, 3600, 7 * 24 * 3600):  # the delays in mocks/rye.yaml
        advance(http, target - elapsed)
        elapsed = target
        shown = graphql(rye, ORDER, id=order["id"])["data"]["order"]
        states.append(
            (
                shown["status"],
                shown["returns"][0]["lineItems"][0]["status"],
                shown["returns"][0]["shippingLabelUrl"] is not None,
            )
        )
    assert states == [
        ("RETURN_REQUESTED", "RETURN_REQUESTED", False),
        ("RETURN_REQUEST_ACCEPTED", "RETURN_REQUEST_ACCEPTED", False),
        ("RETURN_APPROVED", "RETURN_APPROVED", True),
        ("RETURN_CLOSED", "RETURN_CLOSED", True),
    ]
    shown = graphql(rye, ORDER, id=order["id"])["data"]["order"]
    assert [r["marketplaceOrderId"] for r in shown["returns"]] == order["marketplaceOrderIds"]
    assert "ReturnClosedOrderEvent" in [e["__typename"] for e in shown["events"]]


def test_return_by_id_reads_one_return_back(http: TestClient, rye: CheckedClient) -> None:
    order = an_order(http, "AMAZON")
    first = return_all(rye, order)["result"]["orders"][0]
    query = """query R($input: ReturnByIdInput!) {
      returnByID(input: $input) { __typename ... on ReturnAmazon { returnId amazonOrderId } }
    }"""
    found = graphql(rye, query, input={"orderId": order["id"], "returnId": first["returnId"]})["data"]["returnByID"]
    assert found == {
        "__typename": "ReturnAmazon",
        "returnId": first["returnId"],
        "amazonOrderId": first["amazonOrderId"],
    }
    other = CheckedClient(rye.raw, "rye", COBALT)
    assert (
        graphql(other, query, input={"orderId": order["id"], "returnId": first["returnId"]})["data"]["returnByID"]
        is None
    )


def test_graphql_errors_introspection_and_the_deprecation(rye: CheckedClient) -> None:
    unknown = graphql(rye, "{ nope }")
    assert unknown["data"] is None
    assert "nope" in unknown["errors"][0]["message"]
    bad_variables = graphql(rye, RETURN_ORDER, input={"orderId": "x"})
    assert bad_variables["errors"]
    deprecation = (
        '{ __type(name: "Mutation") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }'
    )
    fields = {f["name"]: f for f in graphql(rye, deprecation)["data"]["__type"]["fields"]}
    assert fields["returnOrder"]["isDeprecated"] is True
    assert "Amazon Business" in fields["returnOrder"]["deprecationReason"]


def test_missing_or_unknown_keys_get_ryes_unauthenticated_answer(rye: CheckedClient) -> None:
    for headers in ({}, {"Authorization": "Basic nope"}):
        response = rye.as_(headers).post("/v1/query", json={"query": "{ __typename }"})
        assert response.status_code == 401
        assert response.json()["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    assert CheckedClient(rye.raw, "rye", COBALT).post("/v1/query", json={"query": "{ __typename }"}).status_code == 200


@pytest.mark.parametrize("query", ["{ nope }", "{ orderByID(id: 1) { id", "query { orderByID { id } }"])
def test_a_document_that_breaks_the_sdl_gets_the_same_errors_as_validate_payload(
    rye: CheckedClient, query: str
) -> None:
    out, err = io.StringIO(), io.StringIO()
    payload = orjson.dumps({"query": query})
    validate_payload(["rye", "orderByID", "--format", "provider"], stdin=io.BytesIO(payload), stdout=out, stderr=err)
    response = rye.post("/v1/query", content=payload, headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()) == (200, orjson.loads(out.getvalue()))


@pytest.mark.parametrize("body", [b"{", b"[]", b'{"variables": {}}', b'{"query": 7}'])
def test_a_body_that_is_not_a_graphql_request_is_400_graphql_response_without_data(
    rye: CheckedClient, body: bytes
) -> None:
    out, err = io.StringIO(), io.StringIO()
    validate_payload(["rye", "query", "--format", "provider"], stdin=io.BytesIO(body), stdout=out, stderr=err)
    response = rye.post("/v1/query", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.headers["content-type"].startswith("application/graphql-response+json")
    assert "data" not in response.json()
    assert response.json()["errors"]
    assert response.json() == orjson.loads(out.getvalue())
    assert "HTTP 400 (application/graphql-response+json)" in err.getvalue()


def test_rye_sends_its_rate_limit_headers_and_answers_429_beyond_100_a_second(
    http: TestClient, rye: CheckedClient
) -> None:
    limit = 100  # Default tier (docs.rye.com/api-reference/ratelimits); returnOrder is in no other tier
    query = {"query": "{ __typename }"}
    now = datetime.fromisoformat(http.get("/__admin/clock").json()["now"]).timestamp()
    for used in range(1, limit + 1):
        response = rye.post("/v1/query", json=query)
        assert response.status_code == 200
        headers = response.headers
        assert (headers["Ratelimit-Limit"], headers["Ratelimit-Remaining"]) == (str(limit), str(limit - used))
        assert headers["Ratelimit-Tier"] == "Default"
        assert headers["Ratelimit-Reset"] == str(int(now) + 1)  # the Unix second this window ends
    refused = rye.post("/v1/query", json=query)
    assert refused.status_code == 429
    assert refused.json() == {
        "errors": [{"message": "Rate limit exceeded for tier Default.", "extensions": {"code": "RATE_LIMITED"}}],
        "data": None,
    }
    assert refused.headers["Retry-After"] == "1"
    assert refused.headers["Ratelimit-Remaining"] == "0"
    assert CheckedClient(rye.raw, "rye", COBALT).post("/v1/query", json=query).status_code == 200  # per key
    advance(http, 1)
    again = rye.post("/v1/query", json=query)
    assert again.status_code == 200
    assert int(again.headers["Ratelimit-Reset"]) == int(refused.headers["Ratelimit-Reset"]) + 1


def test_a_line_listed_twice_is_asked_for_twice(http: TestClient, rye: CheckedClient) -> None:
    order = an_order(http, "AMAZON")
    line = order["lines"][0]
    twice = [{"id": key(order, line), "quantity": line["quantity"]}] * 2  # each alone fits; together they do not
    answer = graphql(rye, RETURN_ORDER, input={"orderId": order["id"], "lineItems": twice})["data"]["returnOrder"]
    assert (answer["result"], answer["error"]["code"]) == (None, "INVALID_QUANTITY")
    once = [{"id": key(order, line), "quantity": line["quantity"]}]
    accepted = graphql(rye, RETURN_ORDER, input={"orderId": order["id"], "lineItems": once})["data"]["returnOrder"]
    assert accepted["error"] is None
