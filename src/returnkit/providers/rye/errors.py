"""Rye's GraphQL errors.

A document or variables that break the SDL get a GraphQL `errors[]` response with no data.
Status per GraphQL-over-HTTP: 200 under `application/json`, 400 under
`application/graphql-response+json`. The `extensions.code` values are the ones gqlgen sends
(x-returnkit-inferred: Rye's `Time` scalar description is gqlgen's, suggesting a gqlgen server).
Business failures of `returnOrder` are not errors here: they come back inside `data`.
"""

from __future__ import annotations

from typing import Any

from returnkit.providers.kit import ParameterError, Refusal
from returnkit.providers.message_errors import MessageErrors
from returnkit.providers.wire import JSON, WireResponse, json_path
from returnkit.validation import PayloadError, Verdict

GRAPHQL_RESPONSE = "application/graphql-response+json"
VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
CODES = {"graphql-syntax": "GRAPHQL_PARSE_FAILED"}
IN_DATA = 200  # the HTTP status of a business failure: it comes back inside `data`


def in_data(code: str, message: str) -> Refusal:
    """A business failure of a mutation (`returnOrder`): the resolver shows it as the field's
    `error` ({code, message}) beside a null `result`, not as a GraphQL error."""
    return Refusal(IN_DATA, code, message)


def graphql_error(error: PayloadError) -> dict[str, Any]:
    entry: dict[str, Any] = {"message": error.message}
    if error.keyword == "json":
        entry["extensions"] = {"code": "BAD_REQUEST"}
        return entry
    if error.locations:
        entry["locations"] = [{"line": line, "column": column} for line, column in error.locations]
    code = CODES.get(error.keyword, VALIDATION_FAILED)
    entry["extensions"] = {"code": code}
    if error.path and error.path != ("query",):
        entry["extensions"]["field"] = json_path(error.path)
    return entry


def render_validation_error(verdict: Verdict, media_type: str = JSON) -> WireResponse:
    """GraphQL-over-HTTP: a body that is not a GraphQL request at all (malformed JSON, no `query`)
    is 400 under application/graphql-response+json without `data`; a request whose document or
    variables break the SDL is 200 under application/json."""
    not_graphql = any(_outside_graphql(e) for e in verdict.errors)
    errors: dict[str, Any] = {"errors": [graphql_error(e) for e in verdict.errors]}
    if verdict.more:  # the response's own `extensions` map (GraphQL spec §7.1) says how many were left out
        errors["extensions"] = {"moreErrors": verdict.more}
    if media_type == GRAPHQL_RESPONSE or not_graphql:  # a request error: no `data` at all (GraphQL-over-HTTP)
        return WireResponse(400, errors, media_type=GRAPHQL_RESPONSE)
    return WireResponse(200, {**errors, "data": None}, media_type=media_type)


def _outside_graphql(error: PayloadError) -> bool:
    """A request GraphQL-over-HTTP calls malformed: not JSON, or an envelope field of the wrong shape
    (`variables` that is not a map, no `query`): 400, before any document is looked at."""
    if error.keyword == "json" or (error.path == ("variables",) and error.keyword == "type"):
        return True
    in_document = error.keyword in {"graphql", "graphql-syntax"} or error.path[:1] == ("variables",)
    return not in_document and error.path[:1] != ("input",)


class RyeErrors(MessageErrors):
    """GraphQL errors for what the server refuses; `{"message"}` only where no GraphQL is involved."""

    def __init__(self) -> None:
        super().__init__(render_validation_error)

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        """A header or query value the spec refuses: a GraphQL-over-HTTP request error."""
        body = {"errors": [{"message": f"{error.name}: {error.message}", "extensions": {"code": "BAD_REQUEST"}}]}
        return WireResponse(400, body, media_type=GRAPHQL_RESPONSE)

    def unauthorized(self, reason: str) -> WireResponse:
        body = {"errors": [{"message": reason, "extensions": {"code": "UNAUTHENTICATED"}}], "data": None}
        return WireResponse(401, body)

    def rate_limited(self, retry_after: int) -> WireResponse:
        error = {"message": "Rate limit exceeded for tier Default.", "extensions": {"code": "RATE_LIMITED"}}
        return WireResponse(429, {"errors": [error], "data": None})

    def server_error(self, status: int, reason: str) -> WireResponse:
        body = {"errors": [{"message": reason, "extensions": {"code": "INTERNAL_SERVER_ERROR"}}], "data": None}
        return WireResponse(status, body)

    def refused(self, refusal: Refusal) -> WireResponse:
        body = {"errors": [{"message": refusal.message, "extensions": {"code": refusal.code}}], "data": None}
        return WireResponse(refusal.status, body)
