"""Rye (GraphQL): returnOrder on Amazon and Shopify orders, orderByID and returnByID."""

from __future__ import annotations

from collections.abc import Mapping

from returnkit.providers.kit import Handler, ModuleKit, Transition
from returnkit.providers.rye import auth, behaviour, world
from returnkit.providers.rye.errors import RyeErrors
from returnkit.providers.rye.handlers import HANDLERS
from returnkit.providers.rye.webhooks import RyeWebhooks


class Rye(ModuleKit):
    name = "rye"
    spec_file = "rye.yaml"
    path_prefixes = ("/v1/",)
    errors = RyeErrors()
    handlers: Mapping[str, Handler] = HANDLERS
    transitions: Mapping[str, Transition] = {behaviour.ADVANCE: behaviour.advance}
    webhooks = RyeWebhooks()
    world_module = world
    auth_module = auth
