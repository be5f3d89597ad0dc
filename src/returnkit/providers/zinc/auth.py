"""Zinc authenticates by `Authorization: Bearer zn_...` (docs: create-return; the SDK sends it verbatim)."""

from __future__ import annotations

from returnkit.providers.kit import Principal, Request, World


def authenticate(request: Request, world: World) -> Principal | str:
    header = request.headers.get("authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        return "Missing API key: send Authorization: Bearer zn_..."
    if scheme.lower() != "bearer" or not key.startswith("zn_"):
        return "Invalid API key: expected Authorization: Bearer zn_..."
    for account in world.mocks["accounts"]:
        if key.strip() in account["api_keys"]:
            return Principal(account["id"], key.strip())
    return "Invalid API key"
