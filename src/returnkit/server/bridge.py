"""An OpenAPI 3.0 routing view of a bundled 3.1 spec, for Connexion.

Connexion 3.3 validates the documents it is given against the OpenAPI 3.0 meta-schema and
refuses 3.1 (connexion issue #1396). returnkit's specs stay 3.1; Connexion only needs to route,
because returnkit's own pipeline authenticates (in each provider's own 401 format) and
validates requests. So the view keeps only what routing needs: paths, methods and operationIds.
Parameters, request bodies and security are left out, and so are a spec's top-level `webhooks`
(what the provider sends, not what it serves): only `paths` are routed.

Connexion validates the view against the OpenAPI 3.0 meta-schema at every start, and each
parameter or body costs a pass through its `oneOf`s: without them loading the view takes less
than half the time. Path parameters need no declaration to be routed: Connexion gives a template
segment a Starlette convertor only for an integer, number or `format: path` parameter, and
returnkit routes every segment as a string, which is Starlette's default (`[^/]+`); the
Pipeline reads the matched values from the route, not from the view.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from starlette.convertors import PathConvertor, register_url_convertor

from returnkit.errors import SpecError
from returnkit.spec import HTTP_METHODS

OPENAPI_30 = "3.0.3"


class AnyCharacterPath(PathConvertor):
    """Starlette's `path` convertor, also across a newline (`%0A`) in the path.

    Connexion mounts every API at `{base}/{path:path}`, and the stock convertor's `.*` stops at a
    newline: `/returns/a%0Ab` matched no route and got a 404, where the provider (FastAPI, whose
    `[^/]+` takes any character) reaches the operation and refuses the id in its own format.
    """

    regex = "(?s:.*)"


# Connexion compiles its mounts with whatever convertor is registered as `path` when an app is built.
register_url_convertor("path", AnyCharacterPath())


def routing_view(document: Mapping[str, Any], operation_prefix: str = "") -> dict[str, Any]:
    """A 3.0.3 document that routes exactly the operations of the 3.1 `document`.

    `operation_prefix` keeps operationIds unique when several providers share one router.
    """
    paths = {path: _path_item(document["paths"][path], operation_prefix) for path in routing_order(document["paths"])}
    return {
        "openapi": OPENAPI_30,
        "info": {"title": document["info"]["title"], "version": str(document["info"]["version"])},
        "paths": paths,
    }


def combined_routing_view(documents: Mapping[str, Mapping[str, Any]], separator: str) -> dict[str, Any]:
    """One routing view of several providers' real paths, each operationId prefixed by its provider.

    Connexion chains APIs mounted at the same base path, but with three or more the middle
    ones become unreachable (each new API replaces the previous fallback), so the providers
    that share the root share one document instead. Two providers claiming one path is a
    spec error.
    """
    owners: dict[str, str] = {}
    paths: dict[str, Any] = {}
    # Starlette tries routes in order: providers with few paths first, so a Zinc call is not
    # matched against Kibo's thirty paths before its own. Within a provider, literal first.
    for name, document in sorted(documents.items(), key=lambda named: len(named[1]["paths"])):
        for path, item in routing_view(document, name + separator)["paths"].items():
            if path in owners:
                raise SpecError(f"{name} and {owners[path]} both serve {path}")
            owners[path] = name
            paths[path] = item
    _refuse_shadowing(owners)
    return {"openapi": OPENAPI_30, "info": {"title": "returnkit", "version": "1"}, "paths": paths}


def _refuse_shadowing(owners: Mapping[str, str]) -> None:
    """A templated path of one provider must not match a literal path of another listed later."""
    listed = list(owners)
    for position, path in enumerate(listed):
        pattern = re.compile("^" + re.sub(r"\\{[^}]+\\}", "[^/]+", re.escape(path)) + "$")
        for later in listed[position + 1 :]:
            if owners[later] != owners[path] and pattern.match(later):
                raise SpecError(f"{owners[path]}'s {path} would shadow {owners[later]}'s {later}")


def routing_order(paths: Iterable[str]) -> list[str]:
    """Literal segments before templated ones, so `/returns/reasons` is not taken for `/returns/{id}`.

    Connexion registers routes in document order and the first match wins.
    """

    def key(path: str) -> list[tuple[int, str]]:
        return [(int(segment.startswith("{")), segment) for segment in path.split("/")]

    return sorted(paths, key=key)


def _path_item(item: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {method: _operation(item[method], prefix) for method in HTTP_METHODS if method in item}


def _operation(operation: Mapping[str, Any], prefix: str) -> dict[str, Any]:
    return {
        "operationId": prefix + operation["operationId"],
        "responses": {"default": {"description": "Answered by returnkit"}},
    }
