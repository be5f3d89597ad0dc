"""`returnkit proxy` in front of `returnkit serve`: everything is forwarded unchanged and conforms
(a clean drift report); the journal shows each exchange as `proxied`; credentials are masked in the
journal and the recording; invalid requests are forwarded and flagged."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from returnkit.cli.drift import main as report
from tests.conftest import VALID_CREATE
from tests.proxy.conftest import proxy_to

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
ABOUTYOU = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}
RYE = {"Authorization": "Bearer rye_test_cobalt_8e14b6f0"}
KIBO_APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
OMS_BASIC = "Basic " + base64.b64encode(b"oms_key_summit_61b0c2:oms_secret_summit_9e47d3").decode()
SECRETS = ("5d2f8a91c4e7", "7f3a9c21", "8e14b6f0", "3c9e71", "oms_secret_summit_9e47d3")


@pytest.fixture(scope="module")
def recorded(upstream_serve: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("proxy") / "recording"  # missing: the proxy creates it
    with proxy_to(upstream_serve, record=directory) as (proxy, _):
        yield proxy, directory


def client(base_url: str) -> httpx.Client:
    return httpx.Client(base_url=base_url, trust_env=False, timeout=10)


def conforming_session(proxy: str) -> list[str]:
    """A client's day with every provider, through the proxy; the access tokens it was given."""
    with client(proxy) as http:
        assert http.get("/zinc/orders", headers=ZINC).status_code == 200
        http.post("/zinc/returns", json=VALID_CREATE["zinc"], headers=ZINC)
        assert http.get("/aboutyou/api/v1/orders/", headers=ABOUTYOU).status_code == 200
        query = "query($id: ID!) { orderByID(id: $id) { id } }"
        assert (
            http.post("/v1/query", json={"query": query, "variables": {"id": "nope"}}, headers=RYE).status_code == 200
        )
        kibo = http.post(
            "/api/platform/applications/authtickets/oauth", json={**KIBO_APP, "grant_type": "client_credentials"}
        )
        assert kibo.status_code == 200
        kibo_token = kibo.json()["access_token"]
        assert http.get("/api/commerce/returns", headers={"Authorization": f"Bearer {kibo_token}"}).status_code == 200
        form = {"Authorization": OMS_BASIC, "Content-Type": "application/x-www-form-urlencoded"}
        oms = http.post("/oauthserver/oauth2/token", content=b"grant_type=client_credentials", headers=form)
        assert oms.status_code == 200
        oms_token = oms.json()["access_token"]
        assert http.get("/api/v2/return/", headers={"Authorization": f"Bearer {oms_token}"}).status_code == 200
    return [kibo_token, oms_token]


def proxied(proxy: str) -> list[dict[str, Any]]:
    with client(proxy) as http:
        entries: list[dict[str, Any]] = http.get(
            "/__admin/requests", params={"direction": "proxied", "limit": 10_000}
        ).json()["requests"]
    return entries


def test_traffic_to_serve_conforms_and_the_report_is_clean(recorded: tuple[str, Path]) -> None:
    proxy, directory = recorded
    conforming_session(proxy)
    out = io.StringIO()
    assert report([str(directory)], out=out) == 0, out.getvalue()
    assert "no drift" in out.getvalue()
    assert "request violations: none" in out.getvalue()
    assert "response violations: none" in out.getvalue()
    for operation in ("list_orders_orders_get", "oauthAuthenticateApp", "getToken", "searchReturns", "graphqlQuery"):
        assert operation in out.getvalue()


def test_the_upstream_answer_passes_back_unchanged(recorded: tuple[str, Path], upstream_serve: str) -> None:
    proxy, _ = recorded
    with client(proxy) as through, client(upstream_serve) as direct:
        for path, headers in (("/zinc/orders?limit=2", ZINC), ("/zinc/returns/nope", ZINC), ("/zinc/orders", {})):
            via, straight = through.get(path, headers=headers), direct.get(path, headers=headers)
            assert (via.status_code, via.content) == (straight.status_code, straight.content)
            assert via.headers["content-type"] == straight.headers["content-type"]
            assert "x-request-id" in via.headers  # the upstream's own headers come back


def test_each_exchange_is_journaled_as_proxied(recorded: tuple[str, Path], upstream_serve: str) -> None:
    proxy, _ = recorded
    with client(proxy) as http:
        http.get("/zinc/orders", headers=ZINC, params={"limit": 1})
        inbound = http.get("/__admin/requests").json()["requests"]
    entry = proxied(proxy)[-1]
    assert entry["direction"] == "proxied"
    assert (entry["provider"], entry["operation"], entry["path"], entry["query"]) == (
        "zinc",
        "list_orders_orders_get",
        "/zinc/orders",
        "limit=1",
    )
    assert entry["proxy"]["upstream"] == f"{upstream_serve}/orders?limit=1"  # returnkit's /zinc prefix is its own
    assert entry["proxy"]["upstream_status"] == entry["status"] == 200
    assert entry["proxy"]["forwarded"] is True
    assert entry["proxy"]["duration_ms"] > 0
    assert entry["proxy"]["violations"] == []
    assert len(entry["response"]["body"]["orders"]) == 1
    dated = datetime.fromisoformat(entry["at"])
    assert abs((datetime.now(UTC) - dated).total_seconds()) < 60  # real time, not the mock's frozen clock
    assert all(e.get("direction") != "proxied" for e in inbound)  # `inbound`, the default, is the admin calls only


def test_an_invalid_request_is_forwarded_and_flagged(recorded: tuple[str, Path]) -> None:
    proxy, directory = recorded
    with client(proxy) as http:
        answer = http.post("/zinc/returns", json={"order_id": "x", "items": []}, headers=ZINC)
    assert answer.status_code == 422  # the upstream's own answer: returnkit serve's, in Zinc's format
    assert "detail" in answer.json()
    entry = proxied(proxy)[-1]
    assert entry["proxy"]["forwarded"] is True
    assert entry["proxy"]["upstream_status"] == 422
    flagged = {(v["json_path"], v["kind"]) for v in entry["proxy"]["violations"] if v["direction"] == "request"}
    assert {("$.reason", "missing field"), ("$.order_id", "wrong format"), ("$.items", "minItems")} <= flagged
    out = io.StringIO()
    assert report([str(directory), "--format", "json"], out=out) == 1
    import json

    drift = json.loads(out.getvalue())
    assert drift["clean"] is False
    paths = {(v["operation"], v["json_path"]) for v in drift["request_violations"]}
    assert ("create_return_request_returns_post", "$.reason") in paths
    assert drift["response_violations"] == []


def test_credentials_are_masked_in_the_journal_and_the_recording(recorded: tuple[str, Path]) -> None:
    proxy, directory = recorded
    tokens = conforming_session(proxy)
    journal = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied", "limit": 10_000}).text
    recording = (directory / "exchanges.jsonl").read_text()
    for kept in (journal, recording):
        for secret in (*SECRETS, *(token[8:] for token in tokens)):
            assert secret not in kept
        assert "zn_test_acme_…" in kept  # recognisable, unusable
        assert "kibo_secret_northwind_…" in kept  # the token endpoint's body
    lines = [line for line in recording.splitlines() if line]
    assert all(line.startswith("{") and '"direction":"proxied"' in line for line in lines)


def test_with_provider_every_path_is_that_providers(upstream_serve: str) -> None:
    with proxy_to(f"{upstream_serve}/zinc", provider="zinc") as (proxy, _):
        with client(proxy) as http:
            assert http.get("/orders", headers=ZINC).status_code == 200
            bad = http.post("/returns", json={"reason": 3}, headers=ZINC)
        assert bad.status_code == 422
        entries = proxied(proxy)
    assert [e["operation"] for e in entries] == ["list_orders_orders_get", "create_return_request_returns_post"]
    assert entries[0]["proxy"]["upstream"] == f"{upstream_serve}/zinc/orders"
    assert entries[1]["verdict"]["valid"] is False


def test_the_dashboard_and_the_admin_api_are_served_by_the_proxy(recorded: tuple[str, Path]) -> None:
    proxy, _ = recorded
    with client(proxy) as http:
        page = http.get("/__admin/ui/")
        assert page.status_code == 200
        assert "text/html" in page.headers["content-type"]
        assert http.get("/__admin/health").status_code == 200
        refused = http.get("/__admin/requests", params={"direction": "sideways"})
    assert refused.status_code == 400  # the admin API's own refusal, not forwarded
