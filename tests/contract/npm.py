"""Official npm SDKs for contract tests: pinned packages installed on demand, Node run without proxies."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

PROXY_VARIABLES = frozenset({"HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"})
NPM_INSTALL_TIMEOUT_SECONDS = 45.0


def executable(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"`{name}` is not on PATH: the npm SDK contract tests need Node.js and npm installed")
    return path


def installed_version(sdk_dir: Path, package: str) -> str | None:
    manifest = sdk_dir / "node_modules" / package / "package.json"
    if not manifest.is_file():
        return None
    version: str = json.loads(manifest.read_text())["version"]
    return version


def node_environment() -> dict[str, str]:
    """The environment without proxies (sdk-authentication would route loopback calls through one)."""
    return {name: value for name, value in os.environ.items() if name not in PROXY_VARIABLES}


def node_with(sdk_dir: Path, pinned: dict[str, str]) -> str:
    """Path of `node`, with `sdk_dir/node_modules` holding the pinned versions (npm install when it does not)."""
    node_path = executable("node")
    declared = json.loads((sdk_dir / "package.json").read_text())["dependencies"]
    assert declared == pinned, f"{sdk_dir.name}/package.json pins {declared}, the test expects {pinned}"
    if all(installed_version(sdk_dir, package) == version for package, version in pinned.items()):
        return node_path
    try:
        installed = subprocess.run(
            [executable("npm"), "install", "--no-audit", "--no-fund"],
            cwd=sdk_dir,
            capture_output=True,
            text=True,
            timeout=NPM_INSTALL_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"npm install in {sdk_dir} took over {NPM_INSTALL_TIMEOUT_SECONDS} s")
    assert installed.returncode == 0, f"npm install failed:\n{installed.stdout}\n{installed.stderr}"
    found = {package: installed_version(sdk_dir, package) for package in pinned}
    assert found == pinned, f"after npm install node_modules holds {found}, expected {pinned}"
    return node_path
