"""A corpus of bad input, sent to every provider's create operation: each gets that provider's 4xx in
its own format, the server keeps serving, and the journal keeps the evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.http import TestClient

JSON = {"Content-Type": "application/json"}
PROVIDERS: dict[str, tuple[str, str, dict[str, str], Callable[[Any], bool]]] = {
    "aboutyou": (
        "POST",
        "/api/v1/orders/return",
        {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"},
        lambda b: set(b) == {"message"},
    ),
    "zinc": (
        "POST",
        "/returns",
        {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"},
        lambda b: "detail" in b or "error" in b,
    ),
    "rye": (
        "POST",
        "/v1/query",
        {"Authorization": "Basic rye_test_lumen_2d7f91ac"},
        lambda b: bool(b.get("errors")) or "message" in b,
    ),
    "kibo-oms": (
        "POST",
        "/api/v2/return/",
        {"API-Key": "oms_key_summit_61b0c2"},
        lambda b: {"code", "name", "message"} <= set(b),
    ),
}
PROVIDERS["kibo-commerce"] = ("POST", "/api/commerce/returns", {}, lambda b: {"message", "errorCode"} <= set(b))
KIBO_APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}


def auth_for(http: TestClient, provider: str) -> dict[str, str]:
    """The provider's seeded credentials; Kibo Commerce's come from its token endpoint."""
    if provider != "kibo-commerce":
        return PROVIDERS[provider][2]
    token = http.post("/api/platform/applications/authtickets/oauth", json=KIBO_APP).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


DEEP = b"[" * 10_000 + b"]" * 10_000
CORPUS: dict[str, tuple[bytes, dict[str, str]]] = {
    "malformed": (b'{"items": [}', JSON),
    "truncated": (b'{"items": [{"order_items": [1', JSON),
    "no content type": (b'{"items": []}', {}),
    "wrong content type": (b"items=1", {"Content-Type": "application/x-www-form-urlencoded"}),
    "ten mebibytes": (b'{"pad": "' + b"x" * (10 * 1024 * 1024) + b'"}', JSON),
    "ten thousand levels": (DEEP, JSON),
    "invalid utf-8": (b'{"items": "\xff\xfe"}', JSON),
    "nan": (b'{"items": NaN}', JSON),
    "huge integer": (b'{"items": [{"order_items": [123456789012345678901234567890123]}]}', JSON),
    "duplicate keys": (b'{"items": 1, "items": 2}', JSON),
}


@pytest.mark.parametrize("case", CORPUS)
@pytest.mark.parametrize("provider", PROVIDERS)
def test_bad_input_gets_the_providers_4xx_and_the_server_keeps_serving(
    http: TestClient, provider: str, case: str
) -> None:
    method, path, _auth, shaped = PROVIDERS[provider]
    auth = auth_for(http, provider)
    body, headers = CORPUS[case]
    response = http.request(method, path, content=body, headers={**auth, **headers})
    assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
    assert shaped(response.json()), response.text[:300]
    assert http.get("/__admin/clock").status_code == 200  # still serving
    (entry,) = http.get("/__admin/requests", params={"limit": 1, "path": path}).json()["requests"]
    assert entry["status"] == response.status_code  # the evidence is kept


@pytest.mark.parametrize("provider", PROVIDERS)
def test_unknown_paths_methods_and_oversized_headers_get_the_providers_4xx(http: TestClient, provider: str) -> None:
    method, path, _auth, shaped = PROVIDERS[provider]
    auth = auth_for(http, provider)
    unknown = http.get(f"/{provider}/no/such/path", headers=auth)
    wrong_method = http.request("PATCH", path, headers=auth)
    huge_headers = http.request(method, path, headers={**auth, **JSON, "X-Padding": "x" * 70_000}, content=b"{}")
    for response in (unknown, wrong_method, huge_headers):
        assert 400 <= response.status_code < 500, (response.status_code, response.text[:300])
        assert shaped(response.json()) or (provider == "zinc" and "detail" in response.json())
    assert huge_headers.status_code == 431
