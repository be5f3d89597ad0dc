"""OpenAPI's `int32`/`int64` formats are ranges: Kibo's Int32 fields refuse 2**31, in
`validate-payload` and the mock alike, and accept the range's ends."""

from __future__ import annotations

import io
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from tests.http import TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, RETURNS, bearer, shipped_order


def _body(order: dict[str, Any], quantity_shipped: int) -> dict[str, Any]:
    line = order["items"][0]
    item = {"orderItemId": line["id"], "reasons": [{"reason": "Damaged", "quantity": 1}]}
    return {
        "originalOrderId": order["id"],
        "returnType": "Refund",
        "items": [{**item, "quantityShipped": quantity_shipped}],
    }


def _cli(body: dict[str, Any]) -> tuple[int, Any]:
    out, err = io.StringIO(), io.StringIO()
    code = validate_payload(
        ["kibo-commerce", "createReturn", "--format", "provider"],
        stdin=io.BytesIO(orjson.dumps(body)),
        stdout=out,
        stderr=err,
    )
    if code == 0:
        return 0, None
    return int(err.getvalue().split()[1]), orjson.loads(out.getvalue())


@pytest.mark.parametrize("quantity", [2**31, -(2**31) - 1])
def test_a_value_outside_int32_is_refused_alike_by_validate_payload_and_the_mock(
    http: TestClient, quantity: int
) -> None:
    body = _body(shipped_order(http), quantity)
    answer = http.post(RETURNS, json=body, headers=bearer(http, NORTHWIND))
    assert answer.status_code == 400
    assert "quantityShipped" in answer.text
    assert _cli(body) == (400, answer.json())


@pytest.mark.parametrize("quantity", [2**31 - 1, -(2**31)])
def test_the_ends_of_int32_pass_validation(quantity: int) -> None:
    assert _cli(_body({"id": "o-1", "items": [{"id": "oi-1"}]}, quantity)) == (0, None)
