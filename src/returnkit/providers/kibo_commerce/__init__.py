"""Kibo Commerce Returns: OAuth app tokens, the return state machine, refunds and replacements."""

from __future__ import annotations

from collections.abc import Mapping

from returnkit.core.world import derive_uuid
from returnkit.providers.kibo_commerce import auth, behaviour, handlers, world
from returnkit.providers.kibo_commerce.errors import KiboErrors
from returnkit.providers.kibo_commerce.webhooks import KiboCommerceWebhooks
from returnkit.providers.kit import ModuleKit, RecordView, Request, Transition, World


class KiboCommerce(ModuleKit):
    name = "kibo-commerce"
    spec_file = "kibo-commerce.yaml"
    path_prefixes = ("/api/commerce/", "/api/platform/", "/api/event/")
    errors = KiboErrors()
    handlers = handlers.HANDLERS
    world_module = world
    auth_module = auth
    transitions: Mapping[str, Transition] = {behaviour.FULFILMENT: behaviour.fulfil_replacement}
    webhooks = KiboCommerceWebhooks()
    record_views: Mapping[str, RecordView] = {"return": behaviour.view}
    strip_trailing_slash = True  # the legacy SDKs call /api/commerce/returns/?startIndex=...

    def response_headers(self, request: Request, world_: World) -> Mapping[str, str]:
        """`x-vol-correlation` echoed, or one of ours (the SDKs read it from every response)."""
        sent = request.headers.get("x-vol-correlation")
        return {
            "x-vol-correlation": sent
            or derive_uuid(world_.seed, self.name, "correlation", request.journal_id).replace("-", "")
        }
