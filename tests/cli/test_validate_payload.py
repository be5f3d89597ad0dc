"""`validate-payload` through the command itself: exit codes and output people and scripts read."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from syrupy.assertion import SnapshotAssertion

from returnkit.cli.validate_payload import main
from tests.conftest import VALID_CREATE

ZINC_INVALID = {
    "order_id": "not-a-uuid",
    "items": [{"order_item_id": "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10", "quantity": 0}],
    "reason": "damagd",
    "notes": None,
}


class TerminalStream(io.StringIO):
    def isatty(self) -> bool:
        return True


def run(*argv: str, stdin: bytes = b"", err: io.StringIO | None = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), err or io.StringIO()
    code = main(list(argv), stdin=io.BytesIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def write(tmp_path: Path, name: str, payload: Any) -> str:
    path = tmp_path / name
    path.write_text(payload if isinstance(payload, str) else json.dumps(payload))
    return str(path)


def mask(text: str, tmp_path: Path) -> str:
    text = text.replace(str(tmp_path), "<tmp>")
    return re.sub(r"in [\d.]+ s \([\d,]+ payloads/s\)", "in <t> s (<n> payloads/s)", text)


def test_valid_file_exits_0(tmp_path: Path) -> None:
    code, out, _ = run("zinc", "create-return", write(tmp_path, "ok.json", VALID_CREATE["zinc"]))
    assert code == 0
    assert out.endswith("ok.json: valid\n")


def test_invalid_file_text_says_where_what_and_did_you_mean(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    code, out, _ = run("zinc", "create-return", write(tmp_path, "bad.json", ZINC_INVALID))
    assert code == 1
    assert mask(out, tmp_path) == snapshot


def test_stdin_is_read_with_dash_or_no_file() -> None:
    body = json.dumps(VALID_CREATE["aboutyou"]).encode()
    assert run("aboutyou", "create-return", "-", stdin=body)[0] == 0
    assert run("aboutyou", "create-return", stdin=body)[1] == "<stdin>: valid\n"


def test_json_format_is_one_record_per_payload(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    code, out, _ = run("zinc", "create-return", "--format", "json", write(tmp_path, "bad.json", ZINC_INVALID))
    assert code == 1
    record = json.loads(out)
    assert record["valid"] is False
    assert [e["json_path"] for e in record["errors"]] == ["$.order_id", "$.items[0].quantity", "$.reason"]
    assert mask(out, tmp_path) == snapshot


@pytest.mark.parametrize("provider", ["zinc", "aboutyou", "kibo-oms", "kibo-commerce", "rye"])
def test_provider_format_prints_the_providers_own_body(provider: str, snapshot: SnapshotAssertion) -> None:
    bad: dict[str, Any] = {
        "zinc": ZINC_INVALID,
        "aboutyou": {"items": [{"order_items": [0], "return_tracking_key": ""}]},
        "kibo-oms": {"item": [{"orderItemID": -1, "quantity": 0}]},
        "kibo-commerce": {"items": [{"quantityReceived": "two"}]},
        "rye": {"input": {"orderId": "o1", "lineItems": [{"id": "B0", "quantity": "one"}]}},
    }
    code, out, err = run(provider, "create-return", "--format", "provider", stdin=json.dumps(bad[provider]).encode())
    assert code == 1
    assert (out, err) == snapshot


def test_zinc_provider_body_is_fastapi_422() -> None:
    _, out, err = run("zinc", "create-return", "--format", "provider", stdin=json.dumps(ZINC_INVALID).encode())
    body = json.loads(out)
    assert err == "HTTP 422 (application/json)\n"
    assert [d["loc"] for d in body["detail"]] == [
        ["body", "order_id"],
        ["body", "items", 0, "quantity"],
        ["body", "reason"],
    ]
    assert body["detail"][1]["type"] == "greater_than_equal"


def test_malformed_json_is_invalid_with_line_and_column() -> None:
    code, out, _ = run("aboutyou", "create-return", stdin=b'{\n  "items": [1,]\n}')
    assert code == 1
    assert "malformed JSON at line 2, column 15" in out


def test_jsonl_reports_invalid_lines_and_ends_with_a_summary(tmp_path: Path, snapshot: SnapshotAssertion) -> None:
    lines = [json.dumps(VALID_CREATE["aboutyou"]), '{"items": []}', "{oops", "", json.dumps(VALID_CREATE["aboutyou"])]
    code, out, _ = run("aboutyou", "create-return", "--jsonl", write(tmp_path, "batch.jsonl", "\n".join(lines)))
    assert code == 1
    assert out.splitlines()[-1].startswith("4 payloads: 2 valid, 2 invalid (1 malformed JSON) in ")
    assert mask(out, tmp_path) == snapshot


def test_jsonl_all_valid_exits_0(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(VALID_CREATE["zinc"]) for _ in range(3))
    code, out, _ = run("zinc", "create-return", "--jsonl", "--format", "json", write(tmp_path, "ok.jsonl", lines))
    assert code == 0
    *records, summary = [json.loads(line) for line in out.splitlines()]
    assert [r["valid"] for r in records] == [True, True, True]
    assert summary["summary"]["payloads"] == 3


def test_jsonl_on_a_terminal_shows_a_progress_bar(tmp_path: Path) -> None:
    lines = "\n".join(json.dumps(VALID_CREATE["aboutyou"]) for _ in range(2500))
    terminal = TerminalStream()
    code, _, err = run("aboutyou", "create-return", "--jsonl", write(tmp_path, "b.jsonl", lines), err=terminal)
    assert code == 0
    assert "2000 payloads" in err or "2500 payloads" in err
    assert run("aboutyou", "create-return", "--jsonl", write(tmp_path, "c.jsonl", lines))[2] == ""


def test_list_shows_providers_operations_and_aliases(snapshot: SnapshotAssertion) -> None:
    code, out, _ = run("--list", "zinc")
    assert code == 0
    assert "create_return_request_returns_post" in out
    assert "aliases: create-return" in out
    assert out == snapshot
    _, everything, _ = run("--list")
    assert all(name in everything.splitlines() for name in ("aboutyou", "zinc", "rye", "kibo-commerce", "kibo-oms"))


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["zink", "create-return"], "did you mean 'zinc'"),
        (["zinc", "create-retrun"], "did you mean 'create-return'"),
        (["zinc"], "PROVIDER and OPERATION are required"),
        (["zinc", "list-returns"], "takes no request body"),
        (["zinc", "create-return", "/nonexistent/x.json"], "cannot read /nonexistent/x.json"),
        (["zinc", "create-return", "--format", "yaml"], "invalid choice"),
    ],
)
def test_usage_errors_exit_2(argv: list[str], message: str) -> None:
    code, _, err = run(*argv)
    assert code == 2
    assert message in err


def test_installed_console_script_runs(tmp_path: Path) -> None:
    script = Path(sys.executable).parent / "validate-payload"
    path = write(tmp_path, "bad.json", {"items": []})
    result = subprocess.run(
        [str(script), "aboutyou", "create-return", path], capture_output=True, text=True, check=False
    )
    assert result.returncode == 1
    assert "$.items: [] has less than 1 item" in result.stdout
