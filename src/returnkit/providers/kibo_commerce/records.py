"""Kibo Commerce's record kinds, declared once: provider code reaches the store only through these."""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict

from returnkit.core.records import Records

PROVIDER = "kibo-commerce"


class KiboToken(TypedDict):
    """An app token (its key is the access token): the tenant it acts for, until `expires`; the application
    (client id) it was issued to (absent from tokens kept before webhooks: `noCallback` reads it)."""

    tenant: int
    expires: float
    application: NotRequired[str]


KiboOrder = dict[str, Any]
KiboReturn = dict[str, Any]
KiboReplacement = dict[str, Any]

TOKENS: Records[KiboToken] = Records(PROVIDER, "token")
ORDERS: Records[KiboOrder] = Records(PROVIDER, "order")
# A return's replacement orders are ours to follow (x-returnkit-inferred); Kibo shows only returnOrderId.
RETURNS: Records[KiboReturn] = Records(
    PROVIDER,
    "return",
    private=("owner", "replacementOrderIds"),
    sort=lambda r: r["auditInfo"]["createDate"],  # GetReturns' sortBy=createDate, ordered by the store
)
REPLACEMENTS: Records[KiboReplacement] = Records(PROVIDER, "replacement")
