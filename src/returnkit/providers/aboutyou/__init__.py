"""ABOUT YOU Sellers Center: orders, ship, cancel and return batches (see `sources.md`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returnkit.providers.aboutyou import auth, behaviour, handlers, world
from returnkit.providers.aboutyou.errors import AboutYouErrors
from returnkit.providers.kit import Principal, Request, World


class AboutYou:
    name = "aboutyou"
    path_prefixes = ("/api/v1/",)
    errors = AboutYouErrors()
    handlers = handlers.HANDLERS

    def seed(self, world_: World) -> None:
        world.seed(world_)

    def add_orders(self, world_: World, owner: str | None, count: int) -> tuple[str, list[str]]:
        return world.add_orders(world_, owner, count)

    def authenticate(self, request: Request, world_: World) -> Principal | str:
        return auth.authenticate(request, world_)

    def describe(self, world_: World) -> dict[str, Any]:
        behaviour.settle(world_)
        merchants = []
        for merchant in world_.mocks["merchants"]:
            orders = list(world.merchant_orders(world_, merchant["id"]))
            merchants.append({**merchant, "orders": orders})
        return {"auth": "X-API-Key header", "merchants": merchants}

    def response_headers(self, request: Request, world_: World) -> Mapping[str, str]:
        return {}
