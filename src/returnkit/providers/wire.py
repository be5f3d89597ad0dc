"""What a provider sends back: status, headers and a JSON body."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from returnkit.validation import PayloadError, json_path

__all__ = ["JSON", "WireResponse", "dotted", "json_path", "sentence"]

JSON = "application/json"


@dataclass(frozen=True, slots=True)
class WireResponse:
    status: int
    body: Any
    headers: Mapping[str, str] = field(default_factory=dict)
    media_type: str = JSON


def dotted(error: PayloadError) -> str:
    """`items[0].quantity`: the JSON path without its `$.`, as providers' messages write it."""
    path = json_path(error.path)
    return path[2:] if path.startswith("$.") else path[1:] or "body"


def sentence(error: PayloadError) -> str:
    """`items[0].quantity: 0 is less than the minimum of 1`."""
    return f"{dotted(error)}: {error.message}"
