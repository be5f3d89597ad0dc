"""Validate a REST request body: a compiled fast path, the reference library for errors.

python-jsonschema (Draft 2020-12, format checking on) is the reference: the verdict is always
the one it would give. jsonschema-rs answers the common case (a valid payload) in well under a
microsecond, and reports the errors of an invalid one when they are all of keywords both
engines read alike (see fast_errors.py); formats are judged by python-jsonschema's own format
checker, and everything else goes to the reference library. A property test holds the verdict
equal to the reference's on generated payloads.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any

import jsonschema_rs

from returnkit.spec import Operation
from returnkit.validation.fast_errors import all_plain, keyword_of
from returnkit.validation.fast_errors import payload_errors as fast_payload_errors
from returnkit.validation.jsonparse import MalformedJSON, parse_json
from returnkit.validation.verdict import PayloadError, Verdict

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator

DIALECT = "https://json-schema.org/draft/2020-12/schema"


def standalone_schema(schema: Mapping[str, Any], components: Mapping[str, Any]) -> dict[str, Any]:
    """The operation's schema as a document of its own: local `#/components/...` refs still resolve."""
    return {"$schema": DIALECT, **schema, "components": components}


class JSONPayloadValidator:
    """Turns request bytes into a verdict: malformed JSON is an invalid verdict, never an exception."""

    operation: Operation

    def validate(self, payload: Any) -> Verdict:
        raise NotImplementedError

    def validate_json(self, data: bytes | str) -> Verdict:
        try:
            payload = parse_json(data)
        except MalformedJSON as exc:
            return malformed_verdict(self.operation, exc)
        return self.validate(payload)


class SchemaValidator(JSONPayloadValidator):
    """Validates payloads for one operation; build once, call per request."""

    def __init__(self, operation: Operation, components: Mapping[str, Any]) -> None:
        if operation.request_schema is None:
            raise ValueError(f"{operation.operation_id} has no request body")
        self.operation = operation
        self.schema = standalone_schema(operation.request_schema, components)
        self._fast = jsonschema_rs.validator_for(self.schema, validate_formats=True)
        self._valid = Verdict(operation.provider, operation.operation_id)

    @cached_property
    def reference(self) -> Draft202012Validator:
        """python-jsonschema, built on first need (only invalid payloads reach it)."""
        from jsonschema import Draft202012Validator  # imported late: one-shot CLI runs stay fast

        return Draft202012Validator(self.schema, format_checker=Draft202012Validator.FORMAT_CHECKER)

    def validate(self, payload: Any) -> Verdict:
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
        return checker is not None and checker.conforms(error.instance, error.kind.format)

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
        expected="a JSON document",
        locations=((exc.line, exc.column),),
    )
    return Verdict(operation.provider, operation.operation_id, (error,))
