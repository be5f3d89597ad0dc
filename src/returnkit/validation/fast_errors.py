"""PayloadErrors from jsonschema-rs errors, for the keywords both engines read alike.

jsonschema-rs reports errors about 15 times faster than python-jsonschema. Its errors are used
only when every one of them comes from a keyword whose meaning the JSON Schema specification
fixes exactly (type, bounds, lengths, enum, required, ...). A `format` error is kept only if
python-jsonschema's own format checker agrees. Anything else (anyOf, oneOf, not, ...) goes to
the reference library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from returnkit.validation.describe import expected_text, missing_property
from returnkit.validation.messages import message_after_value
from returnkit.validation.verdict import PayloadError
from returnkit.validation.words import closest, shown_value, value_at

PLAIN_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "required", "format", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties",
    }
)  # fmt: skip


def keyword_of(error: Any) -> str:
    return str(error.schema_path[-1]) if error.schema_path else ""


@dataclass(frozen=True, slots=True)
class _Rule:
    """What an error's message, expectation and suggestion take from the rule it breaks."""

    keyword: str
    schema_path: str
    rule: Any
    after_value: str  # the message after the value (messages.message_after_value)
    expected: str | None
    known: Mapping[str, Any]  # for `required`: the properties the object's schema names


class FastErrors:
    """PayloadErrors from the jsonschema-rs errors of one schema. What depends on the rule alone
    (its wording, its expectation) is worked out once per rule and kept: a batch of invalid
    payloads breaks the same few rules again and again."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.schema = schema
        self._rules: dict[tuple[str | int, ...], _Rule] = {}

    def payload_errors(self, errors: Iterable[Any]) -> Iterator[PayloadError]:
        for error in errors:
            rule = self._rule(tuple(error.schema_path))
            instance_path = tuple(error.instance_path)
            found = error.instance
            if rule.keyword == "required":
                instance = found if isinstance(found, Mapping) else {}
                strangers = [key for key in instance if key not in rule.known]
                yield missing_property(
                    instance_path,
                    error.kind.property,
                    instance,
                    strangers,
                    schema_path=rule.schema_path,
                    rule=rule.rule,
                )
                continue
            yield PayloadError(
                path=instance_path,
                message=shown_value(found) + rule.after_value,
                keyword=rule.keyword,
                schema_path=rule.schema_path,
                value=found,
                rule=rule.rule,
                expected=rule.expected,
                suggestion=closest(found, rule.rule) if rule.keyword == "enum" else None,
            )

    def _rule(self, schema_path: tuple[str | int, ...]) -> _Rule:
        known = self._rules.get(schema_path)
        if known is None:
            keyword = str(schema_path[-1]) if schema_path else ""
            rule = value_at(self.schema, schema_path)
            properties = value_at(self.schema, [*schema_path[:-1], "properties"]) if keyword == "required" else None
            known = _Rule(
                keyword=keyword,
                schema_path="/" + "/".join(str(step) for step in schema_path),
                rule=rule,
                after_value=message_after_value(keyword, rule),
                expected=expected_text(keyword, rule),
                known=properties or {},
            )
            self._rules[schema_path] = known
        return known
