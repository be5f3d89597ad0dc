"""Zinc through HTTP: auth, 201/404/409/422, resolution on the clock, listing, orders with returns."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from returnkit.spec import load_provider
from tests.conftest import world_of
from tests.http import CheckedClient, TestClient

ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
BLUEBIRD = {"Authorization": "Bearer zn_test_bluebird_9a6c3e07b1d4"}
RESOLUTION_SECONDS = 120  # mocks/zinc.yaml
SEVEN_DAYS = 7 * 24 * 3600


@pytest.fixture
def zinc(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "zinc", ACME)


def placed_orders(zinc: CheckedClient) -> list[dict[str, Any]]:
    response = zinc.get("/orders", params={"status_filter": "order_placed", "limit": 500})
    assert response.status_code == 200
    found: list[dict[str, Any]] = response.json()["orders"]
    return found


def body_for(order: dict[str, Any], quantity: int = 1, reason: str = "damaged") -> dict[str, Any]:
    item = order["items"][0]
    return {"order_id": order["id"], "items": [{"order_item_id": item["id"], "quantity": quantity}], "reason": reason}


def file(zinc: CheckedClient, body: dict[str, Any]) -> dict[str, Any]:
    response = zinc.post("/returns", json=body)
    assert response.status_code == 201, response.text
    created: dict[str, Any] = response.json()
    return created


def advance(http: TestClient, seconds: float) -> None:
    assert http.post("/__admin/clock/advance", json={"seconds": seconds}).status_code == 200


def test_missing_malformed_and_unknown_credentials_get_zincs_401(zinc: CheckedClient) -> None:
    for headers, code in (({}, "unauthorized"), ({"Authorization": "zn_test_acme_5d2f8a91c4e7"}, "invalid_token")):
        response = zinc.as_(headers).get("/returns")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == code
    unknown = zinc.as_({"Authorization": "Bearer zn_test_nobody"}).get("/returns")
    assert unknown.json() == {"error": {"code": "invalid_token", "message": "Invalid API key", "details": None}}


def test_a_new_return_is_open_with_no_labels_and_every_response_has_a_request_id(zinc: CheckedClient) -> None:
    order = placed_orders(zinc)[0]
    response = zinc.post("/returns", json={**body_for(order), "notes": "Box was crushed"})
    assert response.status_code == 201
    created = response.json()
    assert created["status"] == "open"
    assert created["label_urls"] == []
    assert (created["order_id"], created["notes"], created["resolution_notes"]) == (
        order["id"],
        "Box was crushed",
        None,
    )
    assert created["items"] == [{"order_item_id": order["items"][0]["id"], "quantity": 1}]
    assert response.headers["x-request-id"] != zinc.get("/returns").headers["x-request-id"]


def test_unknown_and_foreign_orders_are_404(http: TestClient, zinc: CheckedClient) -> None:
    foreign = next(a for a in world_of(http, "zinc")["accounts"] if a["id"] == "bluebird-supply")["orders"][0]
    for order_id in ("00000000-0000-4000-8000-000000000000", foreign["id"]):
        response = zinc.post("/returns", json={**body_for(foreign), "order_id": order_id})
        assert response.status_code == 404
        assert response.json()["error"]["code"] == "not_found"


def test_orders_not_placed_cannot_be_returned(http: TestClient, zinc: CheckedClient) -> None:
    account = next(a for a in world_of(http, "zinc")["accounts"] if a["id"] == "acme-outfitters")
    for order in (o for o in account["orders"] if o["status"] != "order_placed"):
        response = zinc.post("/returns", json=body_for(order))
        assert response.status_code == 409, order["status"]
        assert response.json()["error"]["code"] == "return_not_allowed"
        assert order["status"] in response.json()["error"]["message"]


def test_an_item_with_an_open_return_is_409_already_exists(zinc: CheckedClient) -> None:
    order = placed_orders(zinc)[0]
    created = file(zinc, body_for(order))
    again = zinc.post("/returns", json=body_for(order, reason="wrong_item"))
    assert again.status_code == 409
    error = again.json()["error"]
    assert error["code"] == "already_exists"
    assert error["details"]["return_request_id"] == created["id"]


def test_more_than_was_bought_is_409(zinc: CheckedClient) -> None:
    order = placed_orders(zinc)[0]
    response = zinc.post("/returns", json=body_for(order, quantity=order["items"][0]["quantity"] + 1))
    assert response.status_code == 409
    assert response.json()["error"]["details"]["returnable_quantity"] == order["items"][0]["quantity"]


def test_schema_errors_are_fastapi_422(zinc: CheckedClient) -> None:
    response = zinc.post("/returns", json={"order_id": "nope", "items": [], "reason": "damaged"})
    assert response.status_code == 422
    assert [(d["type"], d["loc"]) for d in response.json()["detail"]] == [
        ("uuid_parsing", ["body", "order_id"]),
        ("too_short", ["body", "items"]),
    ]


def test_returns_resolve_on_the_clock_to_approved_with_expiring_labels_or_denied(
    http: TestClient, zinc: CheckedClient
) -> None:
    added = http.post("/__admin/world/orders", json={"provider": "zinc", "count": 20})  # both outcomes occur at 80 %
    assert added.status_code == 201
    created = [file(zinc, body_for(order)) for order in placed_orders(zinc)]
    advance(http, RESOLUTION_SECONDS - 1)
    assert {zinc.get(f"/returns/{r['id']}").json()["status"] for r in created} == {"open"}
    advance(http, 1)
    now = int(float(http.get("/__admin/clock").json()["elapsed_seconds"])) + 1_772_442_000  # 2026-03-02T09:00:00Z
    resolved = [zinc.get(f"/returns/{r['id']}").json() for r in created]
    assert {r["status"] for r in resolved} == {"approved", "denied"}  # both outcomes occur in the seeded world
    for r in resolved:
        if r["status"] == "approved":
            (url,) = r["label_urls"]
            assert int(parse_qs(urlparse(url).query)["expires"][0]) == now + SEVEN_DAYS
            assert r["merchant_return_id"]
            label = http.get(url)
            assert (label.status_code, label.headers["content-type"]) == (200, "application/pdf")
            assert label.content.startswith(b"%PDF")
        else:
            assert r["label_urls"] == []
            assert r["resolution_notes"]
        assert r["updated_at"] == "2026-03-02T09:02:00Z"


def test_the_decision_is_the_same_for_the_same_request_in_the_same_world(http: TestClient, zinc: CheckedClient) -> None:
    def decisions() -> list[tuple[str, str]]:
        assert http.post("/__admin/reset").status_code == 200
        added = http.post("/__admin/world/orders", json={"provider": "zinc", "count": 20})
        assert added.status_code == 201
        created = [file(zinc, body_for(order)) for order in placed_orders(zinc)]
        advance(http, RESOLUTION_SECONDS)
        return [(r["order_id"], zinc.get(f"/returns/{r['id']}").json()["status"]) for r in created]

    first = decisions()
    assert len(first) >= 20
    assert {status for _, status in first} == {"approved", "denied"}  # decided, and not all alike
    assert decisions() == first


def test_listing_is_newest_first_with_total_paging_status_and_search(http: TestClient, zinc: CheckedClient) -> None:
    orders = placed_orders(zinc)
    first = file(zinc, body_for(orders[0]))
    advance(http, 60)
    second = file(zinc, body_for(orders[1]))
    listed = zinc.get("/returns").json()
    assert [r["id"] for r in listed["return_requests"]] == [second["id"], first["id"]]
    assert listed["total"] == 2
    page = zinc.get("/returns", params={"limit": 1, "offset": 1}).json()
    assert ([r["id"] for r in page["return_requests"]], page["total"]) == ([first["id"]], 2)
    found = zinc.get("/returns", params={"search": orders[1]["id"][:8]}).json()
    assert [r["id"] for r in found["return_requests"]] == [second["id"]]
    advance(http, RESOLUTION_SECONDS - 60)
    open_now = zinc.get("/returns", params={"status": "open"}).json()
    assert [r["id"] for r in open_now["return_requests"]] == [second["id"]]
    assert zinc.get("/returns", params={"limit": 0}).status_code == 422
    assert zinc.as_(BLUEBIRD).get("/returns").json() == {"return_requests": [], "total": 0}


def test_get_return_is_404_for_other_accounts_and_422_for_a_bad_id(zinc: CheckedClient) -> None:
    created = file(zinc, body_for(placed_orders(zinc)[0]))
    assert zinc.get(f"/returns/{created['id']}").json() == created
    assert zinc.as_(BLUEBIRD).get(f"/returns/{created['id']}").status_code == 404
    bad = zinc.get("/returns/not-a-uuid")
    assert bad.status_code == 422
    assert bad.json()["detail"][0]["loc"] == ["path", "return_request_id"]


@pytest.mark.parametrize("raw_id", ["a%0Ab", "%0A", "a%0Db", "a%00b"])
def test_a_return_id_with_a_control_character_reaches_get_return_and_gets_its_422(
    zinc: CheckedClient, raw_id: str
) -> None:
    response = zinc.get(f"/returns/{raw_id}")
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert (entry["type"], entry["loc"]) == ("uuid_parsing", ["path", "return_request_id"])


@pytest.mark.parametrize(
    ("path", "name", "kind"),
    [
        ("/returns", "limit", "int_parsing"),
        ("/returns", "offset", "int_parsing"),
        ("/orders", "limit", "int_parsing"),
        ("/orders", "offset", "int_parsing"),
        ("/orders", "created_after", "datetime_from_date_parsing"),
        ("/orders", "created_before", "datetime_from_date_parsing"),
        ("/orders", "return_status", "enum"),
    ],
)
def test_an_empty_typed_query_parameter_is_fastapis_422_not_ignored(
    zinc: CheckedClient, path: str, name: str, kind: str
) -> None:
    response = zinc.get(f"{path}?{name}=")
    assert response.status_code == 422
    (entry,) = response.json()["detail"]
    assert (entry["type"], entry["loc"], entry["input"]) == (kind, ["query", name], "")


@pytest.mark.parametrize(
    ("path", "name", "listed"),
    [
        ("/returns", "status", "return_requests"),
        ("/returns", "search", "return_requests"),
        ("/orders", "status_filter", "orders"),
        ("/orders", "search", "orders"),
        ("/orders", "order_id", "orders"),
    ],
)
def test_an_empty_string_filter_filters_nothing(zinc: CheckedClient, path: str, name: str, listed: str) -> None:
    file(zinc, body_for(placed_orders(zinc)[0]))
    everything = zinc.get(path).json()
    emptied = zinc.get(f"{path}?{name}=")
    assert emptied.status_code == 200
    assert emptied.json()[listed] == everything[listed]
    assert everything[listed]


@pytest.mark.parametrize("path", ["/returns", "/orders"])
def test_offset_is_accepted_up_to_its_declared_maximum(zinc: CheckedClient, path: str) -> None:
    parameters = load_provider("zinc").document["paths"][path]["get"]["parameters"]
    maximum = next(p["schema"]["maximum"] for p in parameters if p.get("name") == "offset")
    assert zinc.get(path, params={"offset": maximum}).status_code == 200
    beyond = zinc.get(path, params={"offset": maximum + 1})
    assert beyond.status_code == 422
    assert beyond.json()["detail"][0]["ctx"] == {"le": maximum}


def test_orders_show_their_returns_and_filter_by_return_status(http: TestClient, zinc: CheckedClient) -> None:
    order = placed_orders(zinc)[0]
    created = file(zinc, body_for(order))
    shown = zinc.get(f"/orders/{order['id']}").json()
    assert [r["id"] for r in shown["returns"]] == [created["id"]]
    assert [o["id"] for o in zinc.get("/orders", params={"return_status": "open"}).json()["orders"]] == [order["id"]]
    advance(http, RESOLUTION_SECONDS)
    closed = zinc.get("/orders", params={"return_status": "closed"}).json()["orders"]
    assert [o["id"] for o in closed] == [order["id"]]


def test_the_prefixed_path_reaches_the_same_world(zinc: CheckedClient) -> None:
    created = file(zinc, body_for(placed_orders(zinc)[0]))
    assert zinc.get(f"/zinc/returns/{created['id']}").json() == created


def test_a_label_url_stops_working_after_seven_days_and_a_fresh_read_renews_it(
    http: TestClient, zinc: CheckedClient
) -> None:
    created = [file(zinc, body_for(order)) for order in placed_orders(zinc)]
    advance(http, RESOLUTION_SECONDS)
    approved = next(r for r in (zinc.get(f"/returns/{c['id']}").json() for c in created) if r["status"] == "approved")
    old_url = approved["label_urls"][0]
    advance(http, SEVEN_DAYS)
    expired = http.get(old_url)
    assert (expired.status_code, "expired" in expired.json()["message"]) == (403, True)
    fresh = zinc.get(f"/returns/{approved['id']}").json()["label_urls"][0]
    assert http.get(fresh).status_code == 200
    assert http.get(fresh.replace("signature=", "signature=0")).status_code == 403
