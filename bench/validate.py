"""Validation cost per payload, per provider, valid and invalid, in process.

Run: `make bench` (or `.venv/bin/python bench/validate.py [--repeat N] [--jsonl]`).
Prints µs/payload (median of repeats) for each provider's create-return operation, and with
--jsonl the `validate-payload --jsonl` batch throughput on 100k lines.
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
from pathlib import Path
from typing import Any

from returnkit.validation import Catalog

VALID: dict[str, Any] = {
    "aboutyou": {"items": [{"order_items": [1001, 1002], "return_tracking_key": "DHL-0034043-ABC"}]},
    "zinc": {
        "order_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
        "items": [{"order_item_id": "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10", "quantity": 1}],
        "reason": "damaged",
        "notes": "Box arrived crushed",
    },
    "kibo-commerce": {
        "originalOrderId": "13a1b2c3",
        "returnType": "Refund",
        "items": [{"orderItemId": "oi-1", "reasons": [{"reason": "Damaged", "quantity": 1}]}],
    },
    "kibo-oms": {"orderID": 1234567, "shipmentID": 101010101, "item": [{"orderItemID": 1, "quantity": 1}]},
    "rye": {
        "input": {"orderId": "3f25547a-9cfc-4b36-b882-3666b693c441", "lineItems": [{"id": "B0BFX4SC26", "quantity": 1}]}
    },
}


def invalid(provider: str) -> Any:
    body = copy.deepcopy(VALID[provider])
    corrupt = {
        "aboutyou": lambda b: b["items"][0].update(order_items=[0]),
        "zinc": lambda b: b["items"][0].update(quantity=0) or b.update(reason="changed_my_mind"),
        "kibo-commerce": lambda b: b["items"][0].update(quantityReceived="two"),
        "kibo-oms": lambda b: b["item"][0].update(quantity=0),
        "rye": lambda b: b["input"]["lineItems"][0].update(quantity="one"),
    }
    corrupt[provider](body)
    return body


def micro(catalog: Catalog, repeat: int) -> None:
    print(f"{'provider':<14} {'valid µs':>9} {'invalid µs':>11}")
    for provider, valid_body in VALID.items():
        validator = catalog.validator(provider, "create-return")
        row = []
        for body in (valid_body, invalid(provider)):
            assert validator.validate(body).valid == (body is valid_body)
            number = 20000 if body is valid_body else 2000
            timer = timeit.Timer("check(body)", globals={"check": validator.validate, "body": body})
            samples = [timer.timeit(number) / number * 1e6 for _ in range(repeat)]
            row.append(statistics.median(samples))
        print(f"{provider:<14} {row[0]:>9.2f} {row[1]:>11.2f}")


def batch(lines: int) -> None:
    cli = Path(sys.executable).parent / "validate-payload"
    for label, share_invalid in (("all valid", 0), ("10% invalid", 10)):
        with tempfile.NamedTemporaryFile("w", suffix=".jsonl", delete=False) as handle:
            for i in range(lines):
                body = invalid("zinc") if share_invalid and i % share_invalid == 0 else VALID["zinc"]
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
        input=json.dumps(VALID["zinc"]),
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
    batch(args.lines)


if __name__ == "__main__":
    main()
