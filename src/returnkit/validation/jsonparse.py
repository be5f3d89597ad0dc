"""Parse request bytes as strict JSON, with the line and column of any fault."""

from __future__ import annotations

import json
from typing import Any

import orjson


class MalformedJSON(ValueError):
    """The payload is not JSON; `line`/`column` are 1-based."""

    def __init__(self, reason: str, line: int, column: int, position: int) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.position = position
        super().__init__(f"malformed JSON at line {line}, column {column}: {reason}")


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(data: bytes | str) -> Any:
    """Parse strict JSON (no NaN/Infinity); integers of any size are kept exactly."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        return parse_json_slowly(data)


def parse_json_slowly(data: bytes | str) -> Any:
    """The standard library's parser, for what orjson refuses: integers beyond 64 bits, 1e400."""
    text = decode_utf8(data) if isinstance(data, bytes) else data
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise MalformedJSON(exc.msg, exc.lineno, exc.colno, exc.pos) from None
    except RecursionError:
        raise MalformedJSON("nesting too deep", 1, 1, 0) from None
    except ValueError as exc:  # NaN / Infinity, or an integer of more than 4300 digits
        raise MalformedJSON(str(exc), 1, 1, 0) from None


def decode_utf8(data: bytes) -> str:
    """Decode UTF-8 or raise MalformedJSON pointing at the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise MalformedJSON("invalid UTF-8", line, column, exc.start) from None
