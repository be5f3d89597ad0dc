"""An HTTPS upstream with a local CA (trustme): trusted through --ca-file, refused (502) without it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import trustme

from returnkit.server.app import ServerOptions, create_app
from tests.proxy.conftest import listening, proxy_to

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}


@pytest.fixture(scope="module")
def https_upstream(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """`returnkit serve`'s app over HTTPS, its certificate signed by a CA only this test trusts."""
    directory = tmp_path_factory.mktemp("tls")
    authority = trustme.CA()
    certificate = directory / "server.pem"
    authority.issue_cert("127.0.0.1", "localhost").private_key_and_cert_chain_pem.write_to_path(str(certificate))
    authority.cert_pem.write_to_path(str(directory / "ca.pem"))
    app = create_app(ServerOptions(seed=1, clock_mode="frozen"))
    with listening(app, ssl_certfile=str(certificate), ssl_keyfile=str(certificate)) as url:
        yield url, directory / "ca.pem"


def test_an_https_upstream_trusted_through_its_ca_file(https_upstream: tuple[str, Path]) -> None:
    upstream, ca = https_upstream
    assert upstream.startswith("https://")
    with proxy_to(upstream, ca_file=str(ca)) as (proxy, _):
        answer = httpx.get(f"{proxy}/zinc/orders", headers=ZINC, trust_env=False)
        assert answer.status_code == 200
        assert answer.json()["orders"]
        entry = httpx.get(f"{proxy}/__admin/requests", params={"direction": "proxied"}, trust_env=False).json()
    assert entry["requests"][-1]["proxy"]["upstream"] == f"{upstream}/orders"
    assert entry["requests"][-1]["proxy"]["violations"] == []


def test_an_https_upstream_whose_ca_is_not_trusted_is_a_502(https_upstream: tuple[str, Path]) -> None:
    upstream, _ = https_upstream
    with proxy_to(upstream) as (proxy, _):
        answer = httpx.get(f"{proxy}/zinc/orders", headers=ZINC, trust_env=False)
    assert answer.status_code == 502
    assert "CERTIFICATE_VERIFY_FAILED" in answer.text
