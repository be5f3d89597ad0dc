"""Seed Kibo Commerce's part of the world: per tenant, orders with items and a captured payment."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from faker import Faker

from returnkit.core.clock import iso
from returnkit.core.world import seeded_faker
from returnkit.providers.kibo_commerce.records import ORDERS, PROVIDER
from returnkit.providers.kit import World, known_owner


def seed(world: World) -> None:
    faker = seeded_faker(world.seed, PROVIDER)
    for tenant in world.mocks["tenants"]:
        for fulfillment, count in world.mocks["orders"]["per_status"].items():
            for _ in range(count):
                save_order(world, tenant, new_order(world, faker, tenant, fulfillment))


def add_orders(world: World, owner: str | None, count: int) -> tuple[str, list[str]]:
    chosen = known_owner(owner, [str(t["id"]) for t in world.mocks["tenants"]])
    tenant = next(t for t in world.mocks["tenants"] if str(t["id"]) == chosen)
    faker = seeded_faker(world.seed, f"{PROVIDER}/added/{world.store.next_number(f'{PROVIDER}.added-orders')}")
    ids = []
    for _ in range(count):
        order = new_order(world, faker, tenant, "Shipped")
        save_order(world, tenant, order)
        ids.append(order["id"])
    return str(tenant["id"]), ids


def kibo_id(faker: Faker) -> str:
    """Kibo ids are 32 lower-case hex digits."""
    return f"{faker.random.getrandbits(128):032x}"


def new_order(world: World, faker: Faker, tenant: dict[str, Any], fulfillment: str) -> dict[str, Any]:
    mocks = world.mocks["orders"]
    order_id = kibo_id(faker)
    items = [_item(faker, line, mocks) for line in range(1, faker.random_int(*mocks["items_per_order"]) + 1)]
    total = round(sum(item["total"] for item in items), 2)
    submitted = world.clock.now() - timedelta(days=faker.random_int(3, 45), minutes=faker.random_int(0, 1439))
    number = world.store.next_number(f"{PROVIDER}.order-number.{tenant['id']}")
    return {
        "id": order_id,
        "orderNumber": number,
        "status": "Completed" if fulfillment == "Shipped" else "Accepted",
        "type": "Online",
        "paymentStatus": "Paid",
        "fulfillmentStatus": "Fulfilled" if fulfillment == "Shipped" else "NotFulfilled",
        "isEligibleForReturns": fulfillment == "Shipped",
        "tenantId": tenant["id"],
        "siteId": tenant["site"],
        "currencyCode": "USD",
        "email": faker.email(),
        "items": items,
        "payments": [_payment(faker, order_id, total, iso(submitted))],
        "subtotal": total,
        "total": total,
        "totalCollected": total,
        "amountAvailableForRefund": total,
        "amountRemainingForPayment": 0.0,
        "amountRefunded": 0.0,
        "submittedDate": iso(submitted),
        "acceptedDate": iso(submitted + timedelta(minutes=5)),
        "auditInfo": {"createDate": iso(submitted), "updateDate": iso(submitted), "createBy": None, "updateBy": None},
    }


def _item(faker: Faker, line: int, mocks: dict[str, Any]) -> dict[str, Any]:
    quantity = faker.random_int(*mocks["quantity"])
    price = float(faker.random_int(mocks["price"][0] * 100, mocks["price"][1] * 100)) / 100
    code = faker.bothify("KB-####-??").upper()
    product = {"productCode": code, "name": faker.catch_phrase(), "price": {"price": price, "salePrice": None}}
    return {
        "id": kibo_id(faker),
        "lineId": line,
        "quantity": quantity,
        "product": product,
        "subtotal": round(price * quantity, 2),
        "total": round(price * quantity, 2),
        "unitPrice": {"listAmount": price, "extendedAmount": price},
        "fulfillmentMethod": "Ship",
    }


def _payment(faker: Faker, order_id: str, total: float, when: str) -> dict[str, Any]:
    payment_id = kibo_id(faker)
    capture = {
        "id": kibo_id(faker),
        "paymentId": payment_id,
        "orderId": order_id,
        "interactionType": "Capture",
        "status": "Captured",
        "amount": total,
        "currencyCode": "USD",
        "interactionDate": when,
        "isManual": False,
        "isPending": False,
    }
    return {
        "id": payment_id,
        "orderId": order_id,
        "paymentType": "CreditCard",
        "paymentWorkflow": "Mozu",
        "status": "Collected",
        "availableActions": ["CreditPayment"],
        "interactions": [capture],
        "amountCollected": total,
        "amountCredited": 0.0,
        "amountRequested": total,
        "isRecurring": False,
        "billingInfo": {"paymentType": "CreditCard", "isSameBillingShippingAddress": True, "isRecurring": False},
    }


def save_order(world: World, tenant: dict[str, Any], order: dict[str, Any]) -> None:
    ORDERS.put(world, order["id"], order, owner=str(tenant["id"]))


def describe(world: World) -> dict[str, Any]:
    tenants = []
    for tenant in world.mocks["tenants"]:
        orders = [ORDERS.public(order) for order in ORDERS.by_owner(world, str(tenant["id"]))]
        tenants.append({**tenant, "orders": orders})
    return {"auth": "POST /api/platform/applications/authtickets/oauth, then Authorization: Bearer", "tenants": tenants}
