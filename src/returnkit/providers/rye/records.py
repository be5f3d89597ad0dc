"""Rye's record kinds, declared once: its orders and its returns (fields spelt as Rye spells them)."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from returnkit.core.records import Records

PROVIDER = "rye"


class RyeOrder(TypedDict):
    """An order as seeded (`world.py`); `cents` holds its subtotal, shipping and tax."""

    id: str
    cartId: str
    createdAt: str
    marketplace: str
    marketplaceOrderIds: list[str]
    delivered: bool
    lines: list[dict[str, Any]]
    carrierTrackingNumber: str
    shippedAt: str
    cents: dict[str, int]
    owner: str


class RyeReturn(TypedDict):
    """One return per marketplace order. `created` is virtual seconds since the epoch (the lifecycle's
    steps count from it); `status` and `updatedAt` change only through `behaviour.transition`."""

    id: str
    orderId: str
    marketplace: str
    marketplaceOrderId: str
    lines: list[dict[str, Any]]
    created: float
    createdAt: str
    status: str
    updatedAt: str
    owner: str
    denied: NotRequired[bool]  # a `deny` fault was on when it was requested: it ends RETURN_DENIED


ORDERS: Records[RyeOrder] = Records(PROVIDER, "order")
RETURNS: Records[RyeReturn] = Records(PROVIDER, "return")
