"""A made-up provider, "Pingo", that pushes webhooks: what the dispatcher is tested against.

One operation (`POST /pings`, which creates a ping), one scheduled change (a ping is answered
60 s later) and two events, `ping.created` and `ping.answered`, signed the simplest documented
way a provider signs (hex HMAC-SHA256 of the body in `X-Pingo-Signature`). Its spec declares its
`webhooks` and its retry policy (`x-returnkit-webhooks`) as a bundled provider's does.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from datetime import datetime
from email.utils import format_datetime
from pathlib import Path
from typing import Any

from returnkit.core.outbox import Delivery, Event, Subscription
from returnkit.core.records import Records
from returnkit.core.store import Scheduled
from returnkit.providers.kit import (
    Handler,
    Handshake,
    ModuleKit,
    ParameterError,
    Principal,
    Refusal,
    Request,
    Transition,
    World,
)
from returnkit.providers.wire import WireResponse
from returnkit.validation import Verdict

ANSWERED_AFTER_SECONDS = 60
RETRY_AFTER_SECONDS = (60, 300)  # two retries: three attempts in all
TIMEOUT_SECONDS = 2
KEY = "pingo_key"
SIGNATURE = "X-Pingo-Signature"

SPEC = f"""\
openapi: 3.1.0
info: {{title: Pingo, version: "1"}}
security: [{{Key: []}}]
x-returnkit-webhooks:
  signature: hex-hmac-sha256
  success: {{status: 2xx, timeout_seconds: {TIMEOUT_SECONDS}}}
  retry: {{after_seconds: {list(RETRY_AFTER_SECONDS)}}}
paths:
  /pings:
    post:
      operationId: createPing
      requestBody:
        required: true
        content:
          application/json:
            schema:
              type: object
              required: [text]
              additionalProperties: false
              properties:
                text: {{type: string, minLength: 1}}
      responses:
        "201":
          description: the ping
          content:
            application/json:
              schema: {{type: object}}
webhooks:
  ping.created:
    post:
      operationId: webhook:ping.created
      requestBody:
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/PingEvent"}}
            example: {{event: ping.created, id: 0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10, ping: P1, status: open}}
      responses:
        "2XX": {{description: received}}
  ping.answered:
    post:
      operationId: webhook:ping.answered
      requestBody:
        content:
          application/json:
            schema: {{$ref: "#/components/schemas/PingEvent"}}
      responses:
        "2XX": {{description: received}}
components:
  securitySchemes:
    Key: {{type: apiKey, in: header, name: X-Pingo-Key}}
  schemas:
    PingEvent:
      type: object
      required: [event, id, ping, status]
      additionalProperties: false
      properties:
        event: {{type: string}}
        id: {{type: string}}
        ping: {{type: string}}
        status: {{type: string, enum: [open, answered]}}
"""

PINGS: Records[dict[str, Any]] = Records("pingo", "ping")


def signature(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


class PingoWebhooks:
    events = ("ping.created", "ping.answered")
    signed = True

    def check_subscription(self, world: World, subscription: Subscription) -> str | None:
        return None

    def new_secret(self, world: World, subscription: Subscription, number: int) -> str | None:
        return f"pg_whsec_{world.seed}_{number}"

    def headers(self, subscription: Subscription, delivery: Delivery, sent_at: datetime) -> dict[str, str]:
        assert subscription.secret is not None
        signature = self.sign(subscription.secret, delivery.body)
        date = format_datetime(sent_at, usegmt=True)
        return {"Content-Type": "application/json", "X-Pingo-Event": delivery.event, "Date": date, **signature}

    def sign(self, secret: str, body: bytes, at: datetime | None = None) -> dict[str, str]:
        return {SIGNATURE: signature(secret, body)}

    def verify(
        self, headers: Mapping[str, str], body: bytes, secret: str | None, now: datetime, tolerance: float
    ) -> bool:
        given = {name.lower(): value for name, value in headers.items()}.get(SIGNATURE.lower(), "")
        return secret is not None and hmac.compare_digest(given, signature(secret, body))

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        return None


CHALLENGE = "c0ffee"


def echoed(status: int, body: bytes) -> str | None:
    if 200 <= status < 300 and body == b'{"challenge":"c0ffee"}':
        return None
    return f"the URL answered {status} with {body[:200]!r}; Pingo saves a URL only when it echoes the challenge"


class VerifyingPingoWebhooks(PingoWebhooks):
    """Pingo with a verification request before a URL is saved, as Rye's."""

    def handshake(self, world: World, subscription: Subscription) -> Handshake | None:
        body = b'{"type":"VERIFY","challenge":"c0ffee"}'
        assert subscription.secret is not None
        return Handshake(body, {"Content-Type": "application/json", **self.sign(subscription.secret, body)}, echoed)


class PingoErrors:
    def _problem(self, status: int, message: str) -> WireResponse:
        return WireResponse(status, {"message": message})

    def invalid(self, verdict: Verdict) -> WireResponse:
        return self._problem(400, "invalid")

    def bad_parameter(self, error: ParameterError) -> WireResponse:
        return self._problem(400, error.message)

    def unauthorized(self, reason: str) -> WireResponse:
        return self._problem(401, reason)

    def not_found(self, reason: str) -> WireResponse:
        return self._problem(404, reason)

    def method_not_allowed(self, allowed: list[str]) -> WireResponse:
        return self._problem(405, "method")

    def unsupported_media_type(self, media_type: str) -> WireResponse:
        return self._problem(415, media_type)

    def too_large(self, limit: int) -> WireResponse:
        return self._problem(413, "too large")

    def rate_limited(self, retry_after: int) -> WireResponse:
        return self._problem(429, "slow down")

    def server_error(self, status: int, reason: str) -> WireResponse:
        return self._problem(status, reason)

    def refused(self, refusal: Refusal) -> WireResponse:
        return self._problem(refusal.status, refusal.message)


class PingoAuth:
    @staticmethod
    def authenticate(request: Request, _world: World) -> Principal | str:
        return Principal("acme", KEY) if request.headers.get("x-pingo-key") == KEY else "send X-Pingo-Key"


class PingoWorld:
    @staticmethod
    def seed(_world: World) -> None:
        return None

    @staticmethod
    def add_orders(_world: World, _owner: str | None, _count: int) -> tuple[str, list[str]]:
        raise LookupError("Pingo has no orders")

    @staticmethod
    def describe(world: World) -> dict[str, Any]:
        return {"pings": [PINGS.public(p) for p in PINGS.by_owner(world, "acme")]}


ANSWER = "answer"


def transition(world: World, ping: dict[str, Any], status: str, at: float) -> None:
    changed = {**ping, "status": status}
    PINGS.put(world, ping["id"], changed, owner=ping["owner"])
    event = "ping.created" if status == "open" else "ping.answered"
    payload = {"event": event, "id": "", "ping": ping["id"], "status": status}
    world.emit(Event("pingo", event, ping["owner"], ping["id"], at, lambda c: {**payload, "id": c.event_id}))


def answer(world: World, due: Scheduled) -> None:
    ping = PINGS.get(world, due.key)
    if ping is not None:
        transition(world, ping, "answered", due.due)


def create_ping(request: Request, world: World) -> WireResponse:
    number = world.store.next_number("pingo.ping")
    ping = {"id": f"P{number}", "text": request.payload["text"], "status": "open", "owner": request.owner}
    transition(world, ping, "open", world.now())
    PINGS.schedule(world, ping["id"], ANSWER, world.now() + ANSWERED_AFTER_SECONDS)
    return WireResponse(201, {k: v for k, v in ping.items() if k != "owner"})


def pingo_kit(spec_file: Path, *, verifying: bool = False) -> ModuleKit:
    class Pingo(ModuleKit):
        name = "pingo"
        path_prefixes = ("/pings",)
        errors = PingoErrors()
        handlers: Mapping[str, Handler] = {"createPing": create_ping}
        transitions: Mapping[str, Transition] = {ANSWER: answer}
        webhooks = PingoWebhooks()
        world_module = PingoWorld()
        auth_module = PingoAuth()

        @property
        def add_orders(self) -> None:
            return None

    Pingo.spec_file = str(spec_file)
    if verifying:
        Pingo.webhooks = VerifyingPingoWebhooks()
    return Pingo()
