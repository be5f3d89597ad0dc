"""Kibo OMS's record kinds, declared once: provider code reaches the store only through these."""

from __future__ import annotations

from typing import Any, TypedDict

from returnkit.core.records import Records

PROVIDER = "kibo-oms"


class OmsToken(TypedDict):
    """An access token (its key is the token): the manufacturer it acts for, until `expires`."""

    manufacturer: int
    expires: float


OmsOrder = dict[str, Any]
OmsLocation = dict[str, Any]
OmsReturn = dict[str, Any]

TOKENS: Records[OmsToken] = Records(PROVIDER, "token")
ORDERS: Records[OmsOrder] = Records(PROVIDER, "order")
LOCATIONS: Records[OmsLocation] = Records(PROVIDER, "location")
RETURNS: Records[OmsReturn] = Records(PROVIDER, "return")
