"""Fixtures: the Pingo provider served beside the five, a client of it, a loopback receiver."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app
from returnkit.testing.transport import ReturnkitTransport
from tests.webhooks.fake import SPEC, pingo_kit
from tests.webhooks.receiver import Receiver, listening


@pytest.fixture
def pingo_spec(tmp_path: Path) -> Path:
    path = tmp_path / "pingo.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def app(pingo_spec: Path) -> Any:
    return create_app(ServerOptions(clock_mode="frozen"), kits=[*default_kits(), pingo_kit(pingo_spec)])


@pytest.fixture
def client(app: Any) -> Iterator[httpx.Client]:
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit") as client:
        yield client


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with listening() as receiver:
        yield receiver
