"""Kibo Commerce's error JSON.

Key names from the official SDKs (Mozu .NET `ApiException`, Java `ApiError`): `message`,
`applicationName`, `errorCode`, `additionalErrorData[{name, value}]`, `items[]`,
`exceptionDetail{...}`. The values of `applicationName`, `errorCode` for schema violations and
`exceptionDetail.type` are ours (x-returnkit-inferred). The SDKs read `x-vol-correlation`.
"""

from __future__ import annotations

from typing import Any

from returnkit.providers.kit import ParameterError, Refusal
from returnkit.providers.wire import WireResponse, dotted, sentence
from returnkit.validation import Verdict

VALIDATION_STATUS = 400
APPLICATION = "Commerce.Runtime"


def error_body(message: str, error_code: str, data: list[dict[str, str]] | None = None) -> dict[str, Any]:
    return {
        "message": message,
        "applicationName": APPLICATION,
        "errorCode": error_code,
        "additionalErrorData": data or [],
        "items": [],
        "exceptionDetail": {"message": message, "type": "Mozu.Core.Exceptions.VaeValidationException"},
    }


def render_validation_error(verdict: Verdict) -> WireResponse:
    message = "Validation Error: " + "; ".join(
        [*(sentence(e) for e in verdict.errors), *filter(None, [verdict.more_text])]
    )
    data = [{"name": dotted(e), "value": e.message} for e in verdict.errors]
    return WireResponse(VALIDATION_STATUS, error_body(message, "MISSING_OR_INVALID_PARAMETER", data))


def kibo_error(status: int, error_code: str, message: str, **data: Any) -> WireResponse:
    extra = [{"name": name, "value": str(value)} for name, value in data.items()]
    body = error_body(message, error_code, extra)
    body["exceptionDetail"]["type"] = EXCEPTION_TYPES.get(status, body["exceptionDetail"]["type"])
    return WireResponse(status, body)


EXCEPTION_TYPES = {
    401: "Mozu.Core.Exceptions.VaeUnAuthorizedException",
    404: "Mozu.Core.Exceptions.VaeItemNotFoundException",
    409: "Mozu.Core.Exceptions.VaeValidationException",
}


def not_found(kind: str, key: str) -> Refusal:
    return Refusal(404, "ITEM_NOT_FOUND", f"Item not found: {kind} {key} not found", {kind: key})


def conflict(message: str, **data: Any) -> Refusal:
    return Refusal(409, "VALIDATION_CONFLICT", f"Validation Error: {message}", data)


def invalid_parameter(message: str) -> Refusal:
    """A value the handler checks itself (not the schema): Kibo's 400."""
    return Refusal(400, "MISSING_OR_INVALID_PARAMETER", message)


class KiboErrors:
    def invalid(self, verdict: Verdict) -> WireResponse:
        return render_validation_error(verdict)

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        return kibo_error(400, "MISSING_OR_INVALID_PARAMETER", f"Invalid parameter {error.name}: {error.message}")

    def unauthorized(self, reason: str) -> WireResponse:
        return kibo_error(401, "UNAUTHORIZED", reason)

    def not_found(self, reason: str) -> WireResponse:
        return kibo_error(404, "ITEM_NOT_FOUND", f"Item not found: {reason}")

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return kibo_error(405, "METHOD_NOT_ALLOWED", f"Method not allowed; use {', '.join(allowed)}")

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return kibo_error(
            415, "UNSUPPORTED_MEDIA_TYPE", f"Unsupported media type {media_type!r}; send application/json"
        )

    def too_large(self, limit: int) -> WireResponse:
        return kibo_error(413, "REQUEST_TOO_LARGE", f"Request body is larger than {limit} bytes")

    def rate_limited(self, retry_after: int) -> WireResponse:
        return kibo_error(429, "EXCEEDED_MAX_RETRIES", "Too many requests")

    def server_error(self, status: int, reason: str) -> WireResponse:
        return kibo_error(status, "UNEXPECTED_ERROR" if status == 500 else "SYSTEM_MAINTENANCE", reason)

    def refused(self, refusal: Refusal) -> WireResponse:
        return kibo_error(refusal.status, refusal.code, refusal.message, **refusal.details)
