"""Specs are read from YAML once per version: a JSON copy in the cache folder, named by the text's digest.

What a user would notice: an edited spec is what gets validated against at once (no stale copy),
a damaged or unwritable cache folder changes nothing, and `RETURNKIT_CACHE_DIR=` keeps no copy.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from returnkit.spec import CACHE_ENV
from returnkit.validation import Catalog


def spec_document(maximum: int) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "fake", "version": "1"},
        "paths": {
            "/returns": {
                "post": {
                    "operationId": "createReturn",
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "object",
                                    "properties": {"quantity": {"type": "integer", "maximum": maximum}},
                                }
                            }
                        },
                    },
                    "responses": {"201": {"description": "created"}},
                }
            }
        },
    }


def write_spec(path: Path, maximum: int) -> str:
    path.write_text(yaml.safe_dump(spec_document(maximum)), encoding="utf-8")
    return str(path)


def verdict_on(spec: str, quantity: int) -> bool:
    """A fresh catalog's verdict, as a new `validate-payload` run would give it."""
    return Catalog({"fake": spec}).validate("fake", "createReturn", {"quantity": quantity}).valid


@pytest.fixture
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv(CACHE_ENV, str(folder))
    return folder


def test_a_spec_read_once_is_kept_and_an_edited_spec_is_read_anew(tmp_path: Path, cache: Path) -> None:
    spec = write_spec(tmp_path / "fake.yaml", maximum=5)
    assert verdict_on(spec, 5)
    assert len(list(cache.glob("*.json"))) == 1
    assert verdict_on(spec, 5)  # from the copy
    write_spec(tmp_path / "fake.yaml", maximum=3)
    assert not verdict_on(spec, 5)
    assert len(list(cache.glob("*.json"))) == 2


def test_a_damaged_copy_is_passed_over(tmp_path: Path, cache: Path) -> None:
    spec = write_spec(tmp_path / "fake.yaml", maximum=5)
    verdict_on(spec, 5)
    (copy,) = cache.glob("*.json")
    copy.write_bytes(b'{"openapi": "3.1.0", "paths": {')  # cut short
    assert verdict_on(spec, 5)
    assert not verdict_on(spec, 6)


def test_an_unwritable_cache_folder_changes_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv(CACHE_ENV, str(blocker / "cache"))
    spec = write_spec(tmp_path / "fake.yaml", maximum=5)
    assert verdict_on(spec, 5)
    assert not verdict_on(spec, 6)


def test_an_empty_cache_setting_keeps_no_copy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CACHE_ENV, "")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    spec = write_spec(tmp_path / "fake.yaml", maximum=5)
    assert verdict_on(spec, 5)
    assert not (tmp_path / "xdg").exists()


def test_processes_starting_together_each_read_the_spec(tmp_path: Path, cache: Path) -> None:
    """Copies are written whole and renamed into place: a process never reads half of one."""
    spec = write_spec(tmp_path / "fake.yaml", maximum=5)
    code = (
        "import sys; from returnkit.validation import Catalog;"
        "print(Catalog({'fake': sys.argv[1]}).validate('fake', 'createReturn', {'quantity': 6}).valid)"
    )
    env = {**os.environ, CACHE_ENV: str(cache)}
    runs = [
        subprocess.Popen([sys.executable, "-c", code, spec], stdout=subprocess.PIPE, text=True, env=env)
        for _ in range(4)
    ]
    assert [run.communicate()[0].strip() for run in runs] == ["False"] * 4
    assert len(list(cache.glob("*.json"))) == 1
    assert list(cache.glob("*.tmp")) == []
