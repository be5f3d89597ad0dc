"""Polling the journal: `after` and `limit` give the newest entries a poller has not seen, oldest first."""

from __future__ import annotations

from tests.http import CheckedClient, TestClient

ACME = {"Authorization": "Bearer zinc_acme"}  # any answer is journaled, a refusal included


def test_a_poll_gets_the_newest_limit_entries_above_after_oldest_first(http: TestClient, admin: CheckedClient) -> None:
    paths = [f"/zinc/returns/r{number}" for number in range(5)]
    for path in paths:
        http.get(path, headers=ACME)
    every = admin.get("/__admin/requests", params={"direction": "inbound", "limit": 100}).json()["requests"]
    ids = {entry["path"]: entry["id"] for entry in every}
    polled = admin.get("/__admin/requests", params={"after": ids[paths[1]], "limit": 2, "provider": "zinc"}).json()
    assert [entry["path"] for entry in polled["requests"]] == paths[3:]
    assert polled["total"] == len([entry for entry in every if entry["provider"] == "zinc"])
    caught_up = admin.get("/__admin/requests", params={"after": ids[paths[4]], "provider": "zinc"}).json()
    assert caught_up["requests"] == []
