"""Bodies at the edges of JSON over HTTP: lone surrogates, integers of thousands of digits, and
bodies with thousands of errors each get the provider's own 4xx, a bounded answer, and a
journal entry."""

from __future__ import annotations

import json

import pytest

from returnkit.validation import parse_json
from tests.http import TestClient
from tests.server.test_bad_input import JSON, PROVIDERS, auth_for

LONE_SURROGATE = b'{"items": "\\ud800", "reason": "x"}'
ZINC_AUTH = PROVIDERS["zinc"][2]
ORDER_ID = "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10"


def last_entry(http: TestClient, path: str) -> dict[str, object]:
    response = http.get("/__admin/requests", params={"limit": 1, "path": path})
    assert response.status_code == 200, response.text[:300]
    (entry,) = response.json()["requests"]
    assert isinstance(entry, dict)
    return entry


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_lone_surrogate_escape_is_the_providers_malformed_json_answer(http: TestClient, provider: str) -> None:
    method, path, _auth, shaped = PROVIDERS[provider]
    malformed = http.request(method, path, content=b'{"items": [}', headers={**auth_for(http, provider), **JSON})
    response = http.request(method, path, content=LONE_SURROGATE, headers={**auth_for(http, provider), **JSON})
    assert response.status_code == malformed.status_code, response.text[:300]
    assert shaped(response.json())
    assert "surrogate" in response.text
    assert last_entry(http, path)["status"] == response.status_code


def test_a_lone_surrogate_says_where_it_is_in_zincs_fastapi_detail(http: TestClient) -> None:
    response = http.post("/returns", content=LONE_SURROGATE, headers={**ZINC_AUTH, **JSON})
    (detail,) = response.json()["detail"]
    assert response.status_code == 422
    assert detail["type"] == "json_invalid"
    assert detail["loc"] == ["body", LONE_SURROGATE.index(b"\\ud800")]


def test_a_surrogate_pair_escape_is_an_ordinary_character(http: TestClient) -> None:
    body = {"order_id": ORDER_ID, "items": [], "reason": "other", "notes": "\U0001f600"}
    response = http.post("/returns", content=json.dumps(body).encode(), headers={**ZINC_AUTH, **JSON})
    assert response.status_code == 422
    assert [d["loc"] for d in response.json()["detail"]] == [["body", "items"]]


def test_the_admin_api_refuses_a_lone_surrogate_in_its_own_format(http: TestClient) -> None:
    response = http.post("/__admin/clock/advance", content=b'{"seconds": "\\udc00"}', headers=JSON)
    assert response.status_code == 400, response.text[:300]
    assert "surrogate" in response.json()["message"]
    assert last_entry(http, "/__admin/clock/advance")["status"] == 400


def test_surrogates_in_the_url_and_headers_are_answered_and_journaled(http: TestClient) -> None:
    headers = {**ZINC_AUTH, "X-Note": b"\\ud800 \xed\xa0\x80"}
    response = http.get("/returns?status=%ED%A0%80&q=\\ud800", headers=headers)
    assert 200 <= response.status_code < 500, response.text[:300]
    assert http.get("/returns/%ED%A0%80", headers=ZINC_AUTH).status_code in (404, 422)
    entry = last_entry(http, "/returns")
    assert entry["status"] == response.status_code


def zinc_return_with_quantity(literal: str) -> bytes:
    item = f'{{"order_item_id": "{ORDER_ID}", "quantity": {literal}}}'
    return f'{{"order_id": "{ORDER_ID}", "items": [{item}], "reason": "other"}}'.encode()


@pytest.mark.parametrize(("sign", "bound"), [("", "le"), ("-", "ge")])
def test_an_integer_of_5000_digits_is_judged_by_value(http: TestClient, sign: str, bound: str) -> None:
    body = zinc_return_with_quantity(sign + "9" * 5000)
    response = http.post("/returns", content=body, headers={**ZINC_AUTH, **JSON})
    assert response.status_code == 422, response.text[:300]
    (detail,) = parse_json(response.content)["detail"]  # the input is echoed, all 5000 digits
    assert detail["loc"] == ["body", "items", 0, "quantity"]
    assert bound in detail["ctx"]
    assert str(detail["input"]) == sign + "9" * 5000
    assert "int_max_str_digits" not in response.text
    journal = http.get("/__admin/requests", params={"limit": 1, "path": "/returns"})
    (entry,) = parse_json(journal.content)["requests"]
    assert str(entry["request"]["body"]["items"][0]["quantity"]) == sign + "9" * 5000


def test_a_valid_body_with_an_integer_of_5000_digits_is_accepted_and_journaled_exactly(http: TestClient) -> None:
    literal = "7" * 5000
    body = json.dumps({"items": [{"order_items": [1], "return_tracking_key": "k"}], "pad": 0})
    body = body.replace('"pad": 0', f'"pad": {literal}')
    response = http.post("/api/v1/orders/return", content=body.encode(), headers={**PROVIDERS["aboutyou"][2], **JSON})
    assert 200 <= response.status_code < 300, response.text[:300]  # ABOUT YOU keeps properties it does not know
    raw = http.get("/__admin/requests", params={"limit": 1, "path": "/api/v1/orders/return"}).content
    assert literal.encode() in raw


def test_a_body_with_thousands_of_errors_gets_a_bounded_answer_from_about_you(http: TestClient) -> None:
    body = {"items": [{"order_items": [0], "return_tracking_key": ""} for _ in range(3000)]}
    response = http.post("/api/v1/orders/return", json=body, headers=PROVIDERS["aboutyou"][2])
    assert response.status_code == 400
    message = response.json()["message"]
    assert message.count("; ") == 50  # 50 errors, then the count of the rest
    assert message.endswith("and over 1,000 more errors")
    assert len(response.content) < 10_000


def test_a_body_with_thousands_of_errors_gets_the_first_50_in_zincs_detail(http: TestClient) -> None:
    item = {"order_item_id": "nope", "quantity": 0}
    body = {"order_id": ORDER_ID, "items": [item] * 2000, "reason": "other"}
    response = http.post("/returns", json=body, headers=ZINC_AUTH)
    assert response.status_code == 422
    detail = response.json()["detail"]
    assert len(detail) == 50
    assert detail[0]["loc"] == ["body", "items", 0, "order_item_id"]
    assert len(response.content) < 20_000
    verdict = last_entry(http, "/returns")["verdict"]
    assert isinstance(verdict, dict)
    assert len(verdict["errors"]) == 50
