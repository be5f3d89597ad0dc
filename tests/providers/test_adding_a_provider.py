"""A sixth provider is filling in a template: docs/adding-a-provider.md, done inside this test.

"Parcelo", a made-up carrier, has one operation (`POST /shipments/parcels`), one record kind
(parcels) and its own error format (`{"problem": {"kind", "detail", "fields"}}`). It is built
here from the template's parts only — a spec, `Records`, an `ErrorFormat`, an auth function,
a seed, handlers, one `transition`, one scheduled change and a `ModuleKit` — and served by an
unchanged returnkit next to the five bundled providers.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, TypedDict

import httpx
import pytest

from returnkit.core.records import Records
from returnkit.core.store import Scheduled
from returnkit.providers import default_kits
from returnkit.providers.kit import Handler, ModuleKit, ParameterError, Principal, Refusal, Request, Transition, World
from returnkit.providers.wire import WireResponse, dotted
from returnkit.server.app import ServerOptions, create_app
from returnkit.testing.transport import ReturnkitTransport
from returnkit.validation import Catalog, Verdict

SPEC = """\
openapi: 3.1.0
info: {title: Parcelo, version: "1"}
security: [{Key: []}]
paths:
  /shipments/parcels:
    post:
      operationId: createParcel
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [order, weight_grams]
              additionalProperties: false
              properties:
                order: {type: string, minLength: 1}
                weight_grams: {type: integer, minimum: 1, maximum: 30000}
      responses:
        "201":
          description: the parcel, accepted
          content:
            application/json:
              schema:
                type: object
                required: [id, order, weight_grams, status]
                properties:
                  id: {type: string}
                  order: {type: string}
                  weight_grams: {type: integer}
                  status: {type: string, enum: [accepted, collected]}
        default:
          description: a problem
          content:
            application/json:
              schema:
                type: object
                required: [problem]
                properties:
                  problem:
                    type: object
                    required: [kind, detail]
                    properties:
                      kind: {type: string}
                      detail: {type: string}
                      fields: {type: array, items: {type: string}}
components:
  securitySchemes:
    Key: {type: apiKey, in: header, name: X-Parcelo-Key}
"""
KEY = "pk_test_acme"
COLLECTED_AFTER_SECONDS = 3600


# records.py — the record kind, declared once
class Parcel(TypedDict):
    id: str
    order: str
    weight_grams: int
    status: str
    owner: str


PARCELS: Records[Parcel] = Records("parcelo", "parcel")


# errors.py — the provider's own format, and nothing else
def problem(status: int, kind: str, detail: str, fields: list[str] | None = None) -> WireResponse:
    return WireResponse(status, {"problem": {"kind": kind, "detail": detail, "fields": fields or []}})


class ParceloErrors:
    def invalid(self, verdict: Verdict) -> WireResponse:
        return problem(400, "invalid", "the parcel does not match the schema", [dotted(e) for e in verdict.errors])

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        return problem(400, "invalid", error.message, [error.name])

    def unauthorized(self, reason: str) -> WireResponse:
        return problem(401, "unauthorized", reason)

    def not_found(self, reason: str) -> WireResponse:
        return problem(404, "not-found", reason)

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return problem(405, "method", f"use {', '.join(allowed)}")

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return problem(415, "media-type", f"not {media_type}")

    def too_large(self, limit: int) -> WireResponse:
        return problem(413, "too-large", f"over {limit} bytes")

    def rate_limited(self, retry_after: int) -> WireResponse:
        return problem(429, "slow-down", f"retry in {retry_after} s")

    def server_error(self, status: int, reason: str) -> WireResponse:
        return problem(status, "server", reason)

    def refused(self, refusal: Refusal) -> WireResponse:
        return problem(refusal.status, refusal.code, refusal.message)


# auth.py
class ParceloAuth:
    @staticmethod
    def authenticate(request: Request, _world: World) -> Principal | str:
        key = request.headers.get("x-parcelo-key", "")
        return Principal("acme", key) if key == KEY else "send X-Parcelo-Key"


# world.py — seeding (this provider starts empty) and what GET /__admin/world shows
class ParceloWorld:
    @staticmethod
    def seed(_world: World) -> None:
        return None  # it starts empty; a bundled provider seeds from mocks/<name>.yaml and the seed

    @staticmethod
    def add_orders(_world: World, _owner: str | None, _count: int) -> tuple[str, list[str]]:
        raise LookupError("Parcelo has no orders")  # never called: the kit declares add_orders None

    @staticmethod
    def describe(world: World) -> dict[str, Any]:
        return {"auth": "X-Parcelo-Key", "parcels": [PARCELS.public(p) for p in PARCELS.by_owner(world, "acme")]}


# behaviour.py — the one transition, and the change the clock makes
COLLECT = "collect"


def transition(world: World, parcel: Parcel, status: str) -> Parcel:
    return PARCELS.put(world, parcel["id"], {**parcel, "status": status}, owner=parcel["owner"])


def collect(world: World, due: Scheduled) -> None:
    parcel = PARCELS.get(world, due.key)
    if parcel is not None:
        transition(world, parcel, "collected")


# handlers.py
def create_parcel(request: Request, world: World) -> WireResponse:
    if any(p["order"] == request.payload["order"] for p in PARCELS.by_owner(world, request.owner)):
        raise Refusal(409, "duplicate", f"order {request.payload['order']} already has a parcel")
    number = world.store.next_number("parcelo.parcel")
    payload = request.payload
    parcel: Parcel = {
        "id": f"P{number:05d}",
        "order": payload["order"],
        "weight_grams": payload["weight_grams"],
        "status": "accepted",
        "owner": request.owner,
    }
    stored = transition(world, parcel, "accepted")
    PARCELS.schedule(world, parcel["id"], COLLECT, world.now() + COLLECTED_AFTER_SECONDS)
    return WireResponse(201, PARCELS.public(stored))


# __init__.py — the kit
def parcelo_kit(spec_file: Path) -> ModuleKit:
    class Parcelo(ModuleKit):
        name = "parcelo"
        path_prefixes = ("/shipments/",)
        errors = ParceloErrors()
        handlers: Mapping[str, Handler] = {"createParcel": create_parcel}
        transitions: Mapping[str, Transition] = {COLLECT: collect}
        world_module = ParceloWorld()
        auth_module = ParceloAuth()

        @property
        def add_orders(self) -> None:
            return None

    Parcelo.spec_file = str(spec_file)
    return Parcelo()


@pytest.fixture
def spec_file(tmp_path: Path) -> Path:
    path = tmp_path / "parcelo.yaml"
    path.write_text(SPEC)
    return path


@pytest.fixture
def client(spec_file: Path) -> Iterator[httpx.Client]:
    app = create_app(ServerOptions(clock_mode="frozen"), kits=[*default_kits(), parcelo_kit(spec_file)])
    with httpx.Client(transport=ReturnkitTransport(app), base_url="http://returnkit") as client:
        yield client


def send(client: httpx.Client, body: Any, key: str = KEY) -> httpx.Response:
    return client.post("/shipments/parcels", json=body, headers={"X-Parcelo-Key": key})


def test_the_new_provider_is_served_beside_the_five_and_its_clock_moves_its_records(client: httpx.Client) -> None:
    answer = send(client, {"order": "A-1", "weight_grams": 1200})
    assert answer.status_code == 201
    assert answer.json() == {"id": "P00001", "order": "A-1", "weight_grams": 1200, "status": "accepted"}
    client.post("/__admin/clock/advance", json={"seconds": COLLECTED_AFTER_SECONDS})
    world = client.get("/__admin/world").json()["providers"]
    assert world["parcelo"]["parcels"] == [{**answer.json(), "status": "collected"}]
    assert set(world) == {"aboutyou", "zinc", "rye", "kibo-commerce", "kibo-oms", "parcelo"}
    assert client.get("/returns", headers={"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}).status_code == 200


def test_it_refuses_in_its_own_format_what_validate_payloads_engine_refuses(
    client: httpx.Client, spec_file: Path
) -> None:
    body = {"order": "", "weight_grams": 0, "colour": "red"}
    verdict = Catalog({"parcelo": str(spec_file)}).validate("parcelo", "createParcel", body)
    assert not verdict.valid
    assert sorted(e.json_path for e in verdict.errors) == ["$.colour", "$.order", "$.weight_grams"]
    answer = send(client, body)
    assert answer.status_code == 400
    assert answer.json() == ParceloErrors().invalid(verdict).body


def test_its_business_refusals_and_401s_are_in_its_own_format_and_change_nothing(client: httpx.Client) -> None:
    assert send(client, {"order": "A-1", "weight_grams": 10}).status_code == 201
    again = send(client, {"order": "A-1", "weight_grams": 20})
    assert (again.status_code, again.json()["problem"]["kind"]) == (409, "duplicate")
    stranger = send(client, {"order": "A-2", "weight_grams": 20}, key="pk_wrong")
    assert stranger.status_code == 401
    assert stranger.json() == {"problem": {"kind": "unauthorized", "detail": "send X-Parcelo-Key", "fields": []}}
    assert send(client, {"order": "A-2", "weight_grams": 20}).json()["id"] == "P00002"  # the refusals used no id
