"""Seed ABOUT YOU's part of the world from `mocks/aboutyou.yaml` and the seed."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faker import Faker

from returnkit.core.clock import iso
from returnkit.core.world import seeded_faker
from returnkit.providers.aboutyou.records import ITEMS, ORDERS, PROVIDER, Order, OrderItem
from returnkit.providers.kit import World, known_owner

SIZES = ("S", "M", "L", "XL")
ITEM_STATUSES_FOR = {
    "open": ["open"],
    "shipped": ["shipped"],
    "cancelled": ["cancelled"],
    "returned": ["returned"],
    "mixed": ["shipped", "open", "returned", "cancelled"],
}


def seed(world: World) -> None:
    faker = seeded_faker(world.seed, PROVIDER, "de_DE")
    next_item = int(world.mocks["orders"]["first_item_id"])
    for merchant in world.mocks["merchants"]:
        for status, count in world.mocks["orders"]["per_status"].items():
            for _ in range(count):
                order = new_order(world, faker, next_item, status)
                next_item += len(order["order_items"])
                save_order(world, merchant["id"], order)
    world.store.set_meta(f"{PROVIDER}.next_item", next_item)


def add_orders(world: World, owner: str | None, count: int) -> tuple[str, list[str]]:
    """`count` fresh open orders for `owner` (the first merchant by default)."""
    owner = known_owner(owner, [m["id"] for m in world.mocks["merchants"]])
    faker = seeded_faker(world.seed, f"{PROVIDER}/{world.store.get_meta(f'{PROVIDER}.next_item')}", "de_DE")
    next_item = int(world.store.get_meta(f"{PROVIDER}.next_item"))
    numbers = []
    for _ in range(count):
        order = new_order(world, faker, next_item, "open")
        next_item += len(order["order_items"])
        save_order(world, owner, order)
        numbers.append(order["order_number"])
    world.store.set_meta(f"{PROVIDER}.next_item", next_item)
    return owner, numbers


def new_order(world: World, faker: Faker, first_item: int, status: str) -> Order:
    low, high = world.mocks["orders"]["items_per_order"]
    size = faker.random_int(low, high)
    if status == "mixed":
        size = max(size, 2)
    wanted = ITEM_STATUSES_FOR[status]
    items = [new_item(world, faker, first_item + n, wanted[n % len(wanted)]) for n in range(size)]
    created = world.clock.now() - timedelta(days=faker.random_int(1, 60), minutes=faker.random_int(0, 1439))
    return {
        "order_number": str(300_000_000 + first_item),  # unique: item ids never repeat
        "status": order_status(items),
        "order_items": items,
        "carrier_key": faker.random_element(world.mocks["carriers"]["keys"]),
        "cost_with_tax": sum(item["price_with_tax"] for item in items),
        "cost_without_tax": sum(item["price_without_tax"] for item in items),
        "customer_key": faker.uuid4(),
        "shop_country": faker.random_element(["DE", "AT", "CH", "NL", "BE"]),
        "created_at": iso(created),
        "fulfillment_type": "dropshipping",
    }


def new_item(world: World, faker: Faker, item_id: int, status: str) -> OrderItem:
    low, high = world.mocks["orders"]["price_with_tax_cents"]
    vat = float(world.mocks["orders"]["vat_percent"])
    gross = faker.random_int(low, high)
    shipped = status in {"shipped", "returned"}
    return {
        "id": item_id,
        "sku": f"{faker.lexify('????').upper()}-{faker.random_int(1000, 9999)}-{faker.random_element(SIZES)}",
        "status": status,
        "price_with_tax": gross,
        "price_without_tax": round(gross / (1 + vat / 100)),
        "vat": vat,
        "shipment_tracking_key": faker.bothify("00340434######") if shipped else None,
        "return_tracking_key": faker.bothify("RT#########") if status == "returned" else None,
    }


def order_status(items: list[OrderItem]) -> str:
    """One status when every item shares it, else `mixed` (docs: order-states page)."""
    statuses = {item["status"] for item in items}
    return statuses.pop() if len(statuses) == 1 else "mixed"


def save_order(world: World, owner: str, order: Order) -> None:
    ORDERS.put(world, order["order_number"], order, owner=owner)
    for item in order["order_items"]:
        ITEMS.put(world, str(item["id"]), {"order": order["order_number"]}, owner=owner)


def merchant_orders(world: World, owner: str) -> list[dict[str, Any]]:
    """The owner's orders as ABOUT YOU shows them."""
    return [ORDERS.public(order) for order in ORDERS.by_owner(world, owner)]


def describe(world: World) -> dict[str, Any]:
    merchants = [{**m, "orders": merchant_orders(world, m["id"])} for m in world.mocks["merchants"]]
    return {"auth": "X-API-Key header", "merchants": merchants}
