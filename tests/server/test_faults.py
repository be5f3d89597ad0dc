"""Faults switched on through /__admin/faults: provider-format failures, deterministic, journaled, reset."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from returnkit.server.asgi import ConnectionDropped
from returnkit.testing.plugin import Returnkit
from tests.http import CheckedClient, TestClient

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
AY = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}


def fault(admin: CheckedClient, **body: Any) -> dict[str, Any]:
    response = admin.post("/__admin/faults", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def test_an_injected_5xx_speaks_the_providers_format_and_stops_after_times(
    http: TestClient, admin: CheckedClient
) -> None:
    fault(admin, provider="zinc", operation="list-returns", kind="status", status=503, times=1)
    zinc = CheckedClient(http, "zinc", ZINC)
    first, second = http.get("/returns", headers=ZINC), zinc.get("/returns")
    assert (first.status_code, first.json()["error"]["code"]) == (503, "service_unavailable")
    assert second.status_code == 200
    (entry,) = http.get("/__admin/requests", params={"status": 503}).json()["requests"]
    assert entry["note"].startswith("fault 1: status")
    assert admin.get("/__admin/faults").json()["faults"][0]["fired"] == 1


def test_a_429_burst_carries_retry_after(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="aboutyou", kind="rate-limit", seconds=30, times=2)
    answers = [CheckedClient(http, "aboutyou", AY).get("/api/v1/orders/") for _ in range(3)]
    assert [a.status_code for a in answers] == [429, 429, 200]
    assert answers[0].headers["Retry-After"] == "30"
    assert "Rate limit" in answers[0].json()["message"]


def test_empty_answers_and_dropped_connections(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="zinc", kind="empty", times=1)
    empty = http.get("/returns", headers=ZINC)
    assert (empty.status_code, empty.content) == (200, b"")
    drop = fault(admin, provider="zinc", kind="drop", times=1)
    with pytest.raises(ConnectionDropped, match=f"fault {drop['id']}: connection dropped"):
        http.get("/returns", headers=ZINC)
    assert http.get("/returns", headers=ZINC).status_code == 200  # the server keeps serving
    journal = http.get("/__admin/requests", params={"path": "/returns"}).json()["requests"]
    notes = [entry["note"] for entry in journal]
    assert notes.count(f"fault {drop['id']}: drop") == 1  # the dropped exchange is journaled, once


def test_a_dropped_connection_reaches_a_client_over_a_socket_as_a_closed_connection(returnkit: Returnkit) -> None:
    returnkit.faults.add("zinc", "drop", times=1)
    with httpx.Client(base_url=returnkit.base_url, headers=ZINC, timeout=10) as client:
        with pytest.raises(httpx.RemoteProtocolError):
            client.get("/returns")
        assert client.get("/returns").status_code == 200


def test_latency_passes_on_the_virtual_clock(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="zinc", kind="latency", seconds=90, times=1)
    assert http.get("/returns", headers=ZINC).status_code == 200
    assert admin.get("/__admin/clock").json()["elapsed_seconds"] == 90.0


def test_a_probability_fires_on_the_same_requests_in_every_run(http: TestClient, admin: CheckedClient) -> None:
    def pattern() -> list[int]:
        http.post("/__admin/reset")
        fault(admin, provider="zinc", kind="status", status=500, probability=0.5)
        return [http.get("/returns", headers=ZINC).status_code for _ in range(20)]

    first = pattern()
    assert first == pattern()
    assert set(first) == {200, 500}


def test_faults_are_validated_and_cleared_by_reset(http: TestClient, admin: CheckedClient) -> None:
    assert admin.post("/__admin/faults", json={"provider": "zinc", "kind": "explode"}).status_code == 400
    assert (
        admin.post("/__admin/faults", json={"provider": "zinc", "kind": "drop", "operation": "nope"}).status_code == 404
    )
    fault(admin, provider="kibo-oms", kind="status")
    admin.post("/__admin/reset")
    assert admin.get("/__admin/faults").json() == {"faults": []}


def zinc_return(http: TestClient) -> dict[str, Any]:
    order = http.get("/orders", params={"status_filter": "order_placed"}, headers=ZINC).json()["orders"][0]
    body = {
        "order_id": order["id"],
        "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}],
        "reason": "damaged",
    }
    created: dict[str, Any] = http.post("/returns", json=body, headers=ZINC).json()
    return created


def test_a_deny_fault_makes_a_zinc_return_resolve_to_denied(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="zinc", operation="create-return", kind="deny", times=1)
    created = zinc_return(http)
    http.post("/__admin/clock/advance", json={"seconds": 120})
    resolved = CheckedClient(http, "zinc", ZINC).get(f"/returns/{created['id']}").json()
    assert (resolved["status"], bool(resolved["resolution_notes"])) == ("denied", True)


def test_a_credit_fault_makes_a_zinc_return_resolve_to_credited(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="zinc", operation="create-return", kind="credit", times=1)
    created = zinc_return(http)
    http.post("/__admin/clock/advance", json={"seconds": 120})
    resolved = CheckedClient(http, "zinc", ZINC).get(f"/returns/{created['id']}").json()
    assert resolved["status"] == "credited"


def test_a_fail_items_fault_fails_a_seeded_share_of_a_batch(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="aboutyou", operation="create-return", kind="fail-items", probability=1.0, times=1)
    orders = http.get("/api/v1/orders/", params={"order_status": "shipped", "per_page": 100}, headers=AY).json()[
        "items"
    ]
    item = orders[0]["order_items"][0]["id"]
    batch = http.post(
        "/api/v1/orders/return", json={"items": [{"order_items": [item], "return_tracking_key": "R"}]}, headers=AY
    )
    http.post("/__admin/clock/advance", json={"seconds": 10})
    result = (
        CheckedClient(http, "aboutyou", AY)
        .get("/api/v1/results/return-orders", params={"batch_request_id": batch.json()["batchRequestId"]})
        .json()
    )
    assert (result["status"], result["items"][0]["success"]) == ("failed", False)
    assert result["items"][0]["errors"][0].startswith("Injected fault")


def test_a_stale_read_fault_hides_a_write_for_some_seconds(http: TestClient, admin: CheckedClient) -> None:
    fault(admin, provider="zinc", kind="stale-read", seconds=30)
    created = zinc_return(http)
    assert http.get(f"/returns/{created['id']}", headers=ZINC).status_code == 404
    http.post("/__admin/clock/advance", json={"seconds": 30})
    assert http.get(f"/returns/{created['id']}", headers=ZINC).status_code == 200


def test_latency_with_jitter_is_the_same_in_every_run(http: TestClient, admin: CheckedClient) -> None:
    def delays() -> list[float]:
        http.post("/__admin/reset")
        fault(admin, provider="zinc", kind="latency", seconds=1, jitter=10)
        seen = []
        for _ in range(5):
            before = admin.get("/__admin/clock").json()["elapsed_seconds"]
            http.get("/returns", headers=ZINC)
            seen.append(admin.get("/__admin/clock").json()["elapsed_seconds"] - before)
        return seen

    first = delays()
    assert first == delays()
    assert all(1 <= delay < 11 for delay in first)
    assert len(set(first)) > 1
