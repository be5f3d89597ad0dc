"""Label URLs as a client meets them: signed with the database's own random key, never a 500."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from returnkit.server.app import ServerOptions, create_app
from tests.http import TestClient, serving

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
RESOLUTION_SECONDS = 120  # mocks/zinc.yaml


def a_label_url(client: TestClient) -> str:
    """File a return for every placed order of the default account and give the first approved one's label."""
    orders = client.get("/orders", params={"status_filter": "order_placed", "limit": 500}, headers=ZINC).json()
    ids = []
    for order in orders["orders"]:
        body = {"order_id": order["id"], "items": [{"order_item_id": order["items"][0]["id"], "quantity": 1}]}
        ids.append(client.post("/returns", json={**body, "reason": "damaged"}, headers=ZINC).json()["id"])
    client.post("/__admin/clock/advance", json={"seconds": RESOLUTION_SECONDS})
    for return_id in ids:
        urls: list[str] = client.get(f"/returns/{return_id}", headers=ZINC).json()["label_urls"]
        if urls:
            return urls[0]
    raise AssertionError("no return of the seeded world was approved")


def signature(url: str) -> str:
    return parse_qs(urlparse(url).query)["signature"][0]


def test_two_servers_with_the_same_seed_sign_the_same_label_differently() -> None:
    with serving(create_app(ServerOptions(seed=5, clock_mode="frozen"))) as first:
        url = a_label_url(first)
        assert first.get(url).status_code == 200
    with serving(create_app(ServerOptions(seed=5, clock_mode="frozen"))) as second:
        same_label = a_label_url(second)
        assert same_label.split("signature=")[0] == url.split("signature=")[0]  # same return, same expiry
        assert signature(same_label) != signature(url)
        forged = second.get(url)  # the seed alone does not let anyone forge a URL
        assert (forged.status_code, forged.json()["message"]) == (403, "the label URL's signature does not match")


def test_a_label_url_stays_valid_across_a_restart_and_a_reset_with_a_database(tmp_path: Path) -> None:
    options = ServerOptions(db=str(tmp_path / "world.sqlite"), clock_mode="frozen")
    with serving(create_app(options)) as client:
        url = a_label_url(client)
    with serving(create_app(options)) as client:
        answer = client.get(url)
        assert (answer.status_code, answer.headers["content-type"]) == (200, "application/pdf")
        client.post("/__admin/reset")
        assert client.get(url).status_code == 200


@pytest.mark.parametrize(
    ("expires", "sent_signature"),
    [("9" * 5000, "0"), ("9" * 13, "0"), ("１２３", "0"), ("1893456000", "é"), ("1893456000", "\u2028" * 40)],
    ids=["5000-digits", "13-digits", "fullwidth-digits", "non-ascii-signature", "unicode-separators"],
)
def test_a_malformed_label_url_is_refused_with_403_never_a_500(
    http: TestClient, expires: str, sent_signature: str
) -> None:
    answer = http.get("/__admin/labels/zinc/x.pdf", params={"expires": expires, "signature": sent_signature})
    assert answer.status_code == 403
    assert answer.json()["message"].startswith("the label URL's")
    assert http.get("/__admin/clock").status_code == 200
