"""Zinc's wire formats.

Schema violations: FastAPI's 422 `{"detail": [{"type", "loc", "msg", "input", "ctx"?}]}` with
pydantic v2 error types (Zinc's operationIds and `HTTPValidationError` show a FastAPI server).
Business errors: `{"error": {"code", "message", "details"}}` (SDK `ErrorResponse`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from returnkit.providers.kit import ParameterError, Refusal
from returnkit.providers.wire import WireResponse
from returnkit.validation import PayloadError, Verdict
from returnkit.validation.words import truncate_value

VALIDATION_STATUS = 422

Pydantic = tuple[str, str, dict[str, Any]]  # (type, msg, ctx)

TYPE_ERRORS = {
    "integer": ("int_type", "Input should be a valid integer"),
    "number": ("float_type", "Input should be a valid number"),
    "string": ("string_type", "Input should be a valid string"),
    "boolean": ("bool_type", "Input should be a valid boolean"),
    "array": ("list_type", "Input should be a valid list"),
    "object": ("model_attributes_type", "Input should be a valid dictionary or object to extract fields from"),
    "null": ("none_required", "Input should be None"),
}
FORMAT_ERRORS = {
    "uuid": ("uuid_parsing", "Input should be a valid UUID"),
    "date-time": ("datetime_from_date_parsing", "Input should be a valid datetime"),
}


def _type(error: PayloadError) -> Pydantic:
    wanted = error.rule[0] if isinstance(error.rule, list) else error.rule
    kind, message = TYPE_ERRORS.get(wanted, ("type_error", f"Input should be {error.expected}"))
    return kind, message, {}


def _bound(kind: str, words: str, ctx_key: str) -> Callable[[PayloadError], Pydantic]:
    def make(error: PayloadError) -> Pydantic:
        return kind, f"Input should be {words} {error.rule}", {ctx_key: error.rule}

    return make


def _string_length(kind: str, limit: str, ctx_key: str) -> Callable[[PayloadError], Pydantic]:
    def make(error: PayloadError) -> Pydantic:
        plural = "" if error.rule == 1 else "s"
        return kind, f"String should have at {limit} {error.rule} character{plural}", {ctx_key: error.rule}

    return make


def _list_length(kind: str, limit: str, ctx_key: str) -> Callable[[PayloadError], Pydantic]:
    def make(error: PayloadError) -> Pydantic:
        actual = len(error.value) if isinstance(error.value, list) else 0
        plural = "" if error.rule == 1 else "s"
        message = f"List should have at {limit} {error.rule} item{plural} after validation, not {actual}"
        return kind, message, {"field_type": "List", ctx_key: error.rule, "actual_length": actual}

    return make


def _enum(error: PayloadError) -> Pydantic:
    quoted = [f"'{option}'" for option in error.rule or []]
    expected = ", ".join(quoted[:-1]) + f" or {quoted[-1]}" if len(quoted) > 1 else "".join(quoted)
    return "enum", f"Input should be {expected}", {"expected": expected}


def _format(error: PayloadError) -> Pydantic:
    kind, message = FORMAT_ERRORS.get(error.rule, ("value_error", f"Input should be a valid {error.rule}"))
    return kind, message, {}


def _missing(_error: PayloadError) -> Pydantic:
    return "missing", "Field required", {}


PYDANTIC_KINDS: dict[str, Callable[[PayloadError], Pydantic]] = {
    "type": _type,
    "minimum": _bound("greater_than_equal", "greater than or equal to", "ge"),
    "maximum": _bound("less_than_equal", "less than or equal to", "le"),
    "exclusiveMinimum": _bound("greater_than", "greater than", "gt"),
    "exclusiveMaximum": _bound("less_than", "less than", "lt"),
    "minLength": _string_length("string_too_short", "least", "min_length"),
    "maxLength": _string_length("string_too_long", "most", "max_length"),
    "minItems": _list_length("too_short", "least", "min_length"),
    "maxItems": _list_length("too_long", "most", "max_length"),
    "enum": _enum,
    "format": _format,
    "required": _missing,
}


def detail(error: PayloadError) -> dict[str, Any]:
    """One FastAPI `detail[]` entry for one error."""
    if error.keyword == "json":
        return {
            "type": "json_invalid",
            "loc": ["body", error.offset or 0],
            "msg": "JSON decode error",
            "input": {},
            "ctx": {"error": error.rule},
        }
    make = PYDANTIC_KINDS.get(error.keyword)
    kind, message, ctx = make(error) if make else ("value_error", error.message, {})
    entry: dict[str, Any] = {"type": kind, "loc": ["body", *error.path], "msg": message, "input": echoed(error.value)}
    if ctx:
        entry["ctx"] = ctx
    return entry


def render_validation_error(verdict: Verdict) -> WireResponse:
    # FastAPI lists every error; returnkit lists the first MAX_ERRORS (the verdict holds no more).
    return WireResponse(VALIDATION_STATUS, {"detail": [detail(e) for e in verdict.errors]})


def error_body(code: str, message: str, details: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"error": {"code": code, "message": message, "details": details}}


def business(status: int, code: str, message: str, details: dict[str, Any] | None = None) -> WireResponse:
    return WireResponse(status, error_body(code, message, details))


class ZincErrors:
    """Zinc runs on FastAPI: unknown routes and methods get FastAPI's own `{"detail": ...}`."""

    def invalid(self, verdict: Verdict) -> WireResponse:
        return render_validation_error(verdict)

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        entry = {"type": error.kind, "loc": [error.location, error.name], "msg": error.message, "input": error.value}
        if error.context:
            entry["ctx"] = dict(error.context)
        return WireResponse(VALIDATION_STATUS, {"detail": [entry]})

    def unauthorized(self, reason: str) -> WireResponse:
        code = "unauthorized" if reason.startswith("Missing") else "invalid_token"
        return business(401, code, reason)

    def not_found(self, reason: str) -> WireResponse:
        return WireResponse(404, {"detail": "Not Found"})

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return WireResponse(405, {"detail": "Method Not Allowed"})

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        # FastAPI reads a non-JSON body as raw input, so the model check fails on `body` itself.
        entry = {
            "type": "model_attributes_type",
            "loc": ["body"],
            "msg": "Input should be a valid dictionary or object to extract fields from",
            "input": media_type,
        }
        return WireResponse(VALIDATION_STATUS, {"detail": [entry]})

    def too_large(self, limit: int) -> WireResponse:
        return business(413, "bad_request", f"Request body is larger than {limit} bytes")

    def rate_limited(self, retry_after: int) -> WireResponse:
        return business(429, "rate_limit_exceeded", "Too many requests", {"retry_after": retry_after})

    def server_error(self, status: int, reason: str) -> WireResponse:
        return business(status, "internal_error" if status == 500 else "service_unavailable", reason)

    def refused(self, refusal: Refusal) -> WireResponse:
        return business(refusal.status, refusal.code, refusal.message, dict(refusal.details) or None)


# FastAPI echoes the whole input; past this many characters of JSON the echo is the value's first
# characters with "…" (x-returnkit-inferred: a bounded answer, the same from validate-payload and the mock).
ECHO_LIMIT = 16 * 1024


def echoed(value: Any) -> Any:
    """`value` as FastAPI's `input` echoes it, or its preview when its JSON is over ECHO_LIMIT."""
    if isinstance(value, str) and len(value) * 6 < ECHO_LIMIT:  # even all escaped, its JSON fits
        return value
    preview = truncate_value(value, ECHO_LIMIT)
    return preview if preview.endswith("…") else value
