"""Small helpers for human-readable messages."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from typing import Any

import orjson

MAX_VALUE_CHARS = 60


def truncate_value(value: Any, limit: int = MAX_VALUE_CHARS) -> str:
    """The value as JSON, cut to `limit` characters."""
    try:
        text = orjson.dumps(value).decode()
    except TypeError:
        text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def closest(word: Any, candidates: Iterable[Any]) -> str | None:
    if not isinstance(word, str):
        return None
    names = [c for c in candidates if isinstance(c, str)]
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
