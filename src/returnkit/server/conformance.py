"""`--check-responses`: every response the server sends is checked against the provider's spec.

openapi-core is the oracle (a separate implementation from returnkit's own request engine);
a violation is journaled with the exchange and never changes the answer.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from openapi_core import Config, OpenAPI
from openapi_core.deserializing.media_types.util import json_loads
from openapi_core.testing import MockRequest, MockResponse

from returnkit.core.jsonbytes import dumps
from returnkit.providers.wire import WireResponse
from returnkit.validation import Catalog

HOST = "http://127.0.0.1:8000"
# openapi-core reads only a few JSON media types as JSON; the specs use these too.
JSON_MEDIA_TYPES: dict[str, Callable[[bytes], Any]] = {"application/graphql-response+json": json_loads}


def oracle_for(document: dict[str, Any]) -> OpenAPI:
    """openapi-core over one spec, reading every JSON media type the specs declare as JSON."""
    return OpenAPI.from_dict(document, config=Config(extra_media_type_deserializers=JSON_MEDIA_TYPES))


class ResponseChecker:
    def __init__(self, catalog: Catalog) -> None:
        self.catalog = catalog
        self._oracles: dict[str, OpenAPI] = {}

    def violation(
        self, provider: str, method: str, path: str, headers: dict[str, str], answer: WireResponse
    ) -> str | None:
        """Why the answer does not conform to the provider's spec, or None."""
        problem = self.problem(provider, method, path, headers, answer)
        return None if problem is None else f"{type(problem).__name__}: {problem}"[:2000]

    def problem(
        self, provider: str, method: str, path: str, headers: dict[str, str], answer: WireResponse
    ) -> Exception | None:
        """openapi-core's exception for an answer that does not conform to the provider's spec, or None."""
        request = MockRequest(HOST, method.lower(), path, headers=headers)
        body = answer.body if isinstance(answer.body, bytes) else dumps(answer.body)
        response = MockResponse(
            body, status_code=answer.status, headers=dict(answer.headers), content_type=answer.media_type
        )
        try:
            self._oracle(provider).validate_response(request, response)
        except Exception as problem:  # openapi-core reports every kind of mismatch as an exception
            return problem
        return None

    def _oracle(self, provider: str) -> OpenAPI:
        if provider not in self._oracles:
            document: dict[str, Any] = dict(self.catalog.spec(provider).document)
            self._oracles[provider] = oracle_for(document)
        return self._oracles[provider]
