"""One wording for each rule a payload can break, whichever library found the error.

jsonschema-rs and python-jsonschema word their messages differently (`"x" is not a "uuid"` vs
`'x' is not a 'uuid'`) and both print the whole offending value. Every PayloadError's message is
written here instead, from the keyword, the rule and the value, with values shown as short JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from returnkit.validation.words import shown_value

Wording = Callable[[str, Any], str]  # (the value as shown, the rule) -> message


def _plural(number: Any, word: str) -> str:
    return f"{number} {word}" + ("" if number == 1 else "s")


def _quoted(items: list[Any]) -> list[str]:
    return [shown_value(item, 30) for item in items]


def _one_of(rule: Any) -> str:
    options = _quoted(list(rule) if isinstance(rule, list) else [rule])
    if len(options) <= 3:
        return options[0] if len(options) == 1 else ", ".join(options[:-1]) + f" or {options[-1]}"
    return f"{options[0]}, {options[1]} or {len(options) - 2} other candidates"


def _types(rule: Any) -> str:
    if isinstance(rule, list):
        return "types " + ", ".join(f'"{name}"' for name in rule)
    return f'type "{rule}"'


WORDINGS: dict[str, Wording] = {
    "type": lambda found, rule: f"{found} is not of {_types(rule)}",
    "enum": lambda found, rule: f"{found} is not one of {_one_of(rule)}",
    "const": lambda found, rule: f"{found} is not {shown_value(rule, 30)}",
    "format": lambda found, rule: f'{found} is not a "{rule}"',
    "minimum": lambda found, rule: f"{found} is less than the minimum of {rule}",
    "maximum": lambda found, rule: f"{found} is greater than the maximum of {rule}",
    "exclusiveMinimum": lambda found, rule: f"{found} is less than or equal to the minimum of {rule}",
    "exclusiveMaximum": lambda found, rule: f"{found} is greater than or equal to the maximum of {rule}",
    "multipleOf": lambda found, rule: f"{found} is not a multiple of {rule}",
    "minLength": lambda found, rule: f"{found} is shorter than {_plural(rule, 'character')}",
    "maxLength": lambda found, rule: f"{found} is longer than {_plural(rule, 'character')}",
    "minItems": lambda found, rule: f"{found} has less than {_plural(rule, 'item')}",
    "maxItems": lambda found, rule: f"{found} has more than {_plural(rule, 'item')}",
    "uniqueItems": lambda found, _rule: f"{found} has non-unique elements",
    "minProperties": lambda found, rule: f"{found} has less than {rule} propert{'y' if rule == 1 else 'ies'}",
    "maxProperties": lambda found, rule: f"{found} has more than {rule} propert{'y' if rule == 1 else 'ies'}",
    "pattern": lambda found, rule: f"{found} does not match {shown_value(rule)}",
    "anyOf": lambda found, _rule: f"{found} is not valid under any of the schemas listed in the 'anyOf' keyword",
    "oneOf": lambda found, _rule: f"{found} is not valid under exactly one of the 'oneOf' schemas",
    "not": lambda found, _rule: f"{found} is valid under the schema in the 'not' keyword",
}


def message_for(keyword: str, value: Any, rule: Any) -> str:
    """`"x" is not a "uuid"`: the message for a value that breaks `keyword: rule`."""
    wording = WORDINGS.get(keyword)
    found = shown_value(value)
    return wording(found, rule) if wording else f"{found} is not valid under the '{keyword}' keyword"


def required_message(name: str) -> str:
    return f"{shown_value(name)} is a required property"


def unexpected_property_message(name: str) -> str:
    return f"{shown_value(name)} is not a property this schema allows"
