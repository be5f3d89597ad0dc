"""Limits a public-facing server needs, checked on a real `returnkit serve` over raw sockets:
over-long request targets get the provider's 414, huge headers its 431, and clients that do not
finish sending their request are disconnected (slowloris)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.listening import returnkit_serve
from tests.server.test_app import placed_zinc_order

CLIENT_TIMEOUT = 0.5
ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
ZINC_KEY = b"Authorization: Bearer zn_test_acme_5d2f8a91c4e7\r\n"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    logs = tmp_path_factory.mktemp("limits")
    with returnkit_serve(logs, "--clock", "frozen", "--client-timeout", str(CLIENT_TIMEOUT)) as base_url:
        yield base_url


def _address(base_url: str) -> tuple[str, int]:
    host, port = base_url.removeprefix("http://").split(":")
    return host, int(port)


def new_exchange(base_url: str, request: bytes) -> tuple[int, dict[str, str], bytes]:
    """Send raw bytes, read the whole answer (the request asks the server to close)."""
    with socket.create_connection(_address(base_url), timeout=10) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = dict(line.lower().split(": ", 1) for line in header_lines)
    return int(status_line.split()[1]), headers, body


@pytest.mark.parametrize("length", [70_000, 5_000_000])
def test_an_over_long_target_gets_zincs_own_414_and_is_journaled(server: str, length: int) -> None:
    target = b"/returns?search=" + b"a" * length
    request = b"GET " + target + b" HTTP/1.1\r\nHost: t\r\n" + ZINC_KEY + b"Connection: close\r\n\r\n"
    status, headers, body = new_exchange(server, request)
    assert status == 414
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["detail"][0]["msg"].startswith(f"the request target is {len(target)} bytes")
    journaled = httpx.get(f"{server}/__admin/requests", params={"status": 414}).json()["requests"]
    assert journaled[-1]["provider"] == "zinc"
    assert journaled[-1]["path"] == "/returns"


def test_huge_headers_get_kibos_own_431_and_the_server_keeps_serving(server: str) -> None:
    filler = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"c" * 1000) for n in range(2000))  # ~2 MB of headers
    request = b"GET /api/commerce/returns HTTP/1.1\r\nHost: t\r\n" + filler + b"Connection: close\r\n\r\n"
    status, _, body = new_exchange(server, request)
    assert status == 431
    assert json.loads(body)["errorCode"] == "MISSING_OR_INVALID_PARAMETER"
    assert httpx.get(f"{server}/__admin/clock").status_code == 200


@pytest.mark.parametrize(
    "partial",
    [
        b"",  # connected, says nothing
        b"GET /returns HTTP/1.1\r\nHo",  # headers never finished
        b"POST /returns HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        + ZINC_KEY
        + b'Content-Length: 100\r\n\r\n{"order_id"',  # body never finished
    ],
    ids=["silent", "slow-headers", "slow-body"],
)
def test_a_client_that_does_not_finish_its_request_is_disconnected(server: str, partial: bytes) -> None:
    with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT * 20) as connection:
        connection.sendall(partial)
        assert connection.recv(1024) == b""  # closed by the server, long before the socket's own timeout


def test_a_valid_body_cut_short_by_a_disconnect_changes_nothing(server: str) -> None:
    with httpx.Client(base_url=server, headers=ZINC) as client:
        _, body = placed_zinc_order(client, ZINC)
        payload = json.dumps(body).encode()
        before = client.get("/returns").json()["total"]
        request = (
            b"POST /returns HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
            + ZINC_KEY
            + b"Content-Length: %d\r\n\r\n" % (len(payload) + 10)
            + payload  # a whole, valid return request; the 10 bytes promised after it never come
        )
        with socket.create_connection(_address(server), timeout=CLIENT_TIMEOUT * 20) as connection:
            connection.sendall(request)
            assert connection.recv(1024) == b""
        assert client.get("/returns").json()["total"] == before
        journaled = client.get("/__admin/requests", params={"path": "/returns", "method": "POST"}).json()
        assert "went away before its request body arrived" in journaled["requests"][-1]["note"]
