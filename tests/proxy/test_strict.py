"""`returnkit proxy --strict` answers an invalid request itself, as the provider would, and forwards
nothing: the same status, media type and bytes as `returnkit serve` and `validate-payload --format
provider` (the cases are test_parity's: every operation that takes a body, every provider)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import httpx
import orjson
import pytest

from tests.http import TestClient
from tests.proxy.conftest import free_port, proxy_to
from tests.server.test_parity import CASES, FORM, Answer, Case, PathIds, credentials, from_the_cli, from_the_server


@pytest.fixture(scope="module")
def strict(upstream_serve: str) -> Iterator[tuple[str, Any]]:
    with proxy_to(upstream_serve, strict=True) as proxy:
        yield proxy


@pytest.fixture(scope="module")
def strict_to_nowhere() -> Iterator[str]:
    """A strict proxy whose upstream does not listen: an answer other than a 502 is the proxy's own."""
    with proxy_to(f"http://127.0.0.1:{free_port()}", strict=True) as (proxy, _):
        yield proxy


def through_the_proxy(proxy: str, http: TestClient, case: Case) -> Answer:
    operation = case.operation
    if case.malformed is not None:
        content, media_type = case.malformed, "application/json"
    elif operation.request_media_type == FORM:
        content, media_type = urlencode(case.payload).encode(), FORM
    else:
        content, media_type = orjson.dumps(case.payload), "application/json"
    headers = {**credentials(http, operation), "Content-Type": media_type}
    path = f"/{operation.provider}" + operation.path.format_map(PathIds())
    response = httpx.request(operation.method, proxy + path, content=content, headers=headers, trust_env=False)
    return Answer(response.status_code, response.headers["content-type"], response.content)


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_a_strict_refusal_is_byte_identical_to_serve_and_validate_payload(
    strict_to_nowhere: str, http: TestClient, case: Case
) -> None:
    proxied = through_the_proxy(strict_to_nowhere, http, case)
    assert proxied == from_the_server(http, case)
    assert proxied == from_the_cli(case)


def test_a_strict_refusal_is_not_forwarded_and_is_journaled(strict: tuple[str, Any], upstream_serve: str) -> None:
    proxy, _ = strict
    headers = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
    before = httpx.get(f"{upstream_serve}/__admin/requests", params={"path": "/returns"}, trust_env=False).json()
    answer = httpx.post(f"{proxy}/zinc/returns", json={"reason": 7}, headers=headers, trust_env=False)
    assert answer.status_code == 422
    after = httpx.get(f"{upstream_serve}/__admin/requests", params={"path": "/returns"}, trust_env=False).json()
    assert after["total"] == before["total"]  # the upstream never saw it
    journal = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).json()
    entry = journal["requests"][-1]
    assert entry["direction"] == "proxied"
    assert entry["status"] == 422
    assert entry["proxy"]["forwarded"] is False
    assert entry["proxy"]["upstream_status"] == 0
    assert {"$.reason", "$.order_id"} <= {error["json_path"] for error in entry["verdict"]["errors"]}
    assert {v["json_path"] for v in entry["proxy"]["violations"] if v["direction"] == "request"} >= {"$.reason"}


def test_a_valid_request_passes_a_strict_proxy(strict: tuple[str, Any]) -> None:
    answer = httpx.get(
        f"{strict[0]}/zinc/orders", headers={"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}, trust_env=False
    )
    assert answer.status_code == 200
    assert answer.json()["orders"]
