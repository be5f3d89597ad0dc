"""One payload, one verdict: every operation that takes a body refuses the same invalid payload
with the same status, media type and bytes from `validate-payload --format provider` as from the
server (authenticated).

The operations come from the bundled specs, so a new operation is covered without a change here.
A form body goes to the CLI as a JSON object of its fields; Rye's GraphQL operations go to the
server inside the `/v1/query` envelope, as the CLI reads them.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
import pytest
from graphql import GraphQLField, get_named_type, is_leaf_type

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.spec import Operation
from returnkit.validation import Catalog
from tests.http import CheckedClient, TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, bearer
from tests.providers.kibo_oms.test_kibo_oms import SUMMIT, token_for

CATALOG = Catalog()
FORM = "application/x-www-form-urlencoded"
# A value of each JSON type, in the order tried when a schema's type must be broken.
ONE_OF_EACH_TYPE: tuple[tuple[str, Any], ...] = (
    ("string", "returnkit-parity"),
    ("integer", 12345),
    ("boolean", True),
    ("array", []),
    ("object", {}),
)
STATIC_CREDENTIALS = {
    "aboutyou": {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"},
    "zinc": {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"},
    "rye": {"Authorization": "Bearer rye_test_cobalt_8e14b6f0"},
}


@dataclass(frozen=True)
class Case:
    operation: Operation
    kind: str
    payload: Any  # what the CLI reads (as JSON); the server gets it in the operation's media type
    malformed: bytes | None = None  # raw bytes sent to both instead, when the point is broken JSON

    @property
    def id(self) -> str:
        return f"{self.operation.provider}-{self.operation.operation_id}-{self.kind}"


def body_operations() -> Iterator[Operation]:
    for provider in CATALOG.providers:
        for operation in CATALOG.spec(provider).operations:
            if operation.request_schema is not None or operation.kind == "graphql":
                yield operation


def resolved(schema: Mapping[str, Any], provider: str) -> Mapping[str, Any]:
    """`schema` with its `$ref`s to `#/components/schemas/...` followed."""
    while "$ref" in schema:
        name = str(schema["$ref"]).removeprefix("#/components/schemas/")
        schema = CATALOG.spec(provider).components["schemas"][name]
    return schema


def wrong_value(schema: Mapping[str, Any]) -> Any:
    """A value the schema's `type` (or `enum`) refuses, or None when the schema constrains neither."""
    if "enum" in schema:
        return "returnkit-parity-not-listed"
    declared = schema.get("type")
    if declared is None:
        return None
    types = {declared} if isinstance(declared, str) else set(declared)
    if "number" in types:
        types.add("integer")
    return next((value for name, value in ONE_OF_EACH_TYPE if name not in types), None)


def rest_cases(operation: Operation) -> Iterator[Case]:
    schema = resolved(operation.request_schema or {}, operation.provider)
    form = operation.request_media_type == FORM
    if not form:
        yield Case(operation, "malformed-json", None, malformed=b'{"returnkit": [}')
        yield Case(operation, "wrong-type-body", wrong_value(schema))
    if schema.get("required"):
        yield Case(operation, "missing-required", {})
    member = _first_member(schema)
    if member is not None:
        key, member_schema = member
        value = wrong_value(resolved(member_schema, operation.provider))
        if value is not None and not (form and not isinstance(value, str)):  # a form field is always text
            yield Case(operation, "wrong-first-member", [value] if key is None else {key: value})


def _first_member(schema: Mapping[str, Any]) -> tuple[str | None, Mapping[str, Any]] | None:
    """The first property of an object schema, or the items of an array schema (key None)."""
    properties = schema.get("properties") or {}
    if properties:
        key = next(iter(properties))
        return key, properties[key]
    if isinstance(schema.get("items"), Mapping):
        return None, schema["items"]
    return None


def graphql_cases(operation: Operation) -> Iterator[Case]:
    field = _root_field(operation)
    document = graphql_document(operation, field)
    required = [name for name, argument in field.args.items() if str(argument.type).endswith("!")]
    if required:
        yield Case(operation, "missing-variable", {"query": document, "variables": {}})
    if field.args:
        first = next(iter(field.args))
        # a list of lists is refused by any input type but a nested list, which Rye's SDL has none of
        yield Case(operation, "wrong-variable-type", {"query": document, "variables": {first: [["parity"]]}})
    if not is_leaf_type(get_named_type(field.type)):
        unknown = document.replace("{ __typename }", "{ __typename returnkitUnknownField }")
        yield Case(operation, "unknown-field", {"query": unknown, "variables": {}})


def _root_field(operation: Operation) -> GraphQLField:
    schema = CATALOG.graphql_schema(operation.provider)
    root = schema.mutation_type if operation.graphql_type == "Mutation" else schema.query_type
    assert root is not None
    field: GraphQLField = root.fields[operation.operation_id]
    return field


def graphql_document(operation: Operation, field: GraphQLField) -> str:
    """A request that calls only this root field, every argument from a variable of its own type."""
    keyword = "mutation" if operation.graphql_type == "Mutation" else "query"
    definitions = ", ".join(f"${name}: {argument.type}" for name, argument in field.args.items())
    arguments = ", ".join(f"{name}: ${name}" for name in field.args)
    selection = "" if is_leaf_type(get_named_type(field.type)) else " { __typename }"
    call = f"{operation.operation_id}({arguments})" if arguments else operation.operation_id
    head = f"{keyword}({definitions})" if definitions else keyword
    return f"{head} {{ {call}{selection} }}"


def all_cases() -> list[Case]:
    cases: list[Case] = []
    for operation in body_operations():
        cases.extend(graphql_cases(operation) if operation.kind == "graphql" else rest_cases(operation))
    return cases


CASES = all_cases()


@dataclass(frozen=True)
class Answer:
    status: int
    media_type: str
    body: bytes


def from_the_cli(case: Case) -> Answer:
    out, err = io.StringIO(), io.StringIO()
    payload = case.malformed if case.malformed is not None else orjson.dumps(case.payload)
    argv = [case.operation.provider, case.operation.operation_id, "--format", "provider"]
    code = validate_payload(argv, stdin=io.BytesIO(payload), stdout=out, stderr=err)
    assert code == 1, f"validate-payload did not refuse the payload: {err.getvalue()}"
    _, status, media_type = err.getvalue().split()  # "HTTP 400 (application/json)"
    return Answer(int(status), media_type.strip("()"), out.getvalue().removesuffix("\n").encode())


def from_the_server(http: TestClient, case: Case) -> Answer:
    operation = case.operation
    if case.malformed is not None:
        content, media_type = case.malformed, "application/json"
    elif operation.request_media_type == FORM:
        content, media_type = urlencode(case.payload).encode(), FORM
    else:
        content, media_type = orjson.dumps(case.payload), "application/json"
    client = CheckedClient(http, operation.provider, credentials(http, operation))
    path = operation.path.format_map(PathIds())
    response = client.request(operation.method, path, content=content, headers={"Content-Type": media_type})
    return Answer(response.status_code, response.headers["content-type"], response.content)


class PathIds(dict[str, str]):
    """Any id: the body is validated before a handler looks anything up (the test shows it)."""

    def __missing__(self, key: str) -> str:
        return "1"


def credentials(http: TestClient, operation: Operation) -> dict[str, str]:
    if operation.provider == "kibo-commerce":
        return bearer(http, NORTHWIND)
    if operation.provider == "kibo-oms" and operation.request_media_type == FORM:  # the token endpoint: Basic
        return {"Authorization": "Basic " + base64.b64encode(":".join(SUMMIT).encode()).decode()}
    if operation.provider == "kibo-oms":
        return token_for(http, SUMMIT)
    return STATIC_CREDENTIALS[operation.provider]


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_an_invalid_payload_gets_the_same_answer_from_validate_payload_and_the_server(
    http: TestClient, case: Case
) -> None:
    assert from_the_server(http, case) == from_the_cli(case)


def test_every_provider_and_every_operation_with_a_body_is_covered() -> None:
    covered = {(case.operation.provider, case.operation.operation_id) for case in CASES}
    assert covered == {(op.provider, op.operation_id) for op in body_operations()}
    assert {provider for provider, _ in covered} == set(CATALOG.providers)
    assert ("kibo-oms", "getToken") in covered
    assert ("rye", "returnOrder") in covered
