"""Kibo Commerce's error JSON.

Key names from the official SDKs (Mozu .NET `ApiException`, Java `ApiError`): `message`,
`applicationName`, `errorCode`, `additionalErrorData[{name, value}]`, `items[]`,
`exceptionDetail{...}`. The values of `applicationName`, `errorCode` for schema violations and
`exceptionDetail.type` are ours (x-returnkit-inferred). The SDKs read `x-vol-correlation`.
"""

from __future__ import annotations

from typing import Any

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
    message = "Validation Error: " + "; ".join(sentence(e) for e in verdict.errors)
    data = [{"name": dotted(e), "value": e.message} for e in verdict.errors]
    return WireResponse(VALIDATION_STATUS, error_body(message, "MISSING_OR_INVALID_PARAMETER", data))
