"""The validator of a GraphQL endpoint's own operation (Rye's `graphqlQuery`, `POST /v1/query`).

Its verdict is the envelope's, as for any REST body. `read_json`, the server's validation stage,
also parses and judges the document (`graphql_engine.checked_request`, through the provider's one
`Documents`) and hands it back inside the payload, a `GraphQLRequest`: the handler executes that
document or renders that verdict, so a document is read once, by the same code as `validate-payload`.
This module does not import graphql-core: `validate-payload rye query` judges the envelope without it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from returnkit.spec import Operation
from returnkit.validation.jsonschema_engine import SchemaValidator
from returnkit.validation.verdict import Verdict

if TYPE_CHECKING:
    from returnkit.validation.graphql_engine import Documents


class GraphQLRequestValidator:
    """The envelope's validator, whose `read_json` also reads the GraphQL request it holds."""

    def __init__(
        self, envelope: SchemaValidator, documents: Callable[[], Documents], calls: Mapping[str, Operation]
    ) -> None:
        self.operation = envelope.operation
        self.envelope = envelope
        self.documents = documents  # the provider's, built on first use
        self.calls = calls  # the root fields that are operations of their own, by name

    def validate(self, payload: Any) -> Verdict:
        return self.envelope.validate(payload)

    def validate_json(self, data: bytes | str) -> Verdict:
        return self.envelope.validate_json(data)

    def read_json(self, data: bytes | str) -> tuple[Verdict, Any]:
        verdict, payload = self.envelope.read_json(data)
        if not verdict.valid:
            return verdict, payload
        from returnkit.validation.graphql_engine import checked_request

        return verdict, checked_request(self.documents(), payload, self.operation, self.calls)
