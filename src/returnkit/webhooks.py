"""Each provider's webhook signature scheme, for a user's tests of their own verifier:

    import returnkit.webhooks
    headers = returnkit.webhooks.sign("zinc", body, secret)             # the signature headers
    returnkit.webhooks.verify("zinc", request_headers, raw_body, secret)  # True: the provider's recipe accepts it

Both delegate to the provider's `WebhookKit` (`providers/<name>/webhooks.py`), the code the mock
server signs its own deliveries with. A provider that signs nothing (Kibo OMS, ABOUT YOU) signs
to `{}`; its kit says what `verify` makes of a secret.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from returnkit.core.jsonbytes import dumps
from returnkit.errors import UnknownProvider
from returnkit.providers import default_kits
from returnkit.providers.kit import ProviderKit, WebhookKit

DEFAULT_TOLERANCE_SECONDS = 180.0  # Kibo's SDKs refuse a signed Date older than this


def sign(
    provider: str,
    body: bytes | str | Mapping[str, Any],
    secret: str,
    *,
    at: datetime | None = None,
    kits: Sequence[ProviderKit] | None = None,
) -> dict[str, str]:
    """The headers that sign `body` as `provider` does (with the `Date` signed, where its scheme signs one).

    A mapping is serialised compactly, as the mock server sends it; bytes are signed as given.
    """
    return webhook_kit(provider, kits).sign(secret, _bytes(body), at)


def verify(
    provider: str,
    headers: Mapping[str, str],
    body: bytes | str,
    secret: str | None,
    *,
    now: datetime | None = None,
    tolerance: float = DEFAULT_TOLERANCE_SECONDS,
    kits: Sequence[ProviderKit] | None = None,
) -> bool:
    """Whether a receiver following `provider`'s documented recipe accepts this delivery (raw body bytes)."""
    moment = now or datetime.now(UTC)
    return webhook_kit(provider, kits).verify(headers, _bytes(body), secret, moment, tolerance)


def webhook_kit(provider: str, kits: Sequence[ProviderKit] | None = None) -> WebhookKit:
    """`provider`'s webhook scheme; ValueError for a provider that sends no webhooks."""
    by_name = {kit.name: kit for kit in (kits if kits is not None else default_kits())}
    kit = by_name.get(provider)
    if kit is None:
        raise UnknownProvider(provider, list(by_name))
    if kit.webhooks is None:
        raise ValueError(f"{provider} sends no webhooks through returnkit")
    return kit.webhooks


def _bytes(body: bytes | str | Mapping[str, Any]) -> bytes:
    if isinstance(body, bytes):
        return body
    if isinstance(body, str):
        return body.encode("utf-8")
    return dumps(body)
