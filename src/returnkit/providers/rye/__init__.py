"""Rye (GraphQL): returnOrder on Amazon and Shopify orders, orderByID and returnByID."""

from __future__ import annotations

from collections.abc import Mapping

from returnkit.providers.kit import Handler, ModuleKit
from returnkit.providers.rye import auth, world
from returnkit.providers.rye.errors import RyeErrors
from returnkit.providers.rye.handlers import Executor, handlers


class Rye(ModuleKit):
    name = "rye"
    spec_file = "rye.yaml"
    path_prefixes = ("/v1/",)
    errors = RyeErrors()
    world_module = world
    auth_module = auth

    def __init__(self) -> None:
        self.executor = Executor()

    @property
    def handlers(self) -> Mapping[str, Handler]:  # type: ignore[override]
        return handlers(self.executor)
