"""Rye's official npm SDK (`@rye-api/rye-sdk`, pinned in rye_sdk/package.json) against a listening returnkit.

Node runs rye_sdk/flow.mjs, which requests a return of a delivered Amazon order and reads the order back through
the SDK's `RyeClient.orderById`, and prints one JSON line; this module reads the seeded world, passes the ids in,
and asserts on that line.

Why returnkit listens on port 3000 here: the SDK takes no base URL. `RyeClient` sends every call to
`GRAPHQL_ENDPOINTS[environment]` from `@rye-api/rye-sdk/dist/constants.js`, and its public `ENVIRONMENT.LOCAL`
is `http://localhost:3000/v1/query`. So this module starts its own `returnkit serve --port 3000` (the shared
`listening_server` fixture picks a free port) and fails, rather than reaching someone else's server, when port
3000 is taken. The server binds 127.0.0.1: /etc/hosts usually maps `localhost` to 127.0.0.1, and where it lists
::1 first, Node 20's fetch tries both families (`net.getDefaultAutoSelectFamily()` is true), so the SDK still
reaches the IPv4 listener; uvicorn's `--host localhost` would bind 127.0.0.1 anyway (an AF_INET socket).

The SDK has no `returnOrder` method (Rye deprecated the mutation), so flow.mjs sends it as a plain GraphQL POST to
the SDK's own endpoint with the headers the SDK sends. Node runs without HTTP_PROXY/HTTPS_PROXY/http_proxy/
https_proxy so the loopback calls go straight to returnkit. `npm install` (about 1 s cold) runs only when
node_modules does not already hold the pinned version.
"""

from __future__ import annotations

import json
import socket
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.npm import node_environment, node_with
from tests.listening import returnkit_serve

SDK_DIR = Path(__file__).parent / "rye_sdk"
PINNED = {"@rye-api/rye-sdk": "1.4.2"}
FLOW_TIMEOUT_SECONDS = 20.0
READY_WITHIN_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.05

RYE_LOCAL_PORT = 3000  # ENVIRONMENT.LOCAL in @rye-api/rye-sdk/dist/constants.js: http://localhost:3000/v1/query
BASE_URL = f"http://127.0.0.1:{RYE_LOCAL_PORT}"
AUTH_HEADER = "Basic rye_test_lumen_2d7f91ac"  # mocks/rye.yaml: developer lumen-labs, the world's developers[0]
SHOPPER_IP = "203.0.113.7"
APPROVED_AFTER_SECONDS = 3600  # mocks/rye.yaml returns.approved_after_seconds


@dataclass(frozen=True)
class Order:
    """A delivered Amazon-backed Rye order: its id, its lines' ASINs, and the Amazon orders it was split into."""

    order_id: str
    product_ids: list[str]
    marketplace_order_ids: list[str]


@pytest.fixture(scope="session")
def node() -> str:
    """Path of `node`, with rye_sdk/node_modules holding the pinned SDK versions."""
    return node_with(SDK_DIR, PINNED)


def _port_3000_is_free() -> bool:
    """Nothing listens on 127.0.0.1:3000 and nothing answers at any address `localhost` resolves to."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # SO_REUSEADDR, as uvicorn sets it: a previous run's TIME_WAIT sockets do not count, a listener does.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", RYE_LOCAL_PORT))
        except OSError:
            return False
    for family, kind, protocol, _, address in socket.getaddrinfo("localhost", RYE_LOCAL_PORT, type=socket.SOCK_STREAM):
        with socket.socket(family, kind, protocol) as client:
            client.settimeout(1.0)
            if client.connect_ex(address) == 0:
                return False
    return True


@pytest.fixture(scope="session")
def rye_local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`returnkit serve` on 127.0.0.1:3000 (frozen clock, seed 0), where the SDK's ENVIRONMENT.LOCAL points."""
    if not _port_3000_is_free():
        pytest.fail(
            f"port {RYE_LOCAL_PORT} is already in use: the Rye SDK's LOCAL environment is fixed to "
            f"http://localhost:{RYE_LOCAL_PORT}/v1/query (@rye-api/rye-sdk/dist/constants.js), so this test needs "
            f"returnkit on that port; stop whatever listens there"
        )
    logs = tmp_path_factory.mktemp("returnkit-rye-local")
    with returnkit_serve(logs, "--clock", "frozen", "--seed", "0", port=RYE_LOCAL_PORT) as base_url:
        yield base_url


@pytest.fixture
def fresh_rye_world(rye_local_server: str) -> str:
    """The port-3000 server's base URL after `POST /__admin/reset`: seeded world, clock back at its start."""
    response = httpx.post(f"{rye_local_server}/__admin/reset", timeout=10.0)
    assert response.status_code == 200, response.text
    return rye_local_server


@pytest.fixture
def order(fresh_rye_world: str) -> Order:
    world = httpx.get(f"{fresh_rye_world}/__admin/world", timeout=10.0)
    assert world.status_code == 200, world.text
    orders: list[dict[str, Any]] = world.json()["providers"]["rye"]["developers"][0]["orders"]
    delivered = next(o for o in orders if o["marketplace"] == "AMAZON" and o["delivered"] is True)
    return Order(
        order_id=delivered["id"],
        product_ids=[line["productId"] for line in delivered["lines"]],
        marketplace_order_ids=delivered["marketplaceOrderIds"],
    )


def _run_flow(node: str, order: Order, *, mode: str) -> dict[str, Any]:
    arguments = {
        "mode": mode,
        "authHeader": AUTH_HEADER,
        "shopperIp": SHOPPER_IP,
        "orderId": order.order_id,
        "lineItems": [{"id": product_id, "quantity": 1} for product_id in order.product_ids],
    }
    try:
        ran = subprocess.run(
            [node, "flow.mjs", json.dumps(arguments)],
            cwd=SDK_DIR,
            env=node_environment(),
            capture_output=True,
            text=True,
            timeout=FLOW_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"rye_sdk/flow.mjs did not finish within {FLOW_TIMEOUT_SECONDS} s")
    assert ran.returncode == 0, f"rye_sdk/flow.mjs exited with {ran.returncode}:\n{ran.stderr}"
    lines = ran.stdout.splitlines()
    assert len(lines) == 1, f"rye_sdk/flow.mjs should print one JSON line, printed:\n{ran.stdout}"
    result: dict[str, Any] = json.loads(lines[0])
    if result["order"] is None:  # the SDK answers undefined instead of throwing on GraphQL errors
        journal = httpx.get(f"{BASE_URL}/__admin/requests", params={"path": "/v1/query"}, timeout=10.0).json()
        pytest.fail(f"orderById gave nothing; returnkit's last answer: {journal['requests'][-1]['response']}")
    return result


def test_a_return_requested_by_graphql_shows_in_the_sdks_order_by_id_and_advances_on_the_clock(
    fresh_rye_world: str, node: str, order: Order
) -> None:
    flow = _run_flow(node, order, mode="return")

    assert flow["endpoint"] == f"http://localhost:{RYE_LOCAL_PORT}/v1/query", flow
    answer = flow["returnOrder"]
    assert answer["error"] is None, answer
    assert answer["result"]["__typename"] == "ReturnAmazonOrderResult", answer
    returned = answer["result"]["orders"]
    assert len(returned) == 2, answer  # one entry per Amazon order the Rye order was split into
    assert [entry["amazonOrderId"] for entry in returned] == order.marketplace_order_ids, answer
    assert {line["status"] for entry in returned for line in entry["lineItems"]} == {"RETURN_REQUESTED"}, answer

    requested = flow["order"]
    assert requested["id"] == order.order_id, requested
    assert requested["marketplace"] == "AMAZON", requested
    assert requested["marketplaceOrderIds"] == order.marketplace_order_ids, requested
    assert requested["status"] == "RETURN_REQUESTED", requested  # returnkit: the order takes its newest return's state
    assert isinstance(requested["events"], list), requested
    assert requested["events"], requested

    advanced = httpx.post(
        f"{fresh_rye_world}/__admin/clock/advance", json={"seconds": APPROVED_AFTER_SECONDS}, timeout=10.0
    )
    assert advanced.status_code == 200, advanced.text

    approved = _run_flow(node, order, mode="read")
    assert "returnOrder" not in approved, approved
    assert (approved["order"]["id"], approved["order"]["status"]) == (order.order_id, "RETURN_APPROVED"), approved

    journal = httpx.get(f"{fresh_rye_world}/__admin/requests", params={"path": "/v1/query"}, timeout=10.0).json()
    assert journal["total"] == 3, journal  # returnOrder, then orderById twice
    assert [entry["verdict"]["valid"] for entry in journal["requests"]] == [True, True, True], journal
