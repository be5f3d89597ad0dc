"""ABOUT YOU against its source document (Return Order Items), fact by fact: specs/facts/aboutyou.md.

Every field bound of the document is sent twice, at the bound and beyond it: `validate-payload`
and the mock must agree (accepted: a batch id; refused: the same 400 body from both).
"""

from __future__ import annotations

import io
import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.spec import load_provider
from tests.conftest import world_of
from tests.fidelity.facts import with_value
from tests.http import CheckedClient, TestClient

RETURN = "/api/v1/orders/return"
RESULTS = "/api/v1/results/return-orders"
KEY = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}
FACTS = Path(__file__).parents[2] / "specs" / "facts" / "aboutyou.md"
Body = dict[str, Any]

# The document's embedded OpenAPI, as facts: each keyword must be in the bundled spec unchanged.
DOCUMENTED_SCHEMAS: dict[str, dict[str, Any]] = {
    "ReturnRequestSchema": {"type": "object", "required": ["items"], "title": "ReturnRequestSchema"},
    "ReturnItemSchema": {
        "type": "object",
        "required": ["order_items", "return_tracking_key"],
        "title": "ReturnItemSchema",
    },
    "BatchRequestResponseSchema": {"type": "object", "required": ["batchRequestId"]},
    "BadRequestSchema": {"type": "object", "required": ["message"], "title": "BadRequestSchema"},
}
DOCUMENTED_PROPERTIES: dict[tuple[str, str], dict[str, Any]] = {
    ("ReturnRequestSchema", "items"): {"type": "array", "minItems": 1, "title": "Items"},
    ("ReturnItemSchema", "order_items"): {"type": "array", "minItems": 1, "title": "Order Items"},
    ("ReturnItemSchema", "return_tracking_key"): {
        "type": "string",
        "minLength": 1,
        "maxLength": 255,
        "title": "Return Tracking Key",
    },
    ("BatchRequestResponseSchema", "batchRequestId"): {"type": "string", "format": "uuid", "title": "Batchrequestid"},
    ("BadRequestSchema", "message"): {"type": "string", "title": "Message"},
}


# (id, path, value, accepted): one row of the fact table each, at a bound and beyond it.
BOUNDS: list[tuple[str, str, Any, bool]] = [
    ("items-required", "items", ..., False),
    ("items-type", "items", {"order_items": [1]}, False),
    ("items-minItems-0", "items", [], False),
    ("order_items-required", "items.0.order_items", ..., False),
    ("order_items-minItems-0", "items.0.order_items", [], False),
    ("order_items-item-minimum-1", "items.0.order_items.0", 1, True),
    ("order_items-item-minimum-0", "items.0.order_items.0", 0, False),
    ("order_items-item-integer-string", "items.0.order_items.0", "700001", False),
    ("order_items-item-integer-fraction", "items.0.order_items.0", 1.5, False),
    ("order_items-item-no-maximum", "items.0.order_items.0", 2**64, True),
    ("return_tracking_key-required", "items.0.return_tracking_key", ..., False),
    ("return_tracking_key-type", "items.0.return_tracking_key", 5, False),
    ("return_tracking_key-minLength-1", "items.0.return_tracking_key", "R", True),
    ("return_tracking_key-minLength-0", "items.0.return_tracking_key", "", False),
    ("return_tracking_key-maxLength-255", "items.0.return_tracking_key", "R" * 255, True),
    ("return_tracking_key-maxLength-256", "items.0.return_tracking_key", "R" * 256, False),
    ("extra-property-allowed", "items.0.note", "not in the schema", True),
]


@pytest.fixture
def ay(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "aboutyou", KEY)


def shipped_item(http: TestClient) -> int:
    merchant = next(m for m in world_of(http, "aboutyou")["merchants"] if m["id"] == "nordlicht-mode")
    return int(next(i["id"] for o in merchant["orders"] for i in o["order_items"] if i["status"] == "shipped"))


def cli(payload: bytes) -> tuple[int, str]:
    """validate-payload --format provider on `payload`: exit status and the body it prints."""
    out = io.StringIO()
    status = validate_payload(
        ["aboutyou", "create-return", "--format", "provider", "-"],
        stdin=io.BytesIO(payload),
        stdout=out,
        stderr=io.StringIO(),
    )
    return status, out.getvalue()


def component(name: str) -> dict[str, Any]:
    schema: dict[str, Any] = load_provider("aboutyou").document["components"]["schemas"][name]
    return schema


def operation() -> dict[str, Any]:
    found: dict[str, Any] = load_provider("aboutyou").document["paths"][RETURN]["post"]
    return found


@pytest.mark.parametrize("row", BOUNDS, ids=[row[0] for row in BOUNDS])
def test_field_bound(http: TestClient, ay: CheckedClient, row: tuple[str, str, Any, bool]) -> None:
    _case, path, value, accepted = row
    body = with_value({"items": [{"order_items": [shipped_item(http)], "return_tracking_key": "RT-1"}]}, path, value)
    payload = json.dumps(body).encode()
    status, printed = cli(payload)
    answer = ay.post(RETURN, content=payload, headers={"Content-Type": "application/json"})
    if accepted:
        assert status == 0, printed
        assert answer.status_code == 200, answer.text
        uuid.UUID(answer.json()["batchRequestId"])
    else:
        assert status == 1
        assert answer.status_code == 400
        assert answer.json() == json.loads(printed)  # one payload, one verdict


@pytest.mark.parametrize("name", DOCUMENTED_SCHEMAS)
def test_documented_schema_keywords_are_in_the_spec(name: str) -> None:
    schema = component(name)
    assert {key: schema.get(key) for key in DOCUMENTED_SCHEMAS[name]} == DOCUMENTED_SCHEMAS[name]


@pytest.mark.parametrize(("name", "field"), DOCUMENTED_PROPERTIES, ids=[".".join(k) for k in DOCUMENTED_PROPERTIES])
def test_documented_property_keywords_are_in_the_spec(name: str, field: str) -> None:
    schema = component(name)["properties"][field]
    documented = DOCUMENTED_PROPERTIES[(name, field)]
    assert {key: schema.get(key) for key in documented} == documented


def test_order_item_ids_are_integers_of_at_least_one() -> None:
    items = component("ReturnItemSchema")["properties"]["order_items"]["items"]
    assert (items["type"], items["minimum"], "maximum" in items) == ("integer", 1, False)


def test_the_operation_is_documented_as_the_page_has_it() -> None:
    document = load_provider("aboutyou").document
    found = operation()
    assert (document["openapi"], document["info"]["title"], document["info"]["version"]) == (
        "3.1.0",
        "Sellers Center API",
        "1.0.0",
    )
    assert document["components"]["securitySchemes"]["APIKeyAuth"] == {
        **document["components"]["securitySchemes"]["APIKeyAuth"],
        "type": "apiKey",
        "in": "header",
        "name": "X-API-Key",
    }
    assert document["security"] == [{"APIKeyAuth": []}]
    assert (found["operationId"], found["summary"], found["tags"]) == (
        "scapi_app_endpoints_order_api_return_order_items",
        "Return Order Items",
        ["Orders"],
    )
    assert found["requestBody"]["required"] is True
    assert list(found["requestBody"]["content"]) == ["application/json"]
    assert {"200", "400", "401", "default"} <= set(found["responses"])
    assert found["x-returnkit-rate-limit"]["limit"] == 50


def test_documented_answers_200_batch_id_and_rate_limit_headers(ay: CheckedClient, http: TestClient) -> None:
    answer = ay.post(RETURN, json={"items": [{"order_items": [shipped_item(http)], "return_tracking_key": "R"}]})
    assert answer.status_code == 200
    assert set(answer.json()) == {"batchRequestId"}
    assert (answer.headers["X-RateLimit-Limit"], answer.headers["X-RateLimit-Remaining"]) == ("50", "49")
    refused = ay.post(RETURN, json={"items": []})
    assert (refused.status_code, set(refused.json())) == (400, {"message"})
    assert refused.headers["X-RateLimit-Remaining"] == "48"


def test_documented_401_is_a_message_without_the_key(ay: CheckedClient) -> None:
    for headers in ({}, {"X-API-Key": "not-a-key"}):
        answer = ay.as_(headers).post(RETURN, json={"items": [{"order_items": [1], "return_tracking_key": "R"}]})
        assert (answer.status_code, set(answer.json())) == (401, {"message"})
        assert "X-RateLimit-Limit" not in answer.headers


def test_the_body_is_required(ay: CheckedClient) -> None:
    answer = ay.post(RETURN, content=b"", headers={"Content-Type": "application/json"})
    assert (answer.status_code, set(answer.json())) == (400, {"message"})


def test_rate_limit_50_a_minute(ay: CheckedClient) -> None:
    body = {"items": [{"order_items": [1], "return_tracking_key": "R"}]}
    statuses = [ay.post(RETURN, json=body).status_code for _ in range(51)]
    assert statuses == [200] * 50 + [429]


def test_identical_payload_in_flight_returns_the_existing_id(ay: CheckedClient, http: TestClient) -> None:
    body = {"items": [{"return_tracking_key": "R", "order_items": [shipped_item(http)]}]}
    first = ay.post(RETURN, json=body).json()["batchRequestId"]
    reordered = json.dumps({"items": [dict(reversed(list(body["items"][0].items())))]}).encode()
    again = ay.post(RETURN, content=reordered, headers={"Content-Type": "application/json"})
    assert again.json()["batchRequestId"] == first


def test_the_batch_id_is_polled_for_the_outcome(ay: CheckedClient, http: TestClient) -> None:
    entry = {"order_items": [shipped_item(http)], "return_tracking_key": "R"}
    batch = ay.post(RETURN, json={"items": [entry]}).json()["batchRequestId"]
    assert http.post("/__admin/clock/advance", json={"seconds": 10}).status_code == 200
    outcome = ay.get(RESULTS, params={"batch_request_id": batch}).json()
    assert (outcome["status"], outcome["items"]) == (
        "completed",
        [{"requestItem": entry, "success": True, "errors": []}],
    )
