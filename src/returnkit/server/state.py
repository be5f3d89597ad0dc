"""Everything one server instance owns: the APIs it serves, worlds, clock, store, journal, limiter, catalog.

Nothing here is global: two `ServerState`s in one process never share anything.
"""

from __future__ import annotations

import itertools
import logging
import math
import os
import socket
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

from returnkit.core import labels, outbox
from returnkit.core.clock import LATEST, ClockMode, VirtualClock, iso
from returnkit.core.faults import FaultBook
from returnkit.core.journal import Journal
from returnkit.core.ratelimit import FixedWindowLimiter
from returnkit.core.store import JOURNAL_SEQUENCE, RequestStart, Store, StoreError, StoreUnavailable, open_store
from returnkit.core.world import read_mock
from returnkit.errors import SpecError
from returnkit.providers import spec_files
from returnkit.providers.kit import PUBLIC_URL, ErrorFormat, Handler, Principal, ProviderKit, Request, Transition, World
from returnkit.server.admin import AdminApi
from returnkit.server.webhooks import Dispatcher
from returnkit.validation import Catalog

if TYPE_CHECKING:
    from returnkit.server.conformance import ResponseChecker

logger = logging.getLogger("returnkit.server")
SEEDED = "world.seeded"
_INSTANCES = itertools.count(1)


def new_instance_id() -> str:
    """`host-pid-n`: distinct for every server, also for two apps in one process (tests)."""
    return f"{socket.gethostname()}-{os.getpid()}-{next(_INSTANCES)}"


FORMAT = "world.format"
# 2: records keep their owner inside, time-driven changes are scheduled rows (issue 13). A world
# written in an earlier format cannot be resumed faithfully: its pending changes have no due rows.
WORLD_FORMAT = 2
CATCH_UP_BATCH = 500
CLOCK = "clock.elapsed"  # where a returnkit before schema 3 kept the clock (read once, on migrating)
GENERATION = "world.generation"  # counts resets, kept across them: every instance sees one begin
LAST_WRITE = "last_write."  # + provider: the virtual time of its last accepted write (stale-read faults)


@dataclass(frozen=True)
class ServerOptions:
    seed: int = 0
    db: str = ":memory:"
    clock_mode: ClockMode | None = None  # None: the mocks' default
    journal_limit: int | None = None
    body_limit: int | None = None
    check_responses: bool = False
    admin_token: str | None = None  # when set, /__admin/* (label URLs aside) needs `Authorization: Bearer <it>`
    webhook_allow: tuple[str, ...] = ()  # hosts beyond loopback that may receive webhooks
    webhook_date: str | None = None  # wall | virtual: the time a signed Date carries (None: mocks/server.yaml)
    public_url: str | None = None  # the base URL clients reach this server at (label URLs in payloads)
    instance: str = field(default_factory=new_instance_id)  # this process's name among those on one store


class Served(Protocol):
    """What the request path needs of an API it serves: a provider's kit, or the admin API."""

    @property
    def name(self) -> str: ...

    @property
    def path_prefixes(self) -> tuple[str, ...]: ...

    @property
    def errors(self) -> ErrorFormat: ...

    @property
    def handlers(self) -> Mapping[str, Handler]: ...

    @property
    def transitions(self) -> Mapping[str, Transition]: ...

    def authenticate(self, request: Request, world: World) -> Principal | str: ...

    def response_headers(self, request: Request, world: World) -> Mapping[str, str]: ...


@dataclass(frozen=True, slots=True)
class Api:
    """One API the server serves, with its world; built once per app."""

    kit: Served
    world: World
    checked: bool  # --check-responses holds its answers to its spec (each provider's; the admin API's not)
    strip_trailing_slash: bool = False

    @property
    def name(self) -> str:
        return self.kit.name


class Outage:
    """The database stopped answering: said once when it begins and once when it ends, not per request."""

    def __init__(self) -> None:
        self.down = False

    def began(self, why: StoreUnavailable) -> None:
        if not self.down:
            self.down = True
            logger.warning("returnkit's database is unavailable (answering 503 until it is back): %s", why)

    def ended(self) -> None:
        if self.down:
            self.down = False
            logger.warning("returnkit's database answers again")


@dataclass
class ServerState:
    kits: Mapping[str, ProviderKit]  # the providers only: the admin API is served beside them (`apis`)
    catalog: Catalog
    store: Store
    clock: VirtualClock
    journal: Journal
    limiter: FixedWindowLimiter
    seed: int
    body_limit: int
    faults: FaultBook
    worlds: dict[str, World] = field(default_factory=dict)
    response_checker: ResponseChecker | None = None
    owners: list[tuple[str, str]] = field(default_factory=list)
    admin_token: str | None = None
    resets_here: int = 0  # resets this process carried out: a handler that reset the world begins the new one
    notices: list[str] = field(default_factory=list)  # what a user starting this server should be told
    apis: dict[str, Api] = field(default_factory=dict)  # by name: every provider, then the admin API
    webhook_allow: tuple[str, ...] = ()
    webhook_date: str = "wall"
    webhook_subscriptions: list[Mapping[str, Any]] = field(default_factory=list)  # mocks/server.yaml's
    instance: str = ""  # ServerOptions.instance: claims webhook deliveries, named in the start-up line
    clock_option: ClockMode | None = None  # --clock as given: a world that exists keeps its own mode
    outage: Outage = field(default_factory=Outage)
    dispatcher: Dispatcher = field(init=False)

    def __post_init__(self) -> None:
        self.dispatcher = Dispatcher(self)

    @classmethod
    def build(cls, kits: Sequence[ProviderKit], options: ServerOptions) -> ServerState:
        server_mocks = read_mock("server")
        start = datetime.fromisoformat(str(server_mocks["clock"]["start"]))
        store = open_store(options.db)
        clock = VirtualClock(start, options.clock_mode or server_mocks["clock"]["mode"], store)
        state = cls(
            kits={kit.name: kit for kit in kits},
            catalog=Catalog({**spec_files(kits), AdminApi.name: AdminApi.spec_file}),
            store=store,
            clock=clock,
            journal=Journal(store, options.journal_limit or int(server_mocks["journal"]["limit"])),
            limiter=FixedWindowLimiter(store),
            seed=options.seed,
            body_limit=options.body_limit or int(server_mocks["body"]["limit_bytes"]),
            faults=FaultBook(store, options.seed),
            admin_token=options.admin_token,
            instance=options.instance,
            clock_option=options.clock_mode,
        )
        webhooks = server_mocks.get("webhooks") or {}
        state.webhook_allow = (*(webhooks.get("allow") or ()), *options.webhook_allow)
        state.webhook_date = options.webhook_date or str(webhooks.get("date") or "wall")
        state.webhook_subscriptions = list(webhooks.get("subscriptions") or [])
        public_url = {PUBLIC_URL: options.public_url} if options.public_url else {}
        if options.check_responses:
            from returnkit.server.conformance import ResponseChecker  # openapi-core loads only when asked

            state.response_checker = ResponseChecker(state.catalog)
        for kit in kits:
            state.worlds[kit.name] = World(state.store, clock, options.seed, _mocks_of(kit.name), dict(public_url))
            state.apis[kit.name] = Api(kit, state.worlds[kit.name], True, kit.strip_trailing_slash)
        state.apis[AdminApi.name] = Api(AdminApi(state), World(state.store, clock, options.seed, {}), False)
        state.owners = path_owners(state.kits, state.apis.values())
        state.open()
        return state

    def api_for_path(self, path: str) -> Api | None:
        """The API whose paths `path` falls under, to answer it in that API's format."""
        for prefix, name in self.owners:
            if path.startswith(prefix) or path == prefix.rstrip("/"):
                return self.apis[name]
        return None

    def named_prefix(self, path: str) -> str | None:
        """The provider named by a `/{provider}/...` path, e.g. `zinc` for `/zinc/returns`."""
        name = path[1:].split("/", 1)[0]
        return name if name in self.kits and path.startswith(f"/{name}/") else None

    def open(self) -> None:
        """Seed a new store; resume a persisted one where it stopped, with the seed it was made with.

        Instances starting together on a new database seed it once: the first seeds in one transaction,
        the others wait for it and find the world there."""
        with self.store.transaction():
            stored = self.store.get_meta(SEEDED)
            if stored is None:
                self.reset()
                return
        if self.store.get_meta(FORMAT) != WORLD_FORMAT:
            raise StoreError(
                f"{self.store.name} holds a world written by an earlier returnkit"
                f" (world format {self.store.get_meta(FORMAT) or 1}, this one reads {WORLD_FORMAT});"
                " its pending changes cannot be resumed: give a new file or delete this one (it was left unchanged)"
            )
        if labels.stored_key(self.store) is None:  # a database from before label keys were random
            with self.store.transaction():
                labels.keep_key(self.store)
        self.seed = int(stored)
        self.faults.seed = self.seed
        for api in self.apis.values():
            api.world.seed = self.seed
        self._resume_clock()

    def _resume_clock(self) -> None:
        """The database's clock, mode and time: every instance on it shares one. A world an older
        returnkit wrote has its elapsed seconds in meta (and took its mode from the option)."""
        stored = self.clock.stored()
        if stored is None:
            with self.store.transaction():
                if self.clock.restore(_seconds(self.store.get_meta(CLOCK)), self.clock.initial_mode):
                    self.notices.append(
                        f"the stored clock was outside the supported range (up to {iso(LATEST)});"
                        f" it resumes at {iso(self.clock.now())}"
                    )
            return
        if self.clock_option is not None and self.clock_option != stored.mode:
            self.notices.append(
                f"the world's clock is {stored.mode} (the database's, shared by every instance on it);"
                f" --clock {self.clock_option} is ignored"
            )

    @property
    def generation(self) -> int:
        """How many resets the world has seen, on any instance: work begun before one (chunked admin
        work, an exchange being journaled) belongs to the old world."""
        return int(self.store.get_meta(GENERATION) or 0)

    def begin_request(self, provider: str) -> RequestStart:
        """What a request needs first, in one read of the store: its journal id, the world's generation
        (`meta`), how many faults are on and when `provider`'s next transition falls due; the clock's
        state from the same read is the request's reading of the clock (inside `clock.one_reading()`)."""
        start = self.store.request_start(JOURNAL_SEQUENCE, GENERATION, provider)
        if start.clock is not None:
            self.clock.prime(start.clock)
        return start

    def reset(self) -> None:
        with self.store.transaction():
            label_key = labels.stored_key(self.store)  # the database's, not the world's: URLs handed out stay valid
            generation, mode = self.generation, self.clock.mode
            self.store.clear()
            labels.keep_key(self.store, label_key)
            self.clock.restore(0.0, mode)
            for kit in self.kits.values():
                kit.seed(self.worlds[kit.name])
            self.store.set_meta(SEEDED, self.seed)
            self.store.set_meta(FORMAT, WORLD_FORMAT)
            self.store.set_meta(GENERATION, generation + 1)
            self.subscribe_from_mocks()
        self.resets_here += 1

    def note_write(self, provider: str) -> None:
        """`provider` accepted a write now (in the handler's transaction): stale-read faults count from here."""
        self.store.set_meta(LAST_WRITE + provider, self.clock.timestamp())

    def last_write(self, provider: str) -> float | None:
        written = self.store.get_meta(LAST_WRITE + provider)
        return None if written is None else float(written)

    def subscribe_from_mocks(self) -> None:
        """The subscriptions `mocks/server.yaml` lists (`webhooks.subscriptions`), as a reset leaves them."""
        for document in self.webhook_subscriptions:
            if document.get("provider") not in self.kits:
                continue  # a provider this server does not serve
            draft = outbox.Subscription.from_json(
                {"id": outbox.next_subscription_id(self.store), "source": "mocks", **document}
            )
            outbox.subscribe(self.store, self.with_secret(draft))

    def with_secret(self, draft: outbox.Subscription) -> outbox.Subscription:
        """`draft` with its provider's secret when it was given none (None for a provider that signs nothing)."""
        webhooks = self.kits[draft.provider].webhooks
        if draft.secret is not None or webhooks is None:
            return draft
        number = int(draft.id.removeprefix("wh_"))
        return replace(draft, secret=webhooks.new_secret(self.worlds[draft.provider], draft, number))

    def advance(self, seconds: float) -> None:
        """Move the clock on, stopping at its latest time (the admin API refuses to go further first),
        and carry out every transition that fell due on the way."""
        self.clock.advance(min(seconds, self.clock.remaining()))
        self.catch_up_all()

    def catch_up_all(self) -> None:
        for name in self.kits:
            self.catch_up(name)

    def catch_up(self, provider: str) -> None:
        """Carry out `provider`'s transitions due by now, earliest first, in chunks of one transaction each.

        This is the one place time changes the world: a transition may schedule the next one. Instances
        on one store never run one transition twice: the due rows are read, unscheduled and carried out
        in one transaction, and transactions run one at a time."""
        transitions = self.kits[provider].transitions
        if not transitions or not self.store.due(provider, self.clock.timestamp(), 1):
            return  # nothing due: no write transaction (the common case of a request)
        world = self.worlds[provider]
        while True:
            with self.store.transaction():
                batch = self.store.due(provider, self.clock.timestamp(), CATCH_UP_BATCH)
                for entry in batch:
                    self.store.unschedule(entry.provider, entry.kind, entry.key, entry.transition)
                    transitions[entry.transition](world, entry)
            if not batch:  # one more look: a transition may have scheduled a successor already due
                return


def _seconds(stored: Any) -> float:
    try:
        return float(stored or 0.0)
    except (TypeError, ValueError):
        return math.nan  # unreadable: the clock restarts at its start, with a notice


def _mocks_of(name: str) -> Mapping[str, Any]:
    try:
        return read_mock(name)
    except SpecError:  # a provider without mock data gets an empty world
        return {}


def path_owners(kits: Mapping[str, ProviderKit], apis: Iterable[Api]) -> list[tuple[str, str]]:
    """(prefix, API) pairs, longest prefix first: each provider's `/zinc/...` and every API's real paths."""
    owners = [(f"/{name}/", name) for name in kits]
    owners += [(prefix, api.name) for api in apis for prefix in api.kit.path_prefixes]
    return sorted(owners, key=lambda owner: len(owner[0]), reverse=True)
