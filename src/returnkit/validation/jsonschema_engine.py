"""Validate a REST request body: a compiled fast path, the reference library for errors.

python-jsonschema (Draft 2020-12, format checking on) is the reference: the verdict is always
the one it would give. jsonschema-rs answers the common case (a valid payload) in well under a
microsecond, and reports the errors of an invalid one when they are all of keywords both
engines read alike (see fast_errors.py); formats are judged by python-jsonschema's own format
checker, and everything else goes to the reference library. A property test holds the verdict
equal to the reference's on generated payloads.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, partial
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import orjson

from returnkit.spec import Operation
from returnkit.validation.fast_errors import PLAIN_KEYWORDS, FastErrors, keyword_of
from returnkit.validation.jsonparse import LongInteger, MalformedJSON, may_hold_long_integers, parse_json_slowly
from returnkit.validation.keycase import KeyFolder
from returnkit.validation.verdict import MAX_ERRORS, PayloadError, Verdict, describe_capped

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, FormatChecker

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def standalone_schema(schema: Mapping[str, Any], components: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's schema as a document of its own: local `#/components/...` refs still resolve."""
    return {"$schema": DIALECT, **with_integer_ranges(schema), "components": with_integer_ranges(components)}


# OpenAPI's integer formats name a range (OAS 3.1 §4.2: "signed 32 bits", "signed 64 bits"). JSON
# Schema reads `format` as an annotation, but a provider's server stores the value in that type and
# refuses what does not fit (Kibo's .NET Int32), so the range is added as bounds the schema keeps.
INTEGER_FORMAT_RANGES = {"int32": (-(2**31), 2**31 - 1), "int64": (-(2**63), 2**63 - 1)}


def with_integer_ranges(node: Any) -> Any:
    """`node` with `minimum`/`maximum` added where an integer format implies them and none is set."""
    if isinstance(node, list):
        return [with_integer_ranges(item) for item in node]
    if not isinstance(node, Mapping):
        return node
    copied = {key: with_integer_ranges(value) for key, value in node.items()}
    named_format = copied.get("format")
    bounds = INTEGER_FORMAT_RANGES.get(named_format) if isinstance(named_format, str) else None
    if bounds is not None:
        if "minimum" not in copied and "exclusiveMinimum" not in copied:
            copied["minimum"] = bounds[0]
        if "maximum" not in copied and "exclusiveMaximum" not in copied:
            copied["maximum"] = bounds[1]
    return copied


# jsonschema-rs accepts dates python-jsonschema rejects (leap second 23:59:60, year 0000), and
# stricter-than-reference errors can be filtered but laxer answers cannot: so these formats are
# judged by python-jsonschema's own checker inside jsonschema-rs (only where a schema uses them).
REFERENCE_JUDGED_FORMATS = ("date-time", "date")


def reference_formats(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    used = [name for name in REFERENCE_JUDGED_FORMATS if f"'format': '{name}'" in repr(schema)]
    if not used:
        return None
    return {name: partial(_reference_conforms, name) for name in used}


def _reference_conforms(name: str, value: Any) -> bool:
    return reference_format_checker().conforms(value, name)


@cache
def reference_format_checker() -> FormatChecker:
    """python-jsonschema's format checker, the one the reference validator uses; imported on first
    need (a payload with such a format), which spares every other run the import of python-jsonschema."""
    from jsonschema import Draft202012Validator

    checker: FormatChecker = Draft202012Validator.FORMAT_CHECKER
    return checker


# jsonschema-rs collects every error at once, each with a copy of its value: 400,000 errors took
# 16 s and 1 GB. A larger invalid payload goes to python-jsonschema, which finds errors one at a
# time, so describe_capped stops it after the first thousand.
SMALL_PAYLOAD_NODES = 2_000
SMALL_PAYLOAD_STRING = 10_000
SMALL_PAYLOAD_BYTES = 16 * 1024  # read from bytes, the size tells at once (at most some 4,000 errors)


def is_small(payload: Any) -> bool:
    """At most SMALL_PAYLOAD_NODES values, no string longer than SMALL_PAYLOAD_STRING (a bounded walk)."""
    pending = [payload]
    budget = SMALL_PAYLOAD_NODES
    while pending:
        node = pending.pop()
        budget -= 1
        if budget < 0:
            return False
        if isinstance(node, dict):
            pending.extend(node.values())
            budget -= len(node)
        elif isinstance(node, list):
            pending.extend(node)
        elif _long(node):
            return False
    return True


def _long(value: Any) -> bool:
    if isinstance(value, str):
        return len(value) > SMALL_PAYLOAD_STRING
    return isinstance(value, LongInteger) and value.digit_count > SMALL_PAYLOAD_STRING


class _ToReference(Exception):
    """jsonschema-rs found an error of a keyword it does not read exactly like the reference."""


@dataclass(slots=True)
class Parsed:
    """A request body read: its payload, whether orjson could not read it alone, or why it is not JSON."""

    payload: Any
    small: bool  # read from at most SMALL_PAYLOAD_BYTES
    unusual: bool = False
    malformed: MalformedJSON | None = None
    absent: bool = False  # no body where the operation's body is optional


# A body of only whitespace is "no body"; looked for only in short bodies (strip() copies).
ABSENT_BODY_LIMIT = 64


def body_left_out(operation: Operation, data: bytes | str) -> bool:
    """No body (at most a little whitespace) where the operation's body is optional: read as its
    empty value, not as malformed JSON. The server and validate-payload both ask this."""
    return not operation.request_body_required and len(data) <= ABSENT_BODY_LIMIT and not data.strip()


class JSONPayloadValidator:
    """Turns request bytes into a verdict: malformed JSON is an invalid verdict, never an exception."""

    operation: Operation

    def validate(self, payload: Any) -> Verdict:
        raise NotImplementedError

    def empty_body(self) -> Any:
        """What an optional body left out is read as."""
        return {}

    def canonical(self, payload: Any) -> Any:
        """The payload as the provider's server binds it (see keycase.py); by default, as sent."""
        return payload

    def validate_json(self, data: bytes | str) -> Verdict:
        parsed = self._parse(data)
        del data  # a caller that handed over its only reference gets the bytes freed before judging
        return self._judge(parsed)[0]

    def read_json(self, data: bytes | str) -> tuple[Verdict, Any]:
        """The verdict on `data` and the payload it holds (None when it is not JSON)."""
        parsed = self._parse(data)
        del data
        return self._judge(parsed)

    def _parse(self, data: bytes | str) -> Parsed:
        small = len(data) <= SMALL_PAYLOAD_BYTES
        if not small:
            self.before_large_payload()
        if body_left_out(self.operation, data):
            return Parsed(None, small, absent=True)
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            try:
                return Parsed(parse_json_slowly(data), small, unusual=True)
            except MalformedJSON as exc:
                return Parsed(None, small, malformed=exc)
        if may_hold_long_integers(data):
            # orjson reads integers beyond 64 bits as floats, and 2**64 even compares equal to its
            # float: judge the exact parse, so the payload keeps the integer the client sent
            return Parsed(parse_json_slowly(data), small, unusual=True)
        return Parsed(payload, small)

    def _judge(self, parsed: Parsed) -> tuple[Verdict, Any]:
        if parsed.malformed is not None:
            return malformed_verdict(self.operation, parsed.malformed), None
        if parsed.absent:
            # An optional body left out (Kibo's replacement order: "replace all remaining items") is
            # no body, not malformed JSON: valid, read as the schema's empty value, as the server reads it.
            return self.validate(self.empty_body()), self.empty_body()
        payload = self.canonical(parsed.payload)
        if parsed.unusual:
            return self.validate_unusual(payload), payload
        return self.validate_read(payload, parsed.small), payload

    def before_large_payload(self) -> None:
        """Called before a payload of more than SMALL_PAYLOAD_BYTES is parsed."""

    def validate_read(self, payload: Any, small: bool | None) -> Verdict:
        """`validate` for a payload `canonical` has rewritten, told whether its bytes were few."""
        return self.validate(payload)

    def validate_unusual(self, payload: Any) -> Verdict:
        """A payload with numbers orjson refuses (beyond 64 bits, 1e400)."""
        return self.validate(payload)


class SchemaValidator(JSONPayloadValidator):
    """Validates payloads for one operation; build once, call per request."""

    def __init__(self, operation: Operation, components: Mapping[str, Any], *, fold_keys: bool = False) -> None:
        if operation.request_schema is None:
            raise ValueError(f"{operation.operation_id} has no request body")
        self.operation = operation
        self.schema = standalone_schema(operation.request_schema, components)
        self._fast = jsonschema_rs.validator_for(
            self.schema, validate_formats=True, formats=reference_formats(self.schema)
        )
        self._valid = Verdict(operation.provider, operation.operation_id)
        self._folder = KeyFolder(self.schema) if fold_keys else None
        self._describer = FastErrors(self.schema)

    @cached_property
    def reference(self) -> Draft202012Validator:
        """python-jsonschema, built on first need (only invalid payloads reach it)."""
        from returnkit.validation.describe import reference_validator  # late: one-shot CLI runs stay fast

        return reference_validator(self.schema)

    def before_large_payload(self) -> None:
        # A large invalid payload goes to the reference library: importing it while a parsed large
        # payload is held raised the peak memory by a fifth (30 MB for a 30 MB line), so it comes first.
        self.reference  # noqa: B018 (built and kept)

    def canonical(self, payload: Any) -> Any:
        return payload if self._folder is None else self._folder.fold(payload)

    def empty_body(self) -> Any:
        return [] if self.schema.get("type") == "array" else {}

    def validate(self, payload: Any) -> Verdict:
        return self.validate_read(self.canonical(payload), None)

    def validate_read(self, payload: Any, small: bool | None) -> Verdict:
        try:
            if self._fast.is_valid(payload):
                return self._valid
            if not (is_small(payload) if small is None else small):
                return self._reference_verdict(payload)
            errors, more = self._fast_errors(payload)
        except (ValueError, TypeError, OverflowError, _ToReference):
            return self._reference_verdict(payload)  # e.g. an integer beyond 64 bits, or anyOf
        return self._verdict(tuple(self._describer.payload_errors(errors)), more)

    def _fast_errors(self, payload: Any) -> tuple[list[Any], int]:
        """The first MAX_ERRORS errors jsonschema-rs reports that the reference would too, and a count
        of the rest; _ToReference as soon as one is of a keyword the reference must judge."""
        kept: list[Any] = []
        more = 0
        for error in self._plain_errors(payload):
            if self._format_accepted_by_reference(error):
                continue
            if len(kept) < MAX_ERRORS:
                kept.append(error)
            else:
                more += 1
        return kept, more

    def _plain_errors(self, payload: Any) -> Iterator[Any]:
        for error in self._fast.iter_errors(payload):
            if keyword_of(error) not in PLAIN_KEYWORDS:
                raise _ToReference
            yield error

    def _format_accepted_by_reference(self, error: Any) -> bool:
        if keyword_of(error) != "format":
            return False
        checker = reference_format_checker()  # the reference validator's own, without building that validator
        # FormatChecker.conforms without its exception round trip (a third of an invalid request's cost)
        known = checker.checkers.get(error.kind.format)
        if known is None:
            return True  # a format the reference does not know is an annotation to it
        check, raises = known
        try:
            return bool(check(error.instance))
        except raises:
            return False

    def validate_unusual(self, payload: Any) -> Verdict:
        # jsonschema-rs reads such numbers as floats or null; the reference reads them exactly.
        return self._reference_verdict(payload)  # read_json has made it canonical

    def _reference_verdict(self, payload: Any) -> Verdict:
        from returnkit.validation.describe import described, error_weight

        found = describe_capped(self.reference.iter_errors(payload), described, error_weight)
        return found.verdict(self.operation.provider, self.operation.operation_id) if found.errors else self._valid

    def _verdict(self, errors: tuple[PayloadError, ...], more: int = 0) -> Verdict:
        if not errors:
            return self._valid
        return Verdict(self.operation.provider, self.operation.operation_id, errors, more)


def malformed_verdict(operation: Operation, exc: MalformedJSON) -> Verdict:
    error = PayloadError(
        path=(),
        message=str(exc),
        keyword="json",
        value=None,
        rule=exc.reason,
        expected="a JSON document",
        locations=((exc.line, exc.column),),
        offset=exc.position,
    )
    return Verdict(operation.provider, operation.operation_id, (error,))
