"""The returns listings answer from the store's page and count exactly as over every return of the owner:
order (equal times included), paging edges, filters pushed to the store and those answered after it."""

from __future__ import annotations

from typing import Any

import pytest

from returnkit.providers.kibo_commerce.listing import filtered, sorted_by
from tests.http import CheckedClient, TestClient
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, RETURNS, act, bearer, create, shipped_order
from tests.providers.kibo_oms.test_kibo_oms import RETURN, SUMMIT, order, token_for
from tests.providers.kibo_oms.test_kibo_oms import create as create_oms
from tests.providers.zinc.test_zinc import ACME, RESOLUTION_SECONDS, advance, body_for, file, placed_orders


def ids(records: list[dict[str, Any]], name: str = "id") -> list[Any]:
    return [record[name] for record in records]


@pytest.fixture
def zinc(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "zinc", ACME)


@pytest.fixture
def kibo(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "kibo-commerce", bearer(http, NORTHWIND))


def test_zinc_lists_equal_times_last_filed_first_and_pages_to_past_the_end(
    http: TestClient, zinc: CheckedClient
) -> None:
    orders = placed_orders(zinc)
    at_once = [file(zinc, body_for(placed))["id"] for placed in orders[:3]]  # one created_at: the clock is frozen
    advance(http, 30)
    later = [file(zinc, body_for(placed))["id"] for placed in orders[3:5]]
    expected = [*reversed(later), *reversed(at_once)]
    assert ids(zinc.get("/returns").json()["return_requests"]) == expected
    for offset, limit in ((0, 2), (2, 2), (4, 2), (5, 2), (6, 1), (1, 500)):
        page = zinc.get("/returns", params={"offset": offset, "limit": limit}).json()
        assert (ids(page["return_requests"]), page["total"]) == (expected[offset : offset + limit], 5)


def test_zinc_search_is_a_literal_case_insensitive_part_of_the_order_id(http: TestClient, zinc: CheckedClient) -> None:
    orders = placed_orders(zinc)
    first, second = (file(zinc, body_for(placed)) for placed in orders[:2])
    part = orders[1]["id"][4:12].upper()
    assert ids(zinc.get("/returns", params={"search": part}).json()["return_requests"]) == [second["id"]]
    for wildcard in ("_", "%", "\\"):
        assert zinc.get("/returns", params={"search": wildcard}).json() == {"return_requests": [], "total": 0}
    advance(http, RESOLUTION_SECONDS)
    resolved = zinc.get(f"/returns/{first['id']}").json()["status"]
    found = zinc.get("/returns", params={"status": resolved, "search": orders[0]["id"][:8]}).json()
    assert (ids(found["return_requests"]), found["total"]) == ([first["id"]], 1)
    second_now = zinc.get(f"/returns/{second['id']}").json()["status"]
    assert zinc.get("/returns", params={"status": resolved, "search": part}).json()["total"] == (resolved == second_now)


KIBO_FILTERS = (
    None,
    "status eq Authorized",
    "status eq authorizedZ",
    "status eq Created and status eq Authorized",
    "status eq Created and returnNumber ge 2",
    "returnNumber ge 2 and status eq Created",
    "status ne Created",
    "createDate gt 2000-01-01",
)
KIBO_SORTS = (
    None,
    "createDate",
    "createDate desc",
    "CREATEDATE asc",
    "returnNumber desc",
    "createDate desc, returnNumber",
)
KIBO_PAGES = ((0, 2), (1, 3), (4, 20), (9, 5))


def test_kibo_listing_answers_as_its_filter_and_sort_over_every_return(http: TestClient, kibo: CheckedClient) -> None:
    made = [create(kibo, shipped_order(http, index=n))["id"] for n in range(3)]  # one createDate
    advance(http, 60)
    made += [create(kibo, shipped_order(http, index=n))["id"] for n in range(3, 5)]
    assert act(kibo, "Authorize", made[0], made[3]).status_code == 200
    every = kibo.get(RETURNS, params={"pageSize": 200}).json()["items"]
    assert ids(every) == made
    for expression in KIBO_FILTERS:
        for sort in KIBO_SORTS:
            expected = sorted_by(filtered(every, expression), sort)
            for start, size in KIBO_PAGES:
                asked = {"filter": expression, "sortBy": sort, "startIndex": start, "pageSize": size}
                page = kibo.get(RETURNS, params={k: v for k, v in asked.items() if v is not None}).json()
                assert (page["totalCount"], page["items"]) == (len(expected), expected[start : start + size]), asked


def test_kibo_orders_equal_create_dates_as_kept_both_ways(http: TestClient, kibo: CheckedClient) -> None:
    made = [create(kibo, shipped_order(http, index=n))["id"] for n in range(2)]
    advance(http, 60)
    made += [create(kibo, shipped_order(http, index=2))["id"]]
    assert ids(kibo.get(RETURNS, params={"sortBy": "createDate desc"}).json()["items"]) == [made[2], made[0], made[1]]
    assert ids(kibo.get(RETURNS, params={"sortBy": "createDate"}).json()["items"]) == made
    act(kibo, "Authorize", made[1])
    lower = kibo.get(RETURNS, params={"filter": "status eq authorized", "sortBy": "createDate desc"}).json()
    assert (ids(lower["items"]), lower["totalCount"], lower["pageCount"]) == ([made[1]], 1, 1)


def test_a_kibo_filter_refuses_a_bad_number_for_the_same_requests_as_before(
    http: TestClient, kibo: CheckedClient
) -> None:
    create(kibo, shipped_order(http))
    refused = kibo.get(RETURNS, params={"filter": "returnNumber gt abc and status eq Closed"})
    assert (refused.status_code, refused.json()["errorCode"]) == (400, "MISSING_OR_INVALID_PARAMETER")
    # the clauses are tested in order: no return is Closed, so the number is never read
    nothing = kibo.get(RETURNS, params={"filter": "status eq Closed and returnNumber gt abc"})
    assert (nothing.status_code, nothing.json()["totalCount"]) == (200, 0)
    bad_sort = kibo.get(RETURNS, params={"filter": "status eq Created", "sortBy": "createDate sideways"})
    assert (bad_sort.status_code, bad_sort.json()["errorCode"]) == (400, "MISSING_OR_INVALID_PARAMETER")


def test_oms_search_narrows_by_every_field_and_pages(http: TestClient) -> None:
    oms = CheckedClient(http, "kibo-oms", token_for(http, SUMMIT))
    made = [create_oms(oms, order(http, index=n)) for n in range(4)]
    numbers = ids(made, "returnID")

    def search(**params: Any) -> tuple[int, list[int]]:
        answer = oms.get(RETURN, params=params).json()
        return answer["totalCount"], ids(answer["collection"], "returnID")

    assert search() == (4, numbers)
    assert search(returnID=f"{numbers[3]},{numbers[1]}") == (2, [numbers[1], numbers[3]])
    assert search(orderID=str(made[2]["orderID"]), status="open") == (1, [numbers[2]])
    assert search(shipmentID=str(made[0]["shipmentID"]), returnID=f"{numbers[0]},{numbers[1]}") == (1, [numbers[0]])
    assert search(status="closed,processing") == (0, [])
    assert search(perPage=3, page=2) == (4, [numbers[3]])
    assert search(perPage=3, page=3) == (4, [])
    assert search(returnID=str(numbers[0]), perPage=1, page=2) == (1, [])


def test_the_admin_lists_the_newest_records_oldest_first_counted_by_state(
    http: TestClient, zinc: CheckedClient
) -> None:
    orders = placed_orders(zinc)
    first = [file(zinc, body_for(placed)) for placed in orders[:3]]
    advance(http, RESOLUTION_SECONDS)
    last = file(zinc, body_for(orders[3]))
    admin = CheckedClient(http, "admin")
    listed = admin.get("/__admin/records", params={"provider": "zinc", "kind": "return", "limit": 2}).json()
    assert (listed["total"], ids(listed["records"])) == (4, [first[2]["id"], last["id"]])
    resolved = [zinc.get(f"/returns/{r['id']}").json()["status"] for r in first]
    expected_states = {status: resolved.count(status) for status in resolved} | {"open": 1}
    assert listed["states"] == expected_states
    open_ones = admin.get("/__admin/records", params={"provider": "zinc", "state": "open"}).json()
    assert (open_ones["total"], ids(open_ones["records"]), open_ones["states"]) == (1, [last["id"]], expected_states)
    found = admin.get("/__admin/records", params={"provider": "zinc", "q": orders[1]["id"].upper()}).json()
    assert ids(found["records"]) == [first[1]["id"]]
    assert admin.get("/__admin/records", params={"provider": "zinc", "q": "%"}).json()["total"] == 0
    assert admin.get("/__admin/records", params={"provider": "zinc", "state": "(none)"}).json()["total"] == 0
