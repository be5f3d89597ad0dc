"""Zinc API v2: returns filed against placed orders, resolved over time (see `sources.md`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returnkit.core.world import derive_uuid
from returnkit.providers.kit import Principal, Request, World
from returnkit.providers.zinc import auth, handlers, world
from returnkit.providers.zinc.errors import ZincErrors


class Zinc:
    name = "zinc"
    path_prefixes = ("/returns", "/orders")
    errors = ZincErrors()
    handlers = handlers.HANDLERS

    def seed(self, world_: World) -> None:
        world.seed(world_)

    def add_orders(self, world_: World, owner: str | None, count: int) -> tuple[str, list[str]]:
        return world.add_orders(world_, owner, count)

    def authenticate(self, request: Request, world_: World) -> Principal | str:
        return auth.authenticate(request, world_)

    def describe(self, world_: World) -> dict[str, Any]:
        accounts = []
        for account in world_.mocks["accounts"]:
            orders = world_.store.query(world.PROVIDER, "order", owner=account["id"])
            accounts.append({**account, "orders": [{k: v for k, v in o.items() if k != "owner"} for o in orders]})
        return {"auth": "Authorization: Bearer <api key>", "accounts": accounts}

    def response_headers(self, request: Request, world_: World) -> Mapping[str, str]:
        # FastAPI services commonly tag each response; the SDK surfaces x-request-id in errors.
        return {"x-request-id": derive_uuid(world_.seed, "zinc-request", request.journal_id)}
