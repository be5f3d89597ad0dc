"""Seed Rye's part of the world: per developer, Amazon and Shopify orders, delivered or in transit."""

from __future__ import annotations

from datetime import timedelta
from typing import Any, cast

from faker import Faker

from returnkit.core.clock import iso
from returnkit.core.world import derive_uuid, seeded_faker
from returnkit.providers.kit import World, known_owner
from returnkit.providers.rye.records import ORDERS, PROVIDER, RyeOrder

KINDS = {
    "amazon_delivered": ("AMAZON", True),
    "amazon_in_transit": ("AMAZON", False),
    "shopify_delivered": ("SHOPIFY", True),
    "shopify_in_transit": ("SHOPIFY", False),
}


def seed(world: World) -> None:
    faker = seeded_faker(world.seed, PROVIDER)
    for developer in world.mocks["developers"]:
        for kind, count in world.mocks["orders"].items():
            if kind in KINDS:
                for _ in range(int(count)):
                    save_order(world, developer["id"], new_order(world, faker, *KINDS[kind]))
    for documented in world.mocks.get("documented_orders", ()):
        save_order(world, documented["developer"], documented_order(world, documented))


def add_orders(world: World, owner: str | None, count: int) -> tuple[str, list[str]]:
    chosen = known_owner(owner, [d["id"] for d in world.mocks["developers"]])
    faker = seeded_faker(world.seed, f"{PROVIDER}/added/{world.store.next_number(f'{PROVIDER}.added-orders')}")
    ids = []
    for n in range(count):
        order = new_order(world, faker, "AMAZON" if n % 2 == 0 else "SHOPIFY", True)
        save_order(world, chosen, order)
        ids.append(order["id"])
    return chosen, ids


def price(cents: int) -> dict[str, Any]:
    return {"value": cents, "currency": "USD", "displayValue": f"${cents / 100:,.2f}"}


def new_order(world: World, faker: Faker, marketplace: str, delivered: bool) -> dict[str, Any]:
    created = world.clock.now() - timedelta(days=faker.random_int(5, 25))
    lines = [_line(world, faker, marketplace) for _ in range(3 if marketplace == "AMAZON" else 2)]
    if marketplace == "AMAZON":  # three lines over two Amazon orders, as in Rye's returnOrder example
        marketplace_ids = [faker.numerify("113-#######-#######"), faker.numerify("114-#######-#######")]
        for n, line in enumerate(lines):
            line["marketplaceOrderId"] = marketplace_ids[0 if n < 2 else 1]
    else:
        marketplace_ids = [faker.numerify("57760#########")]
        for line in lines:
            line["marketplaceOrderId"] = marketplace_ids[0]
    subtotal = sum(line["cents"] * line["quantity"] for line in lines)
    return {
        "id": str(faker.uuid4()),
        "cartId": str(faker.uuid4()),
        "createdAt": iso(created),
        "marketplace": marketplace,
        "marketplaceOrderIds": marketplace_ids,
        "delivered": delivered,
        "lines": lines,
        "carrierTrackingNumber": faker.bothify("1Z###???##########").upper(),
        "shippedAt": iso(created + timedelta(days=1)),
        "cents": {"subtotal": subtotal, "shipping": 599, "tax": round(subtotal * 0.08)},
    }


def documented_order(world: World, documented: dict[str, Any]) -> dict[str, Any]:
    """An order with the ids of a Rye document's example; the rest derived from the seed."""
    created = world.clock.now() - timedelta(days=10)
    lines = [{**line, "variantId": line["productId"]} for line in documented["lines"]]
    subtotal = sum(line["cents"] * line["quantity"] for line in lines)
    return {
        "id": documented["id"],
        "cartId": derive_uuid(world.seed, PROVIDER, "cart", documented["id"]),
        "createdAt": iso(created),
        "marketplace": documented["marketplace"],
        "marketplaceOrderIds": list(dict.fromkeys(line["marketplaceOrderId"] for line in lines)),
        "delivered": True,
        "lines": lines,
        "carrierTrackingNumber": "1Z" + derive_uuid(world.seed, PROVIDER, "tracking", documented["id"])[:16].upper(),
        "shippedAt": iso(created + timedelta(days=1)),
        "cents": {"subtotal": subtotal, "shipping": 599, "tax": round(subtotal * 0.08)},
    }


def _line(world: World, faker: Faker, marketplace: str) -> dict[str, Any]:
    low, high = world.mocks["orders"]["price_cents"]
    product = faker.bothify("B0#??#####").upper() if marketplace == "AMAZON" else faker.numerify("8##########")
    variant = product if marketplace == "AMAZON" else faker.numerify("465799########")
    return {
        "productId": product,
        "variantId": variant,
        "quantity": faker.random_int(1, 3),
        "cents": faker.random_int(low, high),
    }


def save_order(world: World, owner: str, order: dict[str, Any]) -> None:
    ORDERS.put(world, order["id"], cast(RyeOrder, order), owner=owner)


def describe(world: World) -> dict[str, Any]:
    developers = []
    for developer in world.mocks["developers"]:
        orders = [ORDERS.public(order) for order in ORDERS.by_owner(world, developer["id"])]
        developers.append({**developer, "orders": orders})
    return {"auth": "Authorization: Basic <API key>", "developers": developers}
