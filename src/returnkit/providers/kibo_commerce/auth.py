"""Kibo Commerce: OAuth client credentials for an app token, then `Authorization: Bearer <token>`.

Tokens are issued by `POST /api/platform/applications/authtickets/oauth` for a seeded
application, kept in the store with their tenant, and expire on the virtual clock.
"""

from __future__ import annotations

from typing import Any

from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce.records import PROVIDER, TOKENS, KiboToken
from returnkit.providers.kit import Principal, Request, World


def issue_token(world: World, client_id: str | None, client_secret: str | None) -> dict[str, Any] | None:
    """A new token for the application, or None when the credentials are not a seeded app's."""
    for tenant in world.mocks["tenants"]:
        for app in tenant["applications"]:
            if app["client_id"] == client_id and app["client_secret"] == client_secret:
                return _new_token(world, tenant, app["client_id"])
    return None


def _new_token(world: World, tenant: dict[str, Any], application: str) -> dict[str, Any]:
    number = world.store.next_number(f"{PROVIDER}.token")
    token = derive_uuid(world.seed, PROVIDER, "token", number).replace("-", "")
    lifetime = int(world.mocks["tokens"]["lifetime_seconds"])
    record: KiboToken = {"tenant": tenant["id"], "expires": world.now() + lifetime, "application": application}
    TOKENS.put(world, token, record, owner=str(tenant["id"]))
    refresh = derive_uuid(world.seed, PROVIDER, "refresh", number).replace("-", "")
    return {"access_token": token, "token_type": "Bearer", "expires_in": lifetime, "refresh_token": refresh}


def authenticate(request: Request, world: World) -> Principal | str:
    if request.operation_id == "oauthAuthenticateApp":
        return Principal("", "")  # the token endpoint checks the client credentials in its body
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token:
        return "Unauthorized: send Authorization: Bearer <access token>"
    record = TOKENS.get(world, token.strip())
    if record is None:
        return "Unauthorized: the access token is not valid"
    if world.now() >= record["expires"]:
        return "Unauthorized: the access token has expired"
    return Principal(str(record["tenant"]), token.strip())
