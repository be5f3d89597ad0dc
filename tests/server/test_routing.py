"""Every operation of every bundled spec reaches returnkit's stages as that operation: the journal
names the operation each request was routed to, on the real path and under `/{provider}/`, for every
method the path declares (`server/routes.py` must take the route Connexion's router would)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from returnkit.spec import SPEC_FILES, load_provider
from tests.http import TestClient, serving

ADMIN_PATHS_OUTSIDE_THE_REQUEST_PATH = ("/__admin/ui",)  # the dashboard's files are served before routing


@pytest.fixture(scope="module")
def client(app: Any) -> Iterator[TestClient]:
    with serving(app) as http:
        yield http


def _operations() -> list[tuple[str, str, str, str]]:
    cases = []
    for provider in SPEC_FILES:
        for operation in load_provider(provider).operations:
            if operation.kind != "rest" or operation.path.startswith(ADMIN_PATHS_OUTSIDE_THE_REQUEST_PATH):
                continue
            cases.append((provider, operation.method, operation.path, operation.operation_id))
    return cases


def _concrete(template: str) -> str:
    return re.sub(r"\{[^}]+\}", "1", template)


def _routed_operation(client: TestClient, method: str, path: str) -> Any:
    """The operation the journal names for one request (reset, asked without credentials: nothing changes)."""
    assert client.post("/__admin/reset").status_code == 200
    client.request(method, path, headers={"X-Probe": "routing"})
    entries = client.get("/__admin/requests", params={"path": path, "limit": 5}).json()["requests"]
    return [entry["operation"] for entry in entries if entry["method"] == method]


@pytest.mark.parametrize(("provider", "method", "template", "operation_id"), _operations(), ids=str)
def test_each_operation_is_routed_to_itself(
    client: TestClient, provider: str, method: str, template: str, operation_id: str
) -> None:
    path = _concrete(template)
    prefixes = [""] if provider == "admin" else ["", f"/{provider}"]
    for prefix in prefixes:
        assert (prefix, _routed_operation(client, method, prefix + path)) == (prefix, [operation_id])
