"""Parse request bytes as strict JSON, with the line and column of any fault.

Strict means: no NaN or Infinity, valid UTF-8, and no string holding an unpaired surrogate
escape such as `"\\ud800"` (RFC 8259 §8.2 leaves its meaning undefined; I-JSON, RFC 7493 §2.1,
forbids it). Integers of any length are read; see `LongInteger`.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import orjson

# CPython refuses to convert longer decimal strings to int (the conversion is quadratic).
INT_DIGITS_LIMIT = 4300
# Stands in for an integer too long to convert: larger than any bound a schema can state
# (a float stops at 1.8e308), so every comparison with a bound comes out as the true value's would.
BEYOND_ANY_BOUND = 10**INT_DIGITS_LIMIT * 10**100


class MalformedJSON(ValueError):
    """The payload is not JSON; `line`/`column` are 1-based."""

    def __init__(self, reason: str, line: int, column: int, position: int) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        self.position = position
        super().__init__(f"malformed JSON at line {line}, column {column}: {reason}")


class LongInteger(int):
    """An integer literal beyond 64 bits, with the digits it was written with.

    Up to CPython's conversion limit the value is exact. Beyond it, the value is
    ±`BEYOND_ANY_BOUND` (every minimum, maximum and type check judges it as it would the
    true value) while `digits` keeps the literal, so it is written back out unchanged.
    """

    digits: str

    def __new__(cls, digits: str) -> LongInteger:
        unsigned = digits.lstrip("-")
        if len(unsigned) <= _digits_limit():
            value = int(digits)
        else:
            value = -BEYOND_ANY_BOUND if digits.startswith("-") else BEYOND_ANY_BOUND
        number = super().__new__(cls, value)
        number.digits = digits
        return number

    def __repr__(self) -> str:
        return self.digits

    __str__ = __repr__

    @property
    def digit_count(self) -> int:
        return len(self.digits.lstrip("-"))


def _digits_limit() -> int:
    limit = sys.get_int_max_str_digits()
    return limit if limit > 0 else sys.maxsize


def _integer(literal: str) -> int:
    return int(literal) if len(literal) < 19 else LongInteger(literal)


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


LONG_DIGITS_TEXT = re.compile(r"\d{19}")


LONG_DIGITS = re.compile(rb"\d{19}")
# Every ASCII digit as "0", every other byte as ".": a run of 19 digits is then a plain substring,
# which `in` finds several times faster than the regular expression scans for it. The translated
# copy is made only of bodies up to TRANSLATED_LIMIT bytes, so memory still follows the body.
DIGITS_AS_ZEROS = bytes(ord("0") if 48 <= byte <= 57 else ord(".") for byte in range(256))
LONG_RUN = b"0" * 19
TRANSLATED_LIMIT = 64 * 1024


def may_hold_long_integers(data: bytes | str) -> bool:
    """orjson reads integers beyond 64 bits as floats: such documents need the exact parser."""
    if isinstance(data, bytes):
        if len(data) <= TRANSLATED_LIMIT:
            return LONG_RUN in data.translate(DIGITS_AS_ZEROS)
        return LONG_DIGITS.search(data) is not None
    return LONG_DIGITS_TEXT.search(data) is not None


def parse_json(data: bytes | str) -> Any:
    """Parse strict JSON (no NaN/Infinity, no lone surrogates); integers of any size are kept."""
    try:
        payload = orjson.loads(data)
    except orjson.JSONDecodeError:
        return parse_json_slowly(data)
    return parse_json_slowly(data) if may_hold_long_integers(data) else payload


def parse_json_slowly(data: bytes | str) -> Any:
    """The standard library's parser, for what orjson refuses: integers beyond 64 bits, 1e400."""
    text = decode_utf8(data) if isinstance(data, bytes) else data
    try:
        payload = json.loads(text, parse_constant=_reject_constant, parse_int=_integer)
    except json.JSONDecodeError as exc:
        raise MalformedJSON(exc.msg, exc.lineno, exc.colno, exc.pos) from None
    except RecursionError:
        raise MalformedJSON("nesting too deep", 1, 1, 0) from None
    except ValueError as exc:  # NaN / Infinity
        raise MalformedJSON(str(exc), 1, 1, 0) from None
    refuse_lone_surrogates(text)
    return payload


SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
ESCAPE = re.compile(r"\\(?:u([0-9a-fA-F]{4})|.)", re.DOTALL)
RAW_SURROGATE = re.compile("[\ud800-\udfff]")


def refuse_lone_surrogates(text: str) -> None:
    """Raise MalformedJSON at the first surrogate that is not half of a pair (`text` parsed as JSON)."""
    raw = RAW_SURROGATE.search(text)
    if raw is not None:
        raise _at(text, raw.start(), "a lone surrogate code point is not a Unicode character")
    if SURROGATE_ESCAPE.search(text) is None:
        return
    paired_until = -1
    # In a document that parsed, every backslash opens an escape, so the matches run in step.
    for match in ESCAPE.finditer(text):
        if match.start() < paired_until or match.group(1) is None:
            continue
        code = int(match.group(1), 16)
        if 0xDC00 <= code <= 0xDFFF:
            raise _lone(text, match)
        if 0xD800 <= code <= 0xDBFF:
            low = ESCAPE.match(text, match.end())
            if low is None or low.group(1) is None or not 0xDC00 <= int(low.group(1), 16) <= 0xDFFF:
                raise _lone(text, match)
            paired_until = low.end()


def _lone(text: str, match: re.Match[str]) -> MalformedJSON:
    reason = f"unpaired surrogate escape {match.group(0)} in a string (not valid I-JSON, RFC 7493 §2.1)"
    return _at(text, match.start(), reason)


def _at(text: str, position: int, reason: str) -> MalformedJSON:
    line = text.count("\n", 0, position) + 1
    column = position - (text.rfind("\n", 0, position) + 1) + 1
    return MalformedJSON(reason, line, column, position)


def decode_utf8(data: bytes) -> str:
    """Decode UTF-8 or raise MalformedJSON pointing at the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        before = data[: exc.start].decode("utf-8", "replace")
        line = before.count("\n") + 1
        column = len(before) - (before.rfind("\n") + 1) + 1
        raise MalformedJSON("invalid UTF-8", line, column, exc.start) from None
