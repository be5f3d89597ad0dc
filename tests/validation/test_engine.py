"""The library API: a verdict per payload, every error as data."""

from __future__ import annotations

import copy
from typing import Any

import pytest

import returnkit
from returnkit import UnknownOperation, UnknownProvider
from returnkit.validation import Catalog, NoRequestBody, validate
from tests.conftest import PROVIDERS, VALID_CREATE


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_provider_answers_to_create_return(provider: str, catalog: Catalog) -> None:
    verdict = catalog.validate(provider, "create-return", VALID_CREATE[provider])
    assert verdict.valid, verdict.errors
    assert verdict.provider == provider


def test_operation_id_and_alias_name_the_same_operation(catalog: Catalog) -> None:
    by_alias = catalog.validator("zinc", "create-return")
    by_id = catalog.validator("zinc", "create_return_request_returns_post")
    assert by_alias is by_id


def test_error_carries_path_keyword_schema_path_and_value() -> None:
    payload = copy.deepcopy(VALID_CREATE["zinc"])
    payload["items"][0]["quantity"] = 0
    verdict = validate("zinc", "create-return", payload)
    assert not verdict.valid
    (error,) = verdict.errors
    assert error.json_path == "$.items[0].quantity"
    assert error.keyword == "minimum"
    assert error.value == 0
    assert error.rule == 1
    assert error.schema_path.endswith("/minimum")
    assert error.expected == "a number ≥ 1"


def test_every_error_is_reported_not_only_the_first() -> None:
    payload: dict[str, Any] = {"order_id": "not-a-uuid", "items": [], "reason": "changed_my_mind"}
    verdict = validate("zinc", "create-return", payload)
    assert {e.json_path for e in verdict.errors} == {"$.order_id", "$.items", "$.reason"}
    assert {e.keyword for e in verdict.errors} == {"format", "minItems", "enum"}


def test_missing_property_points_at_the_property_and_suggests_the_misspelling() -> None:
    payload = copy.deepcopy(VALID_CREATE["zinc"])
    payload["reasn"] = payload.pop("reason")
    (error,) = validate("zinc", "create-return", payload).errors
    assert error.json_path == "$.reason"
    assert error.keyword == "required"
    assert error.suggestion == "reason (found 'reasn')"


def test_misspelled_enum_value_gets_a_suggestion() -> None:
    payload = {**VALID_CREATE["zinc"], "reason": "damagd"}
    (error,) = validate("zinc", "create-return", payload).errors
    assert error.keyword == "enum"
    assert error.suggestion == "damaged"


def test_nullable_field_reports_the_real_rule_not_the_null_branch() -> None:
    payload = {**VALID_CREATE["zinc"], "notes": "x" * 2001}
    (error,) = validate("zinc", "create-return", payload).errors
    assert error.json_path == "$.notes"
    assert error.keyword == "maxLength"


def test_malformed_json_is_an_invalid_verdict_with_line_and_column(catalog: Catalog) -> None:
    verdict = catalog.validator("aboutyou", "create-return").validate_json(b'{\n  "items": [1,]\n}')
    (error,) = verdict.errors
    assert error.keyword == "json"
    assert error.locations == ((2, 15),)
    assert "line 2, column 15" in error.message


@pytest.mark.parametrize(
    "raw", [b'{"items": NaN}', b"\xff\xfe{}", b"", b'{"items": [1]'], ids=["nan", "utf8", "empty", "truncated"]
)
def test_non_json_bytes_never_raise(catalog: Catalog, raw: bytes) -> None:
    verdict = catalog.validator("aboutyou", "create-return").validate_json(raw)
    assert [e.keyword for e in verdict.errors] == ["json"]


def test_integers_beyond_64_bits_are_judged_not_crashed(catalog: Catalog) -> None:
    validator = catalog.validator("aboutyou", "create-return")
    huge = validator.validate_json(
        b'{"items": [{"order_items": [123456789012345678901234567890], "return_tracking_key": "k"}]}'
    )
    assert huge.valid
    negative = validator.validate_json(
        b'{"items": [{"order_items": [-123456789012345678901234567890], "return_tracking_key": "k"}]}'
    )
    assert [e.keyword for e in negative.errors] == ["minimum"]


def test_unknown_names_suggest_the_closest(catalog: Catalog) -> None:
    with pytest.raises(UnknownProvider, match="did you mean 'zinc'"):
        catalog.validator("zink", "create-return")
    with pytest.raises(UnknownOperation, match="did you mean 'create-return'"):
        catalog.validator("zinc", "create-retrun")


def test_operation_without_a_body_says_so(catalog: Catalog) -> None:
    with pytest.raises(NoRequestBody):
        catalog.validator("zinc", "list-returns")


def test_top_level_reexports_the_library_api() -> None:
    verdict = returnkit.validate("aboutyou", "create-return", {"items": []})
    assert isinstance(verdict, returnkit.Verdict)
    assert not verdict
    assert returnkit.render_validation_error(verdict).status == 400


def test_two_catalogs_share_nothing() -> None:
    first, second = Catalog(["zinc"]), Catalog(["zinc"])
    assert first.validator("zinc", "create-return") is not second.validator("zinc", "create-return")
    with pytest.raises(UnknownProvider):
        first.spec("aboutyou")


RYE_MUTATION = """
mutation ReturnOrder($input: ReturnOrderInput!) {
  returnOrder(input: $input) { result { __typename } error { code message } }
}
"""


def test_rye_accepts_a_whole_graphql_request(catalog: Catalog) -> None:
    payload = {"query": RYE_MUTATION, "variables": VALID_CREATE["rye"], "operationName": "ReturnOrder"}
    assert catalog.validate("rye", "create-return", payload).valid


def test_rye_variables_that_break_the_sdl_have_paths(catalog: Catalog) -> None:
    variables = {"input": {"orderId": "o1", "lineItems": [{"id": "B0", "quantity": "one"}]}}
    verdict = catalog.validate("rye", "returnOrder", {"query": RYE_MUTATION, "variables": variables})
    (error,) = verdict.errors
    assert error.json_path == "$.variables.input.lineItems[0].quantity"
    assert "Int cannot represent non-integer value" in error.message


def test_rye_bare_variables_are_checked_against_the_field_arguments(catalog: Catalog) -> None:
    verdict = catalog.validate("rye", "create-return", {"input": {"orderId": "o1"}})
    (error,) = verdict.errors
    assert error.json_path == "$.input"
    assert "lineItems" in error.message


def test_rye_document_errors_carry_locations(catalog: Catalog) -> None:
    verdict = catalog.validate("rye", "create-return", {"query": "mutation { returnOrder(input: {}) { nope } }"})
    assert verdict.errors
    assert all(e.keyword == "graphql" and e.locations for e in verdict.errors)
    syntax = catalog.validate("rye", "create-return", {"query": "mutation {"})
    assert [e.keyword for e in syntax.errors] == ["graphql-syntax"]


def test_rye_document_must_call_the_operation(catalog: Catalog) -> None:
    query = "query Q($id: ID!) { orderByID(id: $id) { id } }"
    verdict = catalog.validate("rye", "create-return", {"query": query, "variables": {"id": "o1"}})
    assert [e.message for e in verdict.errors] == ["the operation does not call returnOrder"]
    assert catalog.validate("rye", "get-order", {"query": query, "variables": {"id": "o1"}}).valid


def test_where_the_fast_engine_is_stricter_the_reference_decides() -> None:
    # jsonschema-rs rejects this uuid spelling; python-jsonschema (the reference) accepts it.
    payload = {**VALID_CREATE["zinc"], "order_id": "12345678-1234-1234-1234-12345678901-2"}
    assert validate("zinc", "create-return", payload).valid


@pytest.mark.parametrize("moment", ["2024-01-01T23:59:60Z", "0000-01-01T00:00:00Z"])
def test_dates_the_reference_rejects_are_rejected(catalog: Catalog, moment: str) -> None:
    payload = {**VALID_CREATE["kibo-commerce"], "rmaDeadline": moment}
    (error,) = catalog.validate("kibo-commerce", "create-return", payload).errors
    assert (error.json_path, error.keyword) == ("$.rmaDeadline", "format")


def test_numbers_orjson_refuses_are_judged_by_the_reference(catalog: Catalog) -> None:
    validator = catalog.validator("kibo-oms", "process-return")
    assert validator.validate_json(b'{"returnID": 222222, "returnReductionOverride": 1e400}').valid
    verdict = catalog.validator("kibo-commerce", "create-return").validate_json(
        b'{"originalOrderId": 123456789012345678901234567890}'
    )
    assert verdict.errors[0].value == 123456789012345678901234567890


def test_deep_nesting_is_malformed_not_a_crash(catalog: Catalog) -> None:
    verdict = catalog.validator("kibo-commerce", "create-return").validate_json(b"[" * 100_000 + b"]" * 100_000)
    assert [e.keyword for e in verdict.errors] == ["json"]


def test_rye_fragments_and_variable_defaults_are_understood(catalog: Catalog) -> None:
    spread = "query Q($id: ID!) { ...F } fragment F on Query { orderByID(id: $id) { id } }"
    inline = "query Q($id: ID!) { ... on Query { orderByID(id: $id) { id } } }"
    default = 'query Q($id: ID! = "o1") { orderByID(id: $id) { id } }'
    for query in (spread, inline):
        assert catalog.validate("rye", "get-order", {"query": query, "variables": {"id": "o1"}}).valid
    assert catalog.validate("rye", "get-order", {"query": default}).valid
