"""The 3.1 -> 3.0 bridge: Connexion accepts the routing view and routes every operation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from connexion import AsyncApp
from connexion.resolver import Resolver

from returnkit.errors import SpecError
from returnkit.server.bridge import combined_routing_view, routing_view
from returnkit.spec import load_provider
from tests.conftest import PROVIDERS


def echo_handler(operation_id: str) -> Any:
    """Every operation answers with its own operationId, so a test can see where it was routed."""

    async def handler(*_args: Any, **_kwargs: Any) -> tuple[dict[str, str], int]:
        return {"operationId": operation_id}, 200

    return handler


def echo_app(provider: str) -> AsyncApp:
    app = AsyncApp(__name__)
    app.add_api(routing_view(load_provider(provider).document), resolver=Resolver(function_resolver=echo_handler))
    return app


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", path)


def test_the_routing_view_is_openapi_30_and_keeps_every_operation_without_security() -> None:
    document = load_provider("kibo-commerce").document
    view = routing_view(document)
    assert view["openapi"] == "3.0.3"
    operations = {op["operationId"] for item in view["paths"].values() for op in item.values() if "operationId" in op}
    expected = {
        op["operationId"]
        for item in document["paths"].values()
        for op in item.values()
        if isinstance(op, dict) and "operationId" in op
    }
    assert operations == expected
    assert "security" not in view
    assert all("security" not in op for item in view["paths"].values() for op in item.values())


@pytest.mark.parametrize("provider", PROVIDERS)
def test_connexion_routes_every_operation_of_the_31_spec(provider: str) -> None:
    spec = load_provider(provider)
    client = echo_app(provider).test_client()
    for op in (o for o in spec.operations if o.kind == "rest"):
        response = client.request(op.method, concrete(op.path))
        assert (op.method, op.path, response.json()) == (op.method, op.path, {"operationId": op.operation_id})


def test_the_combined_view_routes_every_providers_real_paths_and_refuses_a_shared_path() -> None:
    documents = {name: load_provider(name).document for name in PROVIDERS}
    view = combined_routing_view(documents, ":")
    owners = {
        op["operationId"].split(":")[0]
        for item in view["paths"].values()
        for op in item.values()
        if "operationId" in op
    }
    assert owners == set(PROVIDERS)
    clash = {"zinc": documents["zinc"], "also-zinc": documents["zinc"]}
    with pytest.raises(SpecError, match="both serve /orders"):
        combined_routing_view(clash, ":")


def test_the_combined_view_refuses_a_template_that_would_shadow_another_providers_path() -> None:
    def document(path: str, operation_id: str) -> dict[str, Any]:
        operation = {"operationId": operation_id, "responses": {"200": {"description": "ok"}}}
        return {
            "openapi": "3.1.0",
            "info": {"title": operation_id, "version": "1"},
            "paths": {path: {"get": operation}},
        }

    shadowing = {"a": document("/things/{id}", "getThing"), "b": {**document("/things/new", "newThing")}}
    shadowing["b"]["paths"]["/other"] = shadowing["b"]["paths"]["/things/new"]  # b lists more paths: a goes first
    with pytest.raises(SpecError, match=re.escape("a's /things/{id} would shadow b's /things/new")):
        combined_routing_view(shadowing, ":")
