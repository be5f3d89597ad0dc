"""ABOUT YOU authenticates every call by the `X-API-Key` header (docs: api-authentication)."""

from __future__ import annotations

from returnkit.providers.kit import Principal, Request, World


def authenticate(request: Request, world: World) -> Principal | str:
    key = request.headers.get("x-api-key")
    if not key:
        return "Missing API key: send it in the X-API-Key header"
    for merchant in world.mocks["merchants"]:
        if key in merchant["api_keys"]:
            return Principal(merchant["id"], key)
    return "Invalid API key"
