"""Schemathesis drives every operation of every REST provider in process, with generated (and
deliberately broken) requests: no 5xx, and every response conforms to the provider's spec.
"""

from __future__ import annotations

import os
import warnings
from typing import Any

import pytest
import schemathesis
from hypothesis import settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.specs.openapi.schemas import OpenApiSchema

from returnkit.server.app import ServerOptions, create_app
from returnkit.spec import load_provider
from tests.http import serving

CHECKS = (
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
)
# CI runs a short fixed budget; `make fuzz` a long one (RETURNKIT_FUZZ_EXAMPLES=300).
EXAMPLES = int(os.environ.get("RETURNKIT_FUZZ_EXAMPLES", "15"))
APP = create_app(ServerOptions(clock_mode="frozen"))
KIBO_APP = {"client_id": "northwind.returnkit.1.0.0.Release", "client_secret": "kibo_secret_northwind_3c9e71"}
STATIC_AUTH = {
    "aboutyou": {"X-API-Key": "ay_sandbox_nordlicht_7f3a9c21"},
    "zinc": {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"},
    "kibo-oms": {"API-Key": "oms_key_summit_61b0c2"},
}


def kibo_token() -> dict[str, str]:
    with serving(APP) as client:
        token = client.post("/api/platform/applications/authtickets/oauth", json=KIBO_APP).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def provider_schema(provider: str) -> OpenApiSchema:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        schema = schemathesis.openapi.from_dict(dict(load_provider(provider).document))
    schema.app = APP
    return schema


AUTH = {**STATIC_AUTH, "kibo-commerce": kibo_token()}
ABOUTYOU, ZINC, KIBO, OMS = (provider_schema(p) for p in ("aboutyou", "zinc", "kibo-commerce", "kibo-oms"))


def run(case: Any, provider: str) -> None:
    case.call_and_validate(headers=AUTH[provider], checks=CHECKS)


@ABOUTYOU.parametrize()
@settings(max_examples=EXAMPLES)
def test_every_generated_aboutyou_request_gets_a_conforming_answer_never_a_5xx(case: Any) -> None:
    run(case, "aboutyou")


@ZINC.parametrize()
@settings(max_examples=EXAMPLES)
def test_every_generated_zinc_request_gets_a_conforming_answer_never_a_5xx(case: Any) -> None:
    run(case, "zinc")


@KIBO.parametrize()
@settings(max_examples=EXAMPLES)
def test_every_generated_kibo_commerce_request_gets_a_conforming_answer_never_a_5xx(case: Any) -> None:
    run(case, "kibo-commerce")


@OMS.parametrize()
@settings(max_examples=EXAMPLES)
def test_every_generated_kibo_oms_request_gets_a_conforming_answer_never_a_5xx(case: Any) -> None:
    run(case, "kibo-oms")


pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
