"""`returnkit serve --workers N`: N processes of one server, on one socket and one shared store.

uvicorn's own supervisor (`uvicorn.supervisors.Multiprocess`) starts the workers, starts a new one
when one dies and stops them all on Ctrl+C or SIGTERM. The parent opens the store first (seeding a
new world once, refusing a store it cannot use) and decides the admin token; each worker then builds
its app from the same options ($RETURNKIT_SERVE_OPTIONS). Everything that changes while serving is
in the store, so N workers are one server: one clock, one journal, shared rate-limit windows, one
delivery of each webhook. The in-memory default lives in one process and is refused here.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from typing import Any

from returnkit.cli.main import EXIT_USAGE, base_url, build_app, collector_paused, db_location, open_app, start_up_line

OPTIONS_ENV = "RETURNKIT_SERVE_OPTIONS"
APP = "returnkit.cli.workers:worker_app"
PROTOCOL = "returnkit.cli.workers:WorkerProtocol"


def serve_workers(args: argparse.Namespace) -> int:
    import uvicorn
    from uvicorn.supervisors import Multiprocess

    db, named_by = db_location(args)
    if db in ("", ":memory:"):
        print(_refusal(args.workers, named_by), file=sys.stderr, flush=True)
        return EXIT_USAGE
    opened = open_app(args)
    if opened is None:
        return EXIT_USAGE
    app, tls = opened
    from returnkit.server.app import server_state

    state = server_state(app)
    shared = {**vars(args), "db": db, "admin_token": state.admin_token}  # a token made here is every worker's
    state.store.close()
    os.environ[OPTIONS_ENV] = json.dumps(shared)
    config = uvicorn.Config(
        APP,
        factory=True,
        host=args.host,
        port=args.port,
        workers=args.workers,
        log_level=args.log_level,
        lifespan="on",
        http=PROTOCOL,
        # uvicorn's default loop (uvloop), not EVENT_LOOP: on asyncio's, 2 workers on PostgreSQL gave 0.90-0.97x
        # one worker's req/s, on uvloop 1.40-1.55x (asyncio accepts every waiting connection in one go)
        loop="auto",
        **tls,  # type: ignore[arg-type]
    )
    socket = config.bind_socket()
    socket.listen(config.backlog)  # a client that comes before the workers waits for one, it is not refused
    url = base_url(args, tls, socket.getsockname()[1])
    print(f"{start_up_line(app, url)} · {args.workers} workers", file=sys.stderr, flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        Multiprocess(config, sockets=[socket]).run()
    return 0


def _refusal(workers: int, named_by: str) -> str:
    return (
        f"returnkit serve: error: --workers {workers} needs a store the workers share: {named_by} with a SQLite"
        " file or a postgresql:// URL (the in-memory default lives in one process)"
    )


def worker_options() -> argparse.Namespace:
    return argparse.Namespace(**json.loads(os.environ[OPTIONS_ENV]))


def worker_app() -> Any:
    """One worker's app (uvicorn calls this factory in each worker process)."""
    with collector_paused():
        return build_app(worker_options(), announce=False)


def __getattr__(name: str) -> Any:
    # uvicorn imports the protocol by name in each worker, before the app: it gets the read timeout given.
    if name == "WorkerProtocol":
        from returnkit.server.protocol import bounded_protocol

        return bounded_protocol(worker_options().client_timeout)
    raise AttributeError(name)
