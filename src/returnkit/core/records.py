"""A provider's record kinds, declared once: typed collections with one ownership rule.

Provider code reaches the store only through these. A `Records` knows its provider and kind,
keeps the owner inside every document it writes (so `owned(owner, key)` is the one ownership
check), and gives the one public view of a record (`public`), without the private fields.
Time-driven changes are scheduled here too (`schedule`): the due transition is a row in the
store, found by `Store.due` and carried out by the provider's `transitions`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar, cast

from returnkit.core.store import EVERY_RECORD, INSERTION, Document, Ordering, RecordFilter, Store

__all__ = ["INSERTION", "OWNER", "HasStore", "Ordering", "RecordFilter", "Records"]

D = TypeVar("D", bound=Mapping[str, Any])
OWNER = "owner"


class HasStore(Protocol):
    """What a `Records` needs: a store (a provider's `World` has one)."""

    @property
    def store(self) -> Store: ...


@dataclass(frozen=True, slots=True)
class Records(Generic[D]):
    """One kind of record of one provider (`Records[ZincReturn]("zinc", "return", private=...)`)."""

    provider: str
    kind: str
    private: Sequence[str] = (OWNER,)
    # The kind's sort key (text, compared by code point), kept in a column so listings order by it in SQL.
    sort: Callable[[D], str] | None = None

    def get(self, world: HasStore, key: str) -> D | None:
        return cast("D | None", world.store.get(self.provider, self.kind, key))

    def owned(self, world: HasStore, owner: str, key: str) -> D | None:
        """The record if it exists and belongs to `owner`; another owner's record is as good as absent."""
        record = self.get(world, key)
        return record if record is not None and record.get(OWNER) == owner else None

    def put(self, world: HasStore, key: str, record: D, *, owner: str, ref: str = "") -> D:
        """Write the record (its owner kept inside it); returns what was stored."""
        stored = cast("D", {**record, OWNER: owner})
        sort = None if self.sort is None else self.sort(stored)
        world.store.put(self.provider, self.kind, key, cast(Document, stored), owner=owner, ref=ref, sort=sort)
        return stored

    def find(
        self,
        world: HasStore,
        where: RecordFilter = EVERY_RECORD,
        *,
        order: Ordering = INSERTION,
        offset: int = 0,
        limit: int | None = None,
    ) -> list[D]:
        """The records that match `where` in `order` (by "sort": the kind's sort key), paged by the store."""
        if self.sort is not None and where.owner is not None and any(column == "sort" for column, _ in order):
            sort = cast("Callable[[Document], str]", self.sort)
            world.store.sort_unsorted(self.provider, self.kind, where.owner, sort)  # records kept before schema 4
        found = world.store.find(self.provider, self.kind, where, order=order, offset=offset, limit=limit)
        return cast("list[D]", found)

    def count_where(self, world: HasStore, where: RecordFilter) -> int:
        return world.store.count_where(self.provider, self.kind, where)

    def by_owner(self, world: HasStore, owner: str) -> list[D]:
        return cast("list[D]", world.store.query(self.provider, self.kind, owner=owner))

    def by_ref(self, world: HasStore, ref: str) -> list[D]:
        return cast("list[D]", world.store.query(self.provider, self.kind, ref=ref))

    def all(self, world: HasStore) -> list[D]:
        return cast("list[D]", world.store.query(self.provider, self.kind))

    def count(self, world: HasStore, owner: str | None = None) -> int:
        return world.store.count(self.provider, self.kind, owner=owner)

    def delete(self, world: HasStore, key: str) -> None:
        world.store.delete(self.provider, self.kind, key)

    def public(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """The record as the provider shows it: its private fields left out."""
        return {name: value for name, value in record.items() if name not in self.private}

    def schedule(self, world: HasStore, key: str, transition: str, due: float) -> None:
        """`transition` of this record falls due at virtual time `due` (replacing an earlier date)."""
        world.store.schedule(self.provider, self.kind, key, transition, due)

    def unschedule(self, world: HasStore, key: str, transition: str) -> None:
        world.store.unschedule(self.provider, self.kind, key, transition)


def record_change(
    world: HasStore,
    records: Records[Any],
    key: str,
    to_status: str,
    at: float | datetime,
    *,
    action: str | None = None,
    created: bool = False,
) -> None:
    """Add the record's change to `to_status` at virtual time `at` to its history, before it is saved.

    The status it leaves is the stored one (none when the record is being created: `created`, its
    caller knows, and nothing is read), so each provider's one `transition` calls this first, inside
    its transaction. The entry is appended to the record's history (`Store.add_history`): nothing
    kept is read or rewritten; entries are kept oldest first, and a reset clears them.
    """
    stored = None if created else records.get(world, key)
    before = None if stored is None else stored.get("status")
    if before == to_status:
        return
    seconds = at.timestamp() if isinstance(at, datetime) else float(at)
    entry: dict[str, Any] = {"from": before, "to": to_status, "at": seconds}
    if action is not None:
        entry["action"] = action
    world.store.add_history(records.provider, records.kind, key, entry)


def history(world: HasStore, provider: str, kind: str, key: str) -> list[dict[str, Any]]:
    """A record's status changes, oldest first (`from`, `to`, `at` in virtual seconds, `action` if named)."""
    return world.store.history(provider, kind, key)
