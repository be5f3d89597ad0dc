"""Two `returnkit serve` processes on one PostgreSQL database, shared by a module; reset before each test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests import pgcluster
from tests.scaleout.instances import Instance, serving


@pytest.fixture(scope="module")
def pair(postgres_cluster: pgcluster.Postgres, tmp_path_factory: pytest.TempPathFactory) -> Iterator[list[Instance]]:
    with serving(postgres_cluster.create_database(), tmp_path_factory.mktemp("pair")) as instances:
        yield instances


@pytest.fixture
def a_and_b(pair: list[Instance]) -> list[Instance]:
    assert pair[0].client.post("/__admin/reset").status_code == 200
    return pair
