"""Check one bundled spec: OpenAPI 3.1 validity and that every example validates.

Usage: .venv/bin/python tools/check_spec.py specs/zinc.yaml
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from openapi_spec_validator import validate
from openapi_spec_validator.validation import OpenAPIV31SpecValidator


def schemas_with_examples(node: Any, path: str = "$") -> Iterator[tuple[str, dict[str, Any], Any]]:
    if isinstance(node, dict):
        schema = node.get("schema")
        if isinstance(schema, dict):
            if "example" in node:
                yield path, schema, node["example"]
            for name, ex in (node.get("examples") or {}).items():
                if isinstance(ex, dict) and "value" in ex:
                    yield f"{path}.examples.{name}", schema, ex["value"]
        if "type" in node or "$ref" in node or "properties" in node:
            if "example" in node and not isinstance(node.get("schema"), dict):
                yield path, node, node["example"]
            if isinstance(node.get("examples"), list):
                for i, ex in enumerate(node["examples"]):
                    yield f"{path}.examples[{i}]", node, ex
        for key, value in node.items():
            yield from schemas_with_examples(value, f"{path}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from schemas_with_examples(value, f"{path}[{i}]")


def main(path: str) -> int:
    spec = yaml.safe_load(Path(path).read_text())
    validate(spec, cls=OpenAPIV31SpecValidator)
    failures = 0
    count = 0
    for where, schema, example in schemas_with_examples(spec):
        root = {**schema, "components": spec.get("components", {})}
        validator = Draft202012Validator(root, format_checker=Draft202012Validator.FORMAT_CHECKER)
        count += 1
        for error in validator.iter_errors(example):
            failures += 1
            print(f"{where}: {error.json_path}: {error.message}")
    print(f"{path}: valid OpenAPI 3.1, {count} examples checked, {failures} failures")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
