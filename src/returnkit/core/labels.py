"""Signed, expiring URLs for return labels, served by the admin API as a one-page PDF.

A provider hands out `{base}/__admin/labels/{provider}/{name}?expires=..&signature=..`; the URL
works until `expires` on the virtual clock, and only with the signature the database's own key
gives it. The key is random (`secrets`), made with the store and kept in its meta, so a URL
survives a restart with `--db` but cannot be forged from the seed.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from returnkit.core.store import Store

LABEL_PATH = "/__admin/labels/{provider}/{name}"
KEY_META = "labels.key"
# Unix seconds up to the year 9999 have 12 digits; anything longer is not a time this server hands out.
EXPIRES_DIGITS = 12
# The smallest well-formed PDF: one empty page.
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 288 432]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


def keep_key(store: Store, key: str | None = None) -> str:
    """Store `key` (a new random one when None) as the database's label key, and return it."""
    key = key or secrets.token_hex(32)
    store.set_meta(KEY_META, key)
    return key


def stored_key(store: Store) -> str | None:
    key = store.get_meta(KEY_META)
    return str(key) if key else None


def sign(store: Store, path: str, expires: int) -> str:
    key = stored_key(store) or keep_key(store)
    return hmac.new(bytes.fromhex(key), f"{path}|{expires}".encode(), hashlib.sha256).hexdigest()[:32]


def label_url(base_url: str, store: Store, provider: str, name: str, expires: int) -> str:
    path = LABEL_PATH.format(provider=provider, name=name)
    return f"{base_url}{path}?expires={expires}&signature={sign(store, path, expires)}"


def refusal(store: Store, path: str, expires: str | None, signature: str | None, now: float) -> str | None:
    """Why the label URL does not work, or None when it does."""
    if not expires or not signature:
        return "a label URL needs its expires and signature parameters"
    if not (expires.isascii() and expires.isdigit() and len(expires) <= EXPIRES_DIGITS):
        return f"the label URL's expires is not a time: it must be at most {EXPIRES_DIGITS} digits"
    expected = sign(store, path, int(expires)).encode()
    if not hmac.compare_digest(expected, signature.encode()):
        return "the label URL's signature does not match"
    if now >= int(expires):
        return "the label URL has expired; fetch the return again for a fresh one"
    return None
