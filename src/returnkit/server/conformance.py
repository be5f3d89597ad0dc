"""`--check-responses`: every response the server sends is checked against the provider's spec.

openapi-core is the oracle (a separate implementation from returnkit's own request engine);
a violation is journaled with the exchange and never changes the answer.
"""

from __future__ import annotations

from typing import Any

from openapi_core import OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from returnkit.core.jsonbytes import dumps
from returnkit.providers.wire import WireResponse
from returnkit.validation import Catalog

HOST = "http://127.0.0.1:8000"


class ResponseChecker:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._oracles: dict[str, OpenAPI] = {}

    def violation(
        self, provider: str, method: str, path: str, headers: dict[str, str], answer: WireResponse
    ) -> str | None:
        """Why the answer does not conform to the provider's spec, or None."""
        request = MockRequest(HOST, method.lower(), path, headers=headers)
        body = answer.body if isinstance(answer.body, bytes) else dumps(answer.body)
        response = MockResponse(
            body, status_code=answer.status, headers=dict(answer.headers), content_type=answer.media_type
        )
        try:
            self._oracle(provider).validate_response(request, response)
        except Exception as problem:  # openapi-core reports every kind of mismatch as an exception
            return f"{type(problem).__name__}: {problem}"[:2000]
        return None

    def _oracle(self, provider: str) -> OpenAPI:
        if provider not in self._oracles:
            document: dict[str, Any] = dict(self.catalog.spec(provider).document)
            self._oracles[provider] = OpenAPI.from_dict(document)
        return self._oracles[provider]
