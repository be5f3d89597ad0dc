"""Kibo OMS coded errors.

Codes, names and HTTP equivalents are documented (oms-dev "Status Codes" page); the JSON
shape `{"code", "name", "message", "errors": [{"field", "message"}]}` is ours
(x-returnkit-inferred: the documents we have never show an error body).
"""

from __future__ import annotations

from typing import Any

from returnkit.providers.kit import ParameterError, Refusal
from returnkit.providers.wire import WireResponse, dotted
from returnkit.validation import Verdict

CODES: dict[int, tuple[str, int]] = {
    5001: ("GENERIC_UNAVAILABLE", 503),
    5006: ("GENERIC_SERVER_ERROR", 500),
    5002: ("GENERIC_NOT_FOUND", 404),
    5003: ("GENERIC_BAD_REQUEST", 400),
    5004: ("GENERIC_NOT_AUTHORIZED", 403),
    5005: ("GENERIC_NOT_ALLOWED", 405),
    5010: ("MISSING_QUERY_PARAM", 400),
    5011: ("MISSING_REQUEST_DATA", 400),
    5012: ("ID_MISMATCH", 400),
    5013: ("INVALID_ID", 400),
    5014: ("INVALID_QUERY_PARAM", 400),
    5015: ("INVALID_REQUEST_DATA", 400),
}


def error_body(code: int, message: str, errors: list[dict[str, str]] | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"code": code, "name": CODES[code][0], "message": message}
    if errors:
        body["errors"] = errors
    return body


def _validation_code(verdict: Verdict) -> tuple[int, str]:
    """5003 for a body that is not JSON (an empty one too), 5011 for missing fields, else 5015."""
    if any(e.keyword == "json" for e in verdict.errors):
        return 5003, "The request body is not valid JSON"
    if all(e.keyword == "required" for e in verdict.errors):
        return 5011, "Missing request data"
    return 5015, "Request field is not valid"


def render_validation_error(verdict: Verdict) -> WireResponse:
    code, message = _validation_code(verdict)
    if verdict.more:
        message += f" ({len(verdict.errors)} fields listed, {verdict.more_text})"
    errors = [{"field": dotted(e), "message": e.message} for e in verdict.errors]
    return WireResponse(CODES[code][1], error_body(code, message, errors))


def coded(code: int, message: str, status: int | None = None) -> WireResponse:
    return WireResponse(status or CODES[code][1], error_body(code, message))


def coded_refusal(code: int, message: str, status: int | None = None) -> Refusal:
    """An OMS business refusal: the code's own HTTP status unless `status` says otherwise."""
    return Refusal(status or CODES[code][1], str(code), message)


def oauth_error(status: int, error: str, description: str) -> Refusal:
    """The OAuth server's refusal, in RFC 6749's `{"error", "error_description"}` (section 5.2)."""
    return Refusal(status, error, description)


def oauth_refusal(verdict: Verdict) -> WireResponse:
    """RFC 6749 section 5.2: a grant type other than the one offered is `unsupported_grant_type`,
    any other malformed token request `invalid_request`."""
    other_grant = all(e.keyword == "enum" and e.path == ("grant_type",) for e in verdict.errors)
    error = "unsupported_grant_type" if verdict.errors and other_grant else "invalid_request"
    reason = "; ".join(f"{dotted(e)}: {e.message}" for e in verdict.errors)
    return WireResponse(400, {"error": error, "error_description": reason})


class OmsErrors:
    def invalid(self, verdict: Verdict) -> WireResponse:
        if verdict.operation == "getToken":  # the OAuth server speaks RFC 6749, not OMS codes
            return oauth_refusal(verdict)
        return render_validation_error(verdict)

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        return coded(5014, f"{error.location.capitalize()} parameter {error.name} is not valid: {error.message}")

    def unauthorized(self, reason: str) -> WireResponse:
        return WireResponse(401, error_body(5004, reason))

    def not_found(self, reason: str) -> WireResponse:
        return coded(5002, f"Not found: {reason}")

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return coded(5005, f"Method not allowed; use {', '.join(allowed)}")

    # OMS's status table maps GENERIC_BAD_REQUEST to 400 and lists no 413 or 415.
    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return coded(5003, f"Unsupported media type {media_type!r}")

    def too_large(self, limit: int) -> WireResponse:
        return coded(5003, f"Request body is larger than {limit} bytes")

    def rate_limited(self, retry_after: int) -> WireResponse:
        return coded(5004, "Account Over Queries Per Second Limit", status=429)

    def server_error(self, status: int, reason: str) -> WireResponse:
        return coded(5006 if status == 500 else 5001, reason, status=status)

    def refused(self, refusal: Refusal) -> WireResponse:
        if not refusal.code.isdigit():  # an RFC 6749 error code: the token endpoint's refusal
            return WireResponse(refusal.status, {"error": refusal.code, "error_description": refusal.message})
        return coded(int(refusal.code), refusal.message, status=refusal.status)
