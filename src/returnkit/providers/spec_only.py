"""A provider served from its spec alone: routed, validated, answered 501 until its behaviour lands.

Kibo Commerce, Kibo OMS and Rye use this until their own packages exist (issues 5 and 6). The
request body is still validated, so a client already gets the provider's exact 4xx for a bad
payload; a valid one gets a 501 that says the behaviour is not simulated yet.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from returnkit.providers.kit import Handler, ParameterError, Principal, Request, World
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
        return WireResponse(405, {"message": f"allowed: {', '.join(allowed)}"}, {"Allow": ", ".join(allowed)})

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return WireResponse(415, {"message": f"send application/json, not {media_type}"})

    def too_large(self, limit: int) -> WireResponse:
        return WireResponse(413, {"message": f"the body is over the {limit} byte limit"})

    def rate_limited(self, retry_after: int) -> WireResponse:
        return WireResponse(429, {"message": "too many requests"}, {"Retry-After": str(retry_after)})


class SpecOnlyKit:
    handlers: Mapping[str, Handler] = {}

    def __init__(self, name: str, path_prefixes: tuple[str, ...], render: Callable[[Verdict], WireResponse]) -> None:
        self.name = name
        self.path_prefixes = path_prefixes
        self.errors = MessageErrors(render)

    def seed(self, world: World) -> None:
        pass

    def authenticate(self, request: Request, world: World) -> Principal:
        return Principal("anyone", "")

    def describe(self, world: World) -> dict[str, Any]:
        return {"simulated": False}

    def response_headers(self, request: Request, world: World) -> Mapping[str, str]:
        return {}
