"""Schemathesis's GraphQL support drives Rye's endpoint in process: every query and mutation of the
SDL, with generated arguments and selections (some deliberately invalid). returnkit answers each
with a GraphQL body, never a 5xx, and reports only document errors, never a resolver failure.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import schemathesis
from hypothesis import settings

from returnkit.server.app import ServerOptions, create_app

AUTH = {"Authorization": "Basic rye_test_lumen_2d7f91ac"}
# CI runs a short fixed budget; `make fuzz` a long one (RETURNKIT_FUZZ_EXAMPLES=300).
EXAMPLES = int(os.environ.get("RETURNKIT_FUZZ_EXAMPLES", "15"))
APP = create_app(ServerOptions(clock_mode="frozen"))
with warnings.catch_warnings():
    warnings.simplefilter("ignore", DeprecationWarning)
    SCHEMA = schemathesis.graphql.from_asgi("/v1/query", APP, headers=AUTH)


@SCHEMA.parametrize()
@settings(max_examples=EXAMPLES)
def test_every_generated_graphql_request_gets_a_graphql_answer(case: Any) -> None:
    APP.returnkit.clock.advance(1)  # one request a second: well inside Rye's 100 per second
    response = case.call(headers=AUTH)
    assert response.status_code == 200, response.text  # GraphQL-over-HTTP under application/json
    body = response.json()
    assert set(body) <= {"data", "errors"}
    assert "data" in body
    for error in body.get("errors") or []:  # only documents that break the SDL, never a resolver failure
        assert "Cannot return null" not in error["message"], error
        assert "locations" in error, error
