"""Validation cost per payload, per provider, valid and invalid, in process.

Run: `make bench` (or `.venv/bin/python bench/validate.py [--repeat N] [--jsonl]`).
Prints µs/payload (median of repeats) for each provider's create-return operation, on the
request example its bundled spec documents and on a corrupted copy, then the
`validate-payload --jsonl` batch throughput and the one-shot wall time.
"""

from __future__ import annotations

import argparse
import copy
import json
import statistics
import subprocess
import sys
import tempfile
import time
import timeit
from collections.abc import Callable
from pathlib import Path
from typing import Any

from returnkit.validation import Catalog

CORRUPTIONS: dict[str, Callable[[Any], None]] = {
    "aboutyou": lambda body: body["items"][0].update(order_items=[0]),
    "zinc": lambda body: body["items"][0].update(quantity=0) or body.update(reason="changed_my_mind"),
    "kibo-commerce": lambda body: body["items"][0].update(quantityReceived="two"),
    "kibo-oms": lambda body: body["item"][0].update(quantity=0),
    "rye": lambda body: body["variables"]["input"]["lineItems"][0].update(quantity="one"),
}


def spec_example(catalog: Catalog, provider: str) -> Any:
    """The create-return request example the provider's bundled spec documents."""
    spec = catalog.spec(provider)
    operation = next(
        op
        for op in spec.operations
        if op.kind == "rest" and op.request_example is not None and ("create-return" in op.aliases or provider == "rye")
    )
    return copy.deepcopy(operation.request_example)


def invalid(catalog: Catalog, provider: str) -> Any:
    body = spec_example(catalog, provider)
    CORRUPTIONS[provider](body)
    return body


def micro(catalog: Catalog, repeat: int) -> None:
    print(f"{'provider':<14} {'valid µs':>9} {'invalid µs':>11}")
    for provider in CORRUPTIONS:
        validator = catalog.validator(provider, "create-return")
        valid_body = spec_example(catalog, provider)
        row = []
        for body in (valid_body, invalid(catalog, provider)):
            assert validator.validate(body).valid == (body is valid_body)
            number = 20000 if body is valid_body else 2000
            timer = timeit.Timer("check(body)", globals={"check": validator.validate, "body": body})
            samples = [timer.timeit(number) / number * 1e6 for _ in range(repeat)]
            row.append(statistics.median(samples))
        print(f"{provider:<14} {row[0]:>9.2f} {row[1]:>11.2f}")


def batch(catalog: Catalog, lines: int) -> None:
    cli = Path(sys.executable).parent / "validate-payload"
    valid = spec_example(catalog, "zinc")
    for label, share_invalid in (("all valid", 0), ("10% invalid", 10)):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            for i in range(lines):
                body = invalid(catalog, "zinc") if share_invalid and i % share_invalid == 0 else valid
                handle.write(json.dumps(body) + "\n")
        started = time.perf_counter()
        result = subprocess.run(
            [str(cli), "zinc", "create-return", "--jsonl", handle.name], capture_output=True, text=True, check=False
        )
        seconds = time.perf_counter() - started
        print(
            f"validate-payload --jsonl, {lines} Zinc lines, {label}: {lines / seconds:,.0f} payloads/s "
            f"(wall {seconds:.2f} s incl. start-up); its summary: {result.stdout.splitlines()[-1]}"
        )
    started = time.perf_counter()
    subprocess.run(
        [str(cli), "zinc", "create-return", "-"],
        input=json.dumps(valid),
        text=True,
        capture_output=True,
        check=False,
    )
    print(f"one-shot validate-payload wall time: {(time.perf_counter() - started) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--lines", type=int, default=100_000)
    args = parser.parse_args()
    catalog = Catalog()
    micro(catalog, args.repeat)
    batch(catalog, args.lines)


if __name__ == "__main__":
    main()
