"""Kibo OMS v2 (formerly Shopatron): returns created, searched, processed and reopened."""

from __future__ import annotations

from returnkit.providers.kibo_oms import auth, handlers, world
from returnkit.providers.kibo_oms.errors import OmsErrors
from returnkit.providers.kibo_oms.webhooks import KiboOmsWebhooks
from returnkit.providers.kit import ModuleKit


class KiboOms(ModuleKit):
    name = "kibo-oms"
    spec_file = "kibo-oms.yaml"
    path_prefixes = ("/api/v2/", "/oauthserver/")
    errors = OmsErrors()
    handlers = handlers.HANDLERS
    world_module = world
    auth_module = auth
    webhooks = KiboOmsWebhooks()
