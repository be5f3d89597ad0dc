"""`returnkit serve | validate-payload`: thin adapters over `create_app` and the validation engine.

`returnkit serve` runs every provider on one port with embedded defaults (no config file):

    returnkit serve [--host 127.0.0.1] [--port 8000] [--seed 0] [--db PATH] [--clock wall|frozen] [--tls DIR]
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="returnkit", description="Mock servers and validation for returns APIs.")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the mock server for every provider on one port")
    serve.add_argument("--host", default="127.0.0.1", help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000; 0 picks a free one)")
    serve.add_argument("--seed", type=int, default=0, help="fixes every generated id, order and decision (default 0)")
    serve.add_argument(
        "--db", default=":memory:", help="SQLite file: the world survives a restart (default: in memory)"
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
        type=float,
        default=10.0,
        metavar="SECONDS",
        help="disconnect a client that takes longer to send its request (default 10)",
    )
    serve.add_argument("--log-level", default="warning", help="uvicorn's log level (default warning)")
    commands.add_parser("validate-payload", help="validate payloads; see validate-payload --help", add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    if args_list[:1] == ["validate-payload"]:
        from returnkit.cli.validate_payload import main as validate_payload

        return validate_payload(args_list[1:])
    args = build_parser().parse_args(args_list)
    return serve(args)


def serve(args: argparse.Namespace) -> int:
    import gc
    import warnings

    import uvicorn

    # Connexion imports Starlette's test client at import time; that warning is not for users.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")

    from returnkit.server.app import ServerOptions, create_app, server_state
    from returnkit.server.protocol import bounded_protocol

    options = ServerOptions(seed=args.seed, db=args.db, clock_mode=args.clock, check_responses=args.check_responses)
    app = create_app(options)
    resumed_seed = server_state(app).seed
    if resumed_seed != args.seed:
        print(f"{args.db} holds a world made with --seed {resumed_seed}; --seed {args.seed} is ignored", flush=True)
    # Everything built so far (specs, validators, routes, the seeded world's code paths) lives as
    # long as the process: keep it out of the collector's full passes, whose pauses set the p99.
    gc.collect()
    gc.freeze()
    tls: dict[str, str] = {}
    if args.tls:
        from pathlib import Path

        from returnkit.server.tls import CA_FILE, certificate_files

        tls = certificate_files(Path(args.tls), args.host)
        print(f"HTTPS: trust {Path(args.tls) / CA_FILE} (for Node: NODE_EXTRA_CA_CERTS)", flush=True)
    scheme = "https" if tls else "http"
    print(f"returnkit serving every provider on {scheme}://{args.host}:{args.port} (admin: /__admin/world)", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level,
        lifespan="on",
        http=bounded_protocol(args.client_timeout),
        **tls,  # type: ignore[arg-type]
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
