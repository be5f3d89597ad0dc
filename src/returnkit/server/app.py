"""`create_app()`: one Connexion AsyncApp serving every provider and the admin API.

Connexion routes; returnkit answers. The middleware list below drives the request path, whose
steps are one list, `pipeline.REQUEST_PATH`. Connexion's own security, validation and parameter
layers are left out: returnkit's steps do that work in each provider's own error format.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from functools import partial
from typing import Any

from connexion import AsyncApp
from connexion.middleware.lifespan import LifespanMiddleware
from connexion.middleware.routing import RoutingMiddleware
from connexion.resolver import Resolver

from returnkit.errors import ReturnkitError
from returnkit.providers import default_kits
from returnkit.providers.kit import ProviderKit
from returnkit.server.asgi import Frontier, Pipeline
from returnkit.server.bridge import combined_routing_view
from returnkit.server.pipeline import OPERATION_SEPARATOR
from returnkit.server.state import ServerOptions, ServerState

__all__ = ["ServerOptions", "create_app"]


def create_app(options: ServerOptions | None = None, kits: Sequence[ProviderKit] | None = None) -> AsyncApp:
    """A new app with its own world: nothing is shared with any other app in the process."""
    options = options or ServerOptions()
    server = ServerState.build(kits if kits is not None else default_kits(), options)
    app = AsyncApp(
        __name__,
        middlewares=[
            # Outermost, and the last resort for errors: any failure becomes the provider's answer,
            # and a deliberately dropped connection (a fault) reaches the server as it should.
            partial(Frontier, server=server),
            RoutingMiddleware,
            partial(Pipeline, server=server),
            LifespanMiddleware,
        ],
        resolver=Resolver(function_resolver=answered_by_pipeline),
        lifespan=partial(_lifespan, server=server),
    )
    # One router for every provider's real paths; /{provider}/... is routed by the Frontier
    # stripping the name (one document for Connexion to load keeps startup short).
    documents = {name: server.catalog.spec(name).document for name in server.apis}
    app.add_api(combined_routing_view(documents, OPERATION_SEPARATOR), base_path="", name="returnkit")
    app.returnkit = server  # the plugin and tests reach the state through the app
    return app


def server_state(app: AsyncApp) -> ServerState:
    state: ServerState = app.returnkit
    return state


def answered_by_pipeline(operation_id: str) -> Any:
    """Connexion wants a function per operation; the Pipeline middleware answers before any is called."""

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise ReturnkitError(f"{operation_id} reached Connexion's handler layer; the Pipeline should have answered")

    return unreachable


@asynccontextmanager
async def _lifespan(_app: Any, server: ServerState) -> AsyncIterator[None]:
    """With the wall clock, the webhook sender runs beside the server (with a frozen one, advances send)."""
    sender = asyncio.create_task(server.dispatcher.run()) if server.clock.mode == "wall" else None
    try:
        yield
    finally:
        if sender is not None:
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender
        server.dispatcher.close()
