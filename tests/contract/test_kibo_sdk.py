"""Kibo's official npm SDK (`@kibocommerce/rest-sdk`, pinned in kibo_sdk/package.json) against a listening returnkit.

Node runs kibo_sdk/flow.mjs, which drives one refund return through the SDK's `ReturnApi` and prints one JSON
line; this module reads the seeded world, passes the ids in, and asserts on that line.

Why flow.mjs builds the SDK the way it does: with `clientId`/`sharedSecret` in `Configuration` (the SDK's
default path) it first looks the tenant up at `https://<authHost>/api/platform/tenants/<id>`, the scheme
hard-coded in `@kibocommerce/rest-sdk/client-runtime/tenant-data-manager.js` line 20, and
`Configuration.getBaseAPIUrl` in `client-runtime/configuration.js` then sends every call to
`https://<tenant.domain>/api`. That path needs TLS plus the tenant endpoint: the second test runs it, unchanged
but for its hosts, against `returnkit serve --tls` (Node trusts returnkit's CA through NODE_EXTRA_CA_CERTS). The
first test shows the plain-http route, which uses only public configuration:
`new APIAuthClient({clientId, sharedSecret, authHost: base}, fetch)` from `@kibocommerce/sdk-authentication`
for the OAuth ticket, and
`new Configuration({tenantId, siteId, apiHost: base, accessToken: () => auth.getAccessToken()})` for `ReturnApi`.

Node runs without HTTP_PROXY/HTTPS_PROXY/http_proxy/https_proxy: sdk-authentication's `getProxyAgent`
(`dist/util/index.js`) would route the loopback token request through a proxy and switch off TLS checks.
`npm install` (about 7 s cold) runs only when node_modules does not already hold the pinned versions.
"""

from __future__ import annotations

import json
import ssl
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.npm import node_environment, node_with
from tests.listening import returnkit_serve

SDK_DIR = Path(__file__).parent / "kibo_sdk"
PINNED = {"@kibocommerce/rest-sdk": "3.2634.1", "@kibocommerce/sdk-authentication": "1.0.1"}
FLOW_TIMEOUT_SECONDS = 20.0

TENANT_ID = 40001
CLIENT_ID = "northwind.returnkit.1.0.0.Release"  # its secret is read from the world's tenant applications


@dataclass(frozen=True)
class Order:
    """A fulfilled order of the tenant, and the tenant's API credentials: what a return and its refund need."""

    shared_secret: str
    tenant_id: int
    site_id: int
    order_id: str
    order_item_id: str
    payment_id: str


@pytest.fixture(scope="session")
def node() -> str:
    """Path of `node`, with kibo_sdk/node_modules holding the pinned SDK versions."""
    return node_with(SDK_DIR, PINNED)


@pytest.fixture
def order(fresh_world: str) -> Order:
    world = httpx.get(f"{fresh_world}/__admin/world", timeout=10.0)
    assert world.status_code == 200, world.text
    tenants: list[dict[str, Any]] = world.json()["providers"]["kibo-commerce"]["tenants"]
    tenant = next(t for t in tenants if t["id"] == TENANT_ID)
    application = next(a for a in tenant["applications"] if a["client_id"] == CLIENT_ID)
    fulfilled = next(o for o in tenant["orders"] if o["fulfillmentStatus"] == "Fulfilled")
    return Order(
        shared_secret=application["client_secret"],
        tenant_id=tenant["id"],
        site_id=tenant["site"],
        order_id=fulfilled["id"],
        order_item_id=fulfilled["items"][0]["id"],
        payment_id=fulfilled["payments"][0]["id"],
    )


def _run_flow(
    node: str, base_url: str, order: Order, *, mode: str = "accessToken", ca: Path | None = None
) -> dict[str, Any]:
    arguments = {
        "mode": mode,
        "baseUrl": base_url,
        "clientId": CLIENT_ID,
        "sharedSecret": order.shared_secret,
        "tenantId": order.tenant_id,
        "siteId": order.site_id,
        "orderId": order.order_id,
        "orderItemId": order.order_item_id,
        "paymentId": order.payment_id,
    }
    try:
        ran = subprocess.run(
            [node, "flow.mjs", json.dumps(arguments)],
            cwd=SDK_DIR,
            env={**node_environment(), **({"NODE_EXTRA_CA_CERTS": str(ca)} if ca else {})},
            capture_output=True,
            text=True,
            timeout=FLOW_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"kibo_sdk/flow.mjs did not finish within {FLOW_TIMEOUT_SECONDS} s")
    assert ran.returncode == 0, f"kibo_sdk/flow.mjs exited with {ran.returncode}:\n{ran.stderr}"
    lines = ran.stdout.splitlines()
    assert len(lines) == 1, f"kibo_sdk/flow.mjs should print one JSON line, printed:\n{ran.stdout}"
    result: dict[str, Any] = json.loads(lines[0])
    return result


def test_a_refund_return_goes_created_authorized_refunded_closed_through_the_sdk(
    fresh_world: str, node: str, order: Order
) -> None:
    flow = _run_flow(node, fresh_world, order)

    assert flow["created"]["status"] == "Created", flow
    assert flow["created"]["id"], flow
    assert flow["created"]["originalOrderId"] == order.order_id, flow
    assert flow["authorized"] == ["Authorized"], flow

    again = flow["authorizeAgain"]
    assert again["threw"] is True, flow
    assert again["name"] == "ResponseError", again
    assert again["status"] == 409, again
    # The SDK's ResponseError takes its message from the error body's `message`.
    assert again["message"] == again["apiErrorMessage"], again
    assert "action Authorize is not valid for a return in status Authorized" in again["message"], again
    # The SDK falls back to `{}` when the x-vol-correlation header is missing.
    assert isinstance(again["correlationId"], str), again
    assert again["correlationId"], again

    assert flow["refunded"]["refundAmount"] == 5, flow
    assert flow["closed"] == ["Closed"], flow


@pytest.fixture(scope="session")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`returnkit serve --tls`: the base URL and the CA a client must trust (same seed, same world)."""
    certificates = tmp_path_factory.mktemp("returnkit-tls")
    logs = tmp_path_factory.mktemp("returnkit-tls-logs")
    with returnkit_serve(logs, "--clock", "frozen", "--seed", "0", tls=certificates) as base_url:
        yield base_url, certificates / "ca.pem"


def test_the_sdk_configured_as_its_readme_says_reaches_returnkit_over_tls(
    tls_server: tuple[str, Path], node: str, order: Order
) -> None:
    """clientId and sharedSecret in `Configuration`: token, tenant lookup, then every call to the tenant's domain."""
    base_url, ca = tls_server
    flow = _run_flow(node, base_url, order, mode="default", ca=ca)
    assert (flow["created"]["status"], flow["authorized"], flow["closed"]) == ("Created", ["Authorized"], ["Closed"]), (
        flow
    )
    assert flow["authorizeAgain"]["status"] == 409, flow
    assert flow["refunded"]["refundAmount"] == 5, flow
    journal = httpx.get(
        f"{base_url}/__admin/requests",
        params={"path": "/api/platform/tenants/40001"},
        verify=ssl.create_default_context(cafile=str(ca)),
    )
    assert journal.json()["total"] == 1  # the SDK looked its tenant up on returnkit, then came back to it
