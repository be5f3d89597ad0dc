"""`returnkit serve` with Pingo beside the five, as a process of its own (the restart tests kill it):

python -m tests.webhooks.pingo_serve SPEC PORT --db PATH [--clock frozen|wall]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import uvicorn

from returnkit.providers import default_kits
from returnkit.server.app import ServerOptions, create_app
from tests.webhooks.fake import pingo_kit


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("spec")
    parser.add_argument("port", type=int)
    parser.add_argument("--db", required=True)
    parser.add_argument("--clock", default="frozen")
    args = parser.parse_args()
    options = ServerOptions(db=args.db, clock_mode=args.clock)
    app = create_app(options, kits=[*default_kits(), pingo_kit(Path(args.spec))])
    uvicorn.run(app, host="127.0.0.1", port=args.port, log_level="warning", lifespan="on")
    return 0


if __name__ == "__main__":
    sys.exit(main())
