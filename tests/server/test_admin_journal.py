"""The journal (`GET /__admin/requests`) never hands out a credential: each is masked, recognisably."""

from __future__ import annotations

import base64
import secrets

from returnkit.server.app import ServerOptions, create_app
from tests.http import TestClient, serving

KIBO_APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
OMS_KEY, OMS_SECRET = "oms_key_summit_61b0c2", "oms_secret_summit_9e47d3"
KIBO_SHOWN = "kibo_secret_northwind_…"
SECRETS = [
    "zn_test_acme_5d2f8a91c4e7",
    "ay_sandbox_nordlicht_7f3a9c21",
    "rye_test_lumen_2d7f91ac",
    "kibo_secret_northwind_3c9e71",
    OMS_KEY,
    OMS_SECRET,
]


def journal(client: TestClient, **filters: str) -> list[dict[str, object]]:
    entries = client.get("/__admin/requests", params={"limit": 1000, **filters}).json()["requests"]
    return [entry for entry in entries if entry["provider"] != "admin"]


def request_headers(entry: dict[str, object]) -> dict[str, str]:
    request = entry["request"]
    assert isinstance(request, dict)
    headers: dict[str, str] = request["headers"]
    return headers


def test_api_keys_and_authorization_headers_keep_only_their_recognisable_prefix(http: TestClient) -> None:
    http.get("/returns", headers={"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"})
    http.get("/api/v1/orders/", headers={"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"})
    http.post("/v1/query", json={"query": "{ __typename }"}, headers={"Authorization": "Basic rye_test_lumen_2d7f91ac"})
    http.get("/api/v2/return/", headers={"API-Key": OMS_KEY})
    seen = [request_headers(entry) for entry in journal(http)]
    assert [h.get("authorization") or h.get("x-api-key") or h.get("api-key") for h in seen[:4]] == [
        "Bearer zn_test_acme_…",
        "ay_sandbox_nordlicht_…",
        "Basic rye_test_lumen_…",
        "oms_key_summit_…",
    ]
    text = http.get("/__admin/requests").text
    assert [secret for secret in SECRETS if secret in text] == []


def test_kibo_commerce_token_exchange_is_journaled_without_the_secret_or_the_tokens(http: TestClient) -> None:
    issued = http.post("/api/platform/applications/authtickets/oauth", json=KIBO_APP).json()
    access, refresh = issued["access_token"], issued["refresh_token"]
    http.get("/api/commerce/returns", headers={"Authorization": f"Bearer {access}"})
    http.post(
        "/api/platform/applications/authtickets/oauth",
        json={"applicationId": "x", "sharedSecret": KIBO_APP["client_secret"]},
    )
    exchange, call, other_spelling = journal(http)[:3]
    assert exchange["request"]["body"]["client_secret"] == KIBO_SHOWN  # type: ignore[index]
    assert exchange["response"]["body"]["access_token"] == access[:4] + "…"  # type: ignore[index]
    assert exchange["response"]["body"]["refresh_token"] == refresh[:4] + "…"  # type: ignore[index]
    assert request_headers(call)["authorization"] == f"Bearer {access[:4]}…"
    assert other_spelling["request"]["body"]["sharedSecret"] == KIBO_SHOWN  # type: ignore[index]
    text = http.get("/__admin/requests").text
    assert [secret for secret in (access, refresh, KIBO_APP["client_secret"]) if secret in text] == []


def test_kibo_oms_basic_credentials_and_token_are_masked(http: TestClient) -> None:
    basic = base64.b64encode(f"{OMS_KEY}:{OMS_SECRET}".encode()).decode()
    issued = http.post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
    )
    token = issued.json()["access_token"]
    (entry,) = journal(http, path="/oauthserver/oauth2/token")
    assert request_headers(entry)["authorization"] == "Basic oms_key_summit_…:oms_secret_summit_…"
    assert entry["response"]["body"]["access_token"] == token[:4] + "…"  # type: ignore[index]
    text = http.get("/__admin/requests").text
    assert [secret for secret in (basic, token, OMS_SECRET) if secret in text] == []


def test_the_admin_token_itself_is_masked() -> None:
    token = secrets.token_hex(16)
    with serving(create_app(ServerOptions(clock_mode="frozen", admin_token=token))) as client:
        admin = {"Authorization": f"Bearer {token}"}
        client.get("/__admin/clock", headers=admin)
        text = client.get("/__admin/requests", headers=admin).text
        assert token not in text
        assert f'"authorization":"Bearer {token[:4]}…"' in text
