"""Kibo OMS: Basic `api key:secret` for a token at `/oauthserver/oauth2/token`, then Bearer.

The `API-Key` header alone is also accepted (x-returnkit-inferred from third-party code).
"""

from __future__ import annotations

import base64
from typing import Any

from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_oms.records import PROVIDER, TOKENS, OmsToken
from returnkit.providers.kit import Principal, Request, World


def manufacturer_by_basic(world: World, header: str) -> dict[str, Any] | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        key, _, secret = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text b64decode refuses
        return None
    return next((m for m in world.mocks["manufacturers"] if (m["api_key"], m["secret_key"]) == (key, secret)), None)


def issue_token(world: World, manufacturer: dict[str, Any]) -> dict[str, Any]:
    number = world.store.next_number(f"{PROVIDER}.token")
    token = derive_uuid(world.seed, PROVIDER, "token", number)
    lifetime = int(world.mocks["tokens"]["lifetime_seconds"])
    record = OmsToken(manufacturer=manufacturer["id"], expires=world.now() + lifetime)
    TOKENS.put(world, token, record, owner=str(manufacturer["id"]))
    return {"access_token": token, "token_type": "bearer", "expires_in": lifetime, "scope": "api"}


def authenticate(request: Request, world: World) -> Principal | str:
    if request.operation_id == "getToken":
        return Principal("", "")  # the token endpoint checks the Basic credentials itself
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and token:
        record = TOKENS.get(world, token.strip())
        if record is None or world.now() >= record["expires"]:
            return "Not Authorized: the access token is unknown or has expired"
        return Principal(str(record["manufacturer"]), token.strip())
    api_key = request.headers.get("api-key")
    manufacturer = next((m for m in world.mocks["manufacturers"] if m["api_key"] == api_key), None)
    if manufacturer is not None:
        return Principal(str(manufacturer["id"]), str(api_key))
    return "Not Authorized: send Authorization: Bearer <token> (or an API-Key header)"
