"""Drive the real app over HTTP (in process) and check every response against the provider's spec.

The check is `--check-responses`' own (`server/conformance.py`'s `ResponseChecker`, openapi-core
as the oracle, a separate implementation from returnkit's own engine): a response that passes
returnkit but not openapi-core fails the test.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from returnkit.providers import default_kits, spec_files
from returnkit.providers.wire import JSON, WireResponse
from returnkit.server.admin import AdminApi
from returnkit.server.conformance import ResponseChecker
from returnkit.validation import Catalog

with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    from starlette.testclient import TestClient

__all__ = ["HOST", "CheckedClient", "TestClient", "assert_conforms", "serving"]

HOST = "http://127.0.0.1:8000"
# The specs the server serves: every kit's and the admin API's.
CHECKER = ResponseChecker(Catalog({**spec_files(default_kits()), AdminApi.name: AdminApi.spec_file}))


def assert_conforms(provider: str, method: str, path: str, response: httpx.Response) -> None:
    """The status, headers and body are what the provider's spec allows for this operation."""
    path = path.removeprefix(f"/{provider}").split("?")[0]
    headers = dict(response.headers)
    answer = WireResponse(response.status_code, response.content, headers, headers.get("content-type", JSON))
    violation = CHECKER.violation(provider, method, path, dict(response.request.headers), answer)
    assert violation is None, f"{method} {path} -> {response.status_code}: {violation}"


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
