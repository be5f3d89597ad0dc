"""The wheel ships the specs and the typing marker, and the installed package reads them."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from returnkit.spec import SPEC_FILES

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("dist")
    subprocess.run(
        [sys.executable, "-m", "hatchling", "build", "-t", "wheel", "-d", str(out)],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("returnkit-*.whl")
    return built


def test_wheel_contains_every_spec_and_py_typed(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {f"returnkit/specs/{name}" for name in (*SPEC_FILES.values(), "rye.graphql")}
    expected |= {f"returnkit/mocks/{name}.yaml" for name in ("server", "aboutyou", "zinc")}
    assert expected <= names
    assert "returnkit/py.typed" in names


def test_installed_wheel_loads_specs_without_the_source_tree(wheel: Path, tmp_path: Path) -> None:
    target = tmp_path / "site"
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(target)
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "import returnkit; from returnkit.validation import Catalog;"
        "assert returnkit.__file__.startswith(sys.argv[1]), returnkit.__file__;"
        "from returnkit.server.app import create_app, server_state;"
        "assert server_state(create_app()).store.count('zinc', 'order') > 0;"
        "print(len(Catalog().spec('kibo-commerce').operations))"
    )
    result = subprocess.run(
        [sys.executable, "-I", "-c", code, str(target)], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) > 20
