"""Both directions of a proxied exchange against the bundled spec, as violations a drift report groups.

Requests: the verdict of the validation engine (`validate_body`), or the refusal of a stage before
it. Responses: `--check-responses`' own oracle (`conformance.ResponseChecker`, openapi-core), its
schema errors read one by one so that each names its JSON path. A violation is a plain dict:
`direction` (request | response), `kind`, `json_path`, `message`; it goes to the journal and the
recording as it is.
"""

from __future__ import annotations

from typing import Any

from returnkit.providers.wire import WireResponse
from returnkit.server.conformance import ResponseChecker
from returnkit.validation import Verdict

Violation = dict[str, Any]
# jsonschema keywords and what a drift report calls them
KINDS = {
    "additionalProperties": "undeclared field",
    "unevaluatedProperties": "undeclared field",
    "type": "wrong type",
    "required": "missing field",
    "enum": "value not in enum",
    "const": "value not in enum",
    "format": "wrong format",
}


def violation(direction: str, kind: str, json_path: str, message: str) -> Violation:
    return {"direction": direction, "kind": kind, "json_path": json_path, "message": message}


def request_violations(verdict: Verdict | None, refusal: str | None) -> list[Violation]:
    """What the validation engine found in the request body, or why a stage before it refused."""
    if verdict is not None and not verdict.valid:
        return [
            violation("request", KINDS.get(e.keyword, e.keyword or "invalid"), e.json_path, e.message)
            for e in verdict.errors
        ]
    if refusal is not None:
        kind = "unknown operation" if "not an operation" in refusal or "not allowed" in refusal else "refused"
        return [violation("request", kind, "$", refusal)]
    return []


class DriftChecker(ResponseChecker):
    """`--check-responses`' checker, giving every schema error of a response with its JSON path."""

    def violations(
        self, provider: str, method: str, path: str, headers: dict[str, str], answer: WireResponse
    ) -> list[Violation]:
        problem = self.problem(provider, method, path, headers, answer)
        return [] if problem is None else _read(problem, answer.status)


def _read(problem: Exception, status: int) -> list[Violation]:
    """openapi-core's exception as violations: each schema error, an undocumented status, or the message."""
    schema_errors = _schema_errors(problem)
    if schema_errors:
        return [found for error in schema_errors for found in _schema_violations(error)]
    name = type(problem).__name__
    if name == "ResponseNotFound":
        return [
            violation("response", "undocumented status", "$", f"status {status} is not documented for this operation")
        ]
    return [violation("response", _kind_of(name), "$", f"{name}: {problem}"[:2000])]


def _schema_errors(problem: BaseException) -> list[Any]:
    cause: BaseException | None = problem
    while cause is not None:
        found = getattr(cause, "schema_errors", None)
        if found:
            return list(found)
        cause = cause.__cause__
    return []


def _schema_violations(error: Any) -> list[Violation]:
    """One jsonschema error; each undeclared field by its own path, not its object's."""
    keyword, path, message = str(error.validator), str(error.json_path), str(error.message)[:500]
    kind = KINDS.get(keyword, keyword)
    if keyword in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        declared = error.schema.get("properties", {}) if isinstance(error.schema, dict) else {}
        extra = [name for name in error.instance if name not in declared]
        return [violation("response", kind, f"{path}.{name}", f"{name!r} is not declared here") for name in extra]
    return [violation("response", kind, path, message)]


def _kind_of(exception_name: str) -> str:
    """openapi-core's exception names, in a report's words."""
    if "Header" in exception_name:
        return "header"
    if "MediaType" in exception_name:
        return "media type"
    if "Path" in exception_name or "Operation" in exception_name:
        return "unknown operation"
    return "invalid"
