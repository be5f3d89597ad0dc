"""Zinc API v2: returns filed against placed orders, resolved over time (see `sources.md`)."""

from __future__ import annotations

from collections.abc import Mapping

from returnkit.core.world import derive_uuid
from returnkit.providers.kit import ModuleKit, Request, Transition, World
from returnkit.providers.zinc import auth, behaviour, handlers, world
from returnkit.providers.zinc.errors import ZincErrors
from returnkit.providers.zinc.webhooks import ZincWebhooks


class Zinc(ModuleKit):
    name = "zinc"
    spec_file = "zinc.yaml"
    path_prefixes = ("/returns", "/orders", "/webhooks")
    errors = ZincErrors()
    handlers = handlers.HANDLERS
    transitions: Mapping[str, Transition] = {behaviour.RESOLVE: behaviour.resolve}
    webhooks = ZincWebhooks()
    world_module = world
    auth_module = auth

    def response_headers(self, request: Request, world_: World) -> Mapping[str, str]:
        # x-returnkit-inferred: FastAPI services commonly tag each response; the SDK surfaces x-request-id in errors.
        return {"x-request-id": derive_uuid(world_.seed, "zinc-request", request.journal_id)}
