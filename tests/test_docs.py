"""docs/testing.md is true: every example test in it passes with the installed plugin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "testing.md"
EXAMPLES = re.findall(r"```python\n(.*?)```", DOC.read_text(), flags=re.DOTALL)
pytest_plugins = ["pytester"]


def test_the_guide_has_an_example_per_provider() -> None:
    assert len(EXAMPLES) == 5


def test_every_example_in_the_guide_passes(pytester: pytest.Pytester) -> None:
    for number, example in enumerate(EXAMPLES):
        pytester.makepyfile(**{f"test_example_{number}": example})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(EXAMPLES))
