"""The dashboard's files and the admin API it polls, over HTTP (no browser needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from returnkit.server.app import ServerOptions, create_app
from tests.http import CheckedClient, TestClient, serving

ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
DASHBOARD = {"X-Returnkit-Dashboard": "1"}


@pytest.fixture
def client() -> Iterator[TestClient]:
    with serving(create_app(ServerOptions(seed=7, clock_mode="frozen"))) as client:
        yield client


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/__admin/ui/", "text/html"),
        ("/__admin/ui/index.html", "text/html"),
        ("/__admin/ui/app.js", "text/javascript"),
        ("/__admin/ui/style.css", "text/css"),
        ("/__admin/ui/fault-request.json", "application/json"),
    ],
)
def test_each_file_has_its_content_type_and_is_revalidated(client: TestClient, path: str, content_type: str) -> None:
    answer = client.get(path)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith(content_type)
    assert answer.headers["cache-control"] == "no-cache"
    assert "default-src 'self'" in answer.headers["content-security-policy"]
    assert answer.headers["x-content-type-options"] == "nosniff"


def test_the_page_loads_nothing_from_elsewhere(client: TestClient) -> None:
    for name in ("index.html", "app.js", "api.js", "journal.js", "world.js", "webhooks.js", "style.css"):
        text = client.get(f"/__admin/ui/{name}").text
        assert "http://" not in text.replace("http://127.0.0.1:9000/hooks", "")
        assert "https://" not in text


def test_unknown_files_are_404_writes_405_and_the_bare_prefix_redirects(client: TestClient) -> None:
    assert client.get("/__admin/ui/nothing.js").status_code == 404
    assert client.get("/__admin/ui/%2e%2e/server/admin.py").status_code == 404
    assert client.post("/__admin/ui/index.html").status_code == 405
    moved = client.get("/__admin/ui", follow_redirects=False)
    assert (moved.status_code, moved.headers["location"]) == (308, "/__admin/ui/")
    head = client.head("/__admin/ui/app.js")
    assert head.status_code == 200
    assert head.content == b""


def test_the_files_are_not_journaled_nor_are_the_dashboards_reads(client: TestClient) -> None:
    client.get("/__admin/ui/")
    client.get("/__admin/clock", headers=DASHBOARD)
    client.get("/__admin/clock")
    paths = [entry["path"] for entry in client.get("/__admin/requests?provider=admin").json()["requests"]]
    assert paths == ["/__admin/clock"]  # the one read without the header (this one is journaled after it answers)


def test_after_lists_only_what_a_poller_has_not_seen(client: TestClient) -> None:
    for _ in range(3):
        client.get("/zinc/orders", headers=ACME)
    every = client.get("/__admin/requests?provider=zinc", headers=DASHBOARD).json()
    ids = [entry["id"] for entry in every["requests"]]
    later = client.get(f"/__admin/requests?provider=zinc&after={ids[0]}", headers=DASHBOARD).json()
    assert [entry["id"] for entry in later["requests"]] == ids[1:]
    assert later["total"] == 3
    refused = client.get("/__admin/requests?after=-1")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] == "after"


def test_access_says_whether_the_admin_api_needs_a_token() -> None:
    with serving(create_app(ServerOptions(clock_mode="frozen"))) as open_client:
        assert open_client.get("/__admin/ui/access.json").json() == {"token_required": False, "upstream": None}
    guarded = create_app(ServerOptions(clock_mode="frozen", admin_token="t0ken"))  # noqa: S106 -- a test token
    with serving(guarded) as client:
        assert client.get("/__admin/ui/access.json").json() == {"token_required": True, "upstream": None}
        assert client.get("/__admin/ui/").status_code == 200
        assert client.get("/__admin/requests", headers=DASHBOARD).status_code == 401


def test_a_verdict_error_says_what_was_found_and_expected(client: TestClient) -> None:
    client.post("/zinc/returns", json={"order_id": 5}, headers=ACME)
    (entry,) = client.get("/__admin/requests?provider=zinc").json()["requests"]
    errors = {error["json_path"]: error for error in entry["verdict"]["errors"]}
    assert errors["$.order_id"] | {"message": ""} == {
        "json_path": "$.order_id",
        "keyword": "type",
        "found": 5,
        "expected": "string",
        "message": "",
    }


def test_a_credential_at_fault_is_masked_in_what_was_found(client: TestClient) -> None:
    secret = "kibo_secret_northwind_3c9e71"  # noqa: S105 -- the seeded test secret
    client.post("/api/platform/applications/authtickets/oauth", json={"applicationId": "x", "sharedSecret": secret})
    (entry,) = client.get("/__admin/requests?provider=kibo-commerce").json()["requests"]
    found = {error["json_path"]: error["found"] for error in entry["verdict"]["errors"]}
    assert found == {"$.applicationId": "x", "$.sharedSecret": "kibo_secret_northwind_…"}


def file_zinc_returns(client: TestClient, count: int) -> list[str]:
    orders = client.get("/zinc/orders", params={"status_filter": "order_placed"}, headers=ACME).json()["orders"]
    filed = []
    for order in orders[:count]:
        body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
        answer = client.post("/zinc/returns", json={**body, "reason": "damaged"}, headers=ACME)
        assert answer.status_code == 201, answer.text
        filed.append(answer.json()["id"])
    return filed


def test_records_count_by_state_search_and_follow_the_clock(client: TestClient) -> None:
    admin = CheckedClient(client, "admin")
    first, second = file_zinc_returns(client, 2)
    listed = admin.get("/__admin/records?provider=zinc").json()
    assert (listed["total"], listed["states"]) == (2, {"open": 2})
    assert [record["id"] for record in listed["records"]] == [first, second]
    assert [
        record["id"] for record in admin.get(f"/__admin/records?provider=zinc&q={second.upper()}").json()["records"]
    ] == [second]
    assert admin.get("/__admin/records?provider=zinc&state=approved").json()["total"] == 0
    assert client.post("/__admin/clock/advance", json={"seconds": 120}).status_code == 200
    resolved = admin.get("/__admin/records?provider=zinc").json()["states"]
    assert "open" not in resolved
    assert sum(resolved.values()) == 2


@pytest.mark.parametrize(
    "query", ["provider=zinc&kind=token", "provider=nobody", "kind=return", "provider=zinc&limit=0"]
)
def test_records_refuse_credentials_and_unknown_providers_with_the_parameter_at_fault(
    client: TestClient, query: str
) -> None:
    refused = CheckedClient(client, "admin").get(f"/__admin/records?{query}")
    assert refused.status_code == 400
    assert refused.json()["errors"][0]["path"] in ("kind", "provider", "limit")
