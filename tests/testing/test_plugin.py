"""The pytest plugin and transports as a user of returnkit meets them."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from zinc import ZincClient

from returnkit.providers.wire import WireResponse
from returnkit.providers.zinc import handlers as zinc_handlers
from returnkit.server.app import server_state
from returnkit.testing.plugin import Returnkit

ZINC = "Bearer zn_test_acme_5d2f8a91c4e7"
pytest_plugins = ["pytester"]


def placed_order(returnkit: Returnkit) -> dict[str, object]:
    account = returnkit.world["zinc"]["accounts"][0]
    order: dict[str, object] = next(o for o in account["orders"] if o["status"] == "order_placed")
    return order


def return_body(order: dict[str, object]) -> dict[str, object]:
    items = order["items"]
    assert isinstance(items, list)
    return {"order_id": order["id"], "items": [{"order_item_id": items[0]["id"], "quantity": 1}], "reason": "damaged"}


def test_a_listening_server_with_journal_and_clock(returnkit: Returnkit) -> None:
    with httpx.Client(base_url=returnkit.base_url, headers={"Authorization": ZINC}) as client:
        created = client.post("/returns", json=return_body(placed_order(returnkit)))
        assert created.status_code == 201
        returnkit.clock.advance(seconds=120)
        assert client.get(f"/returns/{created.json()['id']}").json()["status"] in {"approved", "denied"}
    (call,) = returnkit.journal.assert_called("zinc", "POST", "/returns", times=1)
    assert call["request"]["body"]["reason"] == "damaged"
    assert call["verdict"]["valid"] is True


def test_each_test_starts_from_the_seeded_world(returnkit: Returnkit) -> None:
    assert returnkit.journal.calls() == []
    assert returnkit.clock.now() == "2026-03-02T09:00:00Z"


def test_the_same_app_in_process_with_the_zinc_sdk(returnkit: Returnkit) -> None:
    with httpx.Client(transport=returnkit.transport(), base_url="http://returnkit") as http:
        sdk = ZincClient(api_key=ZINC, base_url="http://returnkit", httpx_client=http)
        created = sdk.returns.create_return_request(**return_body(placed_order(returnkit)))
        assert created.status == "open"
    returnkit.journal.assert_called("zinc", "POST", "/returns", times=1)  # one app, one journal, both modes


def test_the_async_transport(returnkit: Returnkit) -> None:
    async def listed() -> int:
        async with httpx.AsyncClient(transport=returnkit.async_transport(), base_url="http://returnkit") as client:
            total: int = (await client.get("/returns", headers={"Authorization": ZINC})).json()["total"]
            return total

    assert asyncio.run(listed()) == 0


def test_expected_rejections_do_not_fail_the_test(returnkit: Returnkit) -> None:
    returnkit.expect_rejections()
    with httpx.Client(base_url=returnkit.base_url) as client:
        assert client.get("/returns").status_code == 401
    assert [e["status"] for e in returnkit.journal.rejected()] == [401]


def test_an_unexpected_rejection_fails_the_test_at_teardown(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_forgets_the_key(returnkit):
            httpx.get(returnkit.base_url + "/returns")

        def test_calls_nothing(returnkit):
            returnkit.journal.assert_called("zinc", "GET", "/returns", times=0)
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*returnkit refused requests this test did not expect*", "*GET /returns -> 401*"])


def test_every_response_is_checked_against_the_providers_spec(returnkit: Returnkit) -> None:
    returnkit.expect_rejections()
    with httpx.Client(base_url=returnkit.base_url, headers={"Authorization": ZINC}) as client:
        client.post("/returns", json=return_body(placed_order(returnkit)))
        client.post("/returns", json={"order_id": "x"})
        client.get("/returns/not-a-uuid")
    assert [e["conformance"] for e in returnkit.journal.calls()] == [None, None, None]


def broken_listing(_request: object, _world: object) -> WireResponse:
    return WireResponse(200, {"oops": 1})


def test_a_response_outside_the_spec_is_journaled(returnkit: Returnkit, monkeypatch: pytest.MonkeyPatch) -> None:
    broken = {**zinc_handlers.HANDLERS, "list_return_requests_returns_get": broken_listing}
    kit = server_state(returnkit.app).kits["zinc"]
    monkeypatch.setattr(type(kit), "handlers", broken)
    with httpx.Client(base_url=returnkit.base_url, headers={"Authorization": ZINC}) as client:
        client.get("/returns")
    (entry,) = returnkit.journal.nonconforming()
    assert "total" in entry["conformance"] or "return_requests" in entry["conformance"]
    monkeypatch.undo()
    returnkit.reset()  # the teardown check would (rightly) fail this test otherwise


def test_faults_from_the_fixture(returnkit: Returnkit) -> None:
    returnkit.faults.add("zinc", "status", operation="list-returns", status=503, times=1)
    returnkit.expect_rejections()
    with httpx.Client(base_url=returnkit.base_url, headers={"Authorization": ZINC}) as client:
        assert [client.get("/returns").status_code for _ in range(2)] == [503, 200]
    (failed,) = returnkit.journal.rejected()
    assert failed["note"].startswith("fault")


SUITE_USING_THE_ADMIN_API = """
    import httpx

    def test_the_fixture_sends_the_admin_token(returnkit):
        assert returnkit.clock.advance(seconds=60) == "2026-03-02T09:01:00Z"
        assert returnkit.world["zinc"]["accounts"]
        httpx.get(returnkit.base_url + "/returns", headers={"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"})
        returnkit.journal.assert_called("zinc", "GET", "/returns", times=1)
        assert httpx.get(returnkit.base_url + "/__admin/clock", headers=returnkit.admin_headers).status_code == 200

    def test_the_server_requires_it(returnkit):
        assert httpx.get(returnkit.base_url + "/__admin/world").status_code == 401
"""


@pytest.mark.parametrize("given_by", ["option", "environment"])
def test_an_admin_token_is_required_by_the_sessions_server_and_sent_by_the_fixture(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch, given_by: str
) -> None:
    pytester.makepyfile(SUITE_USING_THE_ADMIN_API)
    options = ["-p", "no:cacheprovider"]
    if given_by == "option":
        options.append("--returnkit-admin-token=suite-token")
    else:
        monkeypatch.setenv("RETURNKIT_ADMIN_TOKEN", "suite-token")
    result = pytester.runpytest_subprocess(*options)
    result.assert_outcomes(passed=2)
