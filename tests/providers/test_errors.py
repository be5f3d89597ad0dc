"""Each provider answers a rejected payload in its own wire format and status."""

from __future__ import annotations

from returnkit import render_validation_error
from returnkit.providers.rye.errors import GRAPHQL_RESPONSE
from returnkit.providers.rye.errors import render_validation_error as render_rye
from returnkit.validation import Catalog


def test_zinc_malformed_json_is_fastapi_json_invalid(catalog: Catalog) -> None:
    verdict = catalog.validator("zinc", "create-return").validate_json(b'{"order_id": }')
    response = render_validation_error(verdict)
    assert response.status == 422
    (entry,) = response.body["detail"]
    assert entry["type"] == "json_invalid"
    assert entry["loc"] == ["body", 13]
    assert entry["ctx"] == {"error": "Expecting value"}


def test_zinc_missing_field_is_pydantic_missing(catalog: Catalog) -> None:
    verdict = catalog.validate("zinc", "create-return", {"items": [], "reason": "other"})
    details = render_validation_error(verdict).body["detail"]
    missing = {
        "type": "missing",
        "loc": ["body", "order_id"],
        "msg": "Field required",
        "input": {"items": [], "reason": "other"},
    }
    assert missing in details
    too_short = next(d for d in details if d["type"] == "too_short")
    assert too_short["ctx"] == {"field_type": "List", "min_length": 1, "actual_length": 0}


def test_aboutyou_is_400_with_one_message(catalog: Catalog) -> None:
    response = render_validation_error(catalog.validate("aboutyou", "cancel-order-items", {"items": [{"id": 0}]}))
    assert response.status == 400
    assert response.body == {"message": "Invalid request body: items[0].id: 0 is less than the minimum of 1"}


def test_kibo_oms_missing_data_is_5011_and_bad_data_5015(catalog: Catalog) -> None:
    missing = render_validation_error(catalog.validate("kibo-oms", "process-return", {}))
    assert (missing.status, missing.body["code"], missing.body["name"]) == (400, 5011, "MISSING_REQUEST_DATA")
    assert missing.body["errors"] == [{"field": "returnID", "message": '"returnID" is a required property'}]
    bad = render_validation_error(catalog.validate("kibo-oms", "process-return", {"returnID": 0}))
    assert (bad.body["code"], bad.body["name"]) == (5015, "INVALID_REQUEST_DATA")


def test_kibo_commerce_error_json_has_the_sdk_keys(catalog: Catalog) -> None:
    verdict = catalog.validate("kibo-commerce", "perform-actions", {"actionName": 5, "returnIds": "r1"})
    response = render_validation_error(verdict)
    assert response.status == 400
    assert set(response.body) >= {"message", "applicationName", "errorCode", "additionalErrorData", "items"}
    assert {d["name"] for d in response.body["additionalErrorData"]} == {"actionName", "returnIds"}


def test_rye_status_follows_the_negotiated_media_type(catalog: Catalog) -> None:
    verdict = catalog.validate("rye", "create-return", {"query": "mutation {"})
    legacy = render_rye(verdict)
    modern = render_rye(verdict, GRAPHQL_RESPONSE)
    assert (legacy.status, modern.status) == (200, 400)
    assert modern.media_type == GRAPHQL_RESPONSE
    (error,) = legacy.body["errors"]
    assert error["extensions"]["code"] == "GRAPHQL_PARSE_FAILED"
    assert error["locations"] == [{"line": 1, "column": 11}]
    assert legacy.body["data"] is None
