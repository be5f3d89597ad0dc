"""ABOUT YOU through HTTP: auth, rate limits, batches on the clock, dedup, per-item results."""

from __future__ import annotations

from typing import Any

import pytest

from returnkit.spec import load_provider
from tests.conftest import world_of
from tests.http import CheckedClient, TestClient

NORDLICHT = {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"}
RHEINSTIL = {"X-API-Key": "ay_sandbox_rheinstil_4b8e1d06"}
RESULTS = {
    "return": "/api/v1/results/return-orders",
    "ship": "/api/v1/results/ship-orders",
    "cancel": "/api/v1/results/cancel-orders",
}
BATCH_SECONDS = 10  # 2 s pending + 8 s processing (mocks/aboutyou.yaml)


@pytest.fixture
def ay(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "aboutyou", NORDLICHT)


def orders(ay: CheckedClient, **params: Any) -> list[dict[str, Any]]:
    response = ay.get("/api/v1/orders/", params={"per_page": 100, **params})
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["items"]
    return found


def item_in(ay: CheckedClient, status: str) -> int:
    return int(next(i["id"] for o in orders(ay) for i in o["order_items"] if i["status"] == status))


def item_status(ay: CheckedClient, item_id: int) -> tuple[str, str]:
    """(item status, its order's status)."""
    for order in orders(ay):
        for item in order["order_items"]:
            if item["id"] == item_id:
                return item["status"], order["status"]
    raise AssertionError(f"item {item_id} not listed")


def submit(ay: CheckedClient, kind: str, items: list[dict[str, Any]]) -> str:
    response = ay.post(f"/api/v1/orders/{kind}", json={"items": items})
    assert response.status_code == 200, response.text
    batch_id: str = response.json()["batchRequestId"]
    return batch_id


def results(ay: CheckedClient, kind: str, batch_id: str) -> dict[str, Any]:
    response = ay.get(RESULTS[kind], params={"batch_request_id": batch_id})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def advance(http: TestClient, seconds: float) -> None:
    assert http.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def return_entry(item_id: int, key: str = "RT-1") -> dict[str, Any]:
    return {"order_items": [item_id], "return_tracking_key": key}


def test_missing_and_unknown_keys_get_aboutyous_401(ay: CheckedClient) -> None:
    missing = ay.as_({}).get("/api/v1/orders/")
    unknown = ay.as_({"X-API-Key": "ay_not_a_key"}).post("/api/v1/orders/return", json={"items": [return_entry(1)]})
    assert (missing.status_code, unknown.status_code) == (401, 401)
    assert "X-API-Key" in missing.json()["message"]
    assert unknown.json() == {"message": "Invalid API key"}


def test_a_shipped_item_returns_through_a_batch_that_progresses_on_the_clock(
    http: TestClient, ay: CheckedClient
) -> None:
    item = item_in(ay, "shipped")
    batch_id = submit(ay, "return", [return_entry(item)])
    assert results(ay, "return", batch_id) == {"batchRequestId": batch_id, "status": "pending", "items": []}
    advance(http, 2)
    assert results(ay, "return", batch_id)["status"] == "processing"
    assert item_status(ay, item)[0] == "shipped"
    advance(http, BATCH_SECONDS - 2)
    done = results(ay, "return", batch_id)
    assert done["status"] == "completed"
    assert done["items"] == [{"requestItem": return_entry(item), "success": True, "errors": []}]
    assert item_status(ay, item)[0] == "returned"


def test_ship_then_return_changes_the_order_from_open_to_returned(http: TestClient, ay: CheckedClient) -> None:
    order = orders(ay, order_status="open")[0]
    items = [item["id"] for item in order["order_items"]]
    shipment = {
        "order_items": items,
        "carrier_key": "DHL",
        "shipment_tracking_key": "TRK1",
        "return_tracking_key": "RT1",
    }
    ship_batch = submit(ay, "ship", [shipment])
    advance(http, BATCH_SECONDS)
    assert results(ay, "ship", ship_batch)["items"][0]["success"] is True
    assert {item_status(ay, item) for item in items} == {("shipped", "shipped")}
    return_batch = submit(ay, "return", [{"order_items": items, "return_tracking_key": "RT1"}])
    advance(http, BATCH_SECONDS)
    assert results(ay, "return", return_batch)["status"] == "completed"
    assert {item_status(ay, item) for item in items} == {("returned", "returned")}


def test_an_unknown_carrier_fails_the_shipment(http: TestClient, ay: CheckedClient) -> None:
    item = item_in(ay, "open")
    shipment = {
        "order_items": [item],
        "carrier_key": "PIGEON",
        "shipment_tracking_key": "T",
        "return_tracking_key": "R",
    }
    batch_id = submit(ay, "ship", [shipment])
    advance(http, BATCH_SECONDS)
    assert results(ay, "ship", batch_id)["items"][0]["errors"] == [
        "Carrier key 'PIGEON' is not a valid active carrier key"
    ]
    assert item_status(ay, item)[0] == "open"


def test_returning_one_item_of_a_shipped_order_makes_it_mixed(http: TestClient, ay: CheckedClient) -> None:
    order = next(o for o in orders(ay, order_status="shipped") if len(o["order_items"]) > 1)
    first = order["order_items"][0]["id"]
    submit(ay, "return", [return_entry(first)])
    advance(http, BATCH_SECONDS)
    assert item_status(ay, first) == ("returned", "mixed")


def test_cancel_moves_an_open_item_to_cancelled(http: TestClient, ay: CheckedClient) -> None:
    item = item_in(ay, "open")
    batch_id = submit(ay, "cancel", [{"id": item}])
    advance(http, BATCH_SECONDS)
    assert results(ay, "cancel", batch_id)["items"][0]["success"] is True
    assert item_status(ay, item)[0] == "cancelled"


def test_each_refused_item_says_why_and_changes_nothing(http: TestClient, ay: CheckedClient) -> None:
    foreign = next(
        o for m in world_of(http, "aboutyou")["merchants"] if m["id"] == "rheinstil-fashion" for o in m["orders"]
    )
    foreign_item = foreign["order_items"][0]["id"]
    shipped, open_item, returned = item_in(ay, "shipped"), item_in(ay, "open"), item_in(ay, "returned")
    entries = [return_entry(i) for i in (999_999_999, open_item, returned, foreign_item, shipped)]
    batch_id = submit(ay, "return", entries)
    advance(http, BATCH_SECONDS)
    done = results(ay, "return", batch_id)
    assert done["status"] == "completed"
    assert [(r["success"], r["errors"]) for r in done["items"]] == [
        (False, ["Order item 999999999 does not exist"]),
        (False, [f"Order item {open_item} cannot be returned: its status is 'open'"]),
        (False, [f"Order item {returned} has already been returned"]),
        (False, [f"Order item {foreign_item} does not exist"]),
        (True, []),
    ]
    assert item_status(ay, open_item)[0] == "open"
    other = CheckedClient(ay.raw, "aboutyou", RHEINSTIL)
    assert item_status(other, foreign_item)[0] == foreign["order_items"][0]["status"]


def test_a_batch_where_every_item_fails_is_failed(http: TestClient, ay: CheckedClient) -> None:
    batch_id = submit(ay, "return", [return_entry(item_in(ay, "open"))])
    advance(http, BATCH_SECONDS)
    assert results(ay, "return", batch_id)["status"] == "failed"


def test_an_identical_payload_in_flight_gets_the_same_batch_id(http: TestClient, ay: CheckedClient) -> None:
    entry = [return_entry(item_in(ay, "shipped"))]
    first = submit(ay, "return", entry)
    assert submit(ay, "return", entry) == first
    assert submit(ay, "return", [{**entry[0], "return_tracking_key": "RT-2"}]) != first
    assert submit(ay.as_(RHEINSTIL), "return", entry) != first
    advance(http, BATCH_SECONDS)
    assert submit(ay, "return", entry) != first  # completed: no longer in flight


def test_rate_limit_headers_count_down_and_429_carries_retry_after(http: TestClient, ay: CheckedClient) -> None:
    entry = [return_entry(item_in(ay, "shipped"))]
    remaining = []
    for _ in range(50):
        response = ay.post("/api/v1/orders/return", json={"items": entry})
        assert response.headers["X-RateLimit-Limit"] == "50"
        remaining.append(int(response.headers["X-RateLimit-Remaining"]))
    assert remaining == list(range(49, -1, -1))
    refused = ay.post("/api/v1/orders/return", json={"items": entry})
    assert refused.status_code == 429
    assert "Rate limit" in refused.json()["message"]
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    assert ay.get("/api/v1/orders/").headers["X-RateLimit-Limit"] == "100"  # per endpoint
    assert ay.as_(RHEINSTIL).post("/api/v1/orders/return", json={"items": entry}).status_code == 200  # per key
    advance(http, int(refused.headers["Retry-After"]))
    assert ay.post("/api/v1/orders/return", json={"items": entry}).status_code == 200


def test_results_are_limited_to_200_a_minute(ay: CheckedClient) -> None:
    batch_id = submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    response = ay.get(RESULTS["return"], params={"batch_request_id": batch_id})
    assert response.headers["X-RateLimit-Limit"] == "200"


def test_unknown_foreign_or_other_kind_batches_are_404_and_bad_ids_400(ay: CheckedClient) -> None:
    batch_id = submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    assert ay.as_(RHEINSTIL).get(RESULTS["return"], params={"batch_request_id": batch_id}).status_code == 404
    assert ay.get(RESULTS["ship"], params={"batch_request_id": batch_id}).status_code == 404
    unknown = ay.get(RESULTS["return"], params={"batch_request_id": "00000000-0000-4000-8000-000000000000"})
    assert unknown.status_code == 404
    assert "not found" in unknown.json()["message"]
    assert ay.get(RESULTS["return"], params={"batch_request_id": "nope"}).status_code == 400
    assert ay.get(RESULTS["return"]).status_code == 400


def test_orders_filter_by_status_and_number_and_page(ay: CheckedClient) -> None:
    everything = orders(ay)
    assert {o["status"] for o in everything} == {"open", "shipped", "cancelled", "returned", "mixed"}
    mixed = orders(ay, order_status="mixed")
    assert mixed
    assert all(o["status"] == "mixed" for o in mixed)
    number = everything[3]["order_number"]
    assert [o["order_number"] for o in orders(ay, order_number=number)] == [number]
    page = ay.get("/api/v1/orders/", params={"per_page": 4, "page": 2}).json()
    assert page["items"] == everything[4:8]
    assert page["pagination"] == {"page": 2, "per_page": 4, "pages": -(-len(everything) // 4), "total": len(everything)}
    assert ay.get("/api/v1/orders/", params={"per_page": 0}).status_code == 400


def test_a_schema_violation_is_400_with_the_json_path(ay: CheckedClient) -> None:
    response = ay.post("/api/v1/orders/return", json={"items": [{"order_items": [0], "return_tracking_key": "K"}]})
    assert response.status_code == 400
    assert response.json() == {
        "message": "Invalid request body: items[0].order_items[0]: 0 is less than the minimum of 1"
    }


BEYOND_64_BITS = (2**64, 10**23)


@pytest.mark.parametrize("item_id", BEYOND_64_BITS)
@pytest.mark.parametrize("kind", ["return", "ship", "cancel"])
def test_item_ids_beyond_64_bits_are_batched_and_come_back_exactly(
    http: TestClient, ay: CheckedClient, kind: str, item_id: int
) -> None:
    entry: dict[str, Any] = {
        "return": return_entry(item_id),
        "ship": {
            "order_items": [item_id],
            "carrier_key": "DHL",
            "shipment_tracking_key": "T",
            "return_tracking_key": "R",
        },
        "cancel": {"id": item_id},
    }[kind]
    batch_id = submit(ay, kind, [entry])
    assert submit(ay, kind, [entry]) == batch_id  # the dedup fingerprint reads big integers too
    advance(http, BATCH_SECONDS)
    (result,) = results(ay, kind, batch_id)["items"]
    assert result["requestItem"] == entry
    assert result["errors"] == [f"Order item {item_id} does not exist"]


def empty_refusals() -> list[tuple[str, str]]:
    """(path, parameter) for each query parameter whose empty value the spec says is refused."""
    paths = load_provider("aboutyou").document["paths"]
    listed = [
        (path, name)
        for path, operations in paths.items()
        for name in operations.get("get", {}).get("x-returnkit-empty-query-values", {}).get("refused", [])
    ]
    return [*listed, *((path, "batch_request_id") for path in RESULTS.values())]


@pytest.mark.parametrize(("path", "name"), empty_refusals())
def test_an_empty_typed_query_value_is_refused_not_ignored(ay: CheckedClient, path: str, name: str) -> None:
    response = ay.get(path, params={name: ""})
    assert response.status_code == 400
    assert response.json() == {"message": f"Invalid query parameter {name}: an empty value is not valid"}


def test_an_empty_order_number_matches_no_order_and_an_unknown_status_is_refused(ay: CheckedClient) -> None:
    assert orders(ay, order_number="") == []
    unknown = ay.get("/api/v1/orders/", params={"order_status": "lost"})
    assert unknown.status_code == 400
    assert "order_status" in unknown.json()["message"]


def test_the_spec_lists_every_typed_filter_whose_empty_value_is_refused() -> None:
    assert len(empty_refusals()) == 8
