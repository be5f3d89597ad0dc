"""Header parameters a spec declares are checked against their schemas: a value that breaks
one (an empty `Rye-Shopper-IP`, letters in Kibo's integer `x-vol-tenant`) gets the provider's
parameter error naming the header; a good value passes. Cases are read from the specs."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import pytest

from returnkit.spec import HTTP_METHODS, PROVIDER_FILES, load_provider
from tests.http import TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, bearer

CREDENTIALS: dict[str, dict[str, str]] = {
    "aboutyou": {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"},
    "zinc": {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"},
    "rye": {"Authorization": "Basic rye_test_lumen_2d7f91ac"},
    "kibo-oms": {"API-Key": "oms_key_summit_61b0c2"},
}


def _declared_headers() -> list[tuple[str, str, str, dict[str, Any]]]:
    """(provider, method, path, header parameter) for every declared header with a schema."""
    cases = []
    for provider in PROVIDER_FILES:
        document = load_provider(provider).document
        credentials = _credential_headers(document)
        for path, item in document["paths"].items():
            for method, operation in item.items():
                if method not in HTTP_METHODS:
                    continue
                for raw in [*item.get("parameters", []), *operation.get("parameters", [])]:
                    parameter = _resolve(document, raw)
                    if (
                        parameter["in"] == "header"
                        and "schema" in parameter
                        and parameter["name"].lower() not in credentials
                    ):
                        cases.append((provider, method.upper(), path, parameter))
    return cases


def _credential_headers(document: Mapping[str, Any]) -> set[str]:
    """Headers that carry credentials (the authenticate stage judges those, with a 401)."""
    schemes = document.get("components", {}).get("securitySchemes", {}).values()
    return {
        s["name"].lower() if s["type"] == "apiKey" else "authorization"
        for s in schemes
        if s.get("in", "header") == "header"
    }


def _resolve(document: Mapping[str, Any], parameter: dict[str, Any]) -> dict[str, Any]:
    if "$ref" not in parameter:
        return parameter
    node: Any = document
    for part in parameter["$ref"].removeprefix("#/").split("/"):
        node = node[part]
    return dict(node)


def _bad_values(schema: dict[str, Any]) -> list[str]:
    if schema.get("type") != "integer":
        return [""]
    return ["not-a-number", *(["2147483648"] if schema.get("format") == "int32" else [])]


def _good_value(parameter: dict[str, Any]) -> str:
    return str(parameter.get("example", parameter["schema"].get("example", "1")))


def _auth(http: TestClient, provider: str) -> dict[str, str]:
    return bearer(http, NORTHWIND) if provider == "kibo-commerce" else CREDENTIALS[provider]


CASES = _declared_headers()


def test_the_specs_declare_header_parameters_to_check() -> None:
    assert {provider for provider, *_ in CASES} >= {"kibo-commerce", "kibo-oms", "rye"}


@pytest.mark.parametrize(("provider", "method", "path", "parameter"), CASES, ids=lambda v: str(v)[:40])
def test_a_header_value_that_breaks_its_schema_is_refused_naming_the_header(
    http: TestClient, provider: str, method: str, path: str, parameter: dict[str, Any]
) -> None:
    concrete = re.sub(r"\{[^}]+\}", "1", path)
    headers = _auth(http, provider)
    for bad in _bad_values(parameter["schema"]):
        refused = http.request(method, concrete, headers={**headers, parameter["name"]: bad})
        assert refused.status_code == 400, refused.text
        assert parameter["name"].lower() in refused.text.lower()
    headers[parameter["name"]] = _good_value(parameter)
    passed = http.request(method, concrete, headers=headers)
    assert parameter["name"].lower() not in passed.text.lower(), passed.text
