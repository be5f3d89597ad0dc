"""Turn python-jsonschema errors into PayloadErrors a person can act on.

Each error says where (path), what was found (truncated), what was expected, and, for a
misspelled property name or enum value, the closest valid name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from returnkit.validation.messages import message_for, required_message, unexpected_property_message
from returnkit.validation.verdict import Path, PayloadError
from returnkit.validation.words import closest, truncate_value

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import ValidationError

MAX_ENUM_SHOWN = 10
WEAK_KEYWORDS = frozenset({"anyOf", "oneOf"})


def expected_text(keyword: str, rule: Any) -> str | None:
    make = EXPECTED.get(keyword)
    return make(rule) if make else None


def _types_expected(rule: Any) -> str:
    return " or ".join(rule) if isinstance(rule, list) else str(rule)


EXPECTED: dict[str, Callable[[Any], str]] = {
    "type": _types_expected,
    "minimum": lambda rule: f"a number ≥ {rule}",
    "maximum": lambda rule: f"a number ≤ {rule}",
    "exclusiveMinimum": lambda rule: f"a number > {rule}",
    "exclusiveMaximum": lambda rule: f"a number < {rule}",
    "minLength": lambda rule: f"a string of at least {rule} character(s)",
    "maxLength": lambda rule: f"a string of at most {rule} character(s)",
    "minItems": lambda rule: f"an array of at least {rule} item(s)",
    "maxItems": lambda rule: f"an array of at most {rule} item(s)",
    "enum": lambda rule: "one of " + _enum_list(rule),
    "const": truncate_value,
    "format": lambda rule: f"a valid {rule}",
    "required": lambda _rule: "the property to be present",
    "additionalProperties": lambda _rule: "no properties other than those the schema names",
    "uniqueItems": lambda _rule: "unique items",
    "multipleOf": lambda rule: f"a multiple of {rule}",
}


def _enum_list(values: list[Any]) -> str:
    shown = ", ".join(truncate_value(v, 30) for v in values[:MAX_ENUM_SHOWN])
    more = len(values) - MAX_ENUM_SHOWN
    return shown + (f" (and {more} more)" if more > 0 else "")


def most_relevant(error: ValidationError) -> ValidationError:
    """For anyOf/oneOf (e.g. a nullable field), the branch error that explains the failure."""
    from jsonschema.exceptions import best_match

    while error.validator in WEAK_KEYWORDS and error.context:
        informative = [e for e in error.context if e.validator != "type"] or list(error.context)
        chosen = best_match(informative)
        if chosen is None:
            break
        error = chosen
    return error


def payload_errors(errors: Iterable[ValidationError]) -> Iterator[PayloadError]:
    for raw in errors:
        yield from described(raw)


def described(raw: ValidationError) -> Iterator[PayloadError]:
    """The PayloadErrors one reference error stands for (a `required` error may name several)."""
    error = most_relevant(raw)
    if error.validator == "required":
        yield from _missing_properties(error)
    elif error.validator == "additionalProperties":
        yield from _unexpected_properties(error)
    else:
        yield _payload_error(error)


def error_weight(raw: ValidationError) -> int:
    """How many PayloadErrors `raw` stands for, without describing it."""
    if raw.validator == "additionalProperties" and isinstance(raw.instance, Mapping):
        known = _known_properties(raw)
        return sum(1 for name in raw.instance if name not in known) or 1
    return 1


# Their messages name properties, not values (describe.py reads them as they are), or they make no
# errors of their own, only pass up those of the subschemas they apply.
MESSAGES_KEPT = frozenset(
    {"required", "additionalProperties", "$ref", "$dynamicRef", "properties", "allOf", "prefixItems",
     "patternProperties", "dependentSchemas", "if", "propertyNames"}
)  # fmt: skip


def reference_validator(schema: Mapping[str, Any]) -> Draft202012Validator:
    """python-jsonschema, its verdicts untouched, its messages ours (and short) the moment an error
    is made: an error holds no copy of a large value, so memory stays near the payload's size."""
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    keywords = {
        keyword: _reworded(keyword, check)
        for keyword, check in Draft202012Validator.VALIDATORS.items()
        if keyword not in MESSAGES_KEPT
    }
    reworded = extend(Draft202012Validator, validators=keywords)  # type: ignore[no-untyped-call]
    validator: Draft202012Validator = reworded(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return validator


Check = Callable[[Any, Any, Any, Any], Iterator["ValidationError"] | None]


def _reworded(keyword: str, check: Check) -> Check:
    def reworded(validator: Any, rule: Any, instance: Any, schema: Any) -> Iterator[ValidationError]:
        from jsonschema._utils import Unset

        for error in check(validator, rule, instance, schema) or ():
            if isinstance(error.validator, Unset):  # made by this keyword, not passed up from below
                error.message = message_for(keyword, instance, rule)
                error.args = (error.message,)  # the exception's args held the long message too
            yield error

    return reworded


def _rule(error: ValidationError) -> Any:
    return error.validator_value


def _schema_path(error: ValidationError) -> str:
    return "/" + "/".join(str(p) for p in error.absolute_schema_path)


def _payload_error(error: ValidationError) -> PayloadError:
    suggestion = None
    if error.validator == "enum":
        suggestion = closest(error.instance, _rule(error))
    return PayloadError(
        path=tuple(error.absolute_path),
        message=message_for(str(error.validator), error.instance, error.validator_value),
        keyword=str(error.validator),
        schema_path=_schema_path(error),
        value=error.instance,
        rule=error.validator_value,
        expected=expected_text(str(error.validator), error.validator_value),
        suggestion=suggestion,
    )


def _known_properties(error: ValidationError) -> Mapping[str, Any]:
    schema = error.schema if isinstance(error.schema, Mapping) else {}
    properties = schema.get("properties", {})
    return properties if isinstance(properties, Mapping) else {}


def _missing_properties(error: ValidationError) -> Iterator[PayloadError]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    known = _known_properties(error)
    strangers = [key for key in instance if key not in known]
    parent: Path = tuple(error.absolute_path)
    for name in _rule(error):
        if name in instance or error.message != f"{name!r} is a required property":
            continue  # python-jsonschema reports each missing property as its own error
        yield missing_property(parent, name, instance, strangers, schema_path=_schema_path(error), rule=_rule(error))


def missing_property(
    parent: Path, name: str, instance: Any, strangers: list[str], *, schema_path: str, rule: Any
) -> PayloadError:
    """A required property that is absent, with the misspelling the payload may hold instead."""
    found = closest(name, strangers)
    return PayloadError(
        path=(*parent, name),
        message=required_message(name),
        keyword="required",
        schema_path=schema_path,
        value=instance,
        rule=rule,
        expected="the property to be present",
        suggestion=f"{name} (found {found!r})" if found else None,
    )


def _unexpected_properties(error: ValidationError) -> Iterator[PayloadError]:
    instance = error.instance if isinstance(error.instance, Mapping) else {}
    known = _known_properties(error)
    parent: Path = tuple(error.absolute_path)
    for name in instance:
        if name in known:
            continue
        yield PayloadError(
            path=(*parent, name),
            message=unexpected_property_message(name),
            keyword="additionalProperties",
            schema_path=_schema_path(error),
            value=instance[name],
            expected="one of " + _enum_list(list(known)) if known else None,
            suggestion=closest(name, known),
        )
