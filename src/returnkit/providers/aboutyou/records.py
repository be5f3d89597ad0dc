"""ABOUT YOU's record kinds, declared once: orders, the item -> order index, batches and dedup marks."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from returnkit.core.records import Records

PROVIDER = "aboutyou"


class OrderItem(TypedDict):
    id: int
    sku: str
    status: str
    price_with_tax: int
    price_without_tax: int
    vat: float
    shipment_tracking_key: str | None
    return_tracking_key: str | None


class Order(TypedDict):
    order_number: str
    status: str
    order_items: list[OrderItem]
    carrier_key: str
    cost_with_tax: int
    cost_without_tax: int
    customer_key: str
    shop_country: str
    created_at: str
    fulfillment_type: str
    owner: NotRequired[str]


class ItemLink(TypedDict):
    """Where an order item lives (keyed by the item's id): its order's number."""

    order: str
    owner: NotRequired[str]


class ItemResult(TypedDict):
    requestItem: Any
    success: bool
    errors: list[str]


class Batch(TypedDict):
    id: str
    kind: str  # return, ship or cancel: the results endpoint it is read from
    owner: str
    submitted: float
    items: list[Any]  # the request's `items[]`, applied in order when the batch completes
    results: list[ItemResult]  # one per item once completed
    status: str  # pending -> processing -> completed | failed (`behaviour.transition`)
    updated: float  # when it last changed status
    fault: dict[str, Any] | None  # a fail-items fault makes items fail when the batch completes


class Dedup(TypedDict):
    """The batch an owner's identical payload maps to until `until` (keyed by owner, kind and fingerprint)."""

    batch: str
    until: float
    owner: NotRequired[str]


ORDERS: Records[Order] = Records(PROVIDER, "order")
ITEMS: Records[ItemLink] = Records(PROVIDER, "item")
BATCHES: Records[Batch] = Records(PROVIDER, "batch")
DEDUP: Records[Dedup] = Records(PROVIDER, "dedup")
