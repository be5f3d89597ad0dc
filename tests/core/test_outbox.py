"""The outbox core: retry policies from the spec, fan-out at emission, the target allowlist."""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
import pytest

from returnkit.core.clock import VirtualClock
from returnkit.core.outbox import (
    DeliveryContext,
    Event,
    RetryPolicy,
    Subscription,
    find_subscription,
    next_subscription_id,
    subscribe,
    subscriptions,
    target_allowed,
    target_refusal,
    unsubscribe,
)
from returnkit.core.store import SQLiteStore
from returnkit.errors import SpecError
from returnkit.providers.kit import World
from returnkit.spec import PROVIDER_FILES, load_provider

T0 = 1_772_442_000.0  # 2026-03-02T09:00:00Z

KIBO = {"success": {"status": [200], "timeout_seconds": 45}, "retry": {"every_seconds": 60, "until_seconds": 1209600}}
ABOUT_YOU = {"success": {"timeout_seconds": 30}, "retry": {"every_seconds": 3600, "until_seconds": 172800}}
ZINC = {"retry": {"after_seconds": [60, 300, 1800, 7200, 28800, 86400]}}
RYE = {"success": {"status": "2xx"}, "retry": {"none": True}}


def policy(declared: Mapping[str, Any]) -> RetryPolicy:
    found = RetryPolicy.from_spec({"x-returnkit-webhooks": declared})
    assert found is not None
    return found


def world(seed: int = 7) -> World:
    return World(SQLiteStore(), VirtualClock(datetime(2026, 3, 2, 9, tzinfo=UTC)), seed, {})


def event(
    name: str = "return.created", owner: str = "acme", resource: str = "r1", at: float = T0, **extra: Any
) -> Event:
    def build(context: DeliveryContext) -> dict[str, Any]:
        return {"event": name, "id": context.event_id, "to": context.subscription.id, "n": context.number, **extra}

    return Event("zinc", name, owner, resource, at, build)


def sub(world: World, owner: str | None = None, events: tuple[str, ...] | None = None) -> Subscription:
    made = Subscription(next_subscription_id(world.store), "zinc", "http://127.0.0.1:9/hook", owner, events, "s3cret")
    return subscribe(world.store, made)


class TestRetryPolicy:
    def test_kibo_retries_every_minute_for_fourteen_days(self) -> None:
        times = policy(KIBO).schedule(T0)
        assert len(times) == 20_161
        assert times[-1] == T0 + 1_209_600
        assert {later - earlier for earlier, later in itertools.pairwise(times)} == {60.0}

    def test_about_you_retries_hourly_for_two_days(self) -> None:
        times = policy(ABOUT_YOU).schedule(T0)
        assert len(times) == 49
        assert times[-1] == T0 + 172_800

    def test_zinc_retries_after_each_listed_delay(self) -> None:
        times = policy(ZINC).schedule(T0)
        assert [round(t - T0) for t in times] == [0, 60, 360, 2160, 9360, 38160, 124560]

    def test_rye_tries_once(self) -> None:
        assert policy(RYE).schedule(T0) == [T0]
        assert policy(RYE).next_due(T0, 1) is None

    def test_the_schedule_counts_tries_not_time_so_a_fractional_start_keeps_every_attempt(self) -> None:
        assert len(policy(KIBO).schedule(T0 + 0.1)) == 20_161

    def test_success_is_the_listed_statuses_or_any_2xx(self) -> None:
        strict, loose = policy(KIBO), policy(RYE)
        assert strict.succeeded(200)
        assert not strict.succeeded(204)
        assert loose.succeeded(204)
        assert not loose.succeeded(302)
        assert not loose.succeeded(None)  # no answer (a timeout) never counts

    def test_timeout_and_defaults(self) -> None:
        assert policy(KIBO).timeout == 45
        assert policy(ZINC).timeout == 10
        assert policy(ZINC).success is None

    def test_a_spec_without_the_policy_has_none(self) -> None:
        assert RetryPolicy.from_spec({"openapi": "3.1.0"}) is None

    def test_2xx_is_read_in_either_case(self) -> None:
        assert policy({"success": {"status": "2XX"}, "retry": {"none": True}}).success is None

    @pytest.mark.parametrize("provider", list(PROVIDER_FILES))
    def test_every_bundled_policy_reads(self, provider: str) -> None:
        document = load_provider(provider).document
        found = RetryPolicy.from_spec(document)
        assert (found is None) == ("x-returnkit-webhooks" not in document)

    @pytest.mark.parametrize(
        "declared",
        [
            {},
            {"retry": {}},
            {"retry": {"every_seconds": 60}},
            {"retry": {"every_seconds": 0, "until_seconds": 10}},
            {"retry": {"after_seconds": [60, -1]}},
            {"retry": {"none": True}, "success": {"status": ["x"]}},
        ],
    )
    def test_a_malformed_policy_is_a_spec_error(self, declared: Mapping[str, Any]) -> None:
        with pytest.raises(SpecError, match="x-returnkit-webhooks is malformed"):
            RetryPolicy.from_spec({"x-returnkit-webhooks": declared})


class TestEmit:
    def test_without_a_subscriber_nothing_is_built_or_written(self) -> None:
        w = world()

        def build(context: DeliveryContext) -> dict[str, Any]:
            raise AssertionError("built for nobody")

        assert w.emit(Event("zinc", "return.created", "acme", "r1", T0, build)) == 0
        assert w.store.deliveries() == []
        assert w.store.next_number("webhook.event.zinc") == 1  # no sequence was drawn either

    def test_one_delivery_per_matching_subscription_with_a_compact_body_due_at_the_change(self) -> None:
        w = world()
        everyone, acme_only = sub(w), sub(w, owner="acme")
        sub(w, owner="globex")
        sub(w, events=("return.approved",))
        assert w.emit(event(note="héllo")) == 2
        first, second = w.store.deliveries()
        assert (first.subscription, second.subscription) == (everyone.id, acme_only.id)
        assert first.event_id == second.event_id  # one event, several deliveries
        assert first.due == first.occurred == T0
        assert (first.status, first.attempts, first.tries) == ("pending", 0, 0)
        assert first.body == orjson.dumps(orjson.loads(first.body))  # compact: no spaces
        assert orjson.loads(first.body) == {
            "event": "return.created",
            "id": first.event_id,
            "to": everyone.id,
            "n": 1,
            "note": "héllo",
        }
        assert orjson.loads(second.body)["n"] == 2

    def test_event_ids_follow_from_the_seed(self) -> None:
        ids = []
        for _ in range(2):
            w = world(seed=3)
            sub(w)
            w.emit(event())
            ids.append(w.store.deliveries()[0].event_id)
        other = world(seed=4)
        sub(other)
        other.emit(event())
        assert ids[0] == ids[1] != other.store.deliveries()[0].event_id

    def test_a_builder_may_leave_a_subscription_out(self) -> None:
        w = world()
        kept, left_out = sub(w), sub(w)

        def build(context: DeliveryContext) -> dict[str, Any] | None:
            return None if context.subscription.id == left_out.id else {"ok": True}

        assert w.emit(Event("zinc", "return.created", "acme", "r1", T0, build)) == 1
        assert [d.subscription for d in w.store.deliveries()] == [kept.id]

    def test_a_refused_change_emits_nothing(self) -> None:
        w = world()
        sub(w)

        def refused_request() -> None:
            with w.store.transaction():
                w.emit(event())
                raise RuntimeError("refused")  # the handle stage rolls the transaction back

        with pytest.raises(RuntimeError):
            refused_request()
        assert w.store.deliveries() == []

    def test_events_of_one_resource_leave_in_the_order_of_its_changes(self) -> None:
        w = world()
        sub(w)
        for name in ("return.created", "return.approved", "return.credited"):
            w.emit(event(name, at=T0 + 120))  # several changes at one instant
        assert [d.event for d in w.store.due_deliveries(T0 + 120, 10)] == [
            "return.created",
            "return.approved",
            "return.credited",
        ]

    def test_public_url_comes_from_the_world_options(self) -> None:
        w = world()
        assert w.public_url == "http://127.0.0.1:8000"
        w.options["public_url"] = "http://localhost:4010/"
        assert w.public_url == "http://localhost:4010"


class TestSubscriptions:
    def test_kept_as_records_of_the_provider_and_found_by_id(self) -> None:
        w = world()
        made = sub(w, owner="acme", events=("return.created",))
        assert made.id == "wh_1"
        assert subscriptions(w.store, "zinc") == [made]
        assert find_subscription(w.store, ["rye", "zinc"], "wh_1") == made
        assert find_subscription(w.store, ["rye"], "wh_1") is None
        assert Subscription.from_json(made.as_json()) == made

    def test_unsubscribing_cancels_pending_deliveries_only(self) -> None:
        w = world()
        gone, staying = sub(w), sub(w)
        w.emit(event())
        assert unsubscribe(w.store, gone) == 1
        assert subscriptions(w.store, "zinc") == [staying]
        statuses = {d.subscription: (d.status, d.due) for d in w.store.deliveries()}
        assert statuses == {gone.id: ("cancelled", None), staying.id: ("pending", T0)}
        w.emit(event("return.approved"))
        assert {d.subscription for d in w.store.deliveries(status="pending")} == {staying.id}


class TestTargets:
    @pytest.mark.parametrize(
        "url",
        [
            "http://127.0.0.1:8080/hook",
            "http://127.9.9.9/hook",
            "https://localhost/hook",
            "http://LOCALHOST:1/",
            "http://[::1]:9000/hook",
            "asgi://app-1/hooks/zinc",
            "wsgi://app-2/",
        ],
    )
    def test_loopback_and_in_process_targets_are_allowed(self, url: str) -> None:
        assert target_refusal(url) is None
        assert target_allowed(url)

    def test_other_hosts_need_to_be_allowed_by_name(self) -> None:
        url = "https://hooks.example.com/zinc"
        refusal = target_refusal(url)
        assert refusal is not None
        assert "loopback addresses only" in refusal
        assert "--webhook-allow hooks.example.com" in refusal
        assert target_allowed(url, ["Hooks.Example.com"])
        assert not target_allowed("http://10.0.0.1/", ["hooks.example.com"])
        assert not target_allowed("http://localhost.example.com/")  # a name, not the loopback

    @pytest.mark.parametrize("url", ["ftp://127.0.0.1/", "127.0.0.1:8080", "http:///path", ""])
    def test_not_an_http_url(self, url: str) -> None:
        refusal = target_refusal(url, ["127.0.0.1"])
        assert refusal is not None
        assert "http:// or https://" in refusal
