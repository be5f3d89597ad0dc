"""Heavy admin work (many fresh orders) is done in chunks: other clients are served meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from returnkit.server.app import ServerOptions, create_app
from tests.http import HOST

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
MANY = 1000


@asynccontextmanager
async def client_of(seed: int = 0) -> AsyncIterator[httpx.AsyncClient]:
    app = create_app(ServerOptions(seed=seed, clock_mode="frozen"))
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url=HOST) as client:
        yield client


async def zinc_orders(client: httpx.AsyncClient) -> int:
    total: int = (await client.get("/orders", params={"limit": 1}, headers=ZINC)).json()["total"]
    return total


def test_a_client_is_answered_while_many_orders_are_being_added() -> None:
    async def scenario() -> tuple[int, list[int], httpx.Response]:
        async with client_of() as client:
            seeded = await zinc_orders(client)
            adding = asyncio.create_task(client.post("/__admin/world/orders", json={"provider": "zinc", "count": MANY}))
            seen = []
            while not adding.done():
                seen.append(await zinc_orders(client))
                await asyncio.sleep(0)
            return seeded, seen, await adding

    seeded, seen, added = asyncio.run(scenario())
    assert (added.status_code, len(added.json()["orders"])) == (201, MANY)
    assert [total for total in seen if seeded < total < seeded + MANY]  # answered mid-way, not after


def test_orders_added_in_chunks_still_follow_from_the_seed() -> None:
    async def added(seed: int) -> list[str]:
        async with client_of(seed) as client:
            answer = await client.post("/__admin/world/orders", json={"provider": "kibo-oms", "count": 250})
            orders: list[str] = answer.json()["orders"]
            assert len(set(orders)) == 250
            return orders

    assert asyncio.run(added(3)) == asyncio.run(added(3))


def test_a_reset_during_a_large_add_stops_it_and_keeps_the_reset_world() -> None:
    async def scenario() -> tuple[int, httpx.Response, int]:
        async with client_of() as client:
            seeded = await zinc_orders(client)
            adding = asyncio.create_task(client.post("/__admin/world/orders", json={"provider": "zinc", "count": MANY}))
            while await zinc_orders(client) == seeded:
                await asyncio.sleep(0)
            assert (await client.post("/__admin/reset")).status_code == 200
            answer = await adding
            return seeded, answer, await zinc_orders(client)

    seeded, answer, after = asyncio.run(scenario())
    assert answer.status_code == 409
    assert "reset while orders were added" in answer.json()["message"]
    assert after == seeded


def test_a_large_answer_is_journaled_by_its_size_only() -> None:
    async def scenario() -> tuple[httpx.Response, dict[str, object]]:
        async with client_of() as client:
            added = await client.post("/__admin/world/orders", json={"provider": "zinc", "count": 2 * MANY})
            journal = await client.get("/__admin/requests", params={"path": "/__admin/world/orders"})
            entry: dict[str, object] = journal.json()["requests"][0]
            return added, entry

    added, entry = asyncio.run(scenario())
    assert len(added.json()["orders"]) == 2 * MANY
    response = entry["response"]
    assert isinstance(response, dict)
    assert response["body"] == f"<{len(added.content)} bytes, not kept: over 65536>"
