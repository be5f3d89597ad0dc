"""A spec's top-level `webhooks` become `webhook:<event>` operations: validated like any payload, never routed.

No bundled spec declares webhooks yet, so these tests write small specs of their own.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pytest
import yaml

from returnkit.cli.validate_payload import main
from returnkit.server.bridge import combined_routing_view, routing_view
from returnkit.spec import load_provider
from returnkit.validation import Catalog

PAYLOAD_SCHEMA = {
    "type": "object",
    "required": ["event", "return_id"],
    "additionalProperties": False,
    "properties": {"event": {"const": "return.created"}, "return_id": {"type": "string", "minLength": 1}},
}
CREATED = {"event": "return.created", "return_id": "r_1"}


def spec_document(**extra: Any) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "info": {"title": "Fake", "version": "1"},
        "paths": {
            "/returns": {
                "post": {
                    "operationId": "createReturn",
                    "requestBody": {"content": {"application/json": {"schema": {"type": "object"}}}},
                    "responses": {"201": {"description": "created"}},
                }
            }
        },
        "webhooks": {
            "return.created": {
                "post": {
                    "operationId": "returnCreated",
                    "x-returnkit-inferred": "test",
                    "parameters": [
                        {"$ref": "#/components/parameters/Signature"},
                        {
                            "name": "X-Webhook-Event",
                            "in": "header",
                            "required": True,
                            "schema": {"const": "return.created"},
                        },
                        {"name": "attempt", "in": "query", "schema": {"type": "integer"}},
                    ],
                    "requestBody": {
                        "required": True,
                        "content": {
                            "application/json": {
                                "schema": {"$ref": "#/components/schemas/ReturnCreated"},
                                "example": CREATED,
                            }
                        },
                    },
                    "responses": {"2XX": {"description": "received"}},
                }
            },
            "return.approved": {
                "post": {
                    "requestBody": {
                        "content": {"application/json": {"schema": {"type": "object", "required": ["label_url"]}}}
                    },
                    "responses": {"2XX": {"description": "received"}},
                }
            },
        },
        "components": {
            "schemas": {"ReturnCreated": PAYLOAD_SCHEMA},
            "parameters": {
                "Signature": {
                    "name": "X-Webhook-Signature",
                    "in": "header",
                    "required": True,
                    "schema": {"type": "string"},
                }
            },
        },
        **extra,
    }


def write(tmp_path: Path, document: dict[str, Any], name: str = "fake.yaml") -> str:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return str(path)


@pytest.fixture
def catalog(tmp_path: Path) -> Catalog:
    return Catalog({"fake": write(tmp_path, spec_document())})


def test_each_event_is_a_webhook_operation_listed_apart(catalog: Catalog) -> None:
    spec = catalog.spec("fake")
    assert [op.operation_id for op in spec.operations] == ["createReturn"]
    assert [op.operation_id for op in spec.webhooks] == ["webhook:return.created", "webhook:return.approved"]
    created = spec.operation("webhook:return.created")
    assert (created.kind, created.method, created.path) == ("webhook", "POST", "return.created")
    assert created.aliases == ("returnCreated",)  # the spec's own operationId still names it
    assert spec.operation("returnCreated") is created
    assert created.request_example == CREATED
    assert created.request_body_required
    assert created.extensions == {"x-returnkit-inferred": "test"}
    assert [p["name"] for p in created.header_parameters] == ["X-Webhook-Signature", "X-Webhook-Event"]


def test_payloads_are_validated_with_the_same_engine(catalog: Catalog) -> None:
    assert catalog.validate("fake", "webhook:return.created", CREATED).valid
    verdict = catalog.validate("fake", "returnCreated", {"event": "return.created", "return_id": "", "x": 1})
    assert not verdict.valid
    assert {error.json_path for error in verdict.errors} == {"$.return_id", "$.x"}
    assert not catalog.validate("fake", "webhook:return.approved", {}).valid


def test_an_unknown_event_is_an_unknown_operation(catalog: Catalog) -> None:
    with pytest.raises(LookupError, match=r"webhook:return\.created"):  # the message lists what exists
        catalog.validator("fake", "webhook:return.create")


def test_graphql_providers_validate_webhooks_with_json_schema(tmp_path: Path) -> None:
    sdl = tmp_path / "fake.graphql"
    sdl.write_text("type Query { ping: String }\n", encoding="utf-8")
    document = spec_document(**{"x-returnkit-graphql": {"schema": str(sdl), "operations": [{"name": "ping"}]}})
    catalog = Catalog({"fake-graphql": write(tmp_path, document)})
    assert catalog.validate("fake-graphql", "webhook:return.created", CREATED).valid
    assert not catalog.validate("fake-graphql", "webhook:return.created", {"event": "x"}).valid
    assert type(catalog.validator("fake-graphql", "ping")).__name__ == "GraphQLValidator"


def test_webhook_keys_are_read_as_spelt_even_where_requests_fold_case(tmp_path: Path) -> None:
    document = spec_document(**{"x-returnkit-json-keys": "case-insensitive"})
    catalog = Catalog({"fake-kibo": write(tmp_path, document)})
    assert catalog.validate("fake-kibo", "webhook:return.created", CREATED).valid
    assert not catalog.validate(
        "fake-kibo", "webhook:return.created", {"Event": "return.created", "Return_Id": "r"}
    ).valid


def test_the_routing_view_leaves_webhooks_out(tmp_path: Path) -> None:
    document = load_provider("fake", write(tmp_path, spec_document())).document
    view = routing_view(document, "fake:")
    assert "webhooks" not in view
    assert list(view["paths"]) == ["/returns"]
    assert [op["operationId"] for item in view["paths"].values() for op in item.values()] == ["fake:createReturn"]
    assert "webhooks" not in combined_routing_view({"fake": document}, ":")


def run(catalog: Catalog, *argv: str, stdin: bytes = b"") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(argv), io.BytesIO(stdin), out, err, catalog=catalog)
    return code, out.getvalue(), err.getvalue()


def test_validate_payload_takes_webhook_operations(catalog: Catalog, tmp_path: Path) -> None:
    fixture = tmp_path / "created.json"
    fixture.write_text('{"event": "return.created", "return_id": "r_1"}', encoding="utf-8")
    assert run(catalog, "fake", "webhook:return.created", str(fixture))[0] == 0
    code, out, _ = run(catalog, "fake", "webhook:return.created", stdin=b'{"event": "return.created"}')
    assert code == 1
    assert "return_id" in out
    code, _, err = run(catalog, "fake", "webhook:nope", stdin=b"{}")
    assert code == 2
    assert "webhook:return.created" in err


def test_list_shows_the_webhooks_after_the_operations(catalog: Catalog) -> None:
    code, out, _ = run(catalog, "--list", "fake")
    assert code == 0
    lines = [line.split() for line in out.splitlines()]
    assert lines == [
        ["fake"],
        ["createReturn", "POST", "/returns"],
        ["webhook:return.created", "POST", "(webhook:", "sent", "to", "the", "subscriber's", "URL)"],
        ["aliases:", "returnCreated"],
        ["webhook:return.approved", "POST", "(webhook:", "sent", "to", "the", "subscriber's", "URL)"],
    ]


def test_every_bundled_webhook_is_named_webhook_event_and_kept_out_of_the_served_operations() -> None:
    catalog = Catalog()
    for provider in catalog.providers:
        spec = catalog.spec(provider)
        assert [op.operation_id for op in spec.webhooks] == [
            f"webhook:{event}" for event in spec.document.get("webhooks", {})
        ]
        assert all(op.kind != "webhook" for op in spec.operations)
