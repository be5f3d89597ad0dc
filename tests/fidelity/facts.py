"""Reading the fact tables in specs/facts/ (their rows, each row's status and the tests it names),
and what the fidelity tests share to send a body at and beyond a documented bound."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FACTS = Path(__file__).parents[2] / "specs" / "facts"
STATUSES = ("faithful", "inferred", "not simulated")
# `F::name` (this provider's fidelity tests), `P::name` (its provider tests), `W::name` (its webhook tests),
# `test_x.py::name`
REFERENCE = re.compile(r"`(F|P|W|test_[\w-]+\.py)::([\w]+)(?:\[([^`]*)\])?`")


@dataclass(frozen=True)
class Fact:
    provider: str
    cells: tuple[str, ...]

    @property
    def id(self) -> str:
        return self.cells[0]

    @property
    def status(self) -> str:
        """faithful, inferred or not simulated: the column whose text starts with one of them."""
        for cell in self.cells[1:]:
            for status in STATUSES:
                if cell.startswith(status):
                    return status
        return ""

    @property
    def held_by(self) -> str:
        return self.cells[-1]

    def tests(self) -> list[tuple[Path, str, str]]:
        """(test file, test function, case id) for every test the row names."""
        return [(self._file(prefix), name, case) for prefix, name, case in REFERENCE.findall(self.held_by)]

    def _file(self, prefix: str) -> Path:
        module = self.provider.replace("-", "_")
        tests = Path(__file__).parents[1]
        if prefix == "F":
            return tests / "fidelity" / f"test_{module}.py"
        if prefix == "P":
            return tests / "providers" / module / f"test_{module}.py"
        if prefix == "W":
            return tests / "providers" / module / f"test_{module}_webhooks.py"
        return tests / "fidelity" / prefix


def facts(provider: str) -> list[Fact]:
    """The rows of `specs/facts/<provider>.md` that state a fact (header and separator rows left out)."""
    rows = []
    for line in (FACTS / f"{provider}.md").read_text().splitlines():
        if not line.startswith("| "):
            continue
        cells = tuple(cell.strip() for cell in line.split("|")[1:-1])
        if cells[0] in ("", "#", "id") or set(cells[0]) <= {"-"}:
            continue
        rows.append(Fact(provider, cells))
    return rows


def with_value(body: dict[str, Any], path: str, value: Any) -> dict[str, Any]:
    """A copy of `body` with the value at a dotted path (`items.0.quantity`) replaced; `...` deletes it."""
    copy: Any = json.loads(json.dumps(body))
    *parents, last = path.split(".")
    node = copy
    for part in parents:
        node = node[int(part)] if part.isdigit() else node[part]
    key: Any = int(last) if last.isdigit() else last
    if value is ...:
        del node[key]
    else:
        node[key] = value
    result: dict[str, Any] = copy
    return result
