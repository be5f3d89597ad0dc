"""ABOUT YOU's wire format: every error is `{"message": "..."}` (BadRequestSchema).

Source: docs.partner.aboutyou.com operation pages (400/401 -> BadRequestSchema). The wording
of the message is ours (x-returnkit-inferred): the API documents only the field.
"""

from __future__ import annotations

from returnkit.providers.wire import WireResponse, sentence
from returnkit.validation import Verdict

VALIDATION_STATUS = 400


def render_validation_error(verdict: Verdict) -> WireResponse:
    details = "; ".join(sentence(error) for error in verdict.errors)
    return WireResponse(VALIDATION_STATUS, {"message": f"Invalid request body: {details}"})


def error_body(message: str) -> dict[str, str]:
    return {"message": message}
