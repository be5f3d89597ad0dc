"""JSON out, for every value a validated payload may hold.

orjson is fast but refuses integers beyond 64 bits, which a valid payload may carry (the
validation engine reads them as `LongInteger`, with the digits they were written with, however
many there are): those are written back verbatim. Other values orjson refuses go through the
standard library.
"""

from __future__ import annotations

import json
from typing import Any

import orjson

from returnkit.validation.jsonparse import LongInteger, may_hold_long_integers, parse_json


def dumps(value: Any, *, sort_keys: bool = False) -> bytes:
    option = orjson.OPT_SORT_KEYS if sort_keys else 0
    try:
        return orjson.dumps(value, option=option)
    except TypeError:
        pass
    try:
        return orjson.dumps(value, default=_verbatim, option=option | orjson.OPT_PASSTHROUGH_SUBCLASS)
    except TypeError:
        text = json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False, sort_keys=sort_keys)
        return text.encode("utf-8", "replace")  # a lone surrogate (from a handler, never a body) as "?"


def _verbatim(value: Any) -> Any:
    """What orjson writes for a subclass of a JSON type (it asks only with OPT_PASSTHROUGH_SUBCLASS)."""
    if isinstance(value, LongInteger):
        return orjson.Fragment(value.digits.encode())
    if isinstance(value, bool | int):
        return orjson.Fragment(int.__repr__(value).encode())
    if isinstance(value, str):
        return str.__str__(value)
    if isinstance(value, dict):
        return dict(value)
    if isinstance(value, list | tuple):
        return list(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


def loads(data: bytes) -> Any:
    """The value `dumps` wrote, integers beyond 64 bits included (orjson would read them as floats)."""
    return parse_json(data) if may_hold_long_integers(data) else orjson.loads(data)
