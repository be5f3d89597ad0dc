"""The README's console examples are true: each command prints what the README shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def console_examples() -> list[tuple[str, list[str]]]:
    examples = []
    for block in re.findall(r"```console\n(.*?)```", README.read_text(), flags=re.DOTALL):
        lines = block.splitlines()
        command = [lines[0].removeprefix("$ ")]
        rest = lines[1:]
        while command[-1].endswith("\\"):
            command.append(rest.pop(0))
        examples.append(("\n".join(command), rest))
    return examples


@pytest.mark.parametrize(("command", "expected"), console_examples())
def test_console_example_prints_what_the_readme_shows(command: str, expected: list[str]) -> None:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run([bash, "-c", command], capture_output=True, text=True, env=env, check=False)
    printed = (result.stdout + result.stderr).splitlines()
    assert sorted(printed) == sorted(expected)


def test_readme_has_console_examples() -> None:
    assert len(console_examples()) >= 2
