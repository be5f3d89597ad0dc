"""What a second reader found after the hardening, each held through HTTP or the CLI: credentials
that could break the journal or slip past it, ids too long for Python's int, a reset racing a
large add, whitespace where a body is optional."""

from __future__ import annotations

import base64
import io
import subprocess
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from tests.http import TestClient
from tests.server.test_app import ZINC, placed_zinc_order

NON_ASCII_BASIC = "Basic \u00e9".encode("latin-1")  # httpx sends bytes as they are
OMS_KEY = {"API-Key": "oms_key_summit_61b0c2"}
KIBO_APP = {"client_id": "northwind.returnkit.1.0.0.Release", "grant_type": "client_credentials"}
KIBO_SECRET = "kibo_secret_northwind_3c9e71"  # noqa: S105 (the seeded, published sandbox secret)


def _journal(http: TestClient, **filters: Any) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = http.get("/__admin/requests", params={"limit": 10_000, **filters}).json()[
        "requests"
    ]
    return entries


def test_a_non_ascii_basic_credential_in_any_header_is_answered_and_journaled(http: TestClient) -> None:
    _, body = placed_zinc_order(http, ZINC)
    answer = http.post("/returns", json=body, headers={**ZINC, "Proxy-Authorization": NON_ASCII_BASIC})
    assert answer.status_code == 201
    assert _journal(http, path="/returns", method="POST")[-1]["status"] == 201


def test_a_non_ascii_basic_credential_on_the_oms_token_endpoint_is_its_401(http: TestClient) -> None:
    answer = http.post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Authorization": NON_ASCII_BASIC,
        },
    )
    assert answer.status_code == 401
    assert "error" in answer.json()


@pytest.mark.parametrize(
    "path",
    ["/api/v2/return/{big}", "/api/v2/return/?returnID={big}", "/api/v2/return/locations/?orderID={big}"],
)
def test_an_oms_id_of_5000_digits_is_a_coded_refusal_not_a_500(http: TestClient, path: str) -> None:
    answer = http.get(path.format(big="9" * 5000), headers=OMS_KEY)
    assert answer.status_code == 400
    assert answer.json()["code"] in (5013, 5014)


@pytest.mark.parametrize(
    ("path", "body"),
    [
        # a case-variant key in a body too malformed to parse, on the token endpoint
        (
            "/api/platform/applications/authtickets/oauth",
            b'{"client_id": "northwind.returnkit.1.0.0.Release", "CLIENT_SECRET": "' + KIBO_SECRET.encode() + b'",}',
        ),
        # the token endpoint's path in another case, and a typo'd path: no operation, still masked
        ("/API/Platform/Applications/AuthTickets/OAuth", orjson.dumps({**KIBO_APP, "client_secret": KIBO_SECRET})),
        ("/api/platform/applications/authticket", orjson.dumps({**KIBO_APP, "client_secret": KIBO_SECRET})),
        # a quoted secret with a space in it
        (
            "/api/platform/applications/authtickets/oauth",
            b'{"client_secret": "kibo secret northwind 3c9e71 and more",',
        ),
    ],
    ids=["case-variant-key", "path-in-capitals", "typo-path", "secret-with-spaces"],
)
def test_a_secret_never_reaches_the_journal(http: TestClient, path: str, body: bytes) -> None:
    http.post(path, content=body, headers={"Content-Type": "application/json"})
    journaled = orjson.dumps(_journal(http)).decode()
    assert "3c9e71" not in journaled


def test_a_reset_during_a_large_add_leaves_a_journal_of_distinct_ids(http: TestClient) -> None:
    """The add's own late entry belongs to the world the reset ended; the reset's entry comes first."""
    import threading

    adding = threading.Thread(
        target=lambda: http.post("/__admin/world/orders", json={"provider": "zinc", "count": 3000})
    )
    adding.start()
    busy = http.post("/__admin/world/orders", json={"provider": "zinc", "count": 1})
    assert http.post("/__admin/reset").status_code == 200
    adding.join()
    for _ in range(3):
        http.get("/__admin/clock")
    ids = [entry["id"] for entry in _journal(http)]
    assert len(ids) == len(set(ids)), ids
    assert busy.status_code in (201, 409)  # 409 while the large add was still going on


def test_whitespace_where_a_body_is_optional_gets_one_answer_from_both_faces(http: TestClient) -> None:
    body = b" " * 100
    token = http.post(
        "/api/platform/applications/authtickets/oauth", json={**KIBO_APP, "client_secret": KIBO_SECRET}
    ).json()["access_token"]
    server = http.post(
        "/api/commerce/returns/1/ship",
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
    )
    out, err = io.StringIO(), io.StringIO()
    code = validate_payload(
        ["kibo-commerce", "createReturnShippingOrder", "--format", "provider"],
        stdin=io.BytesIO(body),
        stdout=out,
        stderr=err,
    )
    if server.status_code == 400:
        assert (code, out.getvalue().strip()) == (1, server.text)
    else:
        assert code == 0, out.getvalue()


@pytest.mark.parametrize("value", ["0", "-1", "nan", "inf"])
def test_a_client_timeout_that_is_not_a_positive_number_is_a_usage_error(value: str, tmp_path: Path) -> None:
    command = [str(Path(sys.executable).parent / "returnkit"), "serve", "--client-timeout", value]
    finished = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert finished.returncode == 2
    assert "--client-timeout" in finished.stderr


def test_basic_is_still_masked_and_readable(http: TestClient) -> None:
    pair = base64.b64encode(b"oms_key_summit_61b0c2:oms_secret_summit_9e47d3").decode()
    http.post(
        "/oauthserver/oauth2/token",
        content=b"grant_type=client_credentials",
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {pair}"},
    )
    header = _journal(http, path="/oauthserver/oauth2/token")[-1]["request"]["headers"]["authorization"]
    assert header == "Basic oms_key_summit_…:oms_secret_summit_…"


@pytest.mark.parametrize("origin", ["https://evil.example", "null", "http://127.0.0.1:9"])
def test_a_web_page_of_another_origin_cannot_change_the_open_admin_api(http: TestClient, origin: str) -> None:
    refused = http.post("/__admin/reset", headers={"Origin": origin})
    assert refused.status_code == 401
    assert "another origin" in refused.json()["message"]
    assert http.get("/__admin/clock", headers={"Origin": origin}).status_code == 200  # reading is harmless
    same = http.post("/__admin/clock/advance", json={"seconds": 1}, headers={"Origin": f"http://{_host(http)}"})
    assert same.status_code == 200


def _host(http: TestClient) -> str:
    return str(http.base_url.netloc.decode())
