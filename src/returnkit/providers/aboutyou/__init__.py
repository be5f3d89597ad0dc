"""ABOUT YOU Sellers Center: orders, ship, cancel and return batches (see `sources.md`)."""

from __future__ import annotations

from typing import Any

from returnkit.providers.aboutyou import auth, behaviour, handlers, world
from returnkit.providers.aboutyou.errors import AboutYouErrors
from returnkit.providers.kit import ModuleKit, World


class AboutYou(ModuleKit):
    name = "aboutyou"
    spec_file = "aboutyou.yaml"
    path_prefixes = ("/api/v1/",)
    errors = AboutYouErrors()
    handlers = handlers.HANDLERS
    world_module = world
    auth_module = auth

    def describe(self, world_: World) -> dict[str, Any]:
        behaviour.settle(world_)  # batches due by now show in the orders
        return world.describe(world_)
