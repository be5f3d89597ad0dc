"""Zinc's Create Return Request page (source 004), fact by fact, through validate-payload and the mock.

The page embeds Zinc's own OpenAPI fragment; its facts are restated here as data (never read from
the source file) and each is held twice: by `validate-payload` and by the mock over HTTP. Bounds
are data-driven: at the documented bound a payload is accepted, beyond it refused. Each test
names the facts of specs/facts/zinc.md it holds.
"""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import orjson
import pytest

from returnkit.cli.validate_payload import main as validate_payload
from returnkit.spec import load_provider
from returnkit.validation import validate
from tests.conftest import VALID_CREATE
from tests.http import CheckedClient, TestClient

ACME = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
REASONS = [
    "damaged",
    "not_delivered",
    "empty_box",
    "wrong_item",
    "defective",
    "not_as_described",
    "wrong_size",
    "no_longer_needed",
    "forced_cancellation",
    "other",
]
Body = dict[str, Any]
Change = Callable[[Body], None]


@pytest.fixture
def zinc(http: TestClient) -> CheckedClient:
    return CheckedClient(http, "zinc", ACME)


def cli(payload: Any, *extra: str) -> tuple[int, str]:
    out, err = io.StringIO(), io.StringIO()
    data = payload if isinstance(payload, bytes) else orjson.dumps(payload)
    status = validate_payload(["zinc", "create-return", *extra], stdin=io.BytesIO(data), stdout=out, stderr=err)
    return status, out.getvalue()


def placed(http: TestClient, zinc: CheckedClient, count: int = 1) -> list[Body]:
    assert http.post("/__admin/world/orders", json={"provider": "zinc", "count": count}).status_code == 201
    orders: list[Body] = zinc.get("/orders", params={"status_filter": "order_placed", "limit": 500}).json()["orders"]
    return orders


def body_for(order: Body, **fields: Any) -> Body:
    item = order["items"][0]
    return {
        "order_id": order["id"],
        "items": [{"order_item_id": item["id"], "quantity": 1}],
        "reason": "damaged",
        **fields,
    }


def setter(path: tuple[Any, ...], value: Any) -> Change:
    def change(body: Body) -> None:
        node: Any = body
        for step in path[:-1]:
            node = node[step]
        node[path[-1]] = value

    return change


def remover(path: tuple[Any, ...]) -> Change:
    def change(body: Body) -> None:
        node: Any = body
        for step in path[:-1]:
            node = node[step]
        del node[path[-1]]

    return change


def as_built(_body: Body) -> None:
    """No change: the body already holds one item."""


# (fact, change at the documented bound, change beyond it, the pydantic type FastAPI answers beyond)
BOUNDS: list[tuple[str, Change, Change, str]] = [
    (
        "Z-REQ-9 quantity minimum 1",
        setter(("items", 0, "quantity"), 1),
        setter(("items", 0, "quantity"), 0),
        "greater_than_equal",
    ),
    (
        "Z-REQ-9 quantity maximum 100",
        setter(("items", 0, "quantity"), 100),
        setter(("items", 0, "quantity"), 101),
        "less_than_equal",
    ),
    (
        "Z-REQ-11 notes maxLength 2000",
        setter(("notes",), "n" * 2000),
        setter(("notes",), "n" * 2001),
        "string_too_long",
    ),
    ("Z-REQ-5 items minItems 1", as_built, setter(("items",), []), "too_short"),
    ("Z-REQ-11 notes may be null", setter(("notes",), None), setter(("notes",), 7), "string_type"),
]


@pytest.mark.parametrize("case", BOUNDS, ids=[b[0] for b in BOUNDS])
def test_documented_bounds_accept_at_the_bound_and_refuse_beyond_in_validate_payload_and_the_mock(
    http: TestClient, zinc: CheckedClient, case: tuple[str, Change, Change, str]
) -> None:
    fact, at_bound, beyond, kind = case
    order = placed(http, zinc)[0]
    accepted, refused = body_for(order), body_for(order)
    at_bound(accepted)
    beyond(refused)
    assert cli(accepted)[0] == 0, fact
    assert cli(refused)[0] == 1, fact
    answer = zinc.post("/returns", json=accepted)
    assert answer.status_code != 422, (fact, answer.text)  # 201, or 409 when the order holds fewer than 100
    refusal = zinc.post("/returns", json=refused)
    assert refusal.status_code == 422, fact
    assert refusal.json() == orjson.loads(cli(refused, "--format", "provider")[1])
    assert kind in {entry["type"] for entry in refusal.json()["detail"]}


REQUIRED = [
    ("Z-REQ-1 order_id", ("order_id",)),
    ("Z-REQ-4 items", ("items",)),
    ("Z-REQ-12 reason", ("reason",)),
    ("Z-REQ-7 items[].order_item_id", ("items", 0, "order_item_id")),
    ("Z-REQ-8 items[].quantity", ("items", 0, "quantity")),
]


@pytest.mark.parametrize(("fact", "path"), REQUIRED, ids=[r[0] for r in REQUIRED])
def test_each_documented_required_field_left_out_is_fastapis_missing(
    http: TestClient, zinc: CheckedClient, fact: str, path: tuple[Any, ...]
) -> None:
    body = body_for(placed(http, zinc)[0])
    remover(path)(body)
    assert cli(body)[0] == 1, fact
    response = zinc.post("/returns", json=body)
    assert response.status_code == 422
    assert {"type": "missing", "loc": ["body", *path], "msg": "Field required"}.items() <= response.json()["detail"][
        0
    ].items()


@pytest.mark.parametrize("path", [("order_id",), ("items", 0, "order_item_id")])
def test_documented_uuid_fields_refuse_anything_else(
    http: TestClient, zinc: CheckedClient, path: tuple[Any, ...]
) -> None:
    """Facts Z-REQ-2, Z-REQ-7: format uuid."""
    body = body_for(placed(http, zinc)[0])
    setter(path, "8c2d…")(body)
    assert cli(body)[0] == 1
    response = zinc.post("/returns", json=body)
    assert (response.status_code, response.json()["detail"][0]["loc"]) == (422, ["body", *path])
    assert response.json()["detail"][0]["type"] == "uuid_parsing"


@pytest.mark.parametrize("reason", REASONS)
def test_every_documented_reason_files_a_return_and_no_other_does(
    http: TestClient, zinc: CheckedClient, reason: str
) -> None:
    """Facts Z-REQ-12, Z-REQ-13 (the Reasons table), Z-BEH-4 (`other` needs no notes)."""
    order = placed(http, zinc)[0]
    body = body_for(order, reason=reason)
    assert cli(body) == (0, "<stdin>: valid\n")
    created = zinc.post("/returns", json=body)
    assert (created.status_code, created.json()["reason"]) == (201, reason)
    misspelled = body_for(order, reason=reason.upper())
    assert cli(misspelled)[0] == 1
    assert zinc.post("/returns", json=misspelled).json()["detail"][0]["type"] == "enum"


def test_the_documented_example_request_as_printed_is_refused_for_its_elided_ids(zinc: CheckedClient) -> None:
    """Fact Z-EX-1: the page's example elides its UUIDs ("8c2d…"): FastAPI would refuse both ids."""
    example = {
        "order_id": "8c2d…",
        "items": [{"order_item_id": "a1b2…", "quantity": 1}],
        "reason": "damaged",
        "notes": "Arrived with crushed corner.",
    }
    status, printed = cli(example, "--format", "provider")
    response = zinc.post("/returns", json=example)
    assert status == 1
    assert (response.status_code, response.json()) == (422, orjson.loads(printed))
    assert [entry["loc"] for entry in response.json()["detail"]] == [
        ["body", "order_id"],
        ["body", "items", 0, "order_item_id"],
    ]


def test_the_documented_example_with_real_ids_gets_the_documented_answer(http: TestClient, zinc: CheckedClient) -> None:
    """Facts Z-EX-2, Z-RES-1..13: 201 Successful Response, `open` and an empty `label_urls`, every documented field."""
    order = placed(http, zinc)[0]
    body = body_for(order, notes="Arrived with crushed corner.")
    assert cli(body)[0] == 0
    response = zinc.post("/returns", json=body)
    assert response.status_code == 201
    created = response.json()
    assert {"id", "order_id", "status", "reason", "notes", "created_at", "updated_at"} <= set(created)
    uuid.UUID(created["id"])
    datetime.fromisoformat(created["created_at"])
    datetime.fromisoformat(created["updated_at"])
    documented = {
        "order_id": order["id"],
        "status": "open",
        "reason": "damaged",
        "notes": "Arrived with crushed corner.",
        "resolution_notes": None,
        "items": body["items"],
        "label_urls": [],
        "merchant_return_id": None,
    }
    assert {key: created[key] for key in documented} == documented


def test_a_validation_error_has_the_documented_shape(zinc: CheckedClient) -> None:
    """Facts Z-RES-14..16: 422 HTTPValidationError, `detail[]` of ValidationError {loc, msg, type}."""
    response = zinc.post("/returns", json={})
    assert response.status_code == 422
    for entry in response.json()["detail"]:
        assert isinstance(entry["msg"], str)
        assert isinstance(entry["type"], str)
        assert all(isinstance(step, str | int) for step in entry["loc"])


def test_the_return_is_resolved_asynchronously_and_reads_show_it(http: TestClient, zinc: CheckedClient) -> None:
    """Facts Z-BEH-1, Z-BEH-2, Z-RES-5: reviewed later; reads show the current status and labels."""
    created = zinc.post("/returns", json=body_for(placed(http, zinc)[0])).json()
    assert zinc.get(f"/returns/{created['id']}").json()["status"] == "open"
    assert http.post("/__admin/clock/advance", json={"seconds": 120}).status_code == 200
    resolved = zinc.get(f"/returns/{created['id']}").json()
    assert resolved["status"] in {"approved", "denied"}
    assert bool(resolved["label_urls"]) == (resolved["status"] == "approved")


@pytest.mark.parametrize(
    ("headers", "status"),
    [({}, 401), ({"Authorization": "zn_test_acme_5d2f8a91c4e7"}, 401), (ACME, 201)],
)
def test_the_key_goes_in_the_authorization_header_as_bearer_zn(
    http: TestClient, zinc: CheckedClient, headers: dict[str, str], status: int
) -> None:
    """Facts Z-AUTH-1..3: apiKey in the Authorization header, sent as `Bearer zn_...`."""
    body = body_for(placed(http, zinc)[0])
    assert zinc.as_(headers).post("/returns", json=body).status_code == status


def test_the_order_must_belong_to_the_caller_and_be_placed(http: TestClient, zinc: CheckedClient) -> None:
    """Facts Z-REQ-3 (inferred codes): another account's order is 404, an order not placed is 409."""
    mine = placed(http, zinc)[0]
    other = zinc.as_({"Authorization": "Bearer zn_test_bluebird_9a6c3e07b1d4"}).post("/returns", json=body_for(mine))
    assert other.status_code == 404
    orders = zinc.get("/orders", params={"limit": 500}).json()["orders"]
    shipped = next(o for o in orders if o["status"] != "order_placed")
    refused = zinc.post("/returns", json=body_for(shipped))
    assert (refused.status_code, refused.json()["error"]["code"]) == (409, "return_not_allowed")


# Facts of the page's embedded OpenAPI, as JSON pointers into specs/zinc.yaml.
CREATE = "/paths/~1returns/post"
DOCUMENTED_SPEC = [
    ("Z-OP-1 operationId", f"{CREATE}/operationId", "create_return_request_returns_post"),
    ("Z-OP-2 summary", f"{CREATE}/summary", "Create Return Request"),
    ("Z-OP-3 tags", f"{CREATE}/tags", ["returns"]),
    ("Z-OP-4 body required", f"{CREATE}/requestBody/required", True),
    ("Z-OP-5 server", "/servers/1/url", "https://api.zinc.com"),
    ("Z-OP-6 version", "/info/version", "2026-04-27"),
    ("Z-OP-7 title", "/info/title", "Zinc"),
    ("Z-AUTH-1 scheme type", "/components/securitySchemes/BearerAuth/type", "apiKey"),
    ("Z-AUTH-2 scheme in", "/components/securitySchemes/BearerAuth/in", "header"),
    ("Z-AUTH-3 scheme name", "/components/securitySchemes/BearerAuth/name", "Authorization"),
    ("Z-AUTH-4 global security", "/security", [{"BearerAuth": []}]),
    ("Z-AUTH-5 header parameter", "/components/parameters/Authorization/name", "authorization"),
    ("Z-AUTH-5 header parameter optional", "/components/parameters/Authorization/required", False),
    (
        "Z-AUTH-5 header parameter type",
        "/components/parameters/Authorization/schema/anyOf",
        [{"type": "string"}, {"type": "null"}],
    ),
    ("Z-RES-1 201 description", f"{CREATE}/responses/201/description", None),
    ("Z-RES-10 items default", "/components/schemas/ReturnRequestResponse/properties/items/default", []),
    ("Z-RES-11 label_urls default", "/components/schemas/ReturnRequestResponse/properties/label_urls/default", []),
    (
        "Z-RES-4 required",
        "/components/schemas/ReturnRequestResponse/required",
        ["id", "order_id", "status", "reason", "notes", "created_at", "updated_at"],
    ),
    ("Z-RES-5 statuses", "/components/schemas/ReturnRequestStatus/enum", None),
    ("Z-REQ-13 reasons", "/components/schemas/ReturnRequestReason/enum", REASONS),
    ("Z-REQ-1 create required", "/components/schemas/ReturnRequestCreate/required", ["order_id", "items", "reason"]),
    ("Z-REQ-9 quantity bounds", "/components/schemas/ReturnRequestItem/properties/quantity", None),
    ("Z-REQ-6 items title", "/components/schemas/ReturnRequestCreate/properties/items/title", "Items"),
    ("Z-REQ-10 item type", "/components/schemas/ReturnRequestItem/type", "object"),
    ("Z-REQ-10 item required", "/components/schemas/ReturnRequestItem/required", ["order_item_id", "quantity"]),
    ("Z-REQ-14 reason type", "/components/schemas/ReturnRequestReason/type", "string"),
]


@pytest.mark.parametrize(("fact", "pointer", "documented"), DOCUMENTED_SPEC, ids=[d[0] for d in DOCUMENTED_SPEC])
def test_the_bundled_spec_states_the_documents_own_values(fact: str, pointer: str, documented: Any) -> None:
    found: Any = load_provider("zinc").document
    for step in pointer.split("/")[1:]:
        found = found[int(step)] if isinstance(found, list) else found[step.replace("~1", "/")]
    if fact.startswith("Z-RES-1 "):
        assert found.startswith("Successful Response")
    elif fact.startswith("Z-RES-5"):
        assert {"open", "approved", "denied"} <= set(found)  # the SDK adds `credited`
    elif fact.startswith("Z-REQ-9"):
        assert (found["type"], found["minimum"], found["maximum"]) == ("integer", 1, 100)
    else:
        assert found == documented, fact
    operation = load_provider("zinc").document["paths"]["/returns"]["post"]
    assert {"$ref": "#/components/parameters/Authorization"} in operation["parameters"]


def test_unknown_keys_pass_as_fastapi_ignores_them() -> None:
    """Z-REQ-15: ReturnRequestCreate declares no additionalProperties."""
    assert "additionalProperties" not in load_provider("zinc").document["components"]["schemas"]["ReturnRequestCreate"]
    assert validate("zinc", "create-return", {**VALID_CREATE["zinc"], "gift_message": "thanks"}).valid
