"""A seed makes the world a Faker with all its providers would make, though returnkit loads five."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from faker.config import PROVIDERS

from returnkit.core import world as world_module
from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app
from returnkit.testing.transport import ReturnkitTransport


def seeded_world(seed: int) -> dict[str, Any]:
    """Every provider's seeded world, then with three orders added to each."""
    app = create_app(ServerOptions(seed=seed, clock_mode="frozen"))
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit") as client:
        seeded = client.get("/__admin/world").json()
        for kit in default_kits():
            added = client.post("/__admin/world/orders", json={"provider": kit.name, "count": 3})
            assert added.status_code == 201, added.text
        return {"seeded": seeded, "with added orders": client.get("/__admin/world").json()}


@pytest.mark.parametrize("seed", [0, 7])
def test_a_seed_makes_the_world_every_faker_provider_would_make(seed: int, monkeypatch: pytest.MonkeyPatch) -> None:
    ours = seeded_world(seed)
    monkeypatch.setattr(world_module, "FAKER_PROVIDERS", tuple(PROVIDERS))
    assert seeded_world(seed) == ours
