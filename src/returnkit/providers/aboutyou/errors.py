"""ABOUT YOU's wire format: every error is `{"message": "..."}` (BadRequestSchema).

Source: docs.partner.aboutyou.com operation pages (400/401 -> BadRequestSchema). The wording
of the messages is ours (x-returnkit-inferred): the API documents only the field. The 429 body
and Retry-After are not documented either; we answer in the same shape.
"""

from __future__ import annotations

from returnkit.providers.kit import ParameterError, Refusal
from returnkit.providers.wire import WireResponse, sentence
from returnkit.validation import Verdict

VALIDATION_STATUS = 400


def render_validation_error(verdict: Verdict) -> WireResponse:
    details = "; ".join([*(sentence(error) for error in verdict.errors), *filter(None, [verdict.more_text])])
    return WireResponse(VALIDATION_STATUS, {"message": f"Invalid request body: {details}"})


def error_body(message: str) -> dict[str, str]:
    return {"message": message}


def message(status: int, text: str) -> WireResponse:
    return WireResponse(status, error_body(text))


class AboutYouErrors:
    def invalid(self, verdict: Verdict) -> WireResponse:
        return render_validation_error(verdict)

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        return message(400, f"Invalid {error.location} parameter {error.name}: {error.message}")

    def unauthorized(self, reason: str) -> WireResponse:
        return message(401, reason)

    def not_found(self, reason: str) -> WireResponse:
        return message(404, f"Not Found: {reason}")

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return message(405, f"Method not allowed; use {', '.join(allowed)}")

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return message(415, f"Unsupported media type {media_type!r}; send application/json")

    def too_large(self, limit: int) -> WireResponse:
        return message(413, f"Request body is larger than {limit} bytes")

    def rate_limited(self, retry_after: int) -> WireResponse:
        return message(429, f"Rate limit exceeded; retry in {retry_after} s")

    def server_error(self, status: int, reason: str) -> WireResponse:
        return message(status, reason)

    def refused(self, refusal: Refusal) -> WireResponse:
        return message(refusal.status, refusal.message)
