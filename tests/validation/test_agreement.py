"""Property: for every REST operation with a body, returnkit's verdict equals python-jsonschema's
Draft 2020-12 verdict with format checking on, on generated valid payloads and mutations of them."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema
from jsonschema import Draft202012Validator

from returnkit.validation import Catalog
from returnkit.validation.jsonschema_engine import standalone_schema
from tests.conftest import PROVIDERS

JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text()
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=8,
)
FORMATS = {
    "uuid": st.uuids().map(str),
    "int32": st.text(),
    "int64": st.text(),
    "double": st.text(),
    "float": st.text(),
}
# Strings where validators are known to differ at the edges; every format a request uses.
TRICKY_STRINGS = [
    "12345678-1234-1234-1234-12345678901-2",  # python's UUID() accepts it, RFC 4122 text does not
    "3FA85F64-5717-4562-B3FC-2C963F66AFA6",
    "{3fa85f64-5717-4562-b3fc-2c963f66afa6}",
    "2024-12-31T23:59:60Z",
    "2024-02-30T10:00:00Z",
    "2024-01-01t10:00:00z",
    "2024-01-01T10:00:00+0000",
    "2024-01-01",
    "",
]


def body_operations() -> Iterator[tuple[str, str]]:
    catalog = Catalog()
    for provider in PROVIDERS:
        for op in catalog.spec(provider).operations:
            if op.kind == "rest" and op.request_schema is not None:
                yield provider, op.operation_id


OPERATIONS = sorted(set(body_operations()))


@cache
def schema_for(provider: str, operation: str) -> dict[str, Any]:
    catalog = Catalog([provider])
    op = catalog.operation(provider, operation)
    assert op.request_schema is not None
    return standalone_schema(op.request_schema, catalog.spec(provider).components)


@cache
def reference(provider: str, operation: str) -> Draft202012Validator:
    return Draft202012Validator(schema_for(provider, operation), format_checker=Draft202012Validator.FORMAT_CHECKER)


def mutate(value: Any, data: st.DataObject) -> Any:
    """Replace, drop or add one thing somewhere inside `value`."""
    if isinstance(value, dict) and value and data.draw(st.booleans()):
        key = data.draw(st.sampled_from(sorted(value)))
        action = data.draw(st.sampled_from(["recurse", "drop", "replace", "tricky"]))
        if action == "recurse":
            return {**value, key: mutate(value[key], data)}
        if action == "drop":
            return {k: v for k, v in value.items() if k != key}
        replacement = data.draw(st.sampled_from(TRICKY_STRINGS) if action == "tricky" else JSON_VALUES)
        return {**value, key: replacement}
    if isinstance(value, list) and value and data.draw(st.booleans()):
        index = data.draw(st.integers(0, len(value) - 1))
        return [*value[:index], mutate(value[index], data), *value[index + 1 :]]
    return data.draw(st.one_of(JSON_VALUES, st.sampled_from(TRICKY_STRINGS), st.just(2**70), st.just(1.0)))


def test_every_rest_operation_with_a_body_is_covered() -> None:
    assert len(OPERATIONS) >= 15
    assert {p for p, _ in OPERATIONS} == {"aboutyou", "zinc", "kibo-commerce", "kibo-oms", "rye"}


@pytest.mark.slow
@pytest.mark.parametrize(("provider", "operation"), OPERATIONS)
@given(data=st.data())
def test_verdict_equals_python_jsonschema(provider: str, operation: str, data: st.DataObject) -> None:
    catalog = shared_catalog()
    valid = data.draw(from_schema(schema_for(provider, operation), custom_formats=FORMATS), label="generated")
    payload = mutate(valid, data) if data.draw(st.booleans(), label="mutate") else valid
    expected = reference(provider, operation).is_valid(payload)
    assert catalog.validate(provider, operation, payload).valid == expected


@cache
def shared_catalog() -> Catalog:
    return Catalog()
