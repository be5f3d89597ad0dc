"""A real, listening returnkit server for contract tests that drive providers' official SDKs."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from tests.listening import returnkit_serve


@pytest.fixture(scope="session")
def listening_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `returnkit serve` on a free port, frozen clock, seed 0; stopped after the session."""
    with returnkit_serve(tmp_path_factory.mktemp("returnkit-serve"), "--clock", "frozen", "--seed", "0") as base_url:
        yield base_url


@pytest.fixture
def fresh_world(listening_server: str) -> str:
    """The server's base URL after `POST /__admin/reset`: seeded world, clock back at its start."""
    response = httpx.post(f"{listening_server}/__admin/reset", timeout=10.0)
    assert response.status_code == 200, response.text
    return listening_server
