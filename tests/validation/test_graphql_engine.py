"""Rye's one GraphQL path: the `/v1/query` validator parses and judges the document once, with the
same code (and the same cache) as every other Rye validator, and hands it to the server."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import orjson
import pytest
from graphql import OperationDefinitionNode

from returnkit.validation import Catalog, graphql_engine
from returnkit.validation.graphql_engine import DOCUMENT_CACHE_TEXT, GraphQLRequest
from tests.parsing import counting_parse

ORDER = "query Order($id: ID!) { orderByID(id: $id) { id } }"


def read(catalog: Catalog, payload: Any) -> tuple[Any, Any]:
    return catalog.validator("rye", "query").read_json(orjson.dumps(payload))


def test_the_endpoint_hands_back_the_parsed_document_with_the_request_as_sent() -> None:
    payload = {"query": ORDER, "variables": {"id": "o1"}, "operationName": "Order"}
    verdict, request = read(Catalog(["rye"]), payload)
    assert verdict.valid
    assert isinstance(request, GraphQLRequest)
    assert request == payload  # what the journal keeps: the body as sent
    assert request.verdict.valid
    assert request.document is not None
    assert isinstance(request.document.definitions[0], OperationDefinitionNode)


@pytest.mark.parametrize(
    "payload",
    [
        {"query": "{ nope }"},
        {"query": "{ orderByID(id: 1) { id"},
        {"query": ORDER, "variables": {}},
        {"query": ORDER, "variables": {"id": ["o1"]}},
    ],
)
def test_the_documents_verdict_is_validate_payloads_verdict_for_the_operation(payload: dict[str, Any]) -> None:
    catalog = Catalog(["rye"])
    envelope, request = read(catalog, payload)
    assert envelope.valid  # the envelope's own verdict, as `validate-payload rye query` gives it
    assert not request.verdict.valid
    assert request.verdict.errors == catalog.validate("rye", "orderByID", payload).errors
    assert catalog.validate("rye", "query", payload).valid


def test_a_broken_envelope_is_refused_before_any_document_is_read() -> None:
    verdict, payload = read(Catalog(["rye"]), {"query": 7})
    assert not verdict.valid
    assert not isinstance(payload, GraphQLRequest)


@pytest.mark.parametrize(
    "payload",
    [
        {"query": "query A { __typename }", "operationName": "B"},  # no such operation
        {"query": "mutation($i: CancelOrderInput!) { cancelOrder(input: $i) { error { code } } }"},  # not listed
    ],
)
def test_what_no_listed_operation_is_asked_for_is_left_to_execution(payload: dict[str, Any]) -> None:
    """Execution words these (graphql-core's messages), as the server always answered them."""
    _, request = read(Catalog(["rye"]), {**payload, "variables": {}})
    assert request.verdict.valid
    assert request.document is not None


def test_variables_are_judged_for_the_first_listed_field_the_operation_selects() -> None:
    query = "query($id: ID!) { __typename orderByID(id: $id) { id } }"
    _, request = read(Catalog(["rye"]), {"query": query, "variables": {}})
    assert [(e.json_path, e.keyword) for e in request.verdict.errors] == [("$.variables.id", "required")]
    assert request.verdict.operation == "orderByID"


def test_a_text_is_parsed_once_for_every_validator_of_the_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(graphql_engine, "parse", counting_parse(parsed))
    catalog = Catalog(["rye"])
    payload = {"query": ORDER, "variables": {"id": "o1"}}
    assert catalog.validate("rye", "orderByID", payload).valid
    assert not catalog.validate("rye", "returnOrder", payload).valid  # it does not call returnOrder
    read(catalog, payload)
    read(catalog, payload)
    assert parsed == [ORDER]
    assert catalog.graphql_documents("rye").schema is catalog.graphql_schema("rye")


def test_a_long_text_is_not_kept_but_still_read_once_per_request(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    monkeypatch.setattr(graphql_engine, "parse", counting_parse(parsed))
    long_query = ORDER + " " * DOCUMENT_CACHE_TEXT
    _, request = read(Catalog(["rye"]), {"query": long_query, "variables": {"id": "o1"}})
    assert request.verdict.valid
    assert len(parsed) == 1


def test_two_catalogs_keep_their_own_documents() -> None:
    first, second = Catalog(["rye"]), Catalog(["rye"])
    assert first.graphql_documents("rye") is not second.graphql_documents("rye")
    _, one = read(first, {"query": ORDER, "variables": {"id": "o1"}})
    _, other = read(second, {"query": ORDER, "variables": {"id": "o1"}})
    assert one.schema is first.graphql_schema("rye")
    assert other.schema is second.graphql_schema("rye")


def test_judging_the_envelope_alone_does_not_load_graphql_core() -> None:
    """`validate-payload rye query` stays a one-shot command: graphql-core loads only to read a document."""
    script = (
        "import sys; from returnkit.validation import Catalog; "
        "assert Catalog(['rye']).validate('rye', 'query', {'query': '{ x }'}).valid; "
        "print('graphql' in sys.modules)"
    )
    ran = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert ran.stdout.strip() == "False"
