"""Validate a REST request body: a compiled fast path, the reference library for errors.

python-jsonschema (Draft 2020-12, format checking on) is the reference: the verdict is always
the one it would give. jsonschema-rs answers the common case (a valid payload) in well under a
microsecond, and reports the errors of an invalid one when they are all of keywords both
engines read alike (see fast_errors.py); formats are judged by python-jsonschema's own format
checker, and everything else goes to the reference library. A property test holds the verdict
equal to the reference's on generated payloads.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs
import orjson

from returnkit.spec import Operation
from returnkit.validation.fast_errors import all_plain, keyword_of
from returnkit.validation.fast_errors import payload_errors as fast_payload_errors
from returnkit.validation.jsonparse import MalformedJSON, parse_json_slowly
from returnkit.validation.keycase import KeyFolder
from returnkit.validation.verdict import PayloadError, Verdict

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def standalone_schema(schema: Mapping[str, Any], components: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's schema as a document of its own: local `#/components/...` refs still resolve."""
    return {"$schema": DIALECT, **schema, "components": components}


# jsonschema-rs accepts dates python-jsonschema rejects (leap second 23:59:60, year 0000), and
# stricter-than-reference errors can be filtered but laxer answers cannot: so these formats are
# judged by python-jsonschema's own checker inside jsonschema-rs (only where a schema uses them).
REFERENCE_JUDGED_FORMATS = ("date-time", "date")


def reference_formats(schema: Mapping[str, Any]) -> dict[str, Any] | None:
    used = [name for name in REFERENCE_JUDGED_FORMATS if f"'format': '{name}'" in repr(schema)]
    if not used:
        return None
    from jsonschema import Draft202012Validator

    checker = Draft202012Validator.FORMAT_CHECKER
    return {name: (lambda value, name=name: checker.conforms(value, name)) for name in used}


LONG_DIGITS = re.compile(rb"\d{19}")
LONG_DIGITS_TEXT = re.compile(r"\d{19}")


def _may_hold_big_integers(data: bytes | str) -> bool:
    pattern = LONG_DIGITS if isinstance(data, bytes) else LONG_DIGITS_TEXT
    return pattern.search(data) is not None  # type: ignore[arg-type]


class JSONPayloadValidator:
    """Turns request bytes into a verdict: malformed JSON is an invalid verdict, never an exception."""

    operation: Operation

    def validate(self, payload: Any) -> Verdict:
        raise NotImplementedError

    def validate_canonical(self, payload: Any) -> Verdict:
        """`validate` for a payload `canonical` has already rewritten."""
        return self.validate(payload)

    def canonical(self, payload: Any) -> Any:
        """The payload as the provider's server binds it (see keycase.py); by default, as sent."""
        return payload

    def validate_json(self, data: bytes | str) -> Verdict:
        return self.read_json(data)[0]

    def read_json(self, data: bytes | str) -> tuple[Verdict, Any]:
        """The verdict on `data` and the payload it holds (None when it is not JSON)."""
        try:
            payload = orjson.loads(data)
        except orjson.JSONDecodeError:
            return self._read_slowly(data)
        if _may_hold_big_integers(data):
            # orjson reads integers beyond 64 bits as floats; check against an exact parse
            exact = parse_json_slowly(data)
            if exact != payload:
                exact = self.canonical(exact)
                return self.validate_unusual(exact), exact
        payload = self.canonical(payload)
        return self.validate_canonical(payload), payload

    def _read_slowly(self, data: bytes | str) -> tuple[Verdict, Any]:
        try:
            payload = parse_json_slowly(data)
        except MalformedJSON as exc:
            return malformed_verdict(self.operation, exc), None
        payload = self.canonical(payload)
        return self.validate_unusual(payload), payload

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

    @cached_property
    def reference(self) -> Draft202012Validator:
        """python-jsonschema, built on first need (only invalid payloads reach it)."""
        from jsonschema import Draft202012Validator  # imported late: one-shot CLI runs stay fast

        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def canonical(self, payload: Any) -> Any:
        return payload if self._folder is None else self._folder.fold(payload)

    def read_json(self, data: bytes | str) -> tuple[Verdict, Any]:
        if not self.operation.request_body_required and not data.strip():
            # An optional body left out (Kibo's replacement order: "replace all remaining items")
            # is no body, not malformed JSON: valid, read as the schema's empty value, as the server reads it.
            return self._valid, [] if self.schema.get("type") == "array" else {}
        return super().read_json(data)

    def validate(self, payload: Any) -> Verdict:
        return self.validate_canonical(self.canonical(payload))

    def validate_canonical(self, payload: Any) -> Verdict:
        try:
            if self._fast.is_valid(payload):
                return self._valid
            fast = list(self._fast.iter_errors(payload))
        except (ValueError, TypeError, OverflowError):
            return self._reference_verdict(payload)  # e.g. an integer beyond 64 bits
        if not all_plain(fast):
            return self._reference_verdict(payload)
        kept = [error for error in fast if not self._format_accepted_by_reference(error)]
        return self._verdict(tuple(fast_payload_errors(kept, self.schema)))

    def _format_accepted_by_reference(self, error: Any) -> bool:
        if keyword_of(error) != "format":
            return False
        checker = self.reference.format_checker
        if checker is None:
            return False
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
        from returnkit.validation.describe import payload_errors

        return self._verdict(tuple(payload_errors(self.reference.iter_errors(payload))))

    def _verdict(self, errors: tuple[PayloadError, ...]) -> Verdict:
        return Verdict(self.operation.provider, self.operation.operation_id, errors) if errors else self._valid


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
