"""Webhooks signed with an HMAC of the body alone (Zinc: hex, Rye: base64): the check they share."""

from __future__ import annotations

import hmac
from collections.abc import Callable, Mapping


def header(headers: Mapping[str, str], name: str) -> str | None:
    """A header by name, whatever its case (receivers and proxies may lower-case it)."""
    wanted = name.lower()
    return next((value for key, value in headers.items() if key.lower() == wanted), None)


def body_signature_matches(
    headers: Mapping[str, str], name: str, secret: str | None, body: bytes, signature: Callable[[str, bytes], str]
) -> bool:
    """The `name` header holds `signature(secret, body)`, compared in constant time."""
    sent = header(headers, name)
    if secret is None or sent is None:
        return False
    return hmac.compare_digest(sent, signature(secret, body))
