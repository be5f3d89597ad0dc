"""A deliberately broken upstream: each way it strays from the spec is reported with its JSON path,
and an upstream that fails gets the provider's own 502 or 504, in time, journaled."""

from __future__ import annotations

import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from returnkit.cli.drift import main as report
from returnkit.providers import default_kits
from tests.proxy.conftest import Hang, free_port, listening, proxy_to

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
KIBO_APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
OAUTH_PATH = "/api/platform/applications/authtickets/oauth"
SHORT_TIMEOUT = 0.5
ZINC_ERRORS = next(kit for kit in default_kits() if kit.name == "zinc").errors


def broken_upstream(hang: Hang) -> Starlette:
    """Kibo's token endpoint with an undeclared field and a wrong type, Zinc's orders with a status
    its spec does not list, and Zinc's returns never answering."""

    async def token(_request: Request) -> Response:
        body = {"access_token": "eyJ.secret-token-0123456789", "token_type": "bearer", "expires_in": "3600", "debug": 1}
        return JSONResponse(body, headers={"x-vol-correlation": "c-1"})

    async def orders(_request: Request) -> Response:
        return JSONResponse({"message": "I'm a teapot"}, status_code=418)

    async def returns(_request: Request) -> Response:
        await hang.wait()
        return JSONResponse({"returns": []})

    routes = [Route(OAUTH_PATH, token, methods=["POST"]), Route("/orders", orders), Route("/returns", returns)]
    return Starlette(routes=routes)


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    directory = tmp_path_factory.mktemp("drift")
    hang = Hang()
    with listening(broken_upstream(hang)) as upstream:
        with proxy_to(upstream, record=directory, upstream_timeout=SHORT_TIMEOUT) as (proxy, _):
            yield proxy, directory
        hang.free()  # before the upstream stops: it waits for the request it holds


def drift_of(directory: Path) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    code = report([str(directory), "--format", "json"], out=out)
    return code, json.loads(out.getvalue())


def test_each_violation_is_reported_with_its_json_path(broken: tuple[str, Path]) -> None:
    proxy, directory = broken
    token = httpx.post(f"{proxy}{OAUTH_PATH}", json={**KIBO_APP, "grant_type": "client_credentials"}, trust_env=False)
    assert token.json()["debug"] == 1  # passed back unchanged, drift and all
    teapot = httpx.get(f"{proxy}/zinc/orders", headers=ZINC, trust_env=False)
    assert teapot.status_code == 418
    code, drift = drift_of(directory)
    assert code == 1
    found = {(v["operation"], v["json_path"], v["kind"]) for v in drift["response_violations"]}
    assert ("oauthAuthenticateApp", "$.debug", "undeclared field") in found
    assert ("oauthAuthenticateApp", "$.expires_in", "wrong type") in found
    assert ("list_orders_orders_get", "$", "undocumented status") in found
    assert drift["request_violations"] == []


def test_the_text_report_groups_by_operation(broken: tuple[str, Path]) -> None:
    proxy, directory = broken
    httpx.post(f"{proxy}{OAUTH_PATH}", json={**KIBO_APP, "grant_type": "client_credentials"}, trust_env=False)
    out = io.StringIO()
    assert report([str(directory)], out=out) == 1
    text = out.getvalue()
    section = text[text.index("response violations:") :]
    assert "  kibo-commerce oauthAuthenticateApp\n    $.debug  undeclared field" in section
    assert "$.expires_in  wrong type" in section


def test_the_recorded_token_is_masked(broken: tuple[str, Path]) -> None:
    proxy, directory = broken
    httpx.post(f"{proxy}{OAUTH_PATH}", json={**KIBO_APP, "grant_type": "client_credentials"}, trust_env=False)
    recording = (directory / "exchanges.jsonl").read_text()
    assert "secret-token-0123456789" not in recording
    assert "kibo_secret_northwind_3c9e71" not in recording
    journal = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).text
    assert "secret-token-0123456789" not in journal


def test_an_upstream_that_hangs_is_a_504_in_time(broken: tuple[str, Path]) -> None:
    proxy, _ = broken
    began = time.monotonic()
    answer = httpx.get(f"{proxy}/zinc/returns", headers=ZINC, trust_env=False, timeout=10)
    assert time.monotonic() - began < 5  # the proxy's timeout (0.5 s), not the client's (10 s)
    assert answer.status_code == 504
    zinc_504 = ZINC_ERRORS.server_error(504, "reason")
    assert answer.json().keys() == zinc_504.body.keys()  # Zinc's own shape
    assert answer.headers["content-type"] == zinc_504.media_type
    assert "did not answer within 0.5 s" in answer.text
    entry = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).json()
    last = entry["requests"][-1]
    assert (last["status"], last["proxy"]["upstream_status"], last["proxy"]["forwarded"]) == (504, 0, False)
    assert "did not answer" in last["proxy"]["error"]


def test_an_unreachable_upstream_is_a_502_in_the_providers_format() -> None:
    with proxy_to(f"http://127.0.0.1:{free_port()}") as (proxy, _):
        answer = httpx.post(f"{proxy}{OAUTH_PATH}", json=KIBO_APP, trust_env=False)
        assert answer.status_code == 502
        assert answer.json()["errorCode"]  # Kibo Commerce's error shape
        entry = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).json()
    assert entry["requests"][-1]["proxy"]["error"].startswith("the upstream could not be reached")


def test_an_upstream_that_breaks_off_its_answer_breaks_the_connection_and_is_journaled() -> None:
    async def half(_request: Request) -> Response:
        async def body() -> AsyncIterator[bytes]:
            yield b'{"orders": ['
            raise RuntimeError("the upstream's process died")

        return StreamingResponse(body(), media_type="application/json")

    with listening(Starlette(routes=[Route("/orders", half)])) as upstream, proxy_to(upstream) as (proxy, _):
        with pytest.raises(httpx.RemoteProtocolError):
            httpx.get(f"{proxy}/zinc/orders", headers=ZINC, trust_env=False)
        journal = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).json()
    last = journal["requests"][-1]
    assert last["proxy"]["upstream_status"] == 200
    assert last["proxy"]["error"].startswith("the upstream broke off its answer")


def test_a_body_over_the_limit_is_refused_not_forwarded_cut_short(upstream_serve: str) -> None:
    with proxy_to(upstream_serve, body_limit=1024) as (proxy, _):
        answer = httpx.post(f"{proxy}/zinc/returns", content=b"x" * 4096, headers=ZINC, trust_env=False)
        journal = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).json()
    assert answer.status_code == 413
    assert journal["requests"][-1]["proxy"]["forwarded"] is False


def test_the_target_and_headers_are_forwarded_as_sent() -> None:
    async def echo(request: Request) -> Response:
        raw = [(name.decode(), value.decode()) for name, value in request.scope["headers"]]
        target = request.scope["raw_path"].decode() + "?" + request.scope["query_string"].decode()
        return JSONResponse({"headers": raw, "body": (await request.body()).decode(), "target": target})

    with (
        listening(Starlette(routes=[Route("/echo/{rest:path}", echo, methods=["POST"])])) as upstream,
        proxy_to(upstream) as (
            proxy,
            _,
        ),
    ):
        headers = [("x-repeat", "one"), ("x-repeat", "two"), ("user-agent", "my-client/1.0"), ("x-api-key", "k-123456")]
        target = f"{proxy}/echo/a%2Fb?q=%C3%A9&x=1"
        echoed = httpx.post(target, content=b"as it is", headers=headers, trust_env=False).json()
    received = [tuple(pair) for pair in echoed["headers"]]
    assert [value for name, value in received if name == "x-repeat"] == ["one", "two"]
    assert ("user-agent", "my-client/1.0") in received  # not httpx's own
    assert ("x-api-key", "k-123456") in received  # credentials reach the upstream; only what is kept is masked
    assert ("host", upstream.removeprefix("http://")) in received
    assert echoed["body"] == "as it is"
    assert echoed["target"] == "/echo/a%2Fb?q=%C3%A9&x=1"
