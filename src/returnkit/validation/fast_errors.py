"""PayloadErrors from jsonschema-rs errors, for the keywords both engines read alike.

jsonschema-rs reports errors about 15 times faster than python-jsonschema. Its errors are used
only when every one of them comes from a keyword whose meaning the JSON Schema specification
fixes exactly (type, bounds, lengths, enum, required, ...). A `format` error is kept only if
python-jsonschema's own format checker agrees. Anything else (anyOf, oneOf, not, ...) goes to
the reference library.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from returnkit.validation.describe import expected_text, missing_property
from returnkit.validation.messages import message_for
from returnkit.validation.verdict import PayloadError
from returnkit.validation.words import closest, value_at

PLAIN_KEYWORDS = frozenset(
    {
        "type", "enum", "const", "required", "format", "minimum", "maximum", "exclusiveMinimum",
        "exclusiveMaximum", "multipleOf", "minLength", "maxLength", "minItems", "maxItems",
        "uniqueItems", "minProperties", "maxProperties",
    }
)  # fmt: skip


def keyword_of(error: Any) -> str:
    return str(error.schema_path[-1]) if error.schema_path else ""


def payload_errors(errors: Iterable[Any], schema: Mapping[str, Any]) -> Iterator[PayloadError]:
    for error in errors:
        keyword = keyword_of(error)
        schema_path = "/" + "/".join(str(step) for step in error.schema_path)
        rule = value_at(schema, error.schema_path)
        instance_path = tuple(error.instance_path)
        found = error.instance
        if keyword == "required":
            known = value_at(schema, [*error.schema_path[:-1], "properties"]) or {}
            instance = found if isinstance(found, Mapping) else {}
            strangers = [key for key in instance if key not in known]
            yield missing_property(
                instance_path, error.kind.property, instance, strangers, schema_path=schema_path, rule=rule
            )
            continue
        yield PayloadError(
            path=instance_path,
            message=message_for(keyword, found, rule),
            keyword=keyword,
            schema_path=schema_path,
            value=found,
            rule=rule,
            expected=expected_text(keyword, rule),
            suggestion=closest(found, rule) if keyword == "enum" else None,
        )
