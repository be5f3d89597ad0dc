"""Seed Kibo OMS's part of the world: per manufacturer, shipped orders and return locations."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from faker import Faker

from returnkit.core.world import seeded_faker
from returnkit.providers.kibo_oms.records import LOCATIONS, ORDERS, PROVIDER
from returnkit.providers.kit import World, known_owner


def oms_time(moment: datetime) -> str:
    """`2017-01-13T19:27:27+0000`: OMS's timestamp, an offset without a colon."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S+0000")


def seed(world: World) -> None:
    faker = seeded_faker(world.seed, PROVIDER)
    for manufacturer in world.mocks["manufacturers"]:
        for _ in range(int(world.mocks["orders"]["count"])):
            save_order(world, manufacturer, new_order(world, faker))
        for n in range(int(world.mocks["locations_per_manufacturer"])):
            location = _location(faker, manufacturer["id"], n)
            LOCATIONS.put(world, str(location["locationID"]), location, owner=str(manufacturer["id"]))


def add_orders(world: World, owner: str | None, count: int) -> tuple[str, list[str]]:
    chosen = known_owner(owner, [str(m["id"]) for m in world.mocks["manufacturers"]])
    manufacturer = next(m for m in world.mocks["manufacturers"] if str(m["id"]) == chosen)
    faker = seeded_faker(world.seed, f"{PROVIDER}/added/{world.store.next_number(f'{PROVIDER}.added-orders')}")
    ids = []
    for _ in range(count):
        order = new_order(world, faker)
        save_order(world, manufacturer, order)
        ids.append(str(order["orderID"]))
    return str(manufacturer["id"]), ids


def new_order(world: World, faker: Faker) -> dict[str, Any]:
    mocks = world.mocks["orders"]
    number = world.store.next_number(f"{PROVIDER}.order")
    order_id = int(mocks["first_order_id"]) + number
    items = []
    for _ in range(faker.random_int(*mocks["items_per_order"])):
        item_number = world.store.next_number(f"{PROVIDER}.order-item")
        price = float(faker.random_int(mocks["price"][0] * 100, mocks["price"][1] * 100)) / 100
        items.append(
            {
                "orderItemID": 880000 + item_number,
                "quantity": faker.random_int(*mocks["quantity"]),
                "price": price,
                "partNumber": faker.bothify("PN-#####").upper(),
                "SKU": faker.bothify("SKU-????-###").upper(),
                "UPC": faker.numerify("0#########0#"),
                "partName": faker.catch_phrase()[:50],
            }
        )
    return {"orderID": order_id, "shipmentID": 101000000 + number, "items": items}


def _location(faker: Faker, manufacturer_id: int, n: int) -> dict[str, Any]:
    return {
        "locationID": manufacturer_id * 100 + n + 1,
        "manufacturerID": manufacturer_id,
        "fulfillerID": None,
        "name": f"{faker.city()} Returns Center"[:50],
        "addressLine1": faker.street_address(),
        "addressLine2": None,
        "city": faker.city(),
        "state": faker.state_abbr(),
        "postalCode": faker.postcode(),
        "countryCode": "US",
        "phone": faker.numerify("###-###-####"),
        "active": True,
        "shippingLocation": True,
        "taxableLocation": True,
    }


def save_order(world: World, manufacturer: dict[str, Any], order: dict[str, Any]) -> None:
    ORDERS.put(world, str(order["orderID"]), order, owner=str(manufacturer["id"]))


def describe(world: World) -> dict[str, Any]:
    manufacturers = []
    for manufacturer in world.mocks["manufacturers"]:
        owner = str(manufacturer["id"])
        manufacturers.append(
            {
                **manufacturer,
                "orders": [ORDERS.public(order) for order in ORDERS.by_owner(world, owner)],
                "locations": [LOCATIONS.public(location) for location in LOCATIONS.by_owner(world, owner)],
            }
        )
    return {
        "auth": "POST /oauthserver/oauth2/token (Basic api_key:secret_key), then Bearer",
        "manufacturers": manufacturers,
    }
