"""`{"message": ...}` refusals, the shape most providers (and the admin API) use for what the
server refuses before a handler runs; validation errors keep the provider's own renderer."""

from __future__ import annotations

from collections.abc import Callable

from returnkit.providers.kit import ParameterError, Refusal
from returnkit.providers.wire import WireResponse
from returnkit.validation import Verdict


class MessageErrors:
    """`{"message": ...}` bodies; validation errors in the provider's own renderer."""

    def __init__(self, render: Callable[[Verdict], WireResponse]) -> None:
        self.render = render

    def invalid(self, verdict: Verdict) -> WireResponse:
        return self.render(verdict)

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        return WireResponse(400, {"message": f"{error.name}: {error.message}"})

    def unauthorized(self, reason: str) -> WireResponse:
        return WireResponse(401, {"message": reason})

    def not_found(self, reason: str) -> WireResponse:
        return WireResponse(404, {"message": reason})

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return WireResponse(405, {"message": f"allowed: {', '.join(allowed)}"})

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return WireResponse(415, {"message": f"send application/json, not {media_type}"})

    def too_large(self, limit: int) -> WireResponse:
        return WireResponse(413, {"message": f"the body is over the {limit} byte limit"})

    def rate_limited(self, retry_after: int) -> WireResponse:
        return WireResponse(429, {"message": "too many requests"})

    def server_error(self, status: int, reason: str) -> WireResponse:
        return WireResponse(status, {"message": reason})

    def refused(self, refusal: Refusal) -> WireResponse:
        return WireResponse(refusal.status, {"message": refusal.message})
