"""Validate a Rye GraphQL request against the bundled SDL with graphql-core.

A payload is either a whole GraphQL-over-HTTP request (`{"query", "variables",
"operationName"}`) or, for short, just the variables of the operation's root field
(`{"input": {...}}` for `returnOrder`).

One schema's documents are parsed and validated once per text (`Documents`), for every
validator of the provider and for the server: the `/v1/query` validator (`graphql_request.py`)
hands the server a `GraphQLRequest` holding the parsed, validated document, which Rye's handler
executes as it is.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from functools import cached_property
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLField,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLSchema,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
    get_operation_ast,
    parse,
    type_from_ast,
    validate,
)
from graphql.utilities import validate_input_value

from returnkit.spec import Operation
from returnkit.validation.jsonschema_engine import JSONPayloadValidator, SchemaValidator
from returnkit.validation.verdict import Path, PayloadError, Verdict, describe_capped
from returnkit.validation.words import value_at

Checked = tuple[DocumentNode | None, tuple[PayloadError, ...]]


class Documents:
    """One schema and its documents, each text parsed and validated once and kept (clients send the
    same few texts again and again); every validator of the provider shares one."""

    def __init__(self, schema: GraphQLSchema) -> None:
        self.schema = schema
        self._checked: dict[str, Checked] = {}

    def checked(self, query: str) -> Checked:
        """The parsed document (None when it does not parse) and what breaks the schema."""
        if len(query) > DOCUMENT_CACHE_TEXT:
            return _parse_and_validate(self.schema, query)  # a cache of long texts would outgrow any line
        if query not in self._checked:
            if len(self._checked) >= DOCUMENT_CACHE_SIZE:
                self._checked.pop(next(iter(self._checked)))
            self._checked[query] = _parse_and_validate(self.schema, query)
        return self._checked[query]


class GraphQLValidator(JSONPayloadValidator):
    """Validates requests that call one root field of the Rye schema."""

    def __init__(self, operation: Operation, documents: Documents, envelope: SchemaValidator) -> None:
        self.operation = operation
        self.documents = documents
        self.schema = documents.schema
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
            envelope = self.envelope.validate(payload)
            if not envelope.valid:
                return envelope
            found = self._request_errors(payload)
        else:
            found = self._argument_errors(payload, ())
        return _verdict(found, self.operation, self._valid)

    def _request_errors(self, payload: Mapping[str, Any]) -> Iterator[PayloadError]:
        document, problems = self.documents.checked(payload["query"])
        if problems or document is None:
            yield from problems
            return
        yield from self._operation_errors(document, payload)

    def _operation_errors(self, document: DocumentNode, payload: Mapping[str, Any]) -> Iterator[PayloadError]:
        operation = get_operation_ast(document, payload.get("operationName"))
        if operation is None:
            yield PayloadError((), "no operation in the document matches operationName", "graphql", value=None)
            return
        if self.operation.operation_id not in _root_fields(document, operation.selection_set):
            yield PayloadError(
                (),
                f"the operation does not call {self.operation.operation_id}",
                "graphql",
                expected=f"a {self.operation.graphql_type} selecting {self.operation.operation_id}",
            )
        yield from variable_errors(self.schema, operation, payload.get("variables") or {})

    def _argument_errors(self, payload: Any, prefix: Path) -> Iterator[PayloadError]:
        if not isinstance(payload, Mapping):
            yield PayloadError(prefix, "the variables must be a JSON object", "type", value=payload, expected="object")
            return
        for name, argument in self.field.args.items():
            yield from _coerce(payload, name, argument.type, prefix, name)


class GraphQLRequest(dict[str, Any]):
    """A GraphQL-over-HTTP request as sent (its envelope valid), with what its validator made of it:
    the schema, the parsed and validated document (None when it breaks the schema) and the verdict on
    the document and its variables, in the words `validate-payload` uses for the operation it calls."""

    def __init__(
        self, payload: Mapping[str, Any], schema: GraphQLSchema, document: DocumentNode | None, verdict: Verdict
    ) -> None:
        super().__init__(payload)
        self.schema = schema
        self.document = document
        self.verdict = verdict


def checked_request(
    documents: Documents, payload: Mapping[str, Any], endpoint: Operation, calls: Mapping[str, Operation]
) -> GraphQLRequest:
    """A request whose envelope is valid, with its document parsed and judged (`graphql_request.py`).

    Variables are judged when the operation calls one of the listed root fields (`calls`), in
    `validate-payload`'s words for that operation; an operation that matches no name, or calls
    none of them, is left to execution, which words the problem as graphql-core does.
    """
    document, problems = documents.checked(payload["query"])
    verdict = Verdict(endpoint.provider, endpoint.operation_id)
    if document is None or problems:
        verdict = _verdict(problems, endpoint, verdict)
    elif (operation := get_operation_ast(document, payload.get("operationName"))) is not None:
        called = _first_call(operation, calls)
        if called is not None:
            found = variable_errors(documents.schema, operation, payload.get("variables") or {})
            verdict = _verdict(found, called, Verdict(called.provider, called.operation_id))
    return GraphQLRequest(payload, documents.schema, None if problems else document, verdict)


def _first_call(operation: OperationDefinitionNode, calls: Mapping[str, Operation]) -> Operation | None:
    """The first listed operation the operation selects as a field of its own."""
    for selection in operation.selection_set.selections:
        if isinstance(selection, FieldNode) and selection.name.value in calls:
            return calls[selection.name.value]
    return None


def variable_errors(
    schema: GraphQLSchema, operation: OperationDefinitionNode, variables: Any
) -> Iterator[PayloadError]:
    """The variables `operation` cannot take, each with its JSON path (`$.variables.input...`)."""
    if not isinstance(variables, Mapping):
        return  # the envelope schema already rejected it
    for definition in operation.variable_definitions or ():
        name = definition.variable.name.value
        type_ = type_from_ast(schema, definition.type)
        if name not in variables and definition.default_value is not None:
            continue  # the default applies
        yield from _coerce(variables, name, type_, ("variables",), f"${name}")  # type: ignore[arg-type]


DOCUMENT_CACHE_SIZE = 256
DOCUMENT_CACHE_TEXT = 16 * 1024


def _verdict(found: Iterable[PayloadError], operation: Operation, valid: Verdict) -> Verdict:
    described = describe_capped(found, _itself)
    return described.verdict(operation.provider, operation.operation_id) if described.errors else valid


def _itself(error: PayloadError) -> tuple[PayloadError]:
    return (error,)


def _parse_and_validate(schema: GraphQLSchema, query: str) -> Checked:
    try:
        document = parse(query)
    except GraphQLError as exc:
        return None, (graphql_error(exc, "graphql-syntax"),)
    return document, tuple(graphql_error(p, "graphql") for p in validate(schema, document))


def _root_fields(document: DocumentNode, selection_set: SelectionSetNode) -> set[str]:
    """Names of the root fields an operation selects, through fragments and inline fragments."""
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    names: set[str] = set()
    pending, seen = [selection_set], set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                names.add(selection.name.value)
            elif isinstance(selection, InlineFragmentNode):
                pending.append(selection.selection_set)
            elif isinstance(selection, FragmentSpreadNode) and selection.name.value not in seen:
                seen.add(selection.name.value)
                if selection.name.value in fragments:
                    pending.append(fragments[selection.name.value].selection_set)
    return names


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
