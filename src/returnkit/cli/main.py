"""`returnkit serve | validate-payload | webhooks`: thin adapters over `create_app` and the validation engine.

`returnkit serve` runs every provider on one port with embedded defaults (no config file):

    returnkit serve [--host 127.0.0.1] [--port 8000] [--seed 0] [--db LOCATION] [--clock wall|frozen] [--tls DIR]
                    [--admin-token TOKEN] [--check-responses] [--log-level LEVEL]
                    [--webhook-allow HOST...] [--webhook-date wall|virtual] [--workers N]
    returnkit webhooks trigger PROVIDER EVENT --to URL [--secret S]   (see cli/webhooks.py)

The admin API (`/__admin/*`) is open on a loopback host (127.0.0.0/8, ::1, localhost); on any
other host it needs `Authorization: Bearer TOKEN`, with a new token printed at start unless one
is given (`--admin-token` or $RETURNKIT_ADMIN_TOKEN). A token given is required on loopback too.
`--db` (or $RETURNKIT_DB) names the store: a SQLite file, `:memory:` (the default) or a PostgreSQL
URL, on which several instances serve one world. Each start writes one line on stderr once it
listens (`cli/announce.py`): the URL (with --port 0, the port it got), the store's backend and
location (a password masked) and the instance's name. A start-up problem
(a --db that is a directory, unwritable, not returnkit's SQLite or a PostgreSQL that does not
answer, a --tls directory that cannot be written, a bad --port) is one line on stderr and exit
status 2, with no password in it.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import os
import sys
from collections.abc import Iterator, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from returnkit.server.app import ServerOptions

EXIT_USAGE = 2
DB_ENV = "RETURNKIT_DB"
MAX_PORT = 65535


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="returnkit", description="Mock servers and validation for returns APIs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock server for every provider on one port")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    serve.add_argument("--seed", type=int, default=0, help="fixes every generated id, order and decision (default 0)")
    serve.add_argument(
        "--db",
        default=None,
        metavar="LOCATION",
        help="where the world is kept: a SQLite file (it survives a restart), :memory: (the default), or a"
        " PostgreSQL URL, postgresql://user@host:port/dbname (several instances on one database serve one world);"
        f" or set ${DB_ENV}, which keeps a password out of the process list (--db wins)",
    )
    serve.add_argument(
        "--clock",
        choices=("wall", "frozen"),
        default=None,
        help="wall: virtual time also follows real time (default); frozen: it moves only by /__admin/clock/advance",
    )
    serve.add_argument(
        "--check-responses",
        action="store_true",
        help="check every response against the provider's spec and journal any violation",
    )
    serve.add_argument(
        "--tls",
        metavar="DIR",
        help="serve HTTPS with a new certificate signed by a local CA written to DIR/ca.pem (trust that file)",
    )
    serve.add_argument(
        "--client-timeout",
        type=seconds,
        default=10.0,
        metavar="SECONDS",
        help="disconnect a client that takes longer to send its request (default 10)",
    )
    serve.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="require `Authorization: Bearer TOKEN` on /__admin/* (or set $RETURNKIT_ADMIN_TOKEN, which keeps it"
        " out of the process list); without one the admin API is open on a loopback host, and any other host"
        " gets a new token, printed at start",
    )
    serve.add_argument(
        "--webhook-allow",
        nargs="+",
        default=[],
        metavar="HOST",
        help="hosts beyond loopback that may receive webhooks (matched as written, no DNS lookup)",
    )
    serve.add_argument(
        "--webhook-date",
        choices=("wall", "virtual"),
        default=None,
        help="the time a signed Date header carries (Kibo): wall, what its SDKs accept (default), or virtual",
    )
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        metavar="N",
        help="serve with N processes on one shared store (--db a SQLite file or a PostgreSQL URL; default 1)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn's log level (default warning)")
    commands.add_parser("validate-payload", help="validate payloads; see validate-payload --help", add_help=False)
    commands.add_parser("webhooks", help="send webhooks as a provider does; see webhooks --help", add_help=False)
    commands.add_parser("proxy", help="validation proxy in front of a real provider; see proxy --help", add_help=False)
    commands.add_parser("report", help="drift report of a proxy recording; see report --help", add_help=False)
    return parser


def _port(text: str) -> int:
    if not (text.isascii() and text.isdigit() and int(text) <= MAX_PORT):
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number (0 to {MAX_PORT})")
    return int(text)


def _positive(text: str) -> int:
    try:
        number = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if number < 1:
        raise argparse.ArgumentTypeError(f"at least 1, not {number}")
    return number


def seconds(text: str) -> float:
    """A finite number of seconds above 0 (argparse turns the ValueError into a usage error)."""
    seconds = float(text)
    if not 0 < seconds < float("inf"):
        raise ValueError(text)
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["validate-payload"]:
        from returnkit.cli.validate_payload import main as validate_payload

        return validate_payload(args_list[1:])
    if args_list[:1] == ["webhooks"]:
        from returnkit.cli.webhooks import main as webhooks

        return webhooks(args_list[1:])
    if args_list[:1] == ["proxy"]:
        from returnkit.cli.proxy import main as proxy

        return proxy(args_list[1:])
    if args_list[:1] == ["report"]:
        from returnkit.cli.drift import main as report

        return report(args_list[1:])
    args = build_parser().parse_args(args_list)
    return serve(args)


class UsageError(Exception):
    """A start-up problem the user can fix: one line on stderr and exit status 2, no traceback."""


def serve(args: argparse.Namespace) -> int:
    if args.workers > 1:
        from returnkit.cli.workers import serve_workers

        return serve_workers(args)
    import uvicorn

    from returnkit.cli.announce import AnnouncedServer
    from returnkit.server.protocol import EVENT_LOOP, bounded_protocol

    opened = open_app(args)
    if opened is None:
        return EXIT_USAGE
    app, tls = opened
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        http=bounded_protocol(args.client_timeout),
        loop=EVENT_LOOP,
        **tls,  # type: ignore[arg-type]
    )
    server = AnnouncedServer(config, lambda port: start_up_line(app, base_url(args, tls, port)))
    with contextlib.suppress(KeyboardInterrupt):  # uvicorn raises Ctrl+C again once it has shut down
        server.run()
    return 0


def open_app(args: argparse.Namespace) -> tuple[Any, dict[str, str]] | None:
    """The app and uvicorn's TLS options, or None once the start-up problem is on stderr."""
    try:
        with collector_paused():
            return build_app(args), tls_options(args)
    except UsageError as refused:
        print(f"returnkit serve: error: {refused}", file=sys.stderr, flush=True)
        return None


def base_url(args: argparse.Namespace, tls: dict[str, str], port: int) -> str:
    host = f"[{args.host}]" if ":" in args.host else args.host
    return f"{'https' if tls else 'http'}://{host}:{port}"


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No garbage collection while the app is built: its imports and the seeded world allocate much
    and free little, so the collector's passes during the start (a tenth of it) find little; `build_app`
    then freezes what it built."""
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def db_location(args: argparse.Namespace) -> tuple[str, str]:
    """Where the world is kept and who said so: --db, else $RETURNKIT_DB, else in memory."""
    if args.db is not None:
        return args.db, "--db"
    from_env = os.environ.get(DB_ENV)
    if from_env:
        return from_env, f"${DB_ENV}"
    return ":memory:", "--db"


def start_up_line(app: Any, url: str) -> str:
    """One line per start: where it listens, its dashboard, the store (password masked) and this instance's name."""
    from returnkit.core.store import masked
    from returnkit.server.app import server_state

    state = server_state(app)
    store = state.store
    where = f"serving on {url} · dashboard {url}/__admin/ui/"
    return f"returnkit: {where} · store {store.backend} ({masked(store.name)}) · instance {state.instance}"


def build_app(args: argparse.Namespace, *, announce: bool = True) -> Any:
    """The app `args` describe; `announce` prints what a user must know (the admin token, a seed ignored)."""
    import warnings

    # Connexion imports Starlette's test client at import time; that warning is not for users.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

    from returnkit.core.store import masked
    from returnkit.server.admin import ADMIN_ENV, admin_access
    from returnkit.server.app import ServerOptions, server_state

    db, named_by = db_location(args)
    access = admin_access(args.host, args.admin_token or os.environ.get(ADMIN_ENV) or None)
    options = ServerOptions(
        seed=args.seed,
        db=db,
        clock_mode=args.clock,
        check_responses=args.check_responses,
        admin_token=access.token,
        webhook_allow=tuple(args.webhook_allow),
        webhook_date=args.webhook_date,
        public_url=f"{'https' if args.tls else 'http'}://{args.host}:{args.port}" if args.port else None,
    )
    app = _open(options, named_by)
    state = server_state(app)
    if announce:
        if state.seed != args.seed:
            ignored = f"--seed {args.seed} is ignored"
            print(f"{masked(db)} holds a world made with --seed {state.seed}; {ignored}", flush=True)
        for notice in state.notices:
            print(f"{masked(db)}: {notice}", flush=True)
        print(access.banner, flush=True)
    # Everything built so far (specs, validators, routes, the seeded world's code paths) lives as
    # long as the process: keep it out of the collector's full passes, whose pauses set the p99.
    # No collection first: the start leaves a few hundred objects of garbage, a pass costs ~50 ms.
    gc.freeze()
    return app


def _open(options: ServerOptions, named_by: str) -> Any:
    """The app over the store `options.db` names; a store that cannot be used is the user's to fix."""
    from returnkit.core.store import StoreError
    from returnkit.server.app import create_app

    try:
        return create_app(options)
    except StoreError as refused:
        raise UsageError(f"{named_by} {store_refusal(str(refused), options.db)}") from None


def store_refusal(message: str, location: str) -> str:
    """The store's refusal as one paragraph that begins with `location`, its password masked wherever it appears."""
    from urllib.parse import unquote, urlsplit

    from returnkit.core.store import is_database_url, masked

    message = " ".join(message.replace(location, masked(location)).split())
    if not message.startswith(masked(location)):
        message = f"{masked(location)}: {message}"
    password = urlsplit(location).password if is_database_url(location) else None
    for spelling in {password, unquote(password or "")} - {None, ""}:
        message = message.replace(str(spelling), "***")
    return message


def tls_options(args: argparse.Namespace) -> dict[str, str]:
    """uvicorn's certificate options for --tls DIR (a new local CA and certificate), or none."""
    if not args.tls:
        return {}
    from pathlib import Path

    from returnkit.server.tls import CA_FILE, certificate_files

    try:
        tls = certificate_files(Path(args.tls), args.host)
    except OSError as failed:
        raise UsageError(f"--tls {args.tls}: cannot write the certificates there ({failed.strerror})") from None
    print(f"HTTPS: trust {Path(args.tls) / CA_FILE} (for Node: NODE_EXTRA_CA_CERTS)", flush=True)
    return tls


if __name__ == "__main__":
    sys.exit(main())
