"""JSON out, for every value a validated payload may hold.

orjson is fast but refuses integers beyond 64 bits, which a valid payload may carry (the
validation engine reads them exactly); the standard library writes those.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson


def dumps(value: Any) -> bytes:
    try:
        return orjson.dumps(value)
    except TypeError:
        return json.dumps(value, default=str, separators=(",", ":"), ensure_ascii=False).encode()


LONG_DIGITS = re.compile(rb"\d{19}")


def loads(data: bytes) -> Any:
    """The value `dumps` wrote, integers beyond 64 bits included (orjson would read them as floats)."""
    return json.loads(data) if LONG_DIGITS.search(data) else orjson.loads(data)
