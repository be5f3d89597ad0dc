"""`returnkit proxy --upstream URL`: the validation proxy (server/proxy.py) on uvicorn, and its drift report.

    returnkit proxy --upstream URL [--provider NAME] [--host 127.0.0.1] [--port 8001] [--strict]
                    [--record DIR] [--upstream-timeout SECONDS] [--ca-file PEM] [--format text|json]

Every request is forwarded unchanged to URL (its path and query appended) and both directions are
checked against the bundled spec; the journal, `/__admin/requests?direction=proxied` and the
dashboard show each exchange. When the proxy stops (Ctrl+C, SIGTERM) it prints the drift report of
its recording (--record) or of its journal, and exits 1 if anything broke the spec.
An HTTPS upstream is verified against certifi's roots, or `--ca-file` / $SSL_CERT_FILE.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from returnkit.cli import drift
from returnkit.cli.main import EXIT_USAGE, _port, seconds

DEFAULT_PORT = 8001


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="returnkit proxy",
        description="Forward every request to a real provider, checking both directions against the bundled spec.",
    )
    parser.add_argument("--upstream", required=True, type=_upstream, metavar="URL", help="the provider's base URL")
    parser.add_argument(
        "--provider", default=None, help="every path is this provider's (default: found from the path, as serve does)"
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=_port, default=DEFAULT_PORT, help=f"port (default {DEFAULT_PORT}; 0: a free one)"
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="answer an invalid request in the provider's own error format instead of forwarding it",
    )
    parser.add_argument("--record", type=Path, metavar="DIR", help="append each exchange to DIR/exchanges.jsonl")
    parser.add_argument(
        "--upstream-timeout",
        type=seconds,
        default=30.0,
        metavar="SECONDS",
        help="answer 504 when the upstream takes longer (default 30)",
    )
    parser.add_argument("--ca-file", metavar="PEM", help="trust this CA bundle for an HTTPS upstream")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="of the report on exit")
    parser.add_argument("--seed", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--admin-token", default=None, metavar="TOKEN", help="as for serve: required on /__admin/*")
    parser.add_argument("--log-level", default="warning", help="uvicorn's log level (default warning)")
    return parser


def _upstream(text: str) -> str:
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise argparse.ArgumentTypeError(f"{text!r} is not an http:// or https:// URL")
    return text


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.ca_file and not Path(args.ca_file).is_file():
        print(f"returnkit proxy: error: --ca-file {args.ca_file}: no such file", file=sys.stderr, flush=True)
        return EXIT_USAGE
    try:
        app = _app(args)
    except ValueError as refused:
        print(f"returnkit proxy: error: --provider: {refused}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    except OSError as failed:
        print(f"returnkit proxy: error: --record {args.record}: {failed.strerror}", file=sys.stderr, flush=True)
        return EXIT_USAGE
    _run(app, args)
    return drift.write(_report(app, args.record), sys.stdout, args.format)


def _app(args: argparse.Namespace) -> Any:
    import warnings

    # Connexion imports Starlette's test client at import time; that warning is not for users.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from returnkit.server.admin import ADMIN_ENV, admin_access
    from returnkit.server.proxy import ProxyOptions, create_proxy_app
    from returnkit.server.state import ServerOptions

    access = admin_access(args.host, args.admin_token or os.environ.get(ADMIN_ENV) or None)
    proxy = ProxyOptions(
        upstream=args.upstream,
        provider=args.provider,
        strict=args.strict,
        record=args.record,
        upstream_timeout=args.upstream_timeout,
        ca_file=args.ca_file,
    )
    app = create_proxy_app(proxy, ServerOptions(seed=args.seed, admin_token=access.token))
    print(access.banner, flush=True)
    return app


def _run(app: Any, args: argparse.Namespace) -> None:
    import uvicorn

    from returnkit.cli.announce import AnnouncedServer
    from returnkit.server.protocol import EVENT_LOOP, bounded_protocol

    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        http=bounded_protocol(),
        loop=EVENT_LOOP,
        server_header=False,  # the upstream's Server and Date pass back unchanged
        date_header=False,
    )
    host = f"[{args.host}]" if ":" in args.host else args.host

    def line(port: int) -> str:
        url = f"http://{host}:{port}"
        return f"returnkit: proxying {url} → {args.upstream} · dashboard {url}/__admin/ui/"

    # uvicorn raises the signal that stopped it again once it has shut down: Ctrl+C as
    # KeyboardInterrupt, SIGTERM (a CI runner ending the step) through this handler, so that the
    # report is printed and the exit status is the report's.
    previous = signal.signal(signal.SIGTERM, _stopped)
    try:
        with contextlib.suppress(KeyboardInterrupt, Stopped):
            AnnouncedServer(config, line).run()
    finally:
        signal.signal(signal.SIGTERM, previous)


class Stopped(Exception):
    """SIGTERM, once uvicorn has shut down."""


def _stopped(_signal: int, _frame: Any) -> None:
    raise Stopped


def _report(app: Any, record: Path | None) -> drift.DriftReport:
    """The recording's report, or, without one, the journal's proxied entries (as many as it keeps)."""
    if record is not None:
        with contextlib.suppress(OSError):
            return drift.report_of(drift.read_recording(record))
    journal = app.returnkit.journal
    return drift.report_of(entry.as_json() for entry in journal.find(direction="proxied"))
