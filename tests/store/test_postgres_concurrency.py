"""Two PostgresStores on one database, used from several threads at once, behave as one store."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest

from returnkit.core.outbox import Delivery
from returnkit.core.postgres_store import PostgresStore
from returnkit.core.store import SCHEMA_VERSION, RecordFilter, StoreError, StoreUnavailable
from tests import pgcluster
from tests.conftest import postgres_missing

pytestmark = pytest.mark.postgres

THREADS_PER_STORE = 3
Result = TypeVar("Result")


@pytest.fixture
def stores(postgres_url: str) -> Iterator[tuple[PostgresStore, PostgresStore]]:
    first, second = PostgresStore(postgres_url), PostgresStore(postgres_url)
    yield first, second
    first.close()
    second.close()


def on_both(stores: tuple[PostgresStore, PostgresStore], work: Callable[[PostgresStore], Result]) -> list[Result]:
    """`work` run by THREADS_PER_STORE threads on each store, all started together; their results."""
    workers = [store for store in stores for _ in range(THREADS_PER_STORE)]
    start = threading.Barrier(len(workers))

    def run(store: PostgresStore) -> Result:
        start.wait()
        return work(store)

    with ThreadPoolExecutor(len(workers)) as pool:
        return list(pool.map(run, workers))


def test_read_check_write_transactions_never_interleave(stores: tuple[PostgresStore, PostgresStore]) -> None:
    stores[0].put("zinc", "counter", "c", {"n": 0})

    def increment(store: PostgresStore) -> None:
        for _ in range(20):
            with store.transaction():
                current = store.get("zinc", "counter", "c")
                assert current is not None
                store.put("zinc", "counter", "c", {"n": current["n"] + 1})

    on_both(stores, increment)
    assert stores[1].get("zinc", "counter", "c") == {"n": 2 * THREADS_PER_STORE * 20}


def test_next_number_never_repeats(stores: tuple[PostgresStore, PostgresStore]) -> None:
    numbers = on_both(stores, lambda store: [store.next_number("zinc.return") for _ in range(50)])
    drawn = [number for batch in numbers for number in batch]
    assert sorted(drawn) == list(range(1, len(drawn) + 1))


def test_count_request_counts_every_request_exactly(stores: tuple[PostgresStore, PostgresStore]) -> None:
    counts = on_both(stores, lambda store: [store.count_request("aboutyou:acme", 7) for _ in range(30)])
    seen = [count for batch in counts for count in batch]
    assert sorted(seen) == list(range(1, len(seen) + 1))


def test_a_delivery_is_claimed_by_one_claimant_only(stores: tuple[PostgresStore, PostgresStore]) -> None:
    total = 150
    for _ in range(total):
        stores[0].enqueue(Delivery(0, "zinc", "return.created", "e", "wh_1", "acme", "r1", b"{}", 1.0, 1.0))
    until = time.time() + 3600

    def claim_all(store: PostgresStore) -> list[int]:
        claimant = f"instance-{id(store)}-{threading.get_ident()}"
        claimed: list[int] = []
        while batch := store.claim_deliveries(1.0, 4, claimant, until):
            claimed += [delivery.id for delivery in batch]
        return claimed

    claims = on_both(stores, claim_all)
    every = [delivery_id for batch in claims for delivery_id in batch]
    assert sorted(every) == list(range(1, total + 1))  # each once: none twice, none left behind


def test_two_stores_creating_the_schema_at_once_both_succeed(postgres_url: str) -> None:
    start = threading.Barrier(4)

    def open_and_use() -> int:
        start.wait()
        store = PostgresStore(postgres_url)
        try:
            return store.next_number("opened")
        finally:
            store.close()

    with ThreadPoolExecutor(4) as pool:
        numbers = sorted(pool.map(lambda _: open_and_use(), range(4)))
    assert numbers == [1, 2, 3, 4]
    assert schema_versions(postgres_url) == [SCHEMA_VERSION]


def test_a_newer_schema_is_refused_with_both_versions(postgres_url: str) -> None:
    PostgresStore(postgres_url).close()
    execute(postgres_url, "UPDATE returnkit_schema SET version = %s", SCHEMA_VERSION + 1)
    with pytest.raises(StoreError) as refused:
        PostgresStore(postgres_url)
    assert str(refused.value) == (
        f"{postgres_url} holds returnkit's schema version {SCHEMA_VERSION + 1}; this returnkit knows versions"
        f" 1 to {SCHEMA_VERSION}: upgrade returnkit, or give it another database"
    )


def test_an_older_schema_is_migrated_and_keeps_its_world(postgres_url: str) -> None:
    store = PostgresStore(postgres_url)
    store.put("zinc", "return", "r1", {"n": 1})
    store.put("zinc", "return", "r2", {"status": "open"})
    store.put("zinc", "history", "return:r2", {"entries": [{"from": None, "to": "open", "at": 1.5}]})  # before 5
    store.close()
    execute(postgres_url, "DROP TABLE clock, rate_windows, journal, faults, history")
    execute(postgres_url, "ALTER TABLE outbox DROP COLUMN claimed_by, DROP COLUMN claimed_until")
    execute(postgres_url, "DROP TABLE record_counts")
    execute(postgres_url, "DROP FUNCTION returnkit_count_records CASCADE")
    execute(postgres_url, "ALTER TABLE records DROP COLUMN state, DROP COLUMN sort_key")
    execute(postgres_url, "UPDATE returnkit_schema SET version = 2")
    migrated = PostgresStore(postgres_url)
    try:
        assert migrated.get("zinc", "return", "r1") == {"n": 1}
        assert migrated.count_request("aboutyou:acme", 1) == 1
        assert migrated.count_states("zinc", "return") == {None: 1, "open": 1}  # states found in the documents
        assert migrated.history("zinc", "return", "r2") == [{"from": None, "to": "open", "at": 1.5}]
        assert migrated.count_states("zinc", "history") == {}  # counted at step 4, moved out at step 5
        migrated.put("zinc", "return", "r1", {"status": "open"})
        assert migrated.count_where("zinc", "return", RecordFilter(states=("open",))) == 2
        assert schema_versions(postgres_url) == [SCHEMA_VERSION]
    finally:
        migrated.close()


def test_another_applications_database_is_refused(postgres_url: str) -> None:
    execute(postgres_url, "CREATE TABLE customers (id integer)")
    with pytest.raises(StoreError, match=r"is another application's database \(tables: customers\)"):
        PostgresStore(postgres_url)
    assert execute(postgres_url, "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'") == [(1,)]


def test_a_user_who_may_not_create_tables_is_told_so(postgres_url: str) -> None:
    role = f"visitor_{os.getpid()}"
    execute(postgres_url, f"CREATE ROLE {role} LOGIN")
    try:
        parts = urlsplit(postgres_url)
        visitor_url = urlunsplit(parts._replace(netloc=f"{role}@{parts.hostname}:{parts.port}"))
        with pytest.raises(StoreError) as refused:
            PostgresStore(visitor_url)
        assert str(refused.value) == (
            f"{visitor_url} cannot be used as returnkit's database: permission denied for schema public"
        )
    finally:
        execute(postgres_url, f"DROP ROLE {role}")


@pytest.fixture
def own_cluster() -> Iterator[pgcluster.ThrowawayCluster]:
    """A cluster of this test's own, which it may stop and start."""
    try:
        cluster = pgcluster.own_cluster()
    except pgcluster.PostgresUnavailable as exc:
        postgres_missing(str(exc))
    yield cluster
    cluster.close()


def test_a_stopped_database_is_unavailable_quickly_and_the_store_recovers(
    own_cluster: pgcluster.ThrowawayCluster,
) -> None:
    store = PostgresStore(own_cluster.create_database())
    try:
        store.put("zinc", "return", "r1", {"n": 1})
        own_cluster.stop()
        assert seconds_until_unavailable(lambda: store.get("zinc", "return", "r1")) < 5  # the pool's timeout: 2 s
        assert seconds_until_unavailable(store.ping) < 1  # known to be down: no more waiting
        own_cluster.start()
        with store.transaction():
            assert store.get("zinc", "return", "r1") == {"n": 1}
            store.put("zinc", "return", "r2", {"n": 2})
        assert store.count("zinc", "return") == 2
    finally:
        store.close()


def seconds_until_unavailable(call: Callable[[], object]) -> float:
    began = time.monotonic()
    with pytest.raises(StoreUnavailable, match="returnkit_test_1"):
        call()
    return time.monotonic() - began


def test_opening_a_store_on_a_stopped_server_says_where_without_the_password(
    own_cluster: pgcluster.ThrowawayCluster,
) -> None:
    url = own_cluster.create_database().replace("postgres@", "postgres:s3cret@")
    own_cluster.stop()
    began = time.monotonic()
    with pytest.raises(StoreUnavailable) as unavailable:
        PostgresStore(url)
    assert time.monotonic() - began < 5
    message = str(unavailable.value)
    assert message.startswith(url.replace("s3cret", "***") + " cannot be reached: connection failed")
    assert "s3cret" not in message


def schema_versions(url: str) -> list[int]:
    return [int(str(row[0])) for row in execute(url, "SELECT version FROM returnkit_schema")]


def execute(url: str, sql: str, *params: object) -> list[tuple[object, ...]]:
    with psycopg.connect(url, autocommit=True) as conn:
        cursor = conn.execute(sql, params)
        return cursor.fetchall() if cursor.description else []
