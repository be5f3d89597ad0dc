"""ABOUT YOU Sellers Center: orders, ship, cancel and return batches (see `sources.md`)."""

from __future__ import annotations

from collections.abc import Mapping

from returnkit.providers.aboutyou import auth, behaviour, handlers, world
from returnkit.providers.aboutyou.errors import AboutYouErrors
from returnkit.providers.aboutyou.webhooks import AboutYouWebhooks
from returnkit.providers.kit import ModuleKit, Transition


class AboutYou(ModuleKit):
    name = "aboutyou"
    spec_file = "aboutyou.yaml"
    path_prefixes = ("/api/v1/",)
    errors = AboutYouErrors()
    handlers = handlers.HANDLERS
    transitions: Mapping[str, Transition] = {
        behaviour.PROCESS: behaviour.process,
        behaviour.COMPLETE: behaviour.complete,
    }
    webhooks = AboutYouWebhooks()
    world_module = world
    auth_module = auth
