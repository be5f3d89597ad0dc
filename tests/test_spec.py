"""The bundled specs: valid OpenAPI 3.1, examples that validate, sources and inferences marked."""

from __future__ import annotations

import importlib.resources
from collections.abc import Iterator
from typing import Any

import pytest
from graphql import build_schema
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation import OpenAPIV31SpecValidator

from returnkit.spec import PROVIDER_FILES, load_provider, read_bundled
from returnkit.validation import Catalog
from tests.conftest import PROVIDERS

REQUIRED_OPERATIONS = {
    "aboutyou": {
        "create-return",
        "ship-order-items",
        "cancel-order-items",
        "get-return-results",
        "get-ship-results",
        "get-cancel-results",
        "list-orders",
    },
    "zinc": {"create-return", "list-returns", "get-return", "list-orders", "get-order"},
    "kibo-commerce": {
        "create-return",
        "list-returns",
        "get-return",
        "update-return",
        "delete-return",
        "perform-actions",
        "available-actions",
        "list-reasons",
        "list-items",
        "create-item",
        "get-item",
        "list-payments",
        "get-payment",
        "create-payment-action",
        "perform-payment-action",
        "create-replacement-order",
        "restock",
        "list-notes",
        "create-note",
        "returnable-items",
        "get-token",
    },
    "kibo-oms": {
        "create-return",
        "get-return",
        "search-returns",
        "process-return",
        "reopen-return",
        "return-locations",
        "get-token",
    },
    "rye": {"create-return", "get-order", "query"},
}


def examples(node: Any, where: str = "$") -> Iterator[tuple[str, Any, Any]]:
    """Every (location, schema, example) pair in a document."""
    if isinstance(node, dict):
        schema = node.get("schema")
        if isinstance(schema, dict):
            if "example" in node:
                yield where, schema, node["example"]
            for name, example in (node.get("examples") or {}).items():
                if isinstance(example, dict) and "value" in example:
                    yield f"{where}.examples.{name}", schema, example["value"]
        elif "example" in node and ("type" in node or "properties" in node or "$ref" in node):
            yield where, node, node["example"]
        if isinstance(node.get("examples"), list) and ("type" in node or "properties" in node):
            for index, example in enumerate(node["examples"]):
                yield f"{where}.examples[{index}]", node, example
        for key, value in node.items():
            yield from examples(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from examples(value, f"{where}[{index}]")


def walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from walk(value)


@pytest.mark.parametrize("provider", [*PROVIDERS, "admin"])
def test_spec_is_valid_openapi_31(provider: str) -> None:
    document = load_provider(provider).document
    assert str(document["openapi"]).startswith("3.1")
    validate_openapi(dict(document), cls=OpenAPIV31SpecValidator)


@pytest.mark.parametrize("provider", [*PROVIDERS, "admin"])
def test_every_example_validates_against_its_schema(provider: str) -> None:
    document = load_provider(provider).document
    found = list(examples(document))
    assert found, f"{provider} has no examples"
    failures = []
    for where, schema, example in found:
        validator = Draft202012Validator(
            {**schema, "components": document.get("components", {})},
            format_checker=Draft202012Validator.FORMAT_CHECKER,
        )
        failures += [f"{where}: {e.json_path}: {e.message}" for e in validator.iter_errors(example)]
    assert failures == []


@pytest.mark.parametrize("provider", PROVIDERS)
def test_spec_covers_the_operations_the_mock_serves(provider: str, catalog: Catalog) -> None:
    names = {name for op in catalog.spec(provider).operations for name in op.names}
    assert REQUIRED_OPERATIONS[provider] <= names


@pytest.mark.parametrize("provider", PROVIDERS)
def test_inferred_values_and_sources_are_marked(provider: str) -> None:
    nodes = list(walk(load_provider(provider).document))
    inferred = [n["x-returnkit-inferred"] for n in nodes if "x-returnkit-inferred" in n]
    sourced = [n["x-returnkit-source"] for n in nodes if "x-returnkit-source" in n]
    assert inferred
    assert all(isinstance(why, str) and len(why) > 10 for why in inferred)
    assert sourced


@pytest.mark.parametrize("provider", PROVIDERS)
def test_refs_are_local(provider: str) -> None:
    refs = [n["$ref"] for n in walk(load_provider(provider).document) if isinstance(n.get("$ref"), str)]
    assert refs
    assert all(ref.startswith("#/") for ref in refs)


def test_specs_are_read_from_the_installed_package() -> None:
    folder = importlib.resources.files("returnkit") / "specs"
    assert {entry.name for entry in folder.iterdir()} >= {*PROVIDER_FILES.values(), "rye.graphql"}


def test_rye_sdl_builds_and_marks_return_order_deprecated() -> None:
    schema = build_schema(read_bundled("rye.graphql"))
    assert schema.mutation_type is not None
    return_order = schema.mutation_type.fields["returnOrder"]
    assert return_order.deprecation_reason
    assert "Amazon" in return_order.deprecation_reason
    assert schema.query_type is not None
    assert "orderByID" in schema.query_type.fields
