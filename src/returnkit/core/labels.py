"""Signed, expiring URLs for return labels, served by the admin API as a one-page PDF.

A provider hands out `{base}/__admin/labels/{provider}/{name}?expires=..&signature=..`; the URL
works until `expires` on the virtual clock, and only with the signature the seed gives it.
"""

from __future__ import annotations

import hashlib
import hmac

LABEL_PATH = "/__admin/labels/{provider}/{name}"
# The smallest well-formed PDF: one empty page.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def sign(seed: int, path: str, expires: int) -> str:
    key = hashlib.sha256(f"returnkit-labels-{seed}".encode()).digest()
    return hmac.new(key, f"{path}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def label_url(base_url: str, seed: int, provider: str, name: str, expires: int) -> str:
    path = LABEL_PATH.format(provider=provider, name=name)
    return f"{base_url}{path}?expires={expires}&signature={sign(seed, path, expires)}"


def refusal(seed: int, path: str, expires: str | None, signature: str | None, now: float) -> str | None:
    """Why the label URL does not work, or None when it does."""
    if not expires or not (expires.isascii() and expires.isdigit()) or not signature:
        return "a label URL needs its expires and signature parameters"
    if not hmac.compare_digest(sign(seed, path, int(expires)), signature):
        return "the label URL's signature does not match"
    if now >= int(expires):
        return "the label URL has expired; fetch the return again for a fresh one"
    return None
