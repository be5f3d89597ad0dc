"""Two servers in one process, each on the in-memory default store, are two worlds: what one accepts
the other never sees (each in-memory store is a SQLite memdb database under a name of its own)."""

from __future__ import annotations

from returnkit.server.app import ServerOptions, create_app
from tests.http import serving

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


def test_a_return_filed_on_one_in_memory_server_is_unknown_to_another() -> None:
    with (
        serving(create_app(ServerOptions(seed=3, clock_mode="frozen"))) as first,
        serving(create_app(ServerOptions(seed=3, clock_mode="frozen"))) as second,
    ):
        order = first.get("/orders", params={"status_filter": "order_placed"}, headers=ZINC).json()["orders"][0]
        body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
        filed = first.post("/returns", json={**body, "reason": "other"}, headers=ZINC)
        assert filed.status_code == 201, filed.text
        assert first.get(f"/returns/{filed.json()['id']}", headers=ZINC).status_code == 200
        assert second.get(f"/returns/{filed.json()['id']}", headers=ZINC).status_code == 404
        assert second.get("/returns", headers=ZINC).json()["total"] == 0
        assert second.get("/__admin/requests").json()["total"] == 2  # its own two reads, nothing of the first's
