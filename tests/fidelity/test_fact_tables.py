"""Every fact table in specs/facts/ is sound: one per provider, every row has a status, every
row that is simulated names a test, and every test it names exists."""

from __future__ import annotations

import functools
import re
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from returnkit.spec import PROVIDER_FILES
from tests.fidelity.facts import FACTS, facts

ROOT = Path(__file__).parents[2]


@functools.cache
def _collected() -> dict[Path, frozenset[str]]:
    """Every test pytest collects from the files the tables name: `name` and `name[case]` per file."""
    command = [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider"]
    listing = subprocess.run(
        [*command, "tests/fidelity", "tests/providers"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    found: dict[Path, set[str]] = defaultdict(set)
    for line in listing.splitlines():
        path, separator, test = line.partition("::")
        if separator:
            found[ROOT / path] |= {test, test.partition("[")[0]}
    return {path: frozenset(tests) for path, tests in found.items()}


def test_every_provider_has_a_fact_table() -> None:
    assert {path.stem for path in FACTS.glob("*.md")} >= set(PROVIDER_FILES)


@pytest.mark.parametrize("provider", PROVIDER_FILES)
def test_every_fact_has_a_status_and_names_tests_that_exist(provider: str) -> None:
    rows = facts(provider)
    assert len(rows) >= 20, "a table holds every checkable fact of its page"
    for fact in rows:
        assert fact.status, f"{fact.id}: no status"
        if fact.status != "not simulated":
            assert fact.tests(), f"{fact.id}: {fact.status} but held by no test"
        for path, name, case in fact.tests():
            test = f"{name}[{case}]" if case and case != "*" else name  # [*]: every case
            assert test in _collected().get(path, ()), f"{fact.id}: {path.name}::{test} is not a test"


@pytest.mark.parametrize("provider", PROVIDER_FILES)
def test_a_tables_stated_counts_match_its_rows(provider: str) -> None:
    """Where a table states its counts (`Counts: N facts; a faithful, ...`), they are its rows'."""
    text = (FACTS / f"{provider}.md").read_text()
    stated = re.search(r"Counts: (\d+) facts; (\d+) faithful, (\d+) inferred, (\d+) not simulated\.", text)
    if stated is None:
        return
    statuses = Counter(fact.cells[-2] for fact in facts(provider))
    found = (len(facts(provider)), statuses["faithful"], statuses["inferred"], statuses["not simulated"])
    assert tuple(int(number) for number in stated.groups()) == found
