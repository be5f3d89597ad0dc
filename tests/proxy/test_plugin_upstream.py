"""`pytest --returnkit-upstream URL`: the same tests run through a validation proxy to a real
upstream (a sandbox; here `returnkit serve`, then a broken one) instead of the mock."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.proxy.conftest import listening

pytest_plugins = ["pytester"]

USERS_SUITE = """
import httpx

def test_my_client_lists_orders(returnkit):
    with httpx.Client(base_url=returnkit.base_url, trust_env=False) as client:
        answer = client.get("/zinc/orders", headers={"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"})
    assert answer.status_code == 200
    (call,) = returnkit.journal.assert_called("zinc", "GET", "/zinc/orders", times=1)
    assert call["direction"] == "proxied"
    print("UPSTREAM", call["proxy"]["upstream"])
"""


@pytest.fixture(scope="module")
def drifting_upstream() -> Iterator[str]:
    async def orders(_request: Request) -> Response:
        return JSONResponse({"orders": [{"id": 7}]})  # Zinc's order ids are strings, and more is required

    with listening(Starlette(routes=[Route("/orders", orders)])) as url:
        yield url


def test_the_session_runs_through_a_proxy_to_the_upstream(pytester: pytest.Pytester, upstream_serve: str) -> None:
    pytester.makepyfile(USERS_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-s", "--returnkit-upstream", upstream_serve)
    result.assert_outcomes(passed=1)
    result.stdout.fnmatch_lines([f"*UPSTREAM {upstream_serve}/orders*"])


def test_an_upstream_answering_outside_the_spec_fails_the_test(
    pytester: pytest.Pytester, drifting_upstream: str
) -> None:
    pytester.makepyfile(USERS_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--returnkit-upstream", drifting_upstream)
    result.assert_outcomes(passed=1, errors=1)  # the test's own assertions hold; its teardown fails
    result.stdout.fnmatch_lines(["*answered outside the provider's spec*", "*GET /zinc/orders -> 200*"])
