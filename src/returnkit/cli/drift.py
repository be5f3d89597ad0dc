"""`returnkit report DIR [--format text|json]`: the drift report of a `returnkit proxy --record DIR` recording.

Operations seen, then request and response violations grouped by operation and JSON path, each
with its kind (undeclared field, wrong type, undocumented status …), how often and one message.
Exit status 1 when there is any violation (a CI step fails), 0 when the traffic conformed, 2 when
DIR holds no recording. The proxy prints the same report when it stops.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

EXIT_CLEAN, EXIT_DRIFT, EXIT_USAGE = 0, 1, 2
RECORDING = "exchanges.jsonl"  # server/proxy_record.py writes it (the cli reads it without importing the server)
DIRECTIONS = ("request", "response")


@dataclass
class Finding:
    """One violation (direction, operation, JSON path, kind), how often it was seen and one example."""

    direction: str
    provider: str
    operation: str
    json_path: str
    kind: str
    message: str
    count: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "direction": self.direction,
            "provider": self.provider,
            "operation": self.operation,
            "json_path": self.json_path,
            "kind": self.kind,
            "count": self.count,
            "message": self.message,
        }


@dataclass
class DriftReport:
    exchanges: int = 0
    operations: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (provider, operation, method path)
    findings: dict[tuple[str, str, str, str, str], Finding] = field(default_factory=dict)
    failures: list[str] = field(default_factory=list)  # upstream failures (502/504): not drift, but said

    @property
    def clean(self) -> bool:
        return not self.findings

    def add(self, entry: dict[str, Any]) -> None:
        """One exchange: a line of the recording, or a proxied journal entry (the same JSON)."""
        self.exchanges += 1
        provider, operation = entry.get("provider") or "(none)", entry.get("operation") or "(not in the spec)"
        self.operations[(provider, operation, f"{entry.get('method')} {entry.get('path')}")] += 1
        proxy = entry.get("proxy") or {}
        if proxy.get("error") and not proxy.get("upstream_status"):
            self.failures.append(f"{entry.get('method')} {entry.get('path')}: {proxy['error']}")
        for violation in proxy.get("violations") or []:
            key = (violation["direction"], provider, operation, violation["json_path"], violation["kind"])
            finding = self.findings.setdefault(key, Finding(*key, message=violation["message"]))
            finding.count += 1

    def by_direction(self, direction: str) -> list[Finding]:
        found = [finding for finding in self.findings.values() if finding.direction == direction]
        return sorted(found, key=lambda f: (f.provider, f.operation, f.json_path, f.kind))

    def as_json(self) -> dict[str, Any]:
        operations = [
            {"provider": provider, "operation": operation, "example": example, "count": count}
            for (provider, operation, example), count in sorted(self.operations.items())
        ]
        return {
            "clean": self.clean,
            "exchanges": self.exchanges,
            "operations": _merged(operations),
            "request_violations": [f.as_json() for f in self.by_direction("request")],
            "response_violations": [f.as_json() for f in self.by_direction("response")],
            "upstream_failures": self.failures,
        }


def _merged(operations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One row per operation (paths differ by their ids), the first request as its example."""
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for row in operations:
        key = (row["provider"], row["operation"])
        if key in rows:
            rows[key]["count"] += row["count"]
        else:
            rows[key] = dict(row)
    return list(rows.values())


def report_of(entries: Iterable[dict[str, Any]]) -> DriftReport:
    report = DriftReport()
    for entry in entries:
        if entry.get("direction") == "proxied":
            report.add(entry)
    return report


def read_recording(directory: Path) -> list[dict[str, Any]]:
    """Every line of `directory/exchanges.jsonl`; a line cut short (a proxy killed mid-write) is skipped."""
    entries = []
    with (directory / RECORDING).open(encoding="utf-8") as lines:
        for line in lines:
            try:
                entries.append(json.loads(line))
            except ValueError:
                continue
    return entries


def write_text(report: DriftReport, out: TextIO) -> None:
    verdict = "no drift" if report.clean else f"{len(report.findings)} kinds of violation"
    out.write(f"returnkit drift report: {report.exchanges} exchanges, {verdict}\n\noperations seen:\n")
    for row in report.as_json()["operations"]:
        out.write(f"  {row['provider']} {row['operation']}  ×{row['count']}  (e.g. {row['example']})\n")
    for direction in DIRECTIONS:
        findings = report.by_direction(direction)
        out.write(f"\n{direction} violations:{' none' if not findings else ''}\n")
        operation = None
        for finding in findings:
            if (finding.provider, finding.operation) != operation:
                operation = (finding.provider, finding.operation)
                out.write(f"  {finding.provider} {finding.operation}\n")
            out.write(f"    {finding.json_path}  {finding.kind}  ×{finding.count}: {finding.message}\n")
    if report.failures:
        out.write(f"\nupstream failures (answered 502/504): {len(report.failures)}\n")
        for failure in report.failures[:20]:
            out.write(f"  {failure}\n")


def write(report: DriftReport, out: TextIO, form: str) -> int:
    if form == "json":
        out.write(json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n")
    else:
        write_text(report, out)
    return EXIT_CLEAN if report.clean else EXIT_DRIFT


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="returnkit report", description="The drift report of a `returnkit proxy --record DIR` recording."
    )
    parser.add_argument("directory", metavar="DIR", type=Path, help="the directory given to --record")
    parser.add_argument("--format", choices=("text", "json"), default="text", help="text (default) or json")
    return parser


def main(argv: Sequence[str], out: TextIO | None = None, err: TextIO | None = None) -> int:
    out, err = out or sys.stdout, err or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        entries = read_recording(args.directory)
    except OSError as failed:
        err.write(f"returnkit report: error: {args.directory / RECORDING}: {failed.strerror}\n")
        return EXIT_USAGE
    return write(report_of(entries), out, args.format)
