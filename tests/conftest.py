"""Shared fixtures: the catalog and sample payloads every layer's tests use."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any, NoReturn

import pytest
from hypothesis import HealthCheck, settings

from returnkit.server.app import ServerOptions, create_app
from returnkit.validation import Catalog
from tests import pgcluster
from tests.http import CheckedClient, TestClient, serving

# "ci" is derandomized (the same examples every run) and sized to keep CI short;
# HYPOTHESIS_PROFILE=thorough runs ten times as many.
settings.register_profile(
    "ci", max_examples=30, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck)
)
settings.register_profile("thorough", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PROVIDERS = ("aboutyou", "zinc", "rye", "kibo-commerce", "kibo-oms")

VALID_CREATE: dict[str, Any] = {
    "aboutyou": {"items": [{"order_items": [1001, 1002], "return_tracking_key": "DHL-0034043-ABC"}]},
    "zinc": {
        "order_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "items": [{"order_item_id": "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10", "quantity": 1}],
        "reason": "damaged",
        "notes": None,
    },
    "rye": {
        "input": {"orderId": "3f25547a-9cfc-4b36-b882-3666b693c441", "lineItems": [{"id": "B0BFX4SC26", "quantity": 1}]}
    },
    "kibo-commerce": {
        "originalOrderId": "13a1b2c3d4e5f60001",
        "returnType": "Refund",
        "items": [
            {
                "orderItemId": "oi-1",
                "orderLineId": 1,
                "quantityShipped": 1,
                "reasons": [{"reason": "Damaged", "quantity": 1}],
                "returnType": "Refund",
            }
        ],
    },
    "kibo-oms": {"orderID": 1234567, "shipmentID": 101010101, "item": [{"orderItemID": 1, "quantity": 1}]},
}


@pytest.fixture(scope="session")
def catalog() -> Catalog:
    return Catalog()


@pytest.fixture(scope="module")
def app() -> Any:
    """A server app (frozen clock, seed 7) shared by a module; `http` resets it before each test."""
    return create_app(ServerOptions(seed=7, clock_mode="frozen"))


@pytest.fixture
def http(app: Any) -> Iterator[TestClient]:
    with serving(app) as client:
        assert client.post("/__admin/reset").status_code == 200
        yield client


@pytest.fixture
def admin(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "admin")


def world_of(http: TestClient, provider: str) -> dict[str, Any]:
    body: dict[str, Any] = http.get("/__admin/world").json()["providers"][provider]
    return body


# A real PostgreSQL (issue 15) -----------------------------------------------------------------
# RETURNKIT_TEST_POSTGRES_URL names a server, or a throw-away cluster starts once per session. With
# neither, postgres-marked tests skip, saying how to enable them; with RETURNKIT_REQUIRE_POSTGRES=1
# (CI) they fail instead, and a session in which one was skipped all the same ends non-zero.


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[pgcluster.Postgres]:
    try:
        server = pgcluster.provide()
    except pgcluster.PostgresUnavailable as exc:
        postgres_missing(str(exc))
    yield server
    server.close()


@pytest.fixture
def postgres_url(postgres_cluster: pgcluster.Postgres) -> str:
    """A fresh, empty database for one test."""
    return postgres_cluster.create_database()


def postgres_missing(reason: str) -> NoReturn:
    if pgcluster.required():
        pytest.fail(f"{reason} ({pgcluster.REQUIRE_VARIABLE}=1 requires them)", pytrace=False)
    pytest.skip(reason)


class PostgresSkips:
    """Counts the postgres tests skipped, so that a session that requires PostgreSQL fails when one was."""

    def __init__(self) -> None:
        self.skipped: list[str] = []

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and "postgres" in report.keywords:
            self.skipped.append(report.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if pgcluster.required() and self.skipped and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if pgcluster.required() and self.skipped:
            terminalreporter.write_line(
                f"{pgcluster.REQUIRE_VARIABLE}=1, yet {len(self.skipped)} postgres test(s) were skipped"
                f" (first: {self.skipped[0]}): this session fails",
                red=True,
            )


# A real Chromium (issue 16) ---------------------------------------------------------------------
# tests/browser drive Debian's chromium with Playwright; without it (or without playwright) they
# skip, saying how to install it; with RETURNKIT_REQUIRE_BROWSER=1 (CI) they fail instead, and a
# session in which one was skipped all the same ends non-zero.
REQUIRE_BROWSER = "RETURNKIT_REQUIRE_BROWSER"


class RequiredSkips:
    """Counts the skipped tests of one marker: a session that requires them (`variable`=1) fails when one was."""

    def __init__(self, marker: str, variable: str) -> None:
        self.marker = marker
        self.variable = variable
        self.skipped: list[str] = []

    def required(self) -> bool:
        return os.environ.get(self.variable) == "1"

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        if report.skipped and self.marker in report.keywords:
            self.skipped.append(report.nodeid)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.required() and self.skipped and exitstatus == pytest.ExitCode.OK:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        if self.required() and self.skipped:
            terminalreporter.write_line(
                f"{self.variable}=1, yet {len(self.skipped)} {self.marker} test(s) were skipped"
                f" (first: {self.skipped[0]}): this session fails",
                red=True,
            )


def pytest_configure(config: pytest.Config) -> None:
    config.pluginmanager.register(PostgresSkips(), "returnkit-postgres-skips")
    config.pluginmanager.register(RequiredSkips("browser", REQUIRE_BROWSER), "returnkit-browser-skips")
