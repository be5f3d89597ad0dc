"""One wording for each rule a payload can break, whichever library found the error.

jsonschema-rs and python-jsonschema word their messages differently (`"x" is not a "uuid"` vs
`'x' is not a 'uuid'`) and both print the whole offending value. Every PayloadError's message is
written here instead, from the keyword, the rule and the value, with values shown as short JSON.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from returnkit.validation.words import shown_value


@dataclass(frozen=True, slots=True)
class Wording:
    """`{found}` then `after`, in which `{rule}` stands for `rule_text(rule)`."""

    after: str
    rule_text: Callable[[Any], str] = str


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


def _properties(rule: Any) -> str:
    return f"{rule} propert{'y' if rule == 1 else 'ies'}"


WORDINGS: dict[str, Wording] = {
    "type": Wording(" is not of {rule}", _types),
    "enum": Wording(" is not one of {rule}", _one_of),
    "const": Wording(" is not {rule}", lambda rule: shown_value(rule, 30)),
    "format": Wording(' is not a "{rule}"'),
    "minimum": Wording(" is less than the minimum of {rule}"),
    "maximum": Wording(" is greater than the maximum of {rule}"),
    "exclusiveMinimum": Wording(" is less than or equal to the minimum of {rule}"),
    "exclusiveMaximum": Wording(" is greater than or equal to the maximum of {rule}"),
    "multipleOf": Wording(" is not a multiple of {rule}"),
    "minLength": Wording(" is shorter than {rule}", lambda rule: _plural(rule, "character")),
    "maxLength": Wording(" is longer than {rule}", lambda rule: _plural(rule, "character")),
    "minItems": Wording(" has less than {rule}", lambda rule: _plural(rule, "item")),
    "maxItems": Wording(" has more than {rule}", lambda rule: _plural(rule, "item")),
    "uniqueItems": Wording(" has non-unique elements"),
    "minProperties": Wording(" has less than {rule}", _properties),
    "maxProperties": Wording(" has more than {rule}", _properties),
    "pattern": Wording(" does not match {rule}", shown_value),
    "anyOf": Wording(" is not valid under any of the schemas listed in the 'anyOf' keyword"),
    "oneOf": Wording(" is not valid under exactly one of the 'oneOf' schemas"),
    "not": Wording(" is valid under the schema in the 'not' keyword"),
}


def message_for(keyword: str, value: Any, rule: Any) -> str:
    """`"x" is not a "uuid"`: the message for a value that breaks `keyword: rule`."""
    return shown_value(value) + message_after_value(keyword, rule)


def message_after_value(keyword: str, rule: Any) -> str:
    """What `message_for` writes after the value: it depends on the rule alone, so it can be kept."""
    wording = WORDINGS.get(keyword)
    if wording is None:
        return f" is not valid under the '{keyword}' keyword"
    if "{rule}" not in wording.after:
        return wording.after
    return wording.after.format(rule=wording.rule_text(rule))


def required_message(name: str) -> str:
    return f"{shown_value(name)} is a required property"


def unexpected_property_message(name: str) -> str:
    return f"{shown_value(name)} is not a property this schema allows"
