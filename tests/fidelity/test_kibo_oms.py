"""Kibo OMS against its source document (Create Return), fact by fact: specs/facts/kibo-oms.md.

Every field bound of the document is sent twice, at the bound and beyond it: `validate-payload`
and the mock must agree (accepted: no schema refusal; refused: the same 400 body from both).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.spec import load_provider
from tests.conftest import world_of
from tests.fidelity.facts import with_value
from tests.http import CheckedClient, TestClient

RETURN = "/api/v2/return/"
KEY = {"API-Key": "oms_key_summit_61b0c2"}
FACTS = Path(__file__).parents[2] / "specs" / "facts" / "kibo-oms.md"
SCHEMA_REFUSALS = {5003, 5011, 5015}  # what a validation verdict answers; business refusals use others
Body = dict[str, Any]
Row = tuple[str, str, Any, bool]

GIFT = "item.0.giftCardInfo"
# (id, dotted path in the create body, value, accepted): at each documented bound and beyond it.
BOUNDS: list[Row] = [
    ("item-required", "item", ..., False),
    ("item-minItems-0", "item", [], False),
    ("orderItemID-required", "item.0.orderItemID", ..., False),
    ("quantity-required", "item.0.quantity", ..., False),
    ("orderItemID-minimum-0", "item.0.orderItemID", 0, True),
    ("orderItemID-minimum-below", "item.0.orderItemID", -1, False),
    ("orderItemID-integer", "item.0.orderItemID", "880001", False),
    ("quantity-minimum-1", "item.0.quantity", 1, True),
    ("quantity-minimum-0", "item.0.quantity", 0, False),
    ("returnItemID-integer", "item.0.returnItemID", 7, True),
    ("returnItemID-not-integer", "item.0.returnItemID", "7", False),
    ("returnSubtotal-number", "item.0.returnSubtotal", 12.5, True),
    ("returnSubtotal-not-number", "item.0.returnSubtotal", "12.5", False),
    ("fulfillerSubtotal-number", "item.0.fulfillerSubtotal", 10.25, True),
    ("fulfillerSubtotal-not-number", "item.0.fulfillerSubtotal", "10.25", False),
    ("item-status-enum", "item.0.status", "REJECTED", True),
    ("item-status-outside", "item.0.status", "RETURNED", False),
    ("reason-string", "item.0.reason", "Item did not fit.", True),
    ("reason-not-string", "item.0.reason", 5, False),
    ("partNumber-minLength-1", "item.0.partNumber", "P", True),
    ("partNumber-minLength-0", "item.0.partNumber", "", False),
    ("partNumber-maxLength-50", "item.0.partNumber", "P" * 50, True),
    ("partNumber-maxLength-51", "item.0.partNumber", "P" * 51, False),
    ("UPC-maxLength-50", "item.0.UPC", "0" * 50, True),
    ("UPC-maxLength-51", "item.0.UPC", "0" * 51, False),
    ("SKU-maxLength-50", "item.0.SKU", "S" * 50, True),
    ("SKU-maxLength-51", "item.0.SKU", "S" * 51, False),
    ("partName-string", "item.0.partName", "Shirt", True),
    ("partName-not-string", "item.0.partName", ["Shirt"], False),
    ("orderItemUnits-minItems-0", "item.0.orderItemUnits", [], True),
    ("orderItemUnits-not-array", "item.0.orderItemUnits", {"orderItemUnitID": 1}, False),
    ("orderItemUnitID-required", "item.0.orderItemUnits", [{"serialNumber": 5}], False),
    ("orderItemUnitID-integer", "item.0.orderItemUnits", [{"orderItemUnitID": 1}], True),
    ("orderItemUnitID-not-integer", "item.0.orderItemUnits", [{"orderItemUnitID": "U1"}], False),
    ("serialNumber-number", "item.0.orderItemUnits", [{"orderItemUnitID": 1, "serialNumber": 123.0}], True),
    ("serialNumber-not-number", "item.0.orderItemUnits", [{"orderItemUnitID": 1, "serialNumber": "SN1"}], False),
    ("options-strings", "item.0.options", ["Color: Blue"], True),
    ("options-not-strings", "item.0.options", [1], False),
    ("giftCardInfo-object", GIFT, {"giftCardType": "GC"}, True),
    ("giftCardInfo-not-object", GIFT, "GC", False),
    ("giftCardType-required", GIFT, {"toName": "Ann"}, False),
    ("giftCardType-enum", GIFT, {"giftCardType": "VA"}, True),
    ("giftCardType-outside", GIFT, {"giftCardType": "XX"}, False),
    ("cardIssuer-enum", GIFT, {"giftCardType": "GC", "cardIssuer": "VL"}, True),
    ("cardIssuer-outside", GIFT, {"giftCardType": "GC", "cardIssuer": "AMEX"}, False),
    ("toName-maxLength-85", GIFT, {"giftCardType": "GC", "toName": "T" * 85}, True),
    ("toName-maxLength-86", GIFT, {"giftCardType": "GC", "toName": "T" * 86}, False),
    ("fromName-maxLength-85", GIFT, {"giftCardType": "GC", "fromName": "F" * 85}, True),
    ("fromName-maxLength-86", GIFT, {"giftCardType": "GC", "fromName": "F" * 86}, False),
    ("email-maxLength-250", GIFT, {"giftCardType": "GC", "email": "e" * 240 + "@shop.test"}, True),
    ("email-maxLength-251", GIFT, {"giftCardType": "GC", "email": "e" * 241 + "@shop.test"}, False),
    ("message-maxLength-400", GIFT, {"giftCardType": "GC", "message": "m" * 400}, True),
    ("message-maxLength-401", GIFT, {"giftCardType": "GC", "message": "m" * 401}, False),
    ("deliveryDate-date-time", GIFT, {"giftCardType": "GC", "deliveryDate": "2017-01-13T19:27:27Z"}, True),
    ("deliveryDate-not-date-time", GIFT, {"giftCardType": "GC", "deliveryDate": "next week"}, False),
    ("printForm-boolean", GIFT, {"giftCardType": "GC", "printForm": True}, True),
    ("printForm-not-boolean", GIFT, {"giftCardType": "GC", "printForm": "yes"}, False),
    ("giftCardValue-number", GIFT, {"giftCardType": "GC", "giftCardValue": 25}, True),
    ("giftCardValue-not-number", GIFT, {"giftCardType": "GC", "giftCardValue": "25"}, False),
    ("returnID-minimum-1", "returnID", 1, True),
    ("returnID-minimum-0", "returnID", 0, False),
    ("returnLocation-minimum-1", "returnLocation", 1, True),
    ("returnLocation-minimum-0", "returnLocation", 0, False),
    ("externalOrderID-minLength-1", "externalOrderID", "E", True),
    ("externalOrderID-minLength-0", "externalOrderID", "", False),
    ("externalOrderID-maxLength-100", "externalOrderID", "E" * 100, True),
    ("externalOrderID-maxLength-101", "externalOrderID", "E" * 101, False),
    ("status-enum", "status", "PROCESSING", True),
    ("status-outside", "status", "CANCELLED", False),
    ("returnTotal-number", "returnTotal", 76.95, True),
    ("returnTotal-not-number", "returnTotal", "76.95", False),
    ("returnReductionTotal-number", "returnReductionTotal", 5, True),
    ("returnReductionTotal-not-number", "returnReductionTotal", "5", False),
    ("fulfillerTotal-number", "fulfillerTotal", 69.64, True),
    ("fulfillerTotal-not-number", "fulfillerTotal", "69.64", False),
    ("createdTime-date-time", "createdTime", "2017-01-13T19:27:27Z", True),
    ("createdTime-sample-form", "createdTime", "2017-01-13T19:27:27+0000", True),
    ("createdTime-not-date-time", "createdTime", "13/01/2017", False),
    ("clearedTime-date-time", "clearedTime", "2017-01-16T08:10:47+00:00", True),
    ("clearedTime-not-date-time", "clearedTime", "2017-01-16", False),
    ("confirmTime-date-time", "confirmTime", "2017-01-13T19:27:41Z", True),
    ("confirmTime-not-date-time", "confirmTime", "yesterday", False),
    ("refundType-enum", "refundType", "GIFT_CARD", True),
    ("refundType-outside", "refundType", "CASH", False),
    ("orderID-minimum-1", "orderID", 1, True),
    ("orderID-minimum-0", "orderID", 0, False),
    ("shipmentID-minimum-1", "shipmentID", 1, True),
    ("shipmentID-minimum-0", "shipmentID", 0, False),
    ("unknown-property-allowed", "item.0.colour", "blue", True),
]

# The create page's field tables as facts: each keyword must be in the bundled spec unchanged.
DOCUMENTED: dict[tuple[str, str], dict[str, Any]] = {
    ("ReturnCreate", "item"): {"type": "array"},
    ("ReturnItemInput", "returnItemID"): {"type": "integer"},
    ("ReturnItemInput", "orderItemID"): {"type": "integer", "minimum": 0},
    ("ReturnItemInput", "quantity"): {"type": "integer", "minimum": 1},
    ("ReturnItemInput", "returnSubtotal"): {"type": "number"},
    ("ReturnItemInput", "fulfillerSubtotal"): {"type": "number"},
    ("ReturnItemInput", "reason"): {"type": "string"},
    ("ReturnItemInput", "partNumber"): {"type": "string", "minLength": 1, "maxLength": 50},
    ("ReturnItemInput", "UPC"): {"type": "string", "maxLength": 50},
    ("ReturnItemInput", "SKU"): {"type": "string", "maxLength": 50},
    ("ReturnItemInput", "partName"): {"type": "string"},
    ("ReturnItemInput", "orderItemUnits"): {"type": "array", "minItems": 0},
    ("ReturnItemInput", "options"): {"type": "array", "items": {"type": "string"}},
    ("ReturnItemStatus", ""): {"enum": ["ACCEPTED", "PENDING", "REJECTED"]},
    ("OrderItemUnit", "orderItemUnitID"): {"type": "integer"},
    ("OrderItemUnit", "serialNumber"): {"type": "number"},
    ("GiftCardInfo", "toName"): {"type": "string", "maxLength": 85},
    ("GiftCardInfo", "fromName"): {"type": "string", "maxLength": 85},
    ("GiftCardInfo", "email"): {"type": "string", "maxLength": 250},
    ("GiftCardInfo", "message"): {"type": "string", "maxLength": 400},
    ("GiftCardInfo", "printForm"): {"type": "boolean", "default": False},
    ("GiftCardInfo", "giftCardType"): {"enum": ["GC", "GT", "GX", "IM", "M1", "M2", "M3", "VA"]},
    ("GiftCardInfo", "cardIssuer"): {"enum": ["SV", "CL", "VL"]},
    ("GiftCardInfo", "giftCardValue"): {"type": "number"},
    ("ReturnCreate", "returnID"): {"type": "integer", "minimum": 1},
    ("ReturnCreate", "returnLocation"): {"type": "integer", "minimum": 1},
    ("ReturnCreate", "externalOrderID"): {"type": "string", "minLength": 1, "maxLength": 100},
    ("ReturnCreate", "returnTotal"): {"type": "number"},
    ("ReturnCreate", "returnReductionTotal"): {"type": "number"},
    ("ReturnCreate", "fulfillerTotal"): {"type": "number"},
    ("ReturnCreate", "orderID"): {"type": "integer", "minimum": 1},
    ("ReturnCreate", "shipmentID"): {"type": "integer", "minimum": 1},
    ("ReturnStatus", ""): {"enum": ["OPEN", "PROCESSING", "CLOSED"]},
    ("RefundType", ""): {"enum": ["STANDARD", "GIFT_CARD"]},
}
REQUIRED = {"ReturnCreate": ["item"], "ReturnItemInput": ["orderItemID", "quantity"]}
REQUIRED |= {"OrderItemUnit": ["orderItemUnitID"], "GiftCardInfo": ["giftCardType"]}


@pytest.fixture
def oms(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "kibo-oms", KEY)


def first_order(http: TestClient) -> dict[str, Any]:
    manufacturer = next(m for m in world_of(http, "kibo-oms")["manufacturers"] if m["id"] == 7101)
    found: dict[str, Any] = manufacturer["orders"][0]
    return found


def cli(payload: bytes) -> tuple[int, str]:
    """validate-payload --format provider on `payload`: exit status and the body it prints."""
    out = io.StringIO()
    status = validate_payload(
        ["kibo-oms", "create-return", "--format", "provider", "-"],
        stdin=io.BytesIO(payload),
        stdout=out,
        stderr=io.StringIO(),
    )
    return status, out.getvalue()


def post(oms: CheckedClient, body: Body) -> tuple[int, str, Any]:
    """The same payload to validate-payload and to the mock: (cli status, cli body, mock answer)."""
    payload = json.dumps(body).encode()
    status, printed = cli(payload)
    return status, printed, oms.post(RETURN, content=payload, headers={"Content-Type": "application/json"})


def schemas() -> dict[str, Any]:
    found: dict[str, Any] = load_provider("kibo-oms").document["components"]["schemas"]
    return found


@pytest.mark.parametrize("row", BOUNDS, ids=[row[0] for row in BOUNDS])
def test_field_bound(http: TestClient, oms: CheckedClient, row: Row) -> None:
    _case, path, value, accepted = row
    line = {"orderItemID": first_order(http)["items"][0]["orderItemID"], "quantity": 1}
    status, printed, answer = post(oms, with_value({"item": [line]}, path, value))
    if accepted:
        assert status == 0, printed
        assert answer.status_code == 200 or answer.json()["code"] not in SCHEMA_REFUSALS, answer.text
    else:
        assert status == 1
        assert answer.status_code == 400
        assert answer.json() == json.loads(printed)  # one payload, one verdict


@pytest.mark.parametrize(("schema", "field"), DOCUMENTED, ids=[".".join(key).rstrip(".") for key in DOCUMENTED])
def test_documented_field_keywords_are_in_the_spec(schema: str, field: str) -> None:
    node = schemas()[schema]
    declared = node["properties"][field] if field else node
    if "allOf" in declared:
        declared = {**declared, **schemas()[declared["allOf"][0]["$ref"].rsplit("/", 1)[1]]}
    documented = DOCUMENTED[(schema, field)]
    assert {key: declared.get(key) for key in documented} == documented


@pytest.mark.parametrize("schema", REQUIRED)
def test_documented_required_fields_are_the_only_required_ones(schema: str) -> None:
    assert schemas()[schema]["required"] == REQUIRED[schema]


def test_the_documented_example_gets_a_new_open_return(http: TestClient, oms: CheckedClient) -> None:
    """The page's example: one item, quantity one, disposition reason "Item did not fit."."""
    line = {"orderItemID": first_order(http)["items"][0]["orderItemID"], "quantity": 1, "reason": "Item did not fit."}
    status, _printed, answer = post(oms, {"item": [line]})
    assert (status, answer.status_code) == (0, 200)
    created = answer.json()
    assert (created["status"], created["refundType"]) == ("OPEN", "STANDARD")
    assert [(i["orderItemID"], i["quantity"], i["reason"], i["status"]) for i in created["item"]] == [
        (line["orderItemID"], 1, "Item did not fit.", "PENDING")
    ]


def test_the_item_object_is_the_only_required_parameter(http: TestClient, oms: CheckedClient) -> None:
    placed = first_order(http)
    line = {"orderItemID": placed["items"][0]["orderItemID"], "quantity": 1}
    answer = oms.post(RETURN, json={"item": [line]})
    assert answer.status_code == 200, answer.text
    assert (answer.json()["orderID"], answer.json()["shipmentID"]) == (placed["orderID"], placed["shipmentID"])


def test_the_newer_query_form_is_accepted_too(http: TestClient, oms: CheckedClient) -> None:
    placed = first_order(http)
    line = {"orderItemID": placed["items"][0]["orderItemID"], "quantity": 1}
    params = {"orderID": placed["orderID"], "shipmentID": placed["shipmentID"]}
    assert oms.post(RETURN, json={"item": [line]}, params=params).status_code == 200


@pytest.mark.parametrize("refund_type", ["STANDARD", "GIFT_CARD"])
def test_the_refund_type_sent_is_the_refund_type_returned(
    http: TestClient, oms: CheckedClient, refund_type: str
) -> None:
    line = {"orderItemID": first_order(http)["items"][0]["orderItemID"], "quantity": 1}
    created = oms.post(RETURN, json={"item": [line], "refundType": refund_type}).json()
    assert created["refundType"] == refund_type
    assert oms.get(f"{RETURN}{created['returnID']}").json()["refundType"] == refund_type


def test_gift_card_info_options_and_units_are_kept_on_the_item(http: TestClient, oms: CheckedClient) -> None:
    extras = {
        "options": ["Color: Blue"],
        "orderItemUnits": [{"orderItemUnitID": 4, "serialNumber": 99}],
        "giftCardInfo": {"giftCardType": "GC", "cardIssuer": "SV", "printForm": False, "message": "Enjoy"},
    }
    line = {"orderItemID": first_order(http)["items"][0]["orderItemID"], "quantity": 1, **extras}
    created = oms.post(RETURN, json={"item": [line], "externalOrderID": "EXT-42"}).json()
    assert created["externalOrderID"] == "EXT-42"
    assert {key: created["item"][0][key] for key in extras} == extras


def test_server_assigned_fields_sent_on_create_do_not_override_the_new_return(
    http: TestClient, oms: CheckedClient
) -> None:
    line = {"orderItemID": first_order(http)["items"][0]["orderItemID"], "quantity": 1}
    sent = {"returnID": 1, "status": "CLOSED", "returnTotal": 0.01, "clearedTime": "2017-01-16T08:10:47Z"}
    created = oms.post(RETURN, json={"item": [line], **sent}).json()
    assert (created["status"], created["clearedTime"], created["confirmTime"]) == ("OPEN", None, None)
    assert created["returnID"] != 1
    assert created["returnTotal"] == created["item"][0]["returnSubtotal"]


def test_times_come_back_in_the_get_pages_form(http: TestClient, oms: CheckedClient) -> None:
    line = {"orderItemID": first_order(http)["items"][0]["orderItemID"], "quantity": 1}
    created = oms.post(RETURN, json={"item": [line]}).json()
    assert created["createdTime"] == "2026-03-02T09:00:00+0000"


def test_json_is_the_only_supported_format(oms: CheckedClient) -> None:
    answer = oms.post(RETURN, content=b"item=1", headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert (answer.status_code, answer.json()["code"]) == (400, 5003)


def test_the_operation_is_the_pages_call() -> None:
    document = load_provider("kibo-oms").document
    create = document["paths"][RETURN]["post"]
    assert (create["operationId"], create["summary"]) == ("createReturn", "Create Return")
    assert list(create["requestBody"]["content"]) == ["application/json"]
    assert document["info"]["version"] == "2.0"
