"""Webhook faults in the fault book, and outbound entries in the journal: added beside what was."""

from __future__ import annotations

import orjson
import pytest

from returnkit.core.faults import FaultBook, delivery_delay, webhook_refusal
from returnkit.core.journal import Journal, JournalEntry, Outbound
from returnkit.core.store import SQLiteStore


class TestWebhookFaults:
    def test_request_faults_read_as_they_always_did(self) -> None:
        fault = FaultBook(SQLiteStore(), 1).add("zinc", "status", operation="createReturn", status=503)
        assert "mode" not in fault.as_json()
        assert list(fault.as_json()) == [
            "id", "provider", "kind", "operation", "status", "seconds", "jitter", "times", "probability", "fired",
        ]  # fmt: skip

    def test_webhook_faults_never_fire_on_requests(self) -> None:
        book = FaultBook(SQLiteStore(), 1)
        book.add("zinc", "drop", operation="webhook:return.created")
        book.add("zinc", "delay", operation="webhook:*", seconds=30)
        assert book.fire("zinc", ("createReturn", "create-return"), 1) is None
        request_drop = book.add("zinc", "drop")
        fired = book.fire("zinc", ("createReturn",), 2)
        assert fired is not None
        assert (fired.id, fired.kind) == (request_drop.id, "drop")

    def test_a_delivery_gets_the_faults_of_its_event_and_of_every_event(self) -> None:
        book = FaultBook(SQLiteStore(), 1)
        drop = book.add("zinc", "drop", operation="webhook:return.created", times=1)
        bad = book.add("zinc", "bad-signature", operation="webhook:*", mode="truncated")
        book.add("rye", "duplicate", operation="webhook:*")

        def fired_for(event: str, delivery: int) -> list[int]:
            return [fault.id for fault in book.fire_for_delivery("zinc", event, delivery)]

        assert fired_for("return.created", 1) == [drop.id, bad.id]
        assert fired_for("return.created", 2) == [bad.id]  # drop fired its one time
        assert fired_for("return.approved", 3) == [bad.id]
        assert bad.as_json()["mode"] == "truncated"
        assert [(fault.id, fault.fired) for fault in book] == [(drop.id, 1), (bad.id, 3), (3, 0)]

    def test_draws_repeat_under_the_same_seed(self) -> None:
        def fired(seed: int) -> list[int]:
            book = FaultBook(SQLiteStore(), seed)
            book.add("zinc", "duplicate", operation="webhook:*", probability=0.5)
            return [n for n in range(1, 41) if book.fire_for_delivery("zinc", "return.created", n)]

        assert fired(5) == fired(5)
        assert fired(5) != fired(6)
        assert 5 < len(fired(5)) < 35

    def test_delay_is_seconds_plus_a_seeded_share_of_jitter(self) -> None:
        fault = FaultBook(SQLiteStore(), 1).add("zinc", "delay", operation="webhook:*", seconds=30, jitter=10)
        delays = [delivery_delay(fault, 1, n) for n in range(1, 20)]
        assert all(30 <= d < 40 for d in delays)
        assert delays == [delivery_delay(fault, 1, n) for n in range(1, 20)]
        assert len(set(delays)) > 1

    @pytest.mark.parametrize(
        ("kind", "operation", "signed", "reason"),
        [
            ("duplicate", None, True, "duplicate is a webhook fault: give operation webhook:<event> or webhook:*"),
            ("reorder", "createReturn", True, "reorder is a webhook fault"),
            ("status", "webhook:*", True, "status is not a webhook fault"),
            ("bad-signature", "webhook:*", False, "aboutyou does not sign its webhooks"),
        ],
    )
    def test_refusals(self, kind: str, operation: str | None, signed: bool, reason: str) -> None:
        refusal = webhook_refusal(kind, operation, signed=signed, provider="aboutyou")
        assert refusal is not None
        assert refusal.startswith(reason)

    @pytest.mark.parametrize(
        ("kind", "operation"),
        [
            ("drop", None),
            ("drop", "webhook:*"),
            ("delay", "webhook:x"),
            ("bad-signature", "webhook:*"),
            ("status", None),
        ],
    )
    def test_what_makes_sense_passes(self, kind: str, operation: str | None) -> None:
        assert webhook_refusal(kind, operation, signed=True, provider="zinc") is None


def entry(outbound: Outbound | None = None) -> JournalEntry:
    return JournalEntry(
        id=1,
        at="2026-03-02T09:00:00Z",
        provider="zinc",
        operation="webhook:return.created" if outbound else "createReturn",
        method="POST",
        path="/hook" if outbound else "/returns",
        query="",
        status=200,
        request_body={"a": 1},
        response_body=None,
        request_headers={"x-webhook-signature": "ab" * 32},
        outbound=outbound,
    )


class TestOutboundJournal:
    def test_an_inbound_entry_reads_as_it_always_did(self) -> None:
        document = entry().as_json()
        assert list(document) == [
            "id", "at", "provider", "operation", "method", "path", "query", "status", "principal", "verdict", "note",
            "conformance", "request", "response",
        ]  # fmt: skip
        assert entry().direction == "inbound"

    def test_an_outbound_entry_says_which_attempt_went_where(self) -> None:
        outbound = Outbound("return.created", "http://127.0.0.1:9/hook", delivery=4, attempt=2, duration_ms=3.5)
        document = entry(outbound).as_json()
        assert document["direction"] == "outbound"
        assert document["webhook"] == {
            "event": "return.created",
            "target": "http://127.0.0.1:9/hook",
            "delivery": 4,
            "attempt": 2,
            "duration_ms": 3.5,
            "error": None,
        }

    def test_the_journal_filters_by_direction(self) -> None:
        journal = Journal(SQLiteStore())
        journal.record(entry())
        journal.record(entry(Outbound("return.created", "http://127.0.0.1:9/hook", 1, 1, 1.0, "timed out")))
        assert len(journal.find()) == 2
        assert [orjson.loads(e.blob)["path"] for e in journal.find(direction="outbound")] == ["/hook"]
        assert [e.path for e in journal.find(direction="inbound")] == ["/returns"]
