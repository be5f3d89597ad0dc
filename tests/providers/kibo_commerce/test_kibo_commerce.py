"""Kibo Commerce through HTTP: OAuth tokens, the return state machine, refunds, replacements, listing."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.server.app import server_state
from returnkit.spec import load_provider
from tests.conftest import world_of
from tests.http import CheckedClient, TestClient

RETURNS = "/api/commerce/returns"
NORTHWIND = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
HARBOR = {"client_id": "harbor.returnkit.1.0.0.Release", "client_secret": "kibo_secret_harbor_8a1f05"}
OAUTH = "/api/platform/applications/authtickets/oauth"


def bearer(http: TestClient, app: dict[str, str]) -> dict[str, str]:
    response = CheckedClient(http, "kibo-commerce").post(OAUTH, json={**app, "grant_type": "client_credentials"})
    assert response.status_code == 200
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def kibo(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "kibo-commerce", bearer(http, NORTHWIND))


def shipped_order(http: TestClient, tenant: int = 40001, index: int = 0) -> dict[str, Any]:
    tenants = world_of(http, "kibo-commerce")["tenants"]
    orders = next(t for t in tenants if t["id"] == tenant)["orders"]
    found: dict[str, Any] = [o for o in orders if o["fulfillmentStatus"] == "Fulfilled"][index]
    return found


def create(
    kibo: CheckedClient, order: dict[str, Any], return_type: str = "Refund", reason: str = "Damaged"
) -> dict[str, Any]:
    line = order["items"][0]
    body = {
        "originalOrderId": order["id"],
        "returnType": return_type,
        "items": [{"orderItemId": line["id"], "reasons": [{"reason": reason, "quantity": 1}], "quantityShipped": 1}],
    }
    response = kibo.post(RETURNS, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def act(kibo: CheckedClient, action: str, *return_ids: str) -> Any:
    return kibo.post(f"{RETURNS}/actions", json={"actionName": action, "returnIds": list(return_ids)})


def advance(http: TestClient, seconds: float) -> None:
    assert http.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def test_tokens_come_from_the_oauth_endpoint_and_expire_on_the_clock(http: TestClient, kibo: CheckedClient) -> None:
    token = kibo.post(OAUTH, json={**NORTHWIND, "grant_type": "client_credentials"}).json()
    assert (token["token_type"], token["expires_in"]) == ("Bearer", 3600)
    refused = kibo.post(OAUTH, json={**NORTHWIND, "client_secret": "wrong"})
    assert (refused.status_code, refused.json()["errorCode"]) == (401, "UNAUTHORIZED")
    assert kibo.as_({}).get(RETURNS).status_code == 401
    assert kibo.as_({"Authorization": "Bearer nope"}).get(RETURNS).status_code == 401
    fresh = kibo.as_({"Authorization": f"Bearer {token['access_token']}"})
    assert fresh.get(RETURNS).status_code == 200
    advance(http, 3600)
    expired = fresh.get(RETURNS)
    assert expired.status_code == 401
    assert "expired" in expired.json()["message"]


def test_a_new_return_is_created_with_the_actions_its_state_allows(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    assert created["status"] == "Created"
    assert created["availableActions"] == ["Authorize", "Cancel", "Reject"]
    assert kibo.get(f"{RETURNS}/{created['id']}/actions").json() == ["Authorize", "Cancel", "Reject"]
    assert kibo.get(f"{RETURNS}/{created['id']}").json() == created


def test_create_refusals_are_409_with_kibos_error_body(http: TestClient, kibo: CheckedClient) -> None:
    order = shipped_order(http)
    line = order["items"][0]
    bad_reason = {
        "originalOrderId": order["id"],
        "items": [{"orderItemId": line["id"], "reasons": [{"reason": "I don't like it"}]}],
    }
    response = kibo.post(RETURNS, json=bad_reason)
    assert response.status_code == 409
    assert set(response.json()) >= {
        "message",
        "applicationName",
        "errorCode",
        "additionalErrorData",
        "items",
        "exceptionDetail",
    }
    too_many = {
        **bad_reason,
        "items": [
            {"orderItemId": line["id"], "reasons": [{"reason": "Damaged"}], "quantityShipped": line["quantity"] + 1}
        ],
    }
    assert kibo.post(RETURNS, json=too_many).status_code == 409
    unshipped = next(
        o
        for t in world_of(http, "kibo-commerce")["tenants"]
        if t["id"] == 40001
        for o in t["orders"]
        if o["fulfillmentStatus"] != "Fulfilled"
    )
    assert kibo.post(RETURNS, json={**bad_reason, "originalOrderId": unshipped["id"]}).status_code == 409
    foreign = shipped_order(http, tenant=40002)
    assert kibo.post(RETURNS, json={**bad_reason, "originalOrderId": foreign["id"]}).status_code == 404


def test_another_tenants_return_is_404(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    other = kibo.as_(bearer(http, HARBOR))
    assert other.get(f"{RETURNS}/{created['id']}").status_code == 404
    assert act(other, "Authorize", created["id"]).status_code == 404
    assert other.get(RETURNS).json()["totalCount"] == 0


def test_an_illegal_action_is_409_and_changes_nothing(http: TestClient, kibo: CheckedClient) -> None:
    first, second = create(kibo, shipped_order(http, index=0)), create(kibo, shipped_order(http, index=1))
    assert act(kibo, "Authorize", first["id"]).status_code == 200
    refused = act(kibo, "Authorize", second["id"], first["id"])  # the first is already authorized
    assert refused.status_code == 409
    assert "Authorized" in refused.json()["message"]
    assert kibo.get(f"{RETURNS}/{second['id']}").json()["status"] == "Created"


def test_bulk_actions_return_a_collection(http: TestClient, kibo: CheckedClient) -> None:
    ids = [create(kibo, shipped_order(http, index=n))["id"] for n in range(2)]
    done = act(kibo, "Cancel", *ids).json()
    assert (done["totalCount"], [r["status"] for r in done["items"]]) == (2, ["Cancelled", "Cancelled"])
    assert all(r["availableActions"] == [] for r in done["items"])


def test_close_needs_a_refund_or_a_received_item(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    act(kibo, "Authorize", created["id"])
    assert "Close" not in kibo.get(f"{RETURNS}/{created['id']}/actions").json()
    refused = act(kibo, "Close", created["id"])
    assert refused.status_code == 409
    assert "refunded or an item was received" in refused.json()["message"]
    item = created["items"][0]
    update = kibo.request(
        "PUT", f"{RETURNS}/{created['id']}", json={"items": [{"id": item["id"], "quantityReceived": 1}]}
    )
    assert update.status_code == 200
    assert "Close" in update.json()["availableActions"]
    assert act(kibo, "Close", created["id"]).json()["items"][0]["status"] == "Closed"


def test_refunds_credit_a_payment_and_cannot_exceed_what_was_paid(http: TestClient, kibo: CheckedClient) -> None:
    order = shipped_order(http)
    created = create(kibo, order)
    payments = kibo.get(f"{RETURNS}/{created['id']}/payments").json()
    assert payments["totalCount"] == 1
    payment = payments["items"][0]
    path = f"{RETURNS}/{created['id']}/payments/{payment['id']}/actions"
    assert kibo.post(path, json={"actionName": "CreditPayment", "amount": 1.0}).status_code == 409  # not authorized yet
    act(kibo, "Authorize", created["id"])
    refunded = kibo.post(path, json={"actionName": "CreditPayment", "amount": 5.0, "currencyCode": "USD"}).json()
    assert refunded["refundAmount"] == 5.0
    (credited,) = refunded["payments"]
    assert (credited["status"], credited["amountCredited"], credited["interactions"][-1]["interactionType"]) == (
        "Credited",
        5.0,
        "Credit",
    )
    too_much = kibo.post(path, json={"actionName": "CreditPayment", "amount": order["total"]})
    assert too_much.status_code == 409
    store_credit = {"actionName": "CreditPayment", "amount": 2.5, "newBillingInfo": {"paymentType": "StoreCredit"}}
    after = kibo.post(f"{RETURNS}/{created['id']}/payments/actions", json=store_credit).json()
    assert (after["refundAmount"], [p["paymentType"] for p in after["payments"]]) == (
        7.5,
        ["CreditCard", "StoreCredit"],
    )
    assert "Close" in after["availableActions"]


def test_received_and_restockable_quantities_then_restock(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    act(kibo, "Authorize", created["id"])
    item = created["items"][0]
    path = f"{RETURNS}/{created['id']}"
    too_many = kibo.request(
        "PUT", path, json={"items": [{"id": item["id"], "quantityReceived": 0, "quantityRestockable": 1}]}
    )
    assert too_many.status_code == 400
    kibo.request("PUT", path, json={"items": [{"id": item["id"], "quantityReceived": 1, "quantityRestockable": 1}]})
    restocked = kibo.post(
        f"{path}/restock", json=[{"returnItemId": item["id"], "quantity": 1, "locationCode": "WH01"}]
    ).json()
    assert restocked["items"][0]["quantityRestocked"] == 1
    assert kibo.post(f"{path}/restock", json=[{"returnItemId": item["id"], "quantity": 1}]).status_code == 409


def test_a_replacement_order_blocks_close_until_it_is_fulfilled(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", json=[]).json()
    assert (child["parentReturnId"], child["status"]) == (created["id"], "Submitted")
    assert [line["quantity"] for line in child["items"]] == [1]
    current = kibo.get(f"{RETURNS}/{created['id']}").json()
    assert current["returnOrderId"] == child["id"]
    kibo.request(
        "PUT", f"{RETURNS}/{created['id']}", json={"items": [{"id": created["items"][0]["id"], "quantityReceived": 1}]}
    )
    refused = act(kibo, "Close", created["id"])
    assert refused.status_code == 409
    assert child["id"] in refused.json()["message"]
    advance(http, 3600)  # the replacement is fulfilled; the app's token has expired too
    assert act(kibo.as_(bearer(http, NORTHWIND)), "Close", created["id"]).status_code == 200


def test_a_replacement_order_is_fulfilled_by_a_transition_scheduled_in_the_store_for_its_due_time(
    app: Any, http: TestClient, kibo: CheckedClient
) -> None:
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    kibo.request(
        "PUT", f"{RETURNS}/{created['id']}", json={"items": [{"id": created["items"][0]["id"], "quantityReceived": 1}]}
    )
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", json=[]).json()
    store = server_state(app).store
    now = server_state(app).clock.timestamp()
    assert [(e.kind, e.key, e.due) for e in store.due("kibo-commerce", now + 3600, 10)] == [
        ("replacement", child["id"], now + 3600)
    ]
    assert (store.get("kibo-commerce", "replacement", child["id"]) or {})["status"] == "Submitted"
    advance(http, 3599)  # one second early: still open
    assert act(kibo.as_(bearer(http, NORTHWIND)), "Close", created["id"]).status_code == 409
    advance(http, 1)  # the transition ran at the advance, not when the return is next read
    assert (store.get("kibo-commerce", "replacement", child["id"]) or {})["status"] == "Completed"
    assert store.due("kibo-commerce", now + 3600, 10) == []
    assert act(kibo.as_(bearer(http, NORTHWIND)), "Close", created["id"]).status_code == 200


def test_the_private_fields_kept_inside_each_record_are_never_shown(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", json=[]).json()
    shown = [
        created,
        child,
        kibo.get(f"{RETURNS}/{created['id']}").json(),
        *kibo.get(RETURNS).json()["items"],
        *(order for tenant in world_of(http, "kibo-commerce")["tenants"] for order in tenant["orders"]),
    ]
    assert len(shown) > 4
    private = {"owner", "replacementOrderIds", "fulfilledAt"}
    assert [sorted(private & record.keys()) for record in shown if private & record.keys()] == []


def test_the_deprecated_transitions_still_work(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    rid = created["id"]
    for action in ("Authorize", "Await"):
        act(kibo, action, rid)
    assert act(kibo, "Receive", rid).status_code == 409  # quantityReceived not set yet
    kibo.request("PUT", f"{RETURNS}/{rid}", json={"items": [{"id": created["items"][0]["id"], "quantityReceived": 1}]})
    for action, status in (("Receive", "Received"), ("Refund", "Refunded"), ("Close", "Closed")):
        assert act(kibo, action, rid).json()["items"][0]["status"] == status


def test_only_a_cancelled_return_can_be_deleted(http: TestClient, kibo: CheckedClient) -> None:
    created = create(kibo, shipped_order(http))
    assert kibo.request("DELETE", f"{RETURNS}/{created['id']}").status_code == 409
    act(kibo, "Cancel", created["id"])
    assert kibo.request("DELETE", f"{RETURNS}/{created['id']}").status_code == 200
    assert kibo.get(f"{RETURNS}/{created['id']}").status_code == 404


def test_listing_pages_sorts_and_filters(http: TestClient, kibo: CheckedClient) -> None:
    ids = [create(kibo, shipped_order(http, index=n))["id"] for n in range(3)]
    act(kibo, "Authorize", ids[1])
    page = kibo.get(RETURNS, params={"pageSize": 2, "startIndex": 0, "sortBy": "returnNumber desc"}).json()
    assert ([r["id"] for r in page["items"]], page["pageCount"], page["totalCount"]) == ([ids[2], ids[1]], 2, 3)
    authorized = kibo.get(RETURNS, params={"filter": "status eq Authorized"}).json()
    assert [r["id"] for r in authorized["items"]] == [ids[1]]
    assert kibo.get(RETURNS, params={"filter": "returnNumber ge 2 and status ne Authorized"}).json()["totalCount"] == 1
    assert kibo.get(RETURNS, params={"pageSize": 1000}).json()["pageSize"] == 200
    bad = kibo.get(RETURNS, params={"filter": "status like Created"})
    assert (bad.status_code, bad.json()["errorCode"]) == (400, "MISSING_OR_INVALID_PARAMETER")


def declared_bounds(name: str) -> tuple[int, int]:
    parameters = load_provider("kibo-commerce").document["paths"][RETURNS]["get"]["parameters"]
    schema = next(p["schema"] for p in parameters if p.get("name") == name)
    assert schema["format"] == "int32"
    return schema["minimum"], 2**31 - 1


@pytest.mark.parametrize("name", ["startIndex", "pageSize"])
def test_paging_parameters_are_accepted_at_their_declared_bounds_and_refused_beyond(
    kibo: CheckedClient, name: str
) -> None:
    low, high = declared_bounds(name)
    for accepted in (low, high):
        assert kibo.get(RETURNS, params={name: accepted}).status_code == 200
    for refused in (low - 1, high + 1):
        response = kibo.get(RETURNS, params={name: refused})
        assert (response.status_code, response.json()["errorCode"]) == (400, "MISSING_OR_INVALID_PARAMETER")
        assert name in response.json()["message"]


@pytest.mark.parametrize("name", ["startIndex", "pageSize"])
def test_an_empty_paging_parameter_means_not_given_as_aspnet_binds_it(
    http: TestClient, kibo: CheckedClient, name: str
) -> None:
    create(kibo, shipped_order(http))
    page = kibo.get(f"{RETURNS}?{name}=")
    assert page.status_code == 200
    assert (page.json()["startIndex"], page.json()["pageSize"]) == (0, 20)


def test_the_legacy_trailing_slash_and_the_correlation_header(http: TestClient, kibo: CheckedClient) -> None:
    response = kibo.get(
        f"{RETURNS}/", headers={"x-vol-correlation": "abc123", "x-vol-tenant": "40001", "x-vol-site": "50001"}
    )
    assert response.status_code == 200
    assert response.headers["x-vol-correlation"] == "abc123"
    assert kibo.get(RETURNS).headers["x-vol-correlation"]
    assert kibo.get(RETURNS, params={"responseFields": "items(id,status)"}).status_code == 200


def test_notes_items_and_returnable_quantities(http: TestClient, kibo: CheckedClient) -> None:
    order = shipped_order(http)
    line = order["items"][0]
    before = kibo.get(f"/api/commerce/orders/{order['id']}/returnableitems").json()["items"][0]
    assert before["quantityReturnable"] == line["quantity"]
    created = create(kibo, order)
    after = kibo.get(f"/api/commerce/orders/{order['id']}/returnableitems").json()["items"][0]
    assert after["quantityReturnable"] == line["quantity"] - 1
    path = f"{RETURNS}/{created['id']}/notes"
    note = kibo.post(path, json={"text": "Box dented"}).json()
    kibo.request("PUT", f"{path}/{note['id']}", json={"text": "Box dented, item fine"})
    assert [n["text"] for n in kibo.get(path).json()] == ["Box dented, item fine"]
    assert kibo.request("DELETE", f"{path}/{note['id']}").status_code == 200
    assert kibo.get(f"{path}/{note['id']}").status_code == 404
    items = kibo.get(f"{RETURNS}/{created['id']}/items").json()
    assert items["totalCount"] == 1
    assert kibo.get(f"{RETURNS}/{created['id']}/items/{items['items'][0]['id']}").json() == items["items"][0]
    payment = order["payments"][0]["id"]
    assert kibo.get(f"{RETURNS}/{created['id']}/payments/{payment}/actions").json() == []  # not authorized yet
    act(kibo, "Authorize", created["id"])
    assert kibo.get(f"{RETURNS}/{created['id']}/payments/{payment}/actions").json() == ["CreditPayment"]


def reach(http: TestClient, kibo: CheckedClient, status: str) -> tuple[CheckedClient, dict[str, Any]]:
    """A return in `status`, reached through the API (a Replace return, so every branch is open)."""
    created = create(kibo, shipped_order(http), return_type="Replace")
    rid, item = created["id"], created["items"][0]["id"]
    steps = {
        "Created": [],
        "Authorized": ["Authorize"],
        "Pending": ["Authorize", "Await"],
        "Received": ["Authorize", "Await", "receive", "Receive"],
        "Refunded": ["Authorize", "Refund"],
        "Shipped": ["Authorize", "Await", "receive", "Receive", "Ship"],
        "Restocked": ["Authorize", "Await", "receive", "Receive", "Restock"],
    }[status]
    for step in steps:
        if step == "receive":
            body = {"items": [{"id": item, "quantityReceived": 1, "quantityRestockable": 1}]}
            assert kibo.request("PUT", f"{RETURNS}/{rid}", json=body).status_code == 200
        else:
            assert act(kibo, step, rid).status_code == 200, step
    return kibo, kibo.get(f"{RETURNS}/{rid}").json()


MACHINE = load_provider("kibo-commerce").operation("performReturnActions").extensions["x-returnkit-state-machine"]
TRANSITIONS = [(t["from"], t["action"], t["to"]) for t in MACHINE["transitions"]]


@pytest.mark.parametrize(("start", "action", "end"), TRANSITIONS, ids=[f"{s}-{a}" for s, a, _ in TRANSITIONS])
def test_every_transition_of_the_state_machine(
    http: TestClient, kibo: CheckedClient, start: str, action: str, end: str
) -> None:
    client, record = reach(http, kibo, start)
    assert record["status"] == start
    if action == "Close" and start == "Shipped":
        advance(http, 3600)  # the replacement order is fulfilled (and the token expires)
        client = kibo.as_(bearer(http, NORTHWIND))
    if (action, start) in {("Close", "Authorized"), ("Receive", "Pending")}:  # their preconditions
        item = record["items"][0]["id"]
        client.request("PUT", f"{RETURNS}/{record['id']}", json={"items": [{"id": item, "quantityReceived": 1}]})
    assert action in client.get(f"{RETURNS}/{record['id']}/actions").json()
    done = act(client, action, record["id"])
    assert done.status_code == 200, done.text
    assert done.json()["items"][0]["status"] == end


def test_restock_without_restockable_units_is_404_and_receive_without_received_units_is_409(
    http: TestClient, kibo: CheckedClient
) -> None:
    created = create(kibo, shipped_order(http))
    rid, item = created["id"], created["items"][0]["id"]
    act(kibo, "Authorize", rid)
    act(kibo, "Await", rid)
    receive = act(kibo, "Receive", rid)
    assert (receive.status_code, "quantityReceived" in receive.json()["message"]) == (409, True)
    kibo.request("PUT", f"{RETURNS}/{rid}", json={"items": [{"id": item, "quantityReceived": 1}]})
    act(kibo, "Receive", rid)
    assert "Restock" not in kibo.get(f"{RETURNS}/{rid}/actions").json()
    restock = act(kibo, "Restock", rid)
    assert (restock.status_code, restock.json()["errorCode"]) == (404, "ITEM_NOT_FOUND")
    assert kibo.get(f"{RETURNS}/{rid}").json()["status"] == "Received"


def test_repeated_ids_and_lines_count_once_per_unit(http: TestClient, kibo: CheckedClient) -> None:
    order = shipped_order(http)
    line = order["items"][0]
    twice = {"orderItemId": line["id"], "reasons": [{"reason": "Damaged"}], "quantityShipped": line["quantity"]}
    doubled = kibo.post(RETURNS, json={"originalOrderId": order["id"], "items": [twice, twice]})
    assert doubled.status_code == 409
    created = create(kibo, order, return_type="Replace")
    act(kibo, "Authorize", created["id"])
    act(kibo, "Await", created["id"])
    item = created["items"][0]["id"]
    body = {"items": [{"id": item, "quantityReceived": 1, "quantityRestockable": 1}]}
    kibo.request("PUT", f"{RETURNS}/{created['id']}", json=body)
    act(kibo, "Receive", created["id"])
    restock = [{"returnItemId": item, "quantity": 1}, {"returnItemId": item, "quantity": 1}]
    assert kibo.post(f"{RETURNS}/{created['id']}/restock", json=restock).status_code == 409
    shipped = act(kibo, "Ship", created["id"], created["id"]).json()
    assert shipped["totalCount"] == 1
    assert shipped["items"][0]["items"][0]["quantityReplaced"] == 1


def test_ship_without_a_body_replaces_every_remaining_item_and_create_without_one_is_409(
    http: TestClient, kibo: CheckedClient
) -> None:
    assert kibo.post(RETURNS, content=b"", headers={"Content-Type": "application/json"}).status_code == 409
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    child = kibo.post(f"{RETURNS}/{created['id']}/ship")
    assert child.status_code == 200, child.text
    assert [line["quantity"] for line in child.json()["items"]] == [1]


@pytest.mark.parametrize("ids_key", ["returnIDs", "ReturnIds", "RETURNIDS"])
def test_the_documented_key_spellings_act_on_the_returns_as_kibo_binds_them(
    http: TestClient, kibo: CheckedClient, ids_key: str
) -> None:
    created = create(kibo, shipped_order(http))
    response = kibo.post(f"{RETURNS}/actions", json={"actionName": "Authorize", ids_key: [created["id"]]})
    assert response.status_code == 200
    assert [(r["id"], r["status"]) for r in response.json()["items"]] == [(created["id"], "Authorized")]
    assert kibo.get(f"{RETURNS}/{created['id']}").json()["status"] == "Authorized"


def test_create_and_token_bodies_are_read_case_insensitively(http: TestClient, kibo: CheckedClient) -> None:
    token = kibo.as_({}).post(OAUTH, json={key.upper(): value for key, value in NORTHWIND.items()})
    assert token.status_code == 200
    line = shipped_order(http)["items"][0]
    body = {
        "OriginalOrderId": shipped_order(http)["id"],
        "ReturnType": "Refund",
        "Items": [{"OrderItemId": line["id"], "Reasons": [{"Reason": "Damaged", "Quantity": 1}], "QuantityShipped": 1}],
    }
    created = kibo.post(RETURNS, json=body)
    assert created.status_code == 200, created.text
    assert (created.json()["returnType"], created.json()["items"][0]["orderItemId"]) == ("Refund", line["id"])


@pytest.mark.parametrize(
    "body",
    [
        {"actionName": "Authorize", "returnIDs": [7]},
        {"ActionName": 1, "ReturnIds": []},
        {"client_ID": 5},
    ],
)
def test_a_differently_spelled_key_gets_the_same_verdict_from_validate_payload_and_the_mock(
    kibo: CheckedClient, body: dict[str, Any]
) -> None:
    operation, path = ("oauthAuthenticateApp", OAUTH) if "client_ID" in body else ("performReturnActions", "/actions")
    out, err = io.StringIO(), io.StringIO()
    payload = orjson.dumps(body)
    status = validate_payload(
        [*["kibo-commerce", operation], "--format", "provider"], stdin=io.BytesIO(payload), stdout=out, stderr=err
    )
    response = kibo.post(
        path if path == OAUTH else RETURNS + path, content=payload, headers={"Content-Type": "application/json"}
    )
    assert status == 1
    assert (response.status_code, response.json()) == (400, orjson.loads(out.getvalue()))


@pytest.mark.parametrize("body", [b"", b"  \n"])
def test_the_replacement_orders_optional_body_left_out_is_valid_for_validate_payload_as_for_the_mock(
    http: TestClient, kibo: CheckedClient, body: bytes
) -> None:
    out, err = io.StringIO(), io.StringIO()
    status = validate_payload(
        ["kibo-commerce", "createReturnShippingOrder"], stdin=io.BytesIO(body), stdout=out, stderr=err
    )
    assert (status, out.getvalue()) == (0, "<stdin>: valid\n")
    created = create(kibo, shipped_order(http), return_type="Replace")
    act(kibo, "Authorize", created["id"])
    child = kibo.post(f"{RETURNS}/{created['id']}/ship", content=body, headers={"Content-Type": "application/json"})
    assert child.status_code == 200, child.text


@pytest.mark.parametrize(
    ("lines", "status", "code"),
    [
        ([{}], 404, "ITEM_NOT_FOUND"),  # no returnItemId: .NET binds null, which names no item
        ([{"returnItemId": None, "quantity": 1}], 404, "ITEM_NOT_FOUND"),
        ([{"returnItemId": "ITEM"}], 409, "VALIDATION_CONFLICT"),  # an absent quantity binds as 0
        ([{"returnItemId": "ITEM", "quantity": -3}], 409, "VALIDATION_CONFLICT"),
    ],
    ids=["empty-line", "null-item", "no-quantity", "negative-quantity"],
)
def test_a_restock_line_without_an_item_or_a_quantity_is_refused_and_changes_nothing(
    http: TestClient, kibo: CheckedClient, lines: list[dict[str, Any]], status: int, code: str
) -> None:
    created = create(kibo, shipped_order(http))
    rid, item = created["id"], created["items"][0]["id"]
    body = [{**line, "returnItemId": item} if line.get("returnItemId") == "ITEM" else line for line in lines]
    refused = kibo.post(f"{RETURNS}/{rid}/restock", json=body)
    assert (refused.status_code, refused.json()["errorCode"]) == (status, code)
    assert kibo.get(f"{RETURNS}/{rid}").json()["items"][0]["quantityRestocked"] == 0
