"""One record's page in the admin API: the record, its history of status changes and what is scheduled next."""

from __future__ import annotations

from datetime import datetime, timedelta
from itertools import pairwise
from typing import Any

from returnkit.server.app import server_state
from tests.http import CheckedClient, TestClient
from tests.providers.aboutyou.test_aboutyou import NORDLICHT, item_in, return_entry, submit
from tests.providers.kibo_commerce.test_kibo_commerce import NORTHWIND, act, advance, bearer, create, shipped_order
from tests.providers.kibo_oms.test_kibo_oms import RETURN, SUMMIT, token_for
from tests.providers.kibo_oms.test_kibo_oms import create as create_oms_return
from tests.providers.kibo_oms.test_kibo_oms import order as oms_order
from tests.providers.rye.test_rye import LUMEN, an_order, return_all
from tests.server.test_faults import zinc_return


def record_page(admin: CheckedClient, provider: str, kind: str, key: str) -> dict[str, Any]:
    answer = admin.get(f"/__admin/records/{provider}/{kind}/{key}")
    assert answer.status_code == 200, answer.text
    body: dict[str, Any] = answer.json()
    return body


def now(admin: CheckedClient) -> datetime:
    return datetime.fromisoformat(admin.get("/__admin/clock").json()["now"].replace("Z", "+00:00"))


def iso(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_a_kibo_return_created_authorized_then_rejected_shows_each_change_with_its_action_and_time(
    http: TestClient, admin: CheckedClient
) -> None:
    kibo = CheckedClient(http, "kibo-commerce", bearer(http, NORTHWIND))
    opened_at = now(admin)
    created = create(kibo, shipped_order(http))
    advance(http, 60)
    assert act(kibo, "Authorize", created["id"]).status_code == 200
    advance(http, 60)
    assert act(kibo, "Reject", created["id"]).status_code == 200
    page = record_page(admin, "kibo-commerce", "return", created["id"])
    assert page["record"]["status"] == "Rejected"
    assert [(change["from"], change["to"], change.get("action")) for change in page["history"]] == [
        (None, "Created", None),
        ("Created", "Authorized", "Authorize"),
        ("Authorized", "Rejected", "Reject"),
    ]
    assert [change["at"] for change in page["history"]] == [
        iso(opened_at),
        iso(opened_at + timedelta(seconds=60)),
        iso(opened_at + timedelta(seconds=120)),
    ]


def test_an_aboutyou_batch_shows_its_scheduled_steps_until_they_are_carried_out(
    http: TestClient, admin: CheckedClient
) -> None:
    ay = CheckedClient(http, "aboutyou", NORDLICHT)
    submitted_at = now(admin)
    batch_id = submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    page = record_page(admin, "aboutyou", "batch", batch_id)
    assert page["scheduled"] == [
        {"transition": "process", "due": iso(submitted_at + timedelta(seconds=2))},
        {"transition": "complete", "due": iso(submitted_at + timedelta(seconds=10))},
    ]
    assert [(change["from"], change["to"]) for change in page["history"]] == [(None, "pending")]
    advance(http, 10)
    page = record_page(admin, "aboutyou", "batch", batch_id)
    assert page["scheduled"] == []
    assert [(change["to"], change["at"]) for change in page["history"]] == [
        ("pending", iso(submitted_at)),
        ("processing", iso(submitted_at + timedelta(seconds=2))),
        ("completed", iso(submitted_at + timedelta(seconds=10))),
    ]


def chain(page: dict[str, Any]) -> list[tuple[str | None, str]]:
    return [(change["from"], change["to"]) for change in page["history"]]


def test_a_zinc_return_shows_its_filing_then_its_decision(http: TestClient, admin: CheckedClient) -> None:
    filed = zinc_return(http)
    assert chain(record_page(admin, "zinc", "return", filed["id"])) == [(None, "open")]
    advance(http, 120)  # mocks/zinc.yaml: resolution_seconds
    page = record_page(admin, "zinc", "return", filed["id"])
    decision = page["record"]["status"]
    assert decision in {"approved", "denied", "credited"}
    assert chain(page) == [(None, "open"), ("open", decision)]


def test_a_rye_return_shows_its_request_and_each_step_from_the_one_before(
    http: TestClient, admin: CheckedClient
) -> None:
    answer = return_all(CheckedClient(http, "rye", LUMEN), an_order(http, "AMAZON"))
    return_id = answer["result"]["orders"][0]["returnId"]
    advance(http, 7 * 24 * 3600)  # past every step of mocks/rye.yaml
    steps = chain(record_page(admin, "rye", "return", return_id))
    assert steps[:2] == [(None, "RETURN_REQUESTED"), ("RETURN_REQUESTED", "RETURN_REQUEST_ACCEPTED")]
    assert all(before == earlier for (_, earlier), (before, _) in pairwise(steps))
    assert steps[-1][1] in {"RETURN_CLOSED", "RETURN_DENIED"}


def test_a_kibo_oms_return_shows_its_opening_processing_and_reopening(http: TestClient, admin: CheckedClient) -> None:
    oms = CheckedClient(http, "kibo-oms", token_for(http, SUMMIT))
    created = create_oms_return(oms, oms_order(http))
    return_id = str(created["returnID"])
    assert chain(record_page(admin, "kibo-oms", "return", return_id)) == [(None, "OPEN")]
    assert oms.post(f"{RETURN}action/process/", json={"returnID": created["returnID"]}).status_code == 200
    assert oms.post(f"{RETURN}action/reopen/", json={"returnID": created["returnID"]}).status_code == 200
    page = record_page(admin, "kibo-oms", "return", return_id)
    assert chain(page) == [(None, "OPEN"), ("OPEN", "CLOSED"), ("CLOSED", "OPEN")]


def test_an_unknown_record_is_404_the_history_is_not_a_listed_kind_and_a_reset_clears_it(
    app: Any, http: TestClient, admin: CheckedClient
) -> None:
    assert admin.get("/__admin/records/zinc/return/no-such-return").status_code == 404
    ay = CheckedClient(http, "aboutyou", NORDLICHT)
    batch_id = submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    assert chain(record_page(admin, "aboutyou", "batch", batch_id)) == [(None, "pending")]
    store = server_state(app).store
    assert store.history("aboutyou", "batch", batch_id) != []
    assert admin.get("/__admin/records", params={"provider": "aboutyou", "kind": "history"}).status_code == 400
    assert admin.get(f"/__admin/records/aboutyou/history/batch:{batch_id}").status_code == 404
    assert http.post("/__admin/reset").status_code == 200
    assert store.history("aboutyou", "batch", batch_id) == []
    again = submit(ay, "return", [return_entry(item_in(ay, "shipped"))])
    assert again == batch_id  # the new world numbers its batches from the start: the old history would show
    assert chain(record_page(admin, "aboutyou", "batch", again)) == [(None, "pending")]
