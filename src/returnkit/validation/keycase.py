"""Object keys matched to a schema's property names without regard to case.

A spec whose server binds JSON keys case-insensitively (Kibo's .NET model binder reads
`returnIDs`, `ReturnIds` and `returnIds` alike) declares `x-returnkit-json-keys: case-insensitive`
at its top level. Its payloads are then rewritten to the schema's own spelling before they are
validated, so `validate-payload` and the mock server judge, and the handlers read, the payload the
provider's server would bind. A key that matches no property is kept as sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from returnkit.validation.words import value_at

EXTENSION = "x-returnkit-json-keys"
CASE_INSENSITIVE = "case-insensitive"
DEPTH_LIMIT = 64  # schemas may be recursive; payloads this deep are left as sent below it
BRANCHES = ("allOf", "anyOf", "oneOf")


def folds_keys(document: Mapping[str, Any]) -> bool:
    return document.get(EXTENSION) == CASE_INSENSITIVE


class KeyFolder:
    """Rewrites a payload's keys to the spelling of `schema`'s properties (a standalone schema)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.root = schema

    def fold(self, payload: Any) -> Any:
        return self._fold(payload, self.root, 0)

    def _fold(self, value: Any, schema: Any, depth: int) -> Any:
        if depth > DEPTH_LIMIT or not isinstance(schema, Mapping):
            return value
        schemas = self._alternatives(schema)
        if isinstance(value, dict):
            return self._fold_object(value, schemas, depth)
        if isinstance(value, list):
            items = [s["items"] for s in schemas if isinstance(s.get("items"), Mapping)]
            return [self._fold(item, items[0] if items else None, depth + 1) for item in value]
        return value

    def _fold_object(self, value: dict[str, Any], schemas: list[Mapping[str, Any]], depth: int) -> dict[str, Any]:
        properties: dict[str, Any] = {}
        for schema in schemas:
            properties.update(schema.get("properties") or {})
        if not properties:
            return value
        spelled = {name.lower(): name for name in properties}
        folded: dict[str, Any] = {}
        for key, item in value.items():
            name = key if key in properties else spelled.get(key.lower(), key)
            folded[name] = self._fold(item, properties.get(name), depth + 1)  # a repeated key: the last one wins
        return folded

    def _alternatives(self, schema: Mapping[str, Any]) -> list[Mapping[str, Any]]:
        """`schema` with its `$ref` resolved and every allOf/anyOf/oneOf branch, flattened."""
        found: list[Mapping[str, Any]] = []
        pending = [schema]
        while pending and len(found) < DEPTH_LIMIT:
            current = pending.pop()
            if "$ref" in current:
                target = value_at(self.root, current["$ref"].removeprefix("#/").split("/"))
                if isinstance(target, Mapping):
                    pending.append(target)
            found.append(current)
            for branch in BRANCHES:
                pending.extend(s for s in current.get(branch) or () if isinstance(s, Mapping))
        return found
