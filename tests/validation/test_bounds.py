"""The library API at its bounds: one wording per rule whichever engine found the error, a cap on
the errors described, and JSON edge cases (lone surrogates, integers of any length)."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from returnkit.validation import MAX_ERRORS, Catalog, PayloadError, parse_json, validate
from tests.conftest import VALID_CREATE

# notes: 5 breaks an anyOf, so every other error of the payload is found by python-jsonschema
TO_THE_REFERENCE = {"notes": 5}


def zinc(**changes: Any) -> dict[str, Any]:
    payload: dict[str, Any] = copy.deepcopy(VALID_CREATE["zinc"])
    payload.update(changes)
    return payload


def messages(errors: tuple[PayloadError, ...]) -> dict[str, str]:
    return {error.json_path: error.message for error in errors if error.json_path != "$.notes"}


@pytest.mark.parametrize(
    "changes",
    [
        {"order_id": "not-a-uuid"},
        {"order_id": 12},
        {"reason": "damagd"},
        {"reason": "x" * 500},
        {"items": []},
        {"items": [{"order_item_id": "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10", "quantity": 0}]},
        {"items": [{"quantity": 2.5}]},
        {"order_id": None, "reason": ["damaged"]},
    ],
    ids=["format", "type", "enum", "long enum value", "minItems", "minimum", "required+type", "null+array"],
)
def test_each_error_has_one_wording_whichever_engine_found_it(changes: dict[str, Any]) -> None:
    alone = validate("zinc", "create-return", zinc(**changes))
    beside_an_anyof_error = validate("zinc", "create-return", zinc(**changes, **TO_THE_REFERENCE))
    assert messages(alone.errors)
    assert messages(alone.errors) == messages(beside_an_anyof_error.errors)


def test_messages_quote_values_as_json_and_keep_them_short() -> None:
    (error,) = validate("zinc", "create-return", zinc(reason="y" * 100_000)).errors
    assert error.message.startswith('"yyyy')
    assert "(100,000 characters)" in error.message
    assert len(error.message) < 200


def test_past_the_cap_errors_are_counted_and_the_count_stops_at_a_limit() -> None:
    few = zinc(items=[{"order_item_id": "nope", "quantity": 0}] * 40)  # 80 errors
    many = zinc(items=[{"order_item_id": "nope", "quantity": 0}] * 5000)
    counted = validate("zinc", "create-return", few)
    limited = validate("zinc", "create-return", many)
    assert (len(counted.errors), counted.more, counted.more_than) == (MAX_ERRORS, 30, False)
    assert counted.more_text == "and 30 more errors"
    assert (len(limited.errors), limited.more_than) == (MAX_ERRORS, True)
    assert limited.more_text == "and over 1,000 more errors"
    assert [e.json_path for e in limited.errors[:2]] == ["$.items[0].order_item_id", "$.items[0].quantity"]


def test_rye_variables_are_capped_too(catalog: Catalog) -> None:
    line_items = [{"id": "B0", "quantity": "one"}] * 300
    verdict = catalog.validate("rye", "returnOrder", {"input": {"orderId": "o1", "lineItems": line_items}})
    assert len(verdict.errors) == MAX_ERRORS
    assert verdict.error_count == 300


@pytest.mark.parametrize(
    "text", ['{"a": "\\ud800"}', '{"a": "ok", "b": "\\uDFFF"}', '["\\\\", "\\ud83d"]', '["\\ud83d\\u0041"]']
)
def test_an_unpaired_surrogate_escape_is_malformed_json(catalog: Catalog, text: str) -> None:
    (error,) = catalog.validator("zinc", "create-return").validate_json(text.encode()).errors
    assert error.keyword == "json"
    assert error.locations == ((1, text.index("\\u") + 1),)  # the unpaired escape is the first one
    assert "surrogate" in error.message


@pytest.mark.parametrize("text", ['"\\ud83d\\ude00"', '"\\\\ud800"', '"\\\\\\ud83d\\ude00"'])
def test_paired_and_escaped_backslash_sequences_are_ordinary_text(text: str) -> None:
    assert parse_json(text) == json.loads(text)


def test_an_integer_of_any_length_is_read_with_its_digits_and_compared_by_value() -> None:
    digits = "3" * 10_000
    number = parse_json(f"[{digits}, -{digits}]".encode())
    assert [str(n) for n in number] == [digits, "-" + digits]
    assert number[0] > 10**300 > -(10**300) > number[1]
    assert isinstance(number[0], int)
