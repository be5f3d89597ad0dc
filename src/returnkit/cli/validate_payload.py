"""`validate-payload PROVIDER OPERATION [FILE ...]`: the validation engine on the command line.

Exit status: 0 every payload valid, 1 any invalid (malformed JSON included), 2 usage error,
unknown provider or operation, or unreadable file.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, NoReturn

from returnkit.cli.report import Reporter
from returnkit.errors import ReturnkitError
from returnkit.spec import PROVIDER_FILES, Operation
from returnkit.validation import Catalog, PayloadValidator

EXIT_VALID, EXIT_INVALID, EXIT_USAGE = 0, 1, 2
PROGRESS_EVERY = 1000


class UsageError(Exception):
    """A problem with how the command was called; exit status 2."""


class ArgumentParser(argparse.ArgumentParser):
    """argparse that reports usage problems to the caller instead of printing and exiting."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


def build_parser() -> argparse.ArgumentParser:
    parser = ArgumentParser(
        prog="validate-payload",
        description="Validate request payloads against a provider's bundled spec.",
        epilog="Exit status: 0 all valid, 1 any invalid, 2 usage error or unreadable file.",
    )
    parser.add_argument("provider", nargs="?", help=f"one of: {', '.join(PROVIDER_FILES)}")
    parser.add_argument(
        "operation", nargs="?", help="operationId or alias, e.g. create-return; webhook:EVENT for a webhook payload"
    )
    parser.add_argument("files", nargs="*", metavar="FILE", help="payload files; '-' or none reads stdin")
    parser.add_argument("--jsonl", action="store_true", help="one payload per line, then a summary line")
    parser.add_argument(
        "--format",
        choices=("text", "json", "provider"),
        default="text",
        help="text for people, json for machines, provider for the provider's own error body",
    )
    parser.add_argument("--list", action="store_true", help="list providers, operations, aliases and webhooks")
    return parser


@dataclass
class Tally:
    total: int = 0
    invalid: int = 0
    malformed: int = 0

    def add(self, valid: bool, malformed: bool) -> None:
        self.total += 1
        self.invalid += not valid
        self.malformed += malformed


def main(
    argv: Sequence[str] | None = None,
    stdin: IO[bytes] | None = None,
    stdout: IO[str] | None = None,
    stderr: IO[str] | None = None,
    catalog: Catalog | None = None,
) -> int:
    out, err = stdout or sys.stdout, stderr or sys.stderr
    source = stdin or sys.stdin.buffer
    parser = build_parser()
    catalog = catalog or Catalog()
    try:
        args = parser.parse_intermixed_args(argv)
        if args.list:
            list_operations(catalog, args.provider, out)
            return EXIT_VALID
        if not args.provider or not args.operation:
            raise UsageError("PROVIDER and OPERATION are required (see --list)")
        validator = catalog.validator(args.provider, args.operation)
        return run(validator, args, source, Reporter(args.format, out, err, args.jsonl), err)
    except (ReturnkitError, UsageError) as exc:
        err.write(f"{parser.format_usage()}validate-payload: error: {exc}\n")
        return EXIT_USAGE


def list_operations(catalog: Catalog, provider: str | None, out: IO[str]) -> None:
    for name in [provider] if provider else catalog.providers:
        spec = catalog.spec(name)
        out.write(f"{name}\n")
        for op in spec.operations:
            _list_operation(op, op.path, out)
        for op in spec.webhooks:  # what the provider sends: its payloads validate like requests
            _list_operation(op, "(webhook: sent to the subscriber's URL)", out)


def _list_operation(op: Operation, where: str, out: IO[str]) -> None:
    body = "" if op.request_schema is not None or op.kind == "graphql" else "  (no body)"
    aliases = ", ".join(op.aliases)
    out.write(f"  {op.operation_id:<60} {op.method:<6} {where}{body}\n")
    if aliases:
        out.write(f"      aliases: {aliases}\n")


@contextmanager
def open_source(name: str, stdin: IO[bytes]) -> Iterator[IO[bytes]]:
    if name == "-":
        yield stdin
        return
    try:
        handle = open(name, "rb")  # noqa: SIM115 (closed below; `with` would also catch the reader's errors)
    except OSError as exc:
        raise UsageError(f"cannot read {name}: {exc.strerror}") from None
    with handle:
        yield handle


def run(
    validator: PayloadValidator, args: argparse.Namespace, stdin: IO[bytes], reporter: Reporter, err: IO[str]
) -> int:
    names = args.files or ["-"]
    tally = Tally()
    started = time.perf_counter()
    progress = _progress(err) if args.jsonl else None
    for name in names:
        label = "<stdin>" if name == "-" else name
        with open_source(name, stdin) as handle:
            for source, holder in _payloads(label, handle, args.jsonl):
                # handed over, not shared: the bytes are freed once parsed (memory follows the largest line)
                verdict = validator.validate_json(holder.pop())
                tally.add(verdict.valid, any(e.keyword == "json" for e in verdict.errors))
                reporter.verdict(source, verdict)
                if progress is not None and tally.total % PROGRESS_EVERY == 0:
                    progress.update(PROGRESS_EVERY)
    if progress is not None:
        progress.close()
    if args.jsonl:
        reporter.summary(tally.total, tally.invalid, tally.malformed, time.perf_counter() - started)
    return EXIT_INVALID if tally.invalid else EXIT_VALID


def _payloads(label: str, handle: IO[bytes], jsonl: bool) -> Iterator[tuple[str, list[bytes]]]:
    """The whole stream as one payload, or with --jsonl each non-blank line, read one at a time.

    Each comes in a one-item list that the reader empties: nothing here keeps a reference to it.
    """
    if not jsonl:
        yield label, [handle.read()]
        return
    number = 0
    while line := handle.readline():
        number += 1
        if line.strip():
            holder = [line]
            del line
            yield f"{label}:{number}", holder


def _progress(err: IO[str]):  # type: ignore[no-untyped-def]
    """A progress bar on stderr when it is a terminal, else None."""
    isatty = getattr(err, "isatty", None)
    if not (isatty and isatty()):
        return None
    from tqdm import tqdm

    return tqdm(file=err, unit=" payloads", mininterval=0.2)


if __name__ == "__main__":
    sys.exit(main())
