"""Kibo Commerce's Returns API Overview (source 003), fact by fact, through validate-payload and the mock.

Each documented request body (Authorize, CreditPayment, a new StoreCredit or Check, the
replacement order with and without its body, Close, bulk Close) is validated by
`validate-payload` and sent to the mock, which answers as the overview says. Ids the overview
elides ("00000") are the world's. Each test names the facts of specs/facts/kibo-commerce.md it holds.
"""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from tests.conftest import world_of
from tests.http import CheckedClient, TestClient

RETURNS = "/api/commerce/returns"
OAUTH = "/api/platform/applications/authtickets/oauth"
NORTHWIND = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}


@pytest.fixture
def kibo(http: TestClient) -> CheckedClient:
    token = http.post(OAUTH, json=NORTHWIND).json()["access_token"]
    return CheckedClient(http, "kibo-commerce", {"Authorization": f"Bearer {token}"})


def valid_for_validate_payload(operation: str, body: Any) -> bool:
    out, err = io.StringIO(), io.StringIO()
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    status = validate_payload(["kibo-commerce", operation], stdin=io.BytesIO(data), stdout=out, stderr=err)
    return status == 0


def fulfilled_orders(http: TestClient) -> list[dict[str, Any]]:
    orders = next(t for t in world_of(http, "kibo-commerce")["tenants"] if t["id"] == 40001)["orders"]
    return [o for o in orders if o["fulfillmentStatus"] == "Fulfilled"]


def create(http: TestClient, kibo: CheckedClient, index: int = 0, return_type: str = "Refund") -> dict[str, Any]:
    """Fact K-CR-1: CreateReturn, the return starts Created."""
    order = fulfilled_orders(http)[index]
    line = order["items"][0]
    body = {
        "originalOrderId": order["id"],
        "returnType": return_type,
        "items": [{"orderItemId": line["id"], "reasons": [{"reason": "Damaged", "quantity": 1}], "quantityShipped": 1}],
    }
    assert valid_for_validate_payload("createReturn", body)
    response = kibo.post(RETURNS, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    assert created["status"] == "Created"
    return created


def perform(kibo: CheckedClient, body: dict[str, Any]) -> Any:
    assert valid_for_validate_payload("performReturnActions", body)
    return kibo.post(f"{RETURNS}/actions", json=body)


def status_of(kibo: CheckedClient, return_id: str) -> str:
    """Fact K-GET-1: GetReturn retrieves the return."""
    status: str = kibo.get(f"{RETURNS}/{return_id}").json()["status"]
    return status


def test_the_documented_authorize_body_authorizes_and_answers_a_breakdown(
    http: TestClient, kibo: CheckedClient
) -> None:
    """Facts K-AU-1..4, K-KEY-1: the documented body (with `returnIDs`) authorizes; the answer holds the return."""
    created = create(http, kibo)
    response = perform(kibo, {"actionName": "Authorize", "returnIDs": [created["id"]]})
    assert response.status_code == 200
    assert [(r["id"], r["status"]) for r in response.json()["items"]] == [(created["id"], "Authorized")]
    assert status_of(kibo, created["id"]) == "Authorized"


def authorized(http: TestClient, kibo: CheckedClient, index: int = 0, return_type: str = "Refund") -> dict[str, Any]:
    created = create(http, kibo, index, return_type)
    assert perform(kibo, {"actionName": "Authorize", "returnIds": [created["id"]]}).status_code == 200
    return created


def credit_existing_payment(kibo: CheckedClient, return_id: str) -> dict[str, Any]:
    """Facts K-RF-1..4: GetPayments lists the parent order's payments; CreditPayment on one by id."""
    payments = kibo.get(f"{RETURNS}/{return_id}/payments").json()["items"]
    assert payments
    assert all(p["id"] for p in payments)
    body = {"actionName": "CreditPayment", "amount": 10.0}
    assert valid_for_validate_payload("performPaymentActionForReturn", body)
    response = kibo.post(f"{RETURNS}/{return_id}/payments/{payments[0]['id']}/actions", json=body)
    assert response.status_code == 200, response.text
    refunded: dict[str, Any] = response.json()
    return refunded


def test_the_documented_credit_payment_refunds_an_existing_payment(http: TestClient, kibo: CheckedClient) -> None:
    """Facts K-RF-1..4, K-RF-7: the answer is the return, with the credit among its payment interactions."""
    created = authorized(http, kibo)
    refunded = credit_existing_payment(kibo, created["id"])
    assert refunded["id"] == created["id"]
    assert refunded["refundAmount"] == 10.0
    interactions = [i for p in refunded["payments"] for i in p["interactions"]]
    assert any(i["interactionType"] == "Credit" and i["amount"] == 10.0 for i in interactions)


@pytest.mark.parametrize("payment_type", ["StoreCredit", "Check"])
def test_the_documented_new_store_credit_or_check_is_issued(
    http: TestClient, kibo: CheckedClient, payment_type: str
) -> None:
    """Facts K-RF-5..7: CreatePaymentActionForReturn with newBillingInfo.paymentType StoreCredit or Check."""
    created = authorized(http, kibo)
    body = {"actionName": "CreditPayment", "amount": 10.0, "newBillingInfo": {"paymentType": payment_type}}
    assert valid_for_validate_payload("createPaymentActionForReturn", body)
    response = kibo.post(f"{RETURNS}/{created['id']}/payments/actions", json=body)
    assert response.status_code == 200, response.text
    issued = [p for p in response.json()["payments"] if p["paymentType"] == payment_type]
    assert len(issued) == 1
    assert issued[0]["interactions"]


def test_received_and_restockable_quantities_are_updated_then_restocked(http: TestClient, kibo: CheckedClient) -> None:
    """Facts K-RS-1..3: returnItem.quantityReceived / quantityRestockable, then RestockReturnItems."""
    created = authorized(http, kibo)
    item = created["items"][0]
    update = {"items": [{"id": item["id"], "quantityReceived": 1, "quantityRestockable": 1}]}
    assert valid_for_validate_payload("updateReturn", update)
    updated = kibo.request("PUT", f"{RETURNS}/{created['id']}", json=update).json()
    assert (updated["items"][0]["quantityReceived"], updated["items"][0]["quantityRestockable"]) == (1, 1)
    restock = [{"returnItemId": item["id"], "quantity": 1}]
    assert valid_for_validate_payload("restockReturnItems", restock)
    restocked = kibo.post(f"{RETURNS}/{created['id']}/restock", json=restock)
    assert restocked.status_code == 200
    assert restocked.json()["items"][0]["quantityRestocked"] == 1


@pytest.mark.parametrize("body", [b"", b"[]"])
def test_a_replacement_order_without_a_body_replaces_every_remaining_item(
    http: TestClient, kibo: CheckedClient, body: bytes
) -> None:
    """Facts K-RP-1..3, K-RP-5: the body is optional; empty, all remaining items; the child order comes back."""
    created = authorized(http, kibo, return_type="Replace")
    assert valid_for_validate_payload("createReturnShippingOrder", body)
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", content=body, headers={"Content-Type": "application/json"})
    assert child.status_code == 200, child.text
    assert child.json()["parentReturnId"] == created["id"]
    assert [line["quantity"] for line in child.json()["items"]] == [1]


def test_a_replacement_order_for_the_specified_items_only(http: TestClient, kibo: CheckedClient) -> None:
    """Fact K-RP-4: a collection of ReturnItemSpecifier {quantity, returnItemId}."""
    created = authorized(http, kibo, return_type="Replace")
    body = [{"quantity": 1, "returnItemId": created["items"][0]["id"]}]
    assert valid_for_validate_payload("createReturnShippingOrder", body)
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", json=body)
    assert child.status_code == 200, child.text
    assert [line["quantity"] for line in child.json()["items"]] == [1]
    too_many = kibo.post(
        f"{RETURNS}/{created['id']}/ship", json=[{"quantity": 2, "returnItemId": created["items"][0]["id"]}]
    )
    assert too_many.status_code == 409  # nothing is left to replace


def test_an_open_replacement_order_keeps_the_parent_return_from_closing(http: TestClient, kibo: CheckedClient) -> None:
    """Facts K-RP-6, K-CL-4: a return cannot close while its child order is open."""
    created = authorized(http, kibo, return_type="Replace")
    kibo.post(f"{RETURNS}/{created['id']}/ship", json=[])
    update = {"items": [{"id": created["items"][0]["id"], "quantityReceived": 1}]}
    kibo.request("PUT", f"{RETURNS}/{created['id']}", json=update)
    refused = perform(kibo, {"actionName": "Close", "returnIds": [created["id"]]})
    assert refused.status_code == 409
    assert status_of(kibo, created["id"]) == "Authorized"


def test_close_needs_authorization_and_a_refund_or_a_returned_item(http: TestClient, kibo: CheckedClient) -> None:
    """Facts K-CL-1..3, K-CL-5..6: the documented Close body; refused before, Closed after."""
    created = create(http, kibo)
    close = {"actionName": "Close", "returnIds": [created["id"]]}
    assert perform(kibo, close).status_code == 409  # not authorized
    perform(kibo, {"actionName": "Authorize", "returnIds": [created["id"]]})
    assert perform(kibo, close).status_code == 409  # nothing refunded or received
    credit_existing_payment(kibo, created["id"])
    closed = perform(kibo, close)
    assert [(r["id"], r["status"]) for r in closed.json()["items"]] == [(created["id"], "Closed")]


def test_returns_close_in_bulk(http: TestClient, kibo: CheckedClient) -> None:
    """Fact K-CL-7: more ids in ReturnIds close several returns; the answer lists them all."""
    ids = []
    for index in range(2):
        created = authorized(http, kibo, index)
        credit_existing_payment(kibo, created["id"])
        ids.append(created["id"])
    closed = perform(kibo, {"ActionName": "Close", "ReturnIds": ids})
    assert closed.status_code == 200
    assert [(r["id"], r["status"]) for r in closed.json()["items"]] == [(i, "Closed") for i in ids]


@pytest.mark.parametrize(("action", "status"), [("Cancel", "Cancelled"), ("Reject", "Rejected")])
def test_an_authorized_return_goes_straight_to_cancelled_or_rejected(
    http: TestClient, kibo: CheckedClient, action: str, status: str
) -> None:
    """Fact K-ST-2: Authorized -> Closed / Cancelled / Rejected directly."""
    created = authorized(http, kibo)
    assert perform(kibo, {"actionName": action, "returnIds": [created["id"]]}).status_code == 200
    assert status_of(kibo, created["id"]) == status


def test_the_deprecated_transitions_are_still_supported(http: TestClient, kibo: CheckedClient) -> None:
    """Fact K-ST-1: Await/Pending, Receive/Received, Refund/Refunded, then Close."""
    created = authorized(http, kibo)
    rid = created["id"]
    assert perform(kibo, {"actionName": "Await", "returnIds": [rid]}).json()["items"][0]["status"] == "Pending"
    kibo.request("PUT", f"{RETURNS}/{rid}", json={"items": [{"id": created["items"][0]["id"], "quantityReceived": 1}]})
    for action, status in (("Receive", "Received"), ("Refund", "Refunded"), ("Close", "Closed")):
        assert perform(kibo, {"actionName": action, "returnIds": [rid]}).json()["items"][0]["status"] == status
