"""The README's console examples are true: each command prints what the README shows."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.listening import returnkit_serve

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


SERVER = "localhost:8000"


def run(command: str) -> list[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"}
    bash = shutil.which("bash") or "/bin/bash"
    result = subprocess.run([bash, "-c", command], capture_output=True, text=True, env=env, check=False)
    return (result.stdout + result.stderr).splitlines()


@pytest.mark.parametrize(("command", "expected"), [e for e in console_examples() if SERVER not in e[0]])
def test_console_example_prints_what_the_readme_shows(command: str, expected: list[str]) -> None:
    assert sorted(run(command)) == sorted(expected)


def test_server_examples_print_what_the_readme_shows_in_order(tmp_path: Path) -> None:
    """Against `returnkit serve` with the README's defaults (wall clock, seed 0), on a free port."""
    examples = [e for e in console_examples() if SERVER in e[0]]
    assert examples
    with returnkit_serve(tmp_path) as base_url:
        for command, expected in examples:
            assert run(command.replace(SERVER, base_url.removeprefix("http://"))) == expected


def test_readme_has_console_examples() -> None:
    assert len(console_examples()) >= 2
