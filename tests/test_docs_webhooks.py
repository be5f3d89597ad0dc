"""docs/webhooks.md is true: each provider's example test file passes with the installed plugin."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "webhooks.md"
SECTION = DOC.read_text().split("## One example per provider", 1)[1].split("\n## ", 1)[0]
EXAMPLES = re.findall(r"```python\n(.*?)```", SECTION, flags=re.DOTALL)
PROVIDERS = ("Zinc", "Rye", "ABOUT YOU", "Kibo Commerce", "Kibo OMS")
pytest_plugins = ["pytester"]


def test_the_guide_has_one_example_per_provider() -> None:
    headings = re.findall(r"^### (.+?):", SECTION, flags=re.MULTILINE)
    assert tuple(headings) == PROVIDERS
    assert len(EXAMPLES) == len(PROVIDERS)


def test_every_example_in_the_guide_passes(pytester: pytest.Pytester) -> None:
    for number, example in enumerate(EXAMPLES):
        pytester.makepyfile(**{f"test_webhook_example_{number}": example})
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=len(EXAMPLES))
