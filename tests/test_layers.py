"""The dependency direction holds: no module imports a layer below its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "returnkit"
# `webhooks` is `returnkit.webhooks` (sign/verify for users): above the providers it delegates to,
# below the server, the CLI and the plugin that use it.
LAYERS = ["errors", "spec", "validation", "core", "providers", "webhooks", "server", "cli", "testing"]


def layer_of(module: str) -> int | None:
    parts = module.split(".")
    if parts[0] != "returnkit" or len(parts) < 2:
        return None
    return LAYERS.index(parts[1]) if parts[1] in LAYERS else None


def imports(path: Path) -> list[str]:
    tree = ast.parse(path.read_text())
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module:
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found.extend(alias.name for alias in node.names)
    return found


MODULES = sorted(p for p in PACKAGE.rglob("*.py") if p.parent != PACKAGE or p.name != "__init__.py")


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_module_imports_only_from_layers_above(path: Path) -> None:
    own = layer_of("returnkit." + ".".join(path.relative_to(PACKAGE).with_suffix("").parts))
    assert own is not None
    lower = [m for m in imports(path) if (layer := layer_of(m)) is not None and layer > own]
    assert lower == []
