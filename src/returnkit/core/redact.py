"""Credentials out of what returnkit keeps (the journal; recordings later), recognisable but unusable.

A secret keeps the part that says whose it is and drops the rest: `Bearer zn_test_acme_5d2f8a91c4e7`
is kept as `Bearer zn_test_acme_…`, a Basic `key:secret` pair as `Basic oms_key_summit_…:oms_secret_summit_…`,
a random token as its first four characters and `…`.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any, NamedTuple

MARK = "…"
# Lower-case header names whose whole value is a credential.
SECRET_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "x-api-key",
        "api-key",
        "x-vol-app-claims",
        "x-vol-user-claims",
        "cookie",
        "set-cookie",
    }
)
# Token endpoints (Kibo Commerce's app auth tickets, Kibo OMS's OAuth server): their bodies carry secrets.
TOKEN_PATHS = ("/api/platform/applications/authtickets", "/oauthserver/oauth2/token")
# Compared in lower case: Kibo binds JSON keys case-insensitively, so `CLIENT_SECRET` is a secret too.
SECRET_FIELDS = frozenset(
    {
        "client_secret",
        "clientsecret",
        "sharedsecret",
        "shared_secret",
        "access_token",
        "accesstoken",
        "refresh_token",
        "refreshtoken",
        "password",
    }
)
# `client_secret=VALUE` in a form, `"client_secret": "VALUE"` in JSON too malformed to parse: the
# whole quoted string, or an unquoted value up to the next separator.
SECRET_IN_TEXT = re.compile(
    "((?:" + "|".join(sorted(SECRET_FIELDS)) + r')"?\s*[:=]\s*)("(?:[^"\\]|\\.)*"?|[^"&,\s}]+)', re.IGNORECASE
)
# `zn_test_acme_`: words of letters, each closed by `_`, that name the issuer and the account.
LABEL_PREFIX = re.compile(r"(?:[A-Za-z]{2,}_)+")
PREFIX_MAX = 24
SECRET_MIN = 6  # characters that must remain hidden after a kept prefix
SHORT = 16  # below this length nothing of a secret without a prefix is kept


class Redacted(NamedTuple):
    headers: dict[str, str]
    request_body: Any
    response_body: Any


def redact(
    path: str, headers: Mapping[str, str], request_body: Any, response_body: Any, routed: bool = True
) -> Redacted:
    """One exchange with every credential masked: secret headers always; secret fields on token
    endpoints, however the path is spelled, and on requests that reached no operation (a typo'd path)."""
    clean_headers = {
        name: masked_header(value) if name.lower() in SECRET_HEADERS else value for name, value in headers.items()
    }
    lowered = path.lower()
    if routed and not any(token_path in lowered for token_path in TOKEN_PATHS):
        return Redacted(clean_headers, request_body, response_body)
    return Redacted(clean_headers, _masked_fields(request_body), _masked_fields(response_body))


def masked(secret: str) -> str:
    """`zn_test_acme_…` for a labelled key, `3f9a…` for a long random one, `…` for a short one."""
    prefix = LABEL_PREFIX.match(secret)
    if prefix and len(prefix.group()) <= PREFIX_MAX and len(secret) - prefix.end() >= SECRET_MIN:
        return prefix.group() + MARK
    return secret[:4] + MARK if len(secret) >= SHORT else MARK


@lru_cache(maxsize=1024)  # clients send the same credentials with every request
def masked_header(value: str) -> str:
    scheme, space, credentials = value.strip().partition(" ")
    if not space:
        return masked(scheme)
    if scheme.lower() == "basic":
        pair = _basic_pair(credentials.strip())
        if pair is not None:
            return f"{scheme} {masked(pair[0])}:{masked(pair[1])}"
    return f"{scheme} {masked(credentials.strip())}"


def _basic_pair(credentials: str) -> tuple[str, str] | None:
    """`key`, `secret` from base64 `key:secret`, or None when it is not that (Rye sends its key bare)."""
    try:
        decoded = base64.b64decode(credentials, validate=True).decode("utf-8")
    except ValueError:  # binascii.Error, UnicodeDecodeError, and non-ASCII text b64decode refuses
        return None
    user, colon, password = decoded.partition(":")
    return (user, password) if colon and decoded.isprintable() else None


def _masked_fields(body: Any) -> Any:
    if isinstance(body, Mapping):
        return {key: _masked_field(key, value) for key, value in body.items()}
    if isinstance(body, list):
        return [_masked_fields(item) for item in body]
    if isinstance(body, str):  # a body that is not JSON (malformed, or a form) is kept as text
        return SECRET_IN_TEXT.sub(_masked_in_text, body)
    return body


def _masked_in_text(found: re.Match[str]) -> str:
    value = found.group(2)
    if value.startswith('"'):
        return f'{found.group(1)}"{masked(value.strip(chr(34)))}"'
    return found.group(1) + masked(value)


def _masked_field(key: str, value: Any) -> Any:
    if key.lower() in SECRET_FIELDS and isinstance(value, str):
        return masked(value)
    return _masked_fields(value)
