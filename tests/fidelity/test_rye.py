"""Rye's returnOrder page (source 002), fact by fact: the documented request gets the documented answer.

Each test names the facts of specs/facts/rye.md it holds. The page's own example request is
validated by `validate-payload` and sent to the mock; the answers are compared field by field
(return ids are generated, so only their form is compared).
"""

from __future__ import annotations

import io
import uuid
from datetime import datetime
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from tests.http import CheckedClient, TestClient

LUMEN = {"Authorization": "Basic rye_test_lumen_2d7f91ac"}
DOCUMENTED_MUTATION = """mutation ($input: ReturnOrderInput!) {
    returnOrder(input:$input){
        result {
        ...on ReturnAmazonOrderResult { orders { returnId amazonOrderId lineItems {status, productId, quantity} } }
        ...on ReturnShopifyOrderResult { status }
        }
        error {
            message
            code
        }
    }
}"""
DOCUMENTED_ORDER_ID = "3f25547a-9cfc-4b36-b882-3666b693c441"
DOCUMENTED_LINES = [("B0BFX4SC26", 1), ("B0C68W65D3", 1), ("B01AXM4WV2", 1)]
DOCUMENTED_VARIABLES = {
    "input": {"orderId": DOCUMENTED_ORDER_ID, "lineItems": [{"id": p, "quantity": q} for p, q in DOCUMENTED_LINES]}
}
# The documented response, return ids left out (generated): one entry per Amazon order.
DOCUMENTED_ORDERS = [
    ("113-3749157-9026634", [("RETURN_REQUESTED", "B0BFX4SC26", 1), ("RETURN_REQUESTED", "B0C68W65D3", 1)]),
    ("113-0355953-0101026", [("RETURN_REQUESTED", "B01AXM4WV2", 1)]),
]
DOCUMENTED_ERROR = {"message": "Request with product B01AXM4WV2 is already in progress", "code": "RETURN_IN_PROGRESS"}


@pytest.fixture
def rye(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "rye", LUMEN)


def cli(*args: str, payload: Any) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    status = validate_payload(list(args), stdin=io.BytesIO(orjson.dumps(payload)), stdout=out, stderr=err)
    return status, out.getvalue()


def return_order(rye: CheckedClient, variables: dict[str, Any]) -> dict[str, Any]:
    response = rye.post("/v1/query", json={"query": DOCUMENTED_MUTATION, "variables": variables})
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()["data"]["returnOrder"]
    return answer


def test_the_documented_request_is_valid_for_validate_payload_in_both_forms() -> None:
    """Facts R-ARG-1..5, R-EX-1: the example's variables, alone and as a whole GraphQL request."""
    assert cli("rye", "returnOrder", payload=DOCUMENTED_VARIABLES) == (0, "<stdin>: valid\n")
    whole = {"query": DOCUMENTED_MUTATION, "variables": DOCUMENTED_VARIABLES}
    assert cli("rye", "returnOrder", payload=whole) == (0, "<stdin>: valid\n")


def test_the_documented_request_gets_the_documented_response(rye: CheckedClient) -> None:
    """Facts R-RES-1..8, R-EX-2: two Amazon orders, each with its own return id, lines RETURN_REQUESTED."""
    answer = return_order(rye, DOCUMENTED_VARIABLES)
    assert answer["error"] is None
    orders = answer["result"]["orders"]
    shown = [
        (o["amazonOrderId"], [(line["status"], line["productId"], line["quantity"]) for line in o["lineItems"]])
        for o in orders
    ]
    assert shown == DOCUMENTED_ORDERS
    return_ids = [uuid.UUID(o["returnId"]) for o in orders]
    assert len(set(return_ids)) == 2


def test_the_documented_error_comes_back_in_data_for_a_return_in_progress(rye: CheckedClient) -> None:
    """Facts R-ERR-1..3: the in-band error, result null, with the documented message and code."""
    return_order(rye, DOCUMENTED_VARIABLES)
    again = {"input": {"orderId": DOCUMENTED_ORDER_ID, "lineItems": [{"id": "B01AXM4WV2", "quantity": 1}]}}
    assert return_order(rye, again) == {"result": None, "error": DOCUMENTED_ERROR}


@pytest.mark.parametrize(
    ("variables", "why"),
    [
        ({}, "input is required (ReturnOrderInput!)"),
        ({"input": {"lineItems": [{"id": "B0BFX4SC26", "quantity": 1}]}}, "orderId is required"),
        ({"input": {"orderId": DOCUMENTED_ORDER_ID}}, "lineItems is required"),
        ({"input": {"orderId": DOCUMENTED_ORDER_ID, "lineItems": [{"id": "B0BFX4SC26"}]}}, "quantity is required"),
        ({"input": {"orderId": DOCUMENTED_ORDER_ID, "lineItems": [{"id": "B0BFX4SC26", "quantity": "1"}]}}, "Int"),
    ],
)
def test_arguments_the_sdl_requires_are_refused_alike_by_validate_payload_and_the_mock(
    rye: CheckedClient, variables: dict[str, Any], why: str
) -> None:
    """Facts R-ARG-1..5: the SDL's non-null arguments and Int quantity, one verdict everywhere."""
    request = {"query": DOCUMENTED_MUTATION, "variables": variables}
    status, printed = cli("rye", "returnOrder", "--format", "provider", payload=request)
    response = rye.post("/v1/query", json=request)
    assert status == 1, why
    assert (response.status_code, response.json()) == (200, orjson.loads(printed))
    assert response.json()["errors"]
    assert response.json()["data"] is None


def test_return_order_is_deprecated_with_the_documented_reason(rye: CheckedClient) -> None:
    """Fact R-DEP-1: the page's deprecation note (Amazon Business accounts)."""
    query = '{ __type(name: "Mutation") { fields(includeDeprecated: true) { name isDeprecated deprecationReason } } }'
    fields = {f["name"]: f for f in rye.post("/v1/query", json={"query": query}).json()["data"]["__type"]["fields"]}
    assert fields["returnOrder"]["isDeprecated"] is True
    assert "Amazon Business" in fields["returnOrder"]["deprecationReason"]


def test_the_documented_rate_limit_headers_come_with_every_answer(http: TestClient, rye: CheckedClient) -> None:
    """Facts R-RL-1..5 (research 3.4): Default tier, 100 per second, reset as a Unix second."""
    now = datetime.fromisoformat(http.get("/__admin/clock").json()["now"]).timestamp()
    response = rye.post("/v1/query", json={"query": "{ __typename }"})
    expected = {"ratelimit-limit": "100", "ratelimit-remaining": "99", "ratelimit-tier": "Default"}
    assert {name: response.headers[name] for name in expected} == expected
    assert response.headers["ratelimit-reset"] == str(int(now) + 1)


def test_a_shopify_order_answers_the_documented_shopify_selection(http: TestClient, rye: CheckedClient) -> None:
    """Fact R-RES-9: `... on ReturnShopifyOrderResult { status }` is answered with RETURN_REQUESTED."""
    orders = http.get("/__admin/world").json()["providers"]["rye"]["developers"][0]["orders"]
    order = next(o for o in orders if o["marketplace"] == "SHOPIFY" and o["delivered"])
    lines = [{"id": line["variantId"], "quantity": 1} for line in order["lines"]]
    answer = return_order(rye, {"input": {"orderId": order["id"], "lineItems": lines}})
    assert answer == {"result": {"status": "RETURN_REQUESTED"}, "error": None}
