"""Request headers the spec declares as parameters, checked against their schemas.

A provider's spec may declare header parameters (Kibo's `x-vol-tenant`, Rye's `Rye-Shopper-IP`);
a value that breaks its schema (an empty string where `minLength: 1`, letters where an integer is
due) is refused with the provider's parameter error, as query parameters are. Credentials are
security schemes, not parameters, and are checked by the authenticate stage.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import jsonschema

from returnkit.providers.kit import ParameterError
from returnkit.spec import Operation, ProviderSpec
from returnkit.validation.jsonschema_engine import with_integer_ranges

_INTEGER = re.compile(r"[+-]?[0-9]{1,20}")


@dataclass(frozen=True, slots=True)
class HeaderRule:
    name: str  # lower-case, as the request's headers are kept
    validator: jsonschema.Draft202012Validator
    integer: bool

    def check(self, value: str) -> None:
        candidate: Any = int(value) if self.integer and _INTEGER.fullmatch(value) else value
        if self.validator.is_valid(candidate):
            return
        error = jsonschema.exceptions.best_match(self.validator.iter_errors(candidate))
        if error is not None:
            raise ParameterError(self.name, _message(error), value, location="header")


_RULES: dict[tuple[str, str], tuple[HeaderRule, ...]] = {}


def check_headers(spec: ProviderSpec, operation: Operation, headers: Mapping[str, str]) -> None:
    """Raise the `ParameterError` of the first declared header whose value breaks its schema."""
    key = (operation.provider, operation.operation_id)
    if key not in _RULES:
        _RULES[key] = _rules(spec, operation)
    for rule in _RULES[key]:
        if rule.name in headers:
            rule.check(headers[rule.name])


def _rules(spec: ProviderSpec, operation: Operation) -> tuple[HeaderRule, ...]:
    path_item = spec.document["paths"][operation.path]
    declared = [*path_item.get("parameters", []), *path_item[operation.method.lower()].get("parameters", [])]
    credentials = _credential_headers(spec)
    rules = []
    for parameter in (_resolved(spec, raw) for raw in declared):
        if parameter.get("in") == "header" and "schema" in parameter and parameter["name"].lower() not in credentials:
            schema = with_integer_ranges(parameter["schema"])
            validator = jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())
            rules.append(HeaderRule(parameter["name"].lower(), validator, schema.get("type") == "integer"))
    return tuple(rules)


def _credential_headers(spec: ProviderSpec) -> set[str]:
    """Headers that carry credentials: the authenticate stage judges them (Zinc also declares its
    `authorization` header as a parameter)."""
    schemes = spec.components.get("securitySchemes", {}).values()
    return {
        scheme["name"].lower() if scheme["type"] == "apiKey" else "authorization"
        for scheme in schemes
        if scheme.get("in", "header") == "header"
    }


def _resolved(spec: ProviderSpec, parameter: Mapping[str, Any]) -> Mapping[str, Any]:
    reference = parameter.get("$ref")
    if not isinstance(reference, str):
        return parameter
    node: Any = spec.document
    for part in reference.removeprefix("#/").split("/"):
        node = node[part]
    return node  # type: ignore[no-any-return]


def _message(error: jsonschema.ValidationError) -> str:
    if error.validator == "minLength" and error.instance == "":
        return "the header is empty; send a value or leave the header out"
    return str(error.message)
