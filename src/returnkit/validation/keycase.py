"""Object keys matched to a schema's property names without regard to case.

A spec whose server binds JSON keys case-insensitively (Kibo's .NET model binder reads
`returnIDs`, `ReturnIds` and `returnIds` alike) declares `x-returnkit-json-keys: case-insensitive`
at its top level. Its payloads are then rewritten to the schema's own spelling before they are
validated, so `validate-payload` and the mock server judge, and the handlers read, the payload the
provider's server would bind. A key that matches no property is kept as sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from returnkit.validation.words import value_at

EXTENSION = "x-returnkit-json-keys"
CASE_INSENSITIVE = "case-insensitive"
DEPTH_LIMIT = 64  # schemas may be recursive; payloads this deep are left as sent below it
BRANCHES = ("allOf", "anyOf", "oneOf")


def folds_keys(document: Mapping[str, Any]) -> bool:
    return document.get(EXTENSION) == CASE_INSENSITIVE


@dataclass(frozen=True, slots=True)
class _Node:
    """What folding needs of one schema node, its refs and branches resolved once."""

    properties: Mapping[str, Any]
    spelled: Mapping[str, str]  # lower-case name -> the schema's spelling
    items: Mapping[str, Any] | None


class KeyFolder:
    """Rewrites a payload's keys to the spelling of `schema`'s properties (a standalone schema)."""

    def __init__(self, schema: Mapping[str, Any]) -> None:
        self.root = schema
        self._nodes: dict[int, _Node] = {}  # by id() of a schema node; the schema lives as long as self

    def fold(self, payload: Any) -> Any:
        return self._fold(payload, self.root, 0)

    def _fold(self, value: Any, schema: Any, depth: int) -> Any:
        if depth > DEPTH_LIMIT or not isinstance(schema, dict):
            return value
        if isinstance(value, dict):
            node = self._node(schema)
            if not node.properties:
                return value
            folded: dict[str, Any] = {}
            for key, item in value.items():
                name = key if key in node.properties else node.spelled.get(key.lower(), key)
                folded[name] = self._fold(item, node.properties.get(name), depth + 1)  # repeated: the last wins
            return folded
        if isinstance(value, list):
            items = self._node(schema).items
            return [self._fold(item, items, depth + 1) for item in value]
        return value

    def _node(self, schema: Mapping[str, Any]) -> _Node:
        node = self._nodes.get(id(schema))
        if node is None:
            schemas = self._alternatives(schema)
            properties: dict[str, Any] = {}
            for alternative in schemas:
                properties.update(alternative.get("properties") or {})
            items = next((s["items"] for s in schemas if isinstance(s.get("items"), Mapping)), None)
            node = _Node(properties, {name.lower(): name for name in properties}, items)
            self._nodes[id(schema)] = node
        return node

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
