"""Drive the real app over HTTP (in process) and check every response against the provider's spec.

The oracle is openapi-core, a separate implementation from returnkit's own engine: a response
that passes returnkit but not openapi-core fails the test.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import httpx
from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from returnkit.server.conformance import oracle_for
from returnkit.spec import load_provider

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["HOST", "CheckedClient", "TestClient", "assert_conforms", "serving"]

HOST = "http://127.0.0.1:8000"


@cache
def oracle(provider: str) -> OpenAPI:
    return oracle_for(dict(load_provider(provider).document))


def assert_conforms(provider: str, method: str, path: str, response: httpx.Response) -> None:
    """The status, headers and body are what the provider's spec allows for this operation."""
    path = path.removeprefix(f"/{provider}")
    request = MockRequest(HOST, method.lower(), path.split("?")[0], headers=dict(response.request.headers))
    answer = MockResponse(
        response.content,
        status_code=response.status_code,
        headers=dict(response.headers),
        content_type=response.headers.get("content-type", "application/json"),
    )
    oracle(provider).validate_response(request, answer)


class CheckedClient:
    """An HTTP client for one provider: every response must conform to that provider's spec."""

    def __init__(self, client: TestClient, provider: str, headers: dict[str, str] | None = None) -> None:
        self.raw = client
        self.provider = provider
        self.headers = headers or {}

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response: httpx.Response = self.raw.request(method, path, headers=headers, **kwargs)
        assert_conforms(self.provider, method, path, response)
        return response

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("GET", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self.request("POST", path, **kwargs)

    def as_(self, headers: dict[str, str]) -> CheckedClient:
        return CheckedClient(self.raw, self.provider, headers)


@contextmanager
def serving(app: Any) -> Iterator[TestClient]:
    """A client for `app`, with its lifespan run around the block."""
    with TestClient(app, base_url=HOST) as client:
        yield client
