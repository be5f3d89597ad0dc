"""`validate-payload` through the real CLI: batch throughput on a mixed JSONL and one-shot wall time.

Run: `.venv/bin/python bench/oneshot.py [--before REV] [--lines 100000] [--rounds 3] [--runs 10]`

Each figure is a whole process, timed from outside (start-up included), as a user runs it:

- `--jsonl` over 100 000 Zinc create-return lines, half of them invalid: payloads/s = lines / wall
  seconds, median of `--rounds`. "mixed": each invalid line has one typical error, a bad uuid, a
  quantity of 0 or a misspelled reason, a third each; "all three": every invalid line has all
  three; "all valid" for scale.
- one-shot: one payload on stdin, median of `--runs` wall times (valid, and invalid).

With `--before REV` the same runs are made, interleaved, on the sources of git revision REV
(exported to a temporary folder) and the table shows both side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLI = Path(sys.executable).with_name("validate-payload")
GIT, TAR = shutil.which("git") or "git", shutil.which("tar") or "tar"

VALID: dict[str, Any] = {
    "order_id": "3fa85f64-5717-4562-b3fc-2c963f66afa6",
    "items": [{"order_item_id": "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10", "quantity": 1}],
    "reason": "damaged",
    "notes": "Carafe arrived with a cracked lid; box was crushed on one corner.",
}
BAD_UUID = "3fa85f64-5717-4562-b3fc-2c963f66afa"  # one digit short


def _bad_uuid(body: dict[str, Any]) -> None:
    body["order_id"] = BAD_UUID


def _zero_quantity(body: dict[str, Any]) -> None:
    body["items"][0]["quantity"] = 0


def _misspelled_reason(body: dict[str, Any]) -> None:
    body["reason"] = "damagd"


TYPICAL_ERRORS: tuple[Callable[[dict[str, Any]], None], ...] = (_bad_uuid, _zero_quantity, _misspelled_reason)


def corrupted(index: int, every_error: bool) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(json.dumps(VALID))
    for corrupt in TYPICAL_ERRORS if every_error else (TYPICAL_ERRORS[index % 3],):
        corrupt(body)
    return body


def write_jsonl(path: Path, lines: int, kind: str) -> None:
    """`lines` bodies; for "mixed" and "all three" every second one is invalid."""
    valid = json.dumps(VALID)
    with path.open("w") as handle:
        for i in range(lines):
            if kind == "all valid" or i % 2 == 0:
                handle.write(valid + "\n")
            else:
                handle.write(json.dumps(corrupted(i // 2, kind == "all three")) + "\n")


@contextmanager
def exported(revision: str) -> Iterator[Path]:
    """The `src` folder of git `revision`, in a temporary folder (its specs and mocks beside it)."""
    with tempfile.TemporaryDirectory(prefix="returnkit-before-") as folder:
        archive = subprocess.run(
            [GIT, "-C", str(ROOT), "archive", revision, "src", "specs", "mocks"], capture_output=True, check=True
        ).stdout
        subprocess.run([TAR, "-x", "-C", folder], input=archive, check=True)
        yield Path(folder) / "src"


def timed(source: Path, argv: list[str], stdin: bytes = b"") -> tuple[float, str]:
    """Wall seconds of `validate-payload argv` importing returnkit from `source`, and its last stdout line."""
    env = {**os.environ, "PYTHONPATH": str(source)}
    started = time.perf_counter()
    result = subprocess.run([str(CLI), *argv], input=stdin, capture_output=True, env=env, check=False)
    seconds = time.perf_counter() - started
    if result.returncode not in (0, 1):
        raise SystemExit(f"validate-payload failed ({result.returncode}): {result.stderr.decode()[-2000:]}")
    lines = result.stdout.decode().splitlines()
    return seconds, lines[-1] if lines else ""


def batch_rows(trees: dict[str, Path], folder: Path, lines: int, rounds: int) -> list[tuple[str, list[str]]]:
    rows = []
    for kind in ("mixed", "all three", "all valid"):
        path = folder / f"{kind.replace(' ', '-')}.jsonl"
        write_jsonl(path, lines, kind)
        samples: dict[str, list[float]] = {name: [] for name in trees}
        for _ in range(rounds):
            for name, source in trees.items():  # interleaved: drift hits both alike
                seconds, _summary = timed(source, ["zinc", "create-return", "--jsonl", str(path)])
                samples[name].append(seconds)
        cells = []
        for name in trees:
            median = statistics.median(samples[name])
            cells.append(f"{lines / median:>9,.0f} /s ({median * 1000:,.0f} ms)")
        rows.append((f"--jsonl {lines:,} lines, {kind}", cells))
    return rows


def oneshot_rows(trees: dict[str, Path], runs: int) -> list[tuple[str, list[str]]]:
    rows = []
    for label, body in (("valid", VALID), ("invalid (all three errors)", corrupted(0, True))):
        data = json.dumps(body).encode()
        samples: dict[str, list[float]] = {name: [] for name in trees}
        for source in trees.values():
            timed(source, ["zinc", "create-return", "-"], data)  # warm-up: the page cache, .pyc files
        for _ in range(runs):
            for name, source in trees.items():
                samples[name].append(timed(source, ["zinc", "create-return", "-"], data)[0])
        cells = [
            f"{statistics.median(s) * 1000:>5.0f} ms (min {min(s) * 1000:.0f}, max {max(s) * 1000:.0f})"
            for s in samples.values()
        ]
        rows.append((f"one-shot, {label}, median of {runs}", cells))
    return rows


def print_table(columns: list[str], rows: list[tuple[str, list[str]]]) -> None:
    label_width = max(len(label) for label, _ in rows)
    widths = [max(len(column), *(len(cells[i]) for _, cells in rows)) for i, column in enumerate(columns)]
    print(f"{'':<{label_width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(columns, widths, strict=True)))
    for label, cells in rows:
        print(f"{label:<{label_width}}  " + "  ".join(f"{c:>{w}}" for c, w in zip(cells, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", metavar="REV", help="also run the sources of this git revision, side by side")
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=3, help="batch runs per tree (median)")
    parser.add_argument("--runs", type=int, default=10, help="one-shot runs per tree (median)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder, compared_trees(args.before) as trees:
        rows = batch_rows(trees, Path(folder), args.lines, args.rounds)
        rows += oneshot_rows(trees, args.runs)
    print_table(list(trees), rows)


@contextmanager
def compared_trees(before: str | None) -> Iterator[dict[str, Path]]:
    here = ROOT / "src"
    if before is None:
        yield {"this checkout": here}
        return
    with exported(before) as source:
        yield {f"before ({before})": source, "after (this checkout)": here}


if __name__ == "__main__":
    main()
