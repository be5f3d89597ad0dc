"""One `store` fixture, each backend a parameter: the contract suite runs against all of them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from returnkit.core.postgres_store import PostgresStore
from returnkit.core.store import SQLiteStore, Store, open_store

BACKENDS = [
    pytest.param("sqlite-memory", id="sqlite-memory"),
    pytest.param("sqlite-file", id="sqlite-file"),
    pytest.param("postgresql", id="postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=BACKENDS)
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Where a backend keeps its world: `:memory:`, a file, or a fresh PostgreSQL database."""
    backend: str = request.param
    if backend == "postgresql":
        url: str = request.getfixturevalue("postgres_url")
        return url
    return ":memory:" if backend == "sqlite-memory" else str(tmp_path / "world.db")


@pytest.fixture
def store(location: str) -> Iterator[Store]:
    opened = open_store(location)
    yield opened
    close(opened)


def close(store: Store) -> None:
    if isinstance(store, PostgresStore | SQLiteStore):
        store.close()
