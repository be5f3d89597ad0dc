"""Connexion's routes, matched in one step.

Connexion's RoutingMiddleware routes a request through five ASGI layers (its middleware, Starlette's
router, the mount of the routing view, the API's router, the route) and tries each route's pattern in
turn: a tenth of a rejected request's time. `RouteTable` holds the same Route objects, read from
Connexion's router once it is built, and finds the route Starlette would take in one call: the first
whose pattern matches and which allows the method, tried only among the routes that can match the
path's first segment. A request it finds is handed to what Connexion would have called next with the
scope Connexion would have given it (the operation and the path parameters); anything else (no route,
a known path with another method, a trailing slash Starlette redirects, a root path) goes through
Connexion's router as before, so its answers stay Connexion's. The routing document stays the one
source of routes: the table is read from the router built from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, NamedTuple

from connexion.middleware.abstract import ROUTING_CONTEXT
from connexion.middleware.routing import RoutingMiddleware, RoutingOperation
from starlette.routing import Mount, Route
from starlette.types import Scope

ANY_FIRST_SEGMENT = None  # a route whose path begins with a template: it may match any first segment


class Routed(NamedTuple):
    operation: RoutingOperation
    path_params: dict[str, Any]

    def scope(self, scope: Scope) -> Scope:
        """The scope Connexion's RoutingOperation hands on: the request's, with the match recorded."""
        routed = {**scope, "path_params": self.path_params}
        context = {"api_base_path": "", "operation_id": self.operation.operation_id}
        routed.setdefault("extensions", {})[ROUTING_CONTEXT] = context
        return routed


class RouteTable:
    def __init__(self, mount: Mount, routes: Sequence[Route]) -> None:
        self._mount = mount
        firsts = [(route, _first_segment(route.path)) for route in routes]
        self._wild = tuple(route for route, first in firsts if first is ANY_FIRST_SEGMENT)
        literals = {first for _, first in firsts if first is not ANY_FIRST_SEGMENT}
        # per literal first segment, in the routes' order: the routes with it and those with a template there
        self._by_first = {
            literal: tuple(route for route, first in firsts if first in (literal, ANY_FIRST_SEGMENT))
            for literal in literals
        }

    @classmethod
    def of(cls, routing: Any) -> RouteTable | None:
        """The table of Connexion's router, or None when it is not the shape this reads (one mount at
        the root holding plain routes): then every request goes through Connexion's router."""
        if not isinstance(routing, RoutingMiddleware):
            return None
        mounts = routing.router.routes
        if len(mounts) != 1 or not isinstance(mounts[0], Mount) or mounts[0].path != "":
            return None
        routes = [route for route in mounts[0].routes if isinstance(route, Route)]
        if len(routes) != len(mounts[0].routes) or not all(isinstance(r.endpoint, RoutingOperation) for r in routes):
            return None
        return cls(mounts[0], routes)

    def match(self, scope: Scope) -> Routed | None:
        """The route Starlette would take for this request and method, None when it would not take one."""
        path: str = scope["path"]
        if scope.get("root_path") or not self._mount.path_regex.match(path):
            return None
        method = scope["method"]
        for route in self._by_first.get(path[1:].split("/", 1)[0], self._wild):
            found = route.path_regex.match(path)
            if found is not None and (not route.methods or method in route.methods):
                convertors = route.param_convertors
                params = {name: convertors[name].convert(value) for name, value in found.groupdict().items()}
                return Routed(route.endpoint, params)
        return None


def _first_segment(path: str) -> str | None:
    first = path[1:].split("/", 1)[0]
    return ANY_FIRST_SEGMENT if re.search(r"[{}]", first) else first
