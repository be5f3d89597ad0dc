"""Small helpers for human-readable messages: values shown short, whatever their size."""

from __future__ import annotations

import difflib
import math
from collections.abc import Iterable, Mapping
from functools import lru_cache
from typing import Any

import orjson

from returnkit.validation.jsonparse import LongInteger

MAX_VALUE_CHARS = 60
# Longer strings are not compared for "did you mean" (difflib is quadratic in the length).
MAX_SUGGESTION_CHARS = 200


def truncate_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """The value as JSON, cut to `limit` characters; the work is bounded by `limit`, not the value."""
    if (isinstance(value, str) and len(value) <= limit) or type(value) in SCALARS:
        text = _json_text(value)  # what _write gives a short string or a plain scalar, without its walk
    else:
        parts: list[str] = []
        _write(value, parts, limit + 1)
        text = "".join(parts)
    return text if len(text) <= limit else text[: limit - 1] + "…"


SCALARS = frozenset({int, float, bool, type(None)})


def _write(value: Any, parts: list[str], budget: int) -> int:
    """Append JSON for `value` to `parts` until about `budget` characters; the budget left."""
    if budget <= 0:
        return 0
    if isinstance(value, str):
        text = _json_text(value[:budget])
    elif isinstance(value, LongInteger) and value.digit_count > budget:
        text = value.digits[:budget]
    elif isinstance(value, Mapping):
        return _write_items(value.items(), "{", "}", parts, budget)
    elif isinstance(value, list | tuple):
        return _write_items(((None, item) for item in value), "[", "]", parts, budget)
    else:
        text = _json_text(value)
    parts.append(text)
    return budget - len(text)


def _write_items(items: Iterable[tuple[Any, Any]], opening: str, closing: str, parts: list[str], budget: int) -> int:
    parts.append(opening)
    budget -= 1
    for index, (key, item) in enumerate(items):
        if budget <= 0:
            return 0
        if index:
            parts.append(",")
            budget -= 1
        if key is not None:
            budget = _write(str(key), parts, budget)
            parts.append(":")
            budget -= 1
        budget = _write(item, parts, budget)
    parts.append(closing)
    return budget - 1


def _json_text(value: Any) -> str:
    if isinstance(value, LongInteger):
        return value.digits
    if isinstance(value, float) and not math.isfinite(value):
        return repr(value).replace("inf", "Infinity")  # a literal like 1e400, beyond a double (orjson: null)
    try:
        return orjson.dumps(value).decode()
    except TypeError:
        return repr(value)


def size_text(value: Any) -> str:
    """`12,345 characters`, `3 items`, `2 properties`, `5,000 digits`: how big the value is."""
    if isinstance(value, str):
        return _count(len(value), "character")
    if isinstance(value, LongInteger):
        return _count(value.digit_count, "digit")
    if isinstance(value, Mapping):
        return _count(len(value), "property", "properties")
    if isinstance(value, list | tuple):
        return _count(len(value), "item")
    return ""


def _count(number: int, word: str, plural: str | None = None) -> str:
    return f"{number:,} {word if number == 1 else plural or word + 's'}"


def shown_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """The value cut to `limit`, with its size when it was cut: `"aaaa…" (10,000,000 characters)`."""
    text = truncate_value(value, limit)
    if not text.endswith("…"):
        return text
    size = size_text(value)
    return f"{text} ({size})" if size else text


def closest(word: Any, candidates: Iterable[Any]) -> str | None:
    if not isinstance(word, str) or len(word) > MAX_SUGGESTION_CHARS:
        return None
    names = tuple(c for c in candidates if isinstance(c, str))
    if len(names) > MAX_KEPT_CANDIDATES:
        return _closest.__wrapped__(word, names)
    return _closest(word, names)


# Answers for up to 1,024 (word, candidates) pairs are kept, each holding at most this many names.
MAX_KEPT_CANDIDATES = 100


@lru_cache(maxsize=1024)
def _closest(word: str, names: tuple[str, ...]) -> str | None:
    """Kept: a batch repeats its misspellings, and difflib's comparison is the dearest part of an error."""
    match = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    return match[0] if match else None


def value_at(document: Any, path: Iterable[Any]) -> Any:
    """The node at `path` (keys and indexes) inside `document`, or None."""
    node = document
    for step in path:
        try:
            node = node[step]
        except (KeyError, IndexError, TypeError):
            return None
    return node
