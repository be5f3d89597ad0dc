"""Validate a Rye GraphQL request against the bundled SDL with graphql-core.

A payload is either a whole GraphQL-over-HTTP request (`{"query", "variables",
"operationName"}`) or, for short, just the variables of the operation's root field
(`{"input": {...}}` for `returnOrder`).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from functools import cached_property
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLSchema,
    OperationDefinitionNode,
    get_operation_ast,
    parse,
    type_from_ast,
    validate,
)
from graphql.utilities import validate_input_value

from returnkit.spec import Operation
from returnkit.validation.jsonschema_engine import JSONPayloadValidator, SchemaValidator
from returnkit.validation.verdict import Path, PayloadError, Verdict
from returnkit.validation.words import value_at


class GraphQLValidator(JSONPayloadValidator):
    """Validates requests that call one root field of the Rye schema."""

    def __init__(self, operation: Operation, schema: GraphQLSchema, envelope: SchemaValidator) -> None:
        self.operation = operation
        self.schema = schema
        self.envelope = envelope
        self._valid = Verdict(operation.provider, operation.operation_id)

    @cached_property
    def field(self) -> GraphQLField:
        root = self.schema.mutation_type if self.operation.graphql_type == "Mutation" else self.schema.query_type
        assert root is not None
        field: GraphQLField = root.fields[self.operation.operation_id]
        return field

    def validate(self, payload: Any) -> Verdict:
        if isinstance(payload, Mapping) and "query" in payload:
            errors = tuple(self._request_errors(payload))
        else:
            errors = tuple(self._argument_errors(payload, ()))
        return Verdict(self.operation.provider, self.operation.operation_id, errors) if errors else self._valid

    def _request_errors(self, payload: Mapping[str, Any]) -> Iterator[PayloadError]:
        envelope = self.envelope.validate(payload)
        if not envelope.valid:
            yield from envelope.errors
            return
        try:
            document = parse(payload["query"])
        except GraphQLError as exc:
            yield graphql_error(exc, "graphql-syntax")
            return
        problems = validate(self.schema, document)
        if problems:
            yield from (graphql_error(p, "graphql") for p in problems)
            return
        yield from self._operation_errors(document, payload)

    def _operation_errors(self, document: DocumentNode, payload: Mapping[str, Any]) -> Iterator[PayloadError]:
        operation = get_operation_ast(document, payload.get("operationName"))
        if operation is None:
            yield PayloadError((), "no operation in the document matches operationName", "graphql", value=None)
            return
        if not _selects(operation, self.operation.operation_id):
            yield PayloadError(
                (),
                f"the operation does not call {self.operation.operation_id}",
                "graphql",
                expected=f"a {self.operation.graphql_type} selecting {self.operation.operation_id}",
            )
        yield from self._variable_errors(operation, payload.get("variables") or {})

    def _variable_errors(self, operation: OperationDefinitionNode, variables: Any) -> Iterator[PayloadError]:
        if not isinstance(variables, Mapping):
            return  # the envelope schema already rejected it
        for definition in operation.variable_definitions or ():
            name = definition.variable.name.value
            type_ = type_from_ast(self.schema, definition.type)
            yield from _coerce(variables, name, type_, ("variables",), f"${name}")  # type: ignore[arg-type]

    def _argument_errors(self, payload: Any, prefix: Path) -> Iterator[PayloadError]:
        if not isinstance(payload, Mapping):
            yield PayloadError(prefix, "the variables must be a JSON object", "type", value=payload, expected="object")
            return
        for name, argument in self.field.args.items():
            yield from _coerce(payload, name, argument.type, prefix, name)


def _selects(operation: OperationDefinitionNode, field_name: str) -> bool:
    return any(
        isinstance(selection, FieldNode) and selection.name.value == field_name
        for selection in operation.selection_set.selections
    )


def _coerce(
    values: Mapping[str, Any], name: str, type_: GraphQLInputType, prefix: Path, label: str
) -> Iterator[PayloadError]:
    if name not in values:
        if isinstance(type_, GraphQLNonNull):
            yield PayloadError(
                (*prefix, name),
                f'"{label}" of required type "{type_}" was not provided.',
                "required",
                expected=str(type_),
            )
        return
    found: list[PayloadError] = []

    def on_error(error: GraphQLError, path: list[str | int]) -> None:
        found.append(
            PayloadError(
                (*prefix, name, *path),
                f'"{label}" got invalid value: {error.message}',
                "graphql",
                value=value_at(values[name], path),
                expected=str(type_),
            )
        )

    validate_input_value(values[name], type_, on_error)
    yield from found


def graphql_error(error: GraphQLError, keyword: str) -> PayloadError:
    locations = tuple((loc.line, loc.column) for loc in error.locations or ())
    return PayloadError(("query",), error.message, keyword, value=None, locations=locations)
