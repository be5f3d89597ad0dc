"""Seed Zinc's part of the world from `mocks/zinc.yaml` and the seed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faker import Faker

from returnkit.core.clock import iso
from returnkit.core.world import seeded_faker
from returnkit.providers.kit import World, known_owner
from returnkit.providers.zinc.records import ORDERS, PROVIDER, Order, OrderItem

ITEM_STATUS = {
    "order_placed": ("shipped", "delivered"),
    "pending": ("pending",),
    "in_progress": ("processing",),
    "order_failed": ("failed",),
    "cancelled": ("cancelled",),
    "cancelled_by_retailer": ("cancelled",),
}


def seed(world: World) -> None:
    faker = seeded_faker(world.seed, PROVIDER)
    for account in world.mocks["accounts"]:
        for status, count in world.mocks["orders"]["per_status"].items():
            for _ in range(count):
                save_order(world, account["id"], new_order(world, faker, status))


def add_orders(world: World, owner: str | None, count: int) -> tuple[str, list[str]]:
    """`count` fresh `order_placed` orders for `owner` (the first account by default)."""
    owner = known_owner(owner, [a["id"] for a in world.mocks["accounts"]])
    batch = world.store.next_number(f"{PROVIDER}.added-orders")
    faker = seeded_faker(world.seed, f"{PROVIDER}/added/{batch}")
    ids = []
    for _ in range(count):
        order = new_order(world, faker, "order_placed")
        save_order(world, owner, order)
        ids.append(order["id"])
    return owner, ids


def new_order(world: World, faker: Faker, status: str) -> Order:
    mocks = world.mocks["orders"]
    order_id = _uuid(faker)
    created = world.clock.now() - timedelta(days=faker.random_int(2, 40), minutes=faker.random_int(0, 1439))
    placed = iso(created + timedelta(hours=faker.random_int(1, 30)))
    items = [
        _item(world, faker, status, iso(created), placed) for _ in range(faker.random_int(*mocks["items_per_order"]))
    ]
    return {
        "id": order_id,
        "status": status,
        "max_price": faker.random_int(*mocks["max_price_cents"]),
        "attempts": 1 if status != "pending" else 0,
        "items": items,
        "shipping_address": {
            "first_name": faker.first_name(),
            "last_name": faker.last_name(),
            "address_line1": faker.street_address(),
            "city": faker.city(),
            "state": faker.state_abbr() if hasattr(faker, "state_abbr") else "NY",
            "postal_code": faker.postcode(),
            "country": "US",
            "phone_number": faker.numerify("+1##########"),
        },
        "metadata": {},
        "retailer_credentials_id": None,
        "merchant_order_ids": [faker.bothify("###-#######-#######")] if status == "order_placed" else [],
        "tracking_numbers": [],
        "returns": [],
        "created_at": iso(created),
        "updated_at": placed,
    }


def _item(world: World, faker: Faker, order_status: str, created: str, updated: str) -> OrderItem:
    retailer = faker.random_element(world.mocks["orders"]["retailers"])
    return {
        "id": _uuid(faker),
        "url": f"https://www.{retailer}/dp/{faker.bothify('B0########').upper()}",
        "quantity": faker.random_int(*world.mocks["orders"]["quantity"]),
        "status": faker.random_element(ITEM_STATUS[order_status]),
        "created_at": created,
        "updated_at": updated,
    }


def _uuid(faker: Faker) -> str:
    return str(faker.uuid4())


def save_order(world: World, owner: str, order: Order) -> None:
    ORDERS.put(world, order["id"], order, owner=owner)


def describe(world: World) -> dict[str, Any]:
    accounts = []
    for account in world.mocks["accounts"]:
        orders = [ORDERS.public(order) for order in ORDERS.by_owner(world, account["id"])]
        accounts.append({**account, "orders": orders})
    return {"auth": "Authorization: Bearer <api key>", "accounts": accounts}
