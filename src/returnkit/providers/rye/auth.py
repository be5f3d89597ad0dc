"""Rye: `Authorization: Basic <API key>` (the SDK also sends `Bearer`); `Rye-Shopper-IP` accepted."""

from __future__ import annotations

from returnkit.providers.kit import Principal, Request, World


def authenticate(request: Request, world: World) -> Principal | str:
    scheme, _, key = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() not in ("basic", "bearer") or not key.strip():
        return "unauthenticated: send Authorization: Basic <API key>"
    for developer in world.mocks["developers"]:
        if key.strip() in developer["api_keys"]:
            return Principal(developer["id"], key.strip())
    return "unauthenticated: unknown API key"
