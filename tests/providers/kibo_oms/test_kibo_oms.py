"""Kibo OMS through HTTP: token, create (ids from query or body), get, search, process, reopen, locations."""

from __future__ import annotations

import base64
import io
import json
from typing import Any
from urllib.parse import parse_qsl

import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.spec import load_provider
from tests.conftest import world_of
from tests.http import CheckedClient, TestClient

RETURN = "/api/v2/return/"
SUMMIT = ("oms_key_summit_61b0c2", "oms_secret_summit_9e47d3")
LAKESIDE = ("oms_key_lakeside_2f8a51", "oms_secret_lakeside_c03b96")
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def token_for(http: TestClient, credentials: tuple[str, str]) -> dict[str, str]:
    basic = base64.b64encode(":".join(credentials).encode()).decode()
    oms = CheckedClient(http, "kibo-oms")
    response = oms.post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {basic}"},
    )
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture
def oms(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "kibo-oms", token_for(http, SUMMIT))


def order(http: TestClient, manufacturer: int = 7101, index: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = next(m for m in world_of(http, "kibo-oms")["manufacturers"] if m["id"] == manufacturer)[
        "orders"
    ][index]
    return found


def create(oms: CheckedClient, placed: dict[str, Any], quantity: int = 1, in_query: bool = True) -> dict[str, Any]:
    item = placed["items"][0]
    body: dict[str, Any] = {"item": [{"orderItemID": item["orderItemID"], "quantity": quantity, "reason": "DAMAGED"}]}
    params = {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]} if in_query else {}
    if not in_query:
        body |= {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]}
    response = oms.post(RETURN, json=body, params=params)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def test_the_token_needs_the_issued_key_and_secret(http: TestClient, oms: CheckedClient) -> None:
    wrong = base64.b64encode(b"oms_key_summit_61b0c2:nope").decode()
    refused = oms.as_({}).post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {wrong}"},
    )
    assert (refused.status_code, refused.json()["error"]) == (401, "invalid_client")
    assert oms.as_({}).get(RETURN).status_code == 401
    assert oms.as_({"API-Key": SUMMIT[0]}).get(RETURN).status_code == 200
    assert http.post("/__admin/clock/advance", json={"seconds": 3600}).status_code == 200
    assert oms.get(RETURN).status_code == 401


def test_an_unknown_client_is_refused_in_rfc_6749s_body_byte_for_byte(oms: CheckedClient) -> None:
    wrong = base64.b64encode(b"oms_key_summit_61b0c2:nope").decode()
    refused = oms.as_({}).post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={**FORM, "Authorization": f"Basic {wrong}"},
    )
    assert refused.status_code == 401
    assert refused.content == b'{"error":"invalid_client","error_description":"Client authentication failed."}'


def test_the_owner_kept_inside_each_record_is_never_shown(http: TestClient, oms: CheckedClient) -> None:
    placed = order(http)
    created = create(oms, placed)
    processed = oms.post(f"{RETURN}action/process/", json={"returnID": created["returnID"]}).json()
    shown = [
        created,
        processed,
        oms.get(f"{RETURN}{created['returnID']}").json(),
        *oms.get(RETURN).json()["collection"],
        *oms.get(f"{RETURN}locations/").json()["collection"],
        *(m for manufacturer in world_of(http, "kibo-oms")["manufacturers"] for m in manufacturer["orders"]),
        *(m for manufacturer in world_of(http, "kibo-oms")["manufacturers"] for m in manufacturer["locations"]),
    ]
    assert len(shown) > 5
    assert [record for record in shown if "owner" in record] == []


def test_processing_stamps_confirm_and_clear_times_and_reopening_clears_only_the_second(
    http: TestClient, oms: CheckedClient
) -> None:
    created = create(oms, order(http))
    assert http.post("/__admin/clock/advance", json={"seconds": 90}).status_code == 200
    processed = oms.post(f"{RETURN}action/process/", json={"returnID": created["returnID"]}).json()
    assert processed["confirmTime"] == processed["clearedTime"] != created["createdTime"]
    reopened = oms.post(f"{RETURN}action/reopen/", json={"returnID": created["returnID"]}).json()
    assert (reopened["confirmTime"], reopened["clearedTime"]) == (processed["confirmTime"], None)


@pytest.mark.parametrize(
    ("form", "error"),
    [(b"", "invalid_request"), (b"scope=api", "invalid_request"), (b"grant_type=password", "unsupported_grant_type")],
)
def test_a_malformed_token_request_is_refused_in_rfc_6749s_words_by_the_mock_and_validate_payload(
    oms: CheckedClient, form: bytes, error: str
) -> None:
    basic = base64.b64encode(":".join(SUMMIT).encode()).decode()
    answer = oms.as_({}).post(
        "/oauthserver/oauth2/token", content=form, headers={**FORM, "Authorization": f"Basic {basic}"}
    )
    assert (answer.status_code, answer.json()["error"]) == (400, error)
    assert "grant_type" in answer.json()["error_description"]
    out, err = io.StringIO(), io.StringIO()
    fields = json.dumps(dict(parse_qsl(form.decode()))).encode()  # the CLI reads a form as a JSON object
    validate_payload(["kibo-oms", "getToken", "--format", "provider"], io.BytesIO(fields), out, err)
    assert (err.getvalue().split()[1], json.loads(out.getvalue())) == ("400", answer.json())


def test_create_takes_ids_from_the_query_or_the_body_and_defaults_creation_source(
    http: TestClient, oms: CheckedClient
) -> None:
    from_query = create(oms, order(http, index=0))
    from_body = create(oms, order(http, index=1), in_query=False)
    for created in (from_query, from_body):
        assert (created["status"], created["creationSource"]) == ("OPEN", "API")
        assert created["item"][0]["status"] == "PENDING"
        assert created["createdTime"].endswith("+0000")
    placed = order(http, index=2)
    body = {
        "orderID": placed["orderID"] + 1,
        "item": [{"orderItemID": placed["items"][0]["orderItemID"], "quantity": 1}],
    }
    mismatch = oms.post(RETURN, json=body, params={"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]})
    assert (mismatch.status_code, mismatch.json()["code"], mismatch.json()["name"]) == (400, 5012, "ID_MISMATCH")


def test_create_refusals_carry_oms_codes(http: TestClient, oms: CheckedClient) -> None:
    placed = order(http)
    params = {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]}
    unknown_item = oms.post(RETURN, json={"item": [{"orderItemID": 1, "quantity": 1}]}, params=params)
    assert unknown_item.json()["code"] == 5013
    too_many = oms.post(
        RETURN, json={"item": [{"orderItemID": placed["items"][0]["orderItemID"], "quantity": 99}]}, params=params
    )
    assert (too_many.status_code, too_many.json()["code"]) == (400, 5015)
    nowhere = oms.post(RETURN, json={"item": [{"orderItemID": 1, "quantity": 1}]})
    assert (nowhere.status_code, nowhere.json()["code"]) == (400, 5013)
    schema = oms.post(RETURN, json={"item": []}, params=params)
    assert (schema.status_code, schema.json()["code"]) == (400, 5015)


def test_another_manufacturers_orders_and_returns_are_404(http: TestClient, oms: CheckedClient) -> None:
    created = create(oms, order(http))
    other = oms.as_(token_for(http, LAKESIDE))
    assert other.get(f"{RETURN}{created['returnID']}").json()["code"] == 5002
    assert other.get(RETURN).json() == {"totalCount": 0, "collection": []}
    foreign = order(http, manufacturer=7102)
    params = {"orderID": foreign["orderID"], "shipmentID": foreign["shipmentID"]}
    assert (
        oms.post(
            RETURN, json={"item": [{"orderItemID": foreign["items"][0]["orderItemID"], "quantity": 1}]}, params=params
        ).status_code
        == 404
    )


def test_search_pages_and_takes_comma_separated_values(http: TestClient, oms: CheckedClient) -> None:
    created = [create(oms, order(http, index=n)) for n in range(3)]
    both = oms.get(RETURN, params={"returnID": f"{created[0]['returnID']},{created[2]['returnID']}"}).json()
    assert [r["returnID"] for r in both["collection"]] == [created[0]["returnID"], created[2]["returnID"]]
    page = oms.get(RETURN, params={"perPage": 2, "page": 2}).json()
    assert (page["totalCount"], [r["returnID"] for r in page["collection"]]) == (3, [created[2]["returnID"]])
    assert oms.get(RETURN, params={"status": "closed"}).json()["totalCount"] == 0
    assert oms.get(RETURN, params={"perPage": 101}).json()["code"] == 5014


def test_process_accepts_per_item_or_all_then_reopen(http: TestClient, oms: CheckedClient) -> None:
    first, second = create(oms, order(http, index=0)), create(oms, order(http, index=1))
    item_id = first["item"][0]["orderItemID"]
    rejected = oms.post(
        f"{RETURN}action/process/",
        json={"returnID": first["returnID"], "acceptedItemQuantity": [{"orderItemID": item_id, "quantityAccepted": 0}]},
    ).json()
    assert (rejected["status"], rejected["item"][0]["status"]) == ("CLOSED", "REJECTED")
    assert rejected["clearedTime"].endswith("+0000")
    accepted = oms.post(f"{RETURN}action/process/", json={"returnID": second["returnID"]}).json()
    assert [i["status"] for i in accepted["item"]] == ["ACCEPTED"]
    again = oms.post(f"{RETURN}action/process/", json={"returnID": second["returnID"]})
    assert (again.status_code, again.json()["code"]) == (409, 5015)
    reopened = oms.post(f"{RETURN}action/reopen/", json={"returnID": second["returnID"]}).json()
    assert (reopened["status"], reopened["clearedTime"]) == ("OPEN", None)
    assert oms.post(f"{RETURN}action/reopen/", json={"returnID": second["returnID"]}).status_code == 409
    assert oms.get(RETURN, params={"status": "OPEN,CLOSED"}).json()["totalCount"] == 2


def test_return_locations_for_an_order(http: TestClient, oms: CheckedClient) -> None:
    placed = order(http)
    found = oms.get(f"{RETURN}locations/", params={"orderID": placed["orderID"], "manufacturerID": 7101}).json()
    assert found["totalCount"] == 2
    assert all(location["manufacturerID"] == 7101 for location in found["collection"])


def test_repeated_lines_are_added_up(http: TestClient, oms: CheckedClient) -> None:
    placed = order(http)
    item = placed["items"][0]
    line = {"orderItemID": item["orderItemID"], "quantity": item["quantity"]}
    params = {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]}
    doubled = oms.post(RETURN, json={"item": [line, line]}, params=params)
    assert (doubled.status_code, doubled.json()["code"]) == (400, 5015)


def test_return_locations_need_no_order_as_the_spec_says(oms: CheckedClient) -> None:
    everything = oms.get(f"{RETURN}locations/")
    assert everything.status_code == 200
    assert everything.json()["totalCount"] == 2
    assert oms.get(f"{RETURN}locations/", params={"manufacturerID": "7102"}).json()["totalCount"] == 0
    assert oms.get(f"{RETURN}locations/", params={"orderID": "999"}).json()["code"] == 5002


def test_an_item_only_body_finds_its_order(http: TestClient, oms: CheckedClient) -> None:
    placed = order(http, index=3)
    item = placed["items"][0]
    created = oms.post(RETURN, json={"item": [{"orderItemID": item["orderItemID"], "quantity": 1}]})
    assert created.status_code == 200, created.text
    assert (created.json()["orderID"], created.json()["shipmentID"]) == (placed["orderID"], placed["shipmentID"])
    for named, by in ((order(http, index=0), "orderID"), (order(http, index=1), "shipmentID")):
        line = {"orderItemID": named["items"][0]["orderItemID"], "quantity": 1}
        found = oms.post(RETURN, json={"item": [line]}, params={by: named[by]}).json()
        assert (found["orderID"], found["shipmentID"]) == (named["orderID"], named["shipmentID"])
    wrong_shipment = oms.post(
        RETURN,
        json={"item": [{"orderItemID": item["orderItemID"], "quantity": 1}]},
        params={"orderID": placed["orderID"], "shipmentID": placed["shipmentID"] + 1},
    )
    assert (wrong_shipment.status_code, wrong_shipment.json()["code"]) == (404, 5002)


def empty_refusals() -> list[tuple[str, str, str]]:
    """(method, path, parameter) for every query parameter the spec says an empty value of is refused."""
    paths = load_provider("kibo-oms").document["paths"]
    return [
        (method.upper(), path, name)
        for path, operations in paths.items()
        for method, operation in operations.items()
        if isinstance(operation, dict)
        for name in operation.get("x-returnkit-empty-query-values", {}).get("refused", [])
    ]


@pytest.mark.parametrize(("method", "path", "name"), empty_refusals())
def test_an_empty_query_value_is_5014_not_ignored(
    http: TestClient, oms: CheckedClient, method: str, path: str, name: str
) -> None:
    line = {"orderItemID": order(http)["items"][0]["orderItemID"], "quantity": 1}
    body = {"json": {"item": [line]}} if method == "POST" else {}
    response = oms.request(method, path, params={name: ""}, **body)
    assert (response.status_code, response.json()["code"]) == (400, 5014)
    assert name in response.json()["message"]


def test_the_spec_lists_every_filter_whose_empty_value_is_refused() -> None:
    assert len(empty_refusals()) == 12


@pytest.mark.parametrize(("page", "status"), [("2147483647", 200), ("2147483648", 400)])
def test_the_page_stops_at_the_declared_32_bit_maximum(oms: CheckedClient, page: str, status: int) -> None:
    assert oms.get(RETURN, params={"page": page}).status_code == status


def test_an_empty_body_is_5003_as_the_spec_says(oms: CheckedClient) -> None:
    response = oms.post(RETURN, content=b"", headers={"Content-Type": "application/json"})
    assert (response.status_code, response.json()["code"], response.json()["name"]) == (
        400,
        5003,
        "GENERIC_BAD_REQUEST",
    )


def test_gift_card_refunds_and_item_extras_come_back_on_the_return(http: TestClient, oms: CheckedClient) -> None:
    placed = order(http, index=4)
    item = {
        "orderItemID": placed["items"][0]["orderItemID"],
        "quantity": 1,
        "options": ["Size: M"],
        "orderItemUnits": [{"orderItemUnitID": 1, "serialNumber": 123456}],
        "giftCardInfo": {"giftCardType": "GC", "cardIssuer": "SV", "toName": "Ann"},
    }
    body = {"item": [item], "refundType": "GIFT_CARD", "externalOrderID": "EXT-1"}
    created = oms.post(RETURN, json=body).json()
    assert (created["refundType"], created["externalOrderID"]) == ("GIFT_CARD", "EXT-1")
    returned = created["item"][0]
    assert {k: returned[k] for k in ("options", "orderItemUnits", "giftCardInfo")} == {
        k: item[k] for k in ("options", "orderItemUnits", "giftCardInfo")
    }
    assert oms.get(f"{RETURN}{created['returnID']}").json()["refundType"] == "GIFT_CARD"
