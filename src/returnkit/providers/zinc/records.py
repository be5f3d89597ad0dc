"""Zinc's record kinds, declared once: orders (seeded) and the returns filed against them."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from returnkit.core.records import Records

PROVIDER = "zinc"


class OrderItem(TypedDict):
    id: str
    url: str
    quantity: int
    status: str
    created_at: str
    updated_at: str


class Order(TypedDict):
    id: str
    status: str
    max_price: int
    attempts: int
    items: list[OrderItem]
    shipping_address: dict[str, str]
    metadata: dict[str, Any]
    retailer_credentials_id: str | None
    merchant_order_ids: list[str]
    tracking_numbers: list[str]
    returns: list[dict[str, Any]]  # always empty when stored: the order's returns are added per read
    created_at: str
    updated_at: str
    owner: NotRequired[str]


class ReturnItem(TypedDict):
    order_item_id: str
    quantity: int


class Return(TypedDict):
    """A return request: the wire fields, then the private ones (who filed it, when and how it resolves)."""

    id: str
    order_id: str
    status: str  # open, then approved, denied or credited (`behaviour.transition`)
    reason: str
    notes: str | None
    resolution_notes: str | None
    items: list[ReturnItem]
    label_urls: list[str]  # stored empty: an approved return's label URLs are signed per read
    merchant_return_id: str | None
    credited_amount: NotRequired[int]  # only once credited
    created_at: str
    updated_at: str
    owner: str
    filed_at: float
    resolves_at: float
    decision: str
    decision_note: str


ORDERS: Records[Order] = Records(PROVIDER, "order")
# A return's ref is its order's id (`RETURNS.by_ref(world, order_id)`).
RETURNS: Records[Return] = Records(
    PROVIDER,
    "return",
    private=("owner", "filed_at", "resolves_at", "decision", "decision_note"),
    sort=lambda r: r["created_at"],  # GET /returns lists the newest first
)


class WebhookEndpoint(TypedDict):
    """An account's webhook endpoint (keyed by the account): its URL while registered, its secret for good."""

    url: str | None
    secret: str
    subscription: str | None  # the outbox subscription that delivers to `url`
    owner: NotRequired[str]


# The secret outlives DELETE /webhooks/endpoint (SDK text), so it is kept apart from the subscription.
ENDPOINTS: Records[WebhookEndpoint] = Records(PROVIDER, "webhook-endpoint")
