"""`validate-payload` at the edges: lone surrogates, integers of thousands of digits, huge values,
thousands of errors, and lines of tens of megabytes (memory measured from outside)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.cli.test_validate_payload import run

ORDER_ID = "0b7c6a54-3a3e-4a57-9d3b-2f1a7c6f9e10"
SCRIPT = Path(sys.executable).parent / "validate-payload"


def zinc_return(**fields: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"order_id": ORDER_ID, "items": [{"order_item_id": ORDER_ID, "quantity": 1}]}
    return {**body, "reason": "other", **fields}


def test_a_lone_surrogate_escape_is_malformed_json_with_line_and_column() -> None:
    code, out, _ = run("zinc", "create-return", stdin=b'{\n  "reason": "ok \\ud800"\n}')
    assert code == 1
    assert "malformed JSON at line 2, column 17: unpaired surrogate escape \\ud800" in out


@pytest.mark.parametrize("escape", ["\\udc00", "\\ud800\\u0041", "\\ud800\\ud800"])
def test_every_kind_of_unpaired_surrogate_is_refused(escape: str) -> None:
    code, out, _ = run("zinc", "create-return", "--format", "json", stdin=f'{{"notes": "{escape}"}}'.encode())
    (error,) = json.loads(out)["errors"]
    assert code == 1
    assert (error["keyword"], error["locations"]) == ("json", [[1, 12]])


def test_a_surrogate_pair_escape_is_one_character_not_an_error() -> None:
    code, out, _ = run("zinc", "create-return", stdin=json.dumps(zinc_return(notes="\U0001f600")).encode())
    assert (code, out) == (0, "<stdin>: valid\n")


def test_a_lone_surrogate_in_the_providers_format_is_its_malformed_json_body() -> None:
    code, out, err = run("zinc", "create-return", "--format", "provider", stdin=b'{"reason": "\\ud800"}')
    (detail,) = json.loads(out)["detail"]
    assert code == 1
    assert err == "HTTP 422 (application/json)\n"
    assert (detail["type"], detail["loc"]) == ("json_invalid", ["body", 12])


def quantity_of(literal: str) -> bytes:
    text = json.dumps(zinc_return()).replace('"quantity": 1', f'"quantity": {literal}')
    return text.encode()


@pytest.mark.parametrize(
    ("literal", "message"),
    [
        ("9" * 5000, "is greater than the maximum of 100"),
        ("-" + "9" * 5000, "is less than the minimum of 1"),
        ("1" + "0" * 4400 + ".5", 'Infinity is not of type "integer"'),
    ],
)
def test_a_number_of_thousands_of_digits_is_judged_by_its_value(literal: str, message: str) -> None:
    code, out, _ = run("zinc", "create-return", stdin=quantity_of(literal))
    assert code == 1
    assert message in out
    assert "(5,000 digits)" in out or "." in literal
    assert "set_int_max_str_digits" not in out
    assert "malformed" not in out


def test_an_integer_of_thousands_of_digits_within_the_rules_is_valid() -> None:
    body = json.dumps({"items": [{"order_items": [1], "return_tracking_key": "k"}], "extra": 0})
    code, out, _ = run("aboutyou", "create-return", stdin=body.replace('"extra": 0', '"extra": ' + "7" * 6000).encode())
    assert (code, out) == (0, "<stdin>: valid\n")


UUID_MESSAGE = '$.order_id: "not-a-uuid" is not a "uuid"'


def test_an_error_is_worded_the_same_whichever_engine_found_it() -> None:
    alone = run("zinc", "create-return", stdin=json.dumps(zinc_return(order_id="not-a-uuid")).encode())[1]
    # notes: 5 breaks an anyOf, which sends the payload to python-jsonschema instead of jsonschema-rs
    with_anyof = run("zinc", "create-return", stdin=json.dumps(zinc_return(order_id="not-a-uuid", notes=5)).encode())[1]
    assert UUID_MESSAGE in alone.splitlines()[1]
    assert UUID_MESSAGE in with_anyof.splitlines()[1]
    assert '$.notes: 5 is not of type "string"' in with_anyof


def test_a_huge_value_is_shown_cut_with_its_size() -> None:
    code, out, _ = run("zinc", "create-return", stdin=json.dumps(zinc_return(reason="x" * 1_000_000)).encode())
    assert code == 1
    assert 'found:    "xxxxxxxx' in out
    assert "… (1,000,000 characters)" in out
    assert len(out) < 2_000


def test_a_huge_value_in_the_json_format_is_a_preview_with_its_size() -> None:
    payload = json.dumps(zinc_return(reason="x" * 1_000_000)).encode()
    code, out, _ = run("zinc", "create-return", "--format", "json", stdin=payload)
    (error,) = json.loads(out)["errors"]
    assert code == 1
    assert error["value"].endswith("…")
    assert error["value_truncated"] == "1,000,000 characters"
    assert len(out) < 2_000


@pytest.mark.parametrize("notes", [None, 5], ids=["jsonschema-rs", "python-jsonschema"])
def test_past_50_errors_the_rest_are_counted_not_described(notes: int | None) -> None:
    items = [{"order_item_id": "nope", "quantity": 0}] * 30  # 60 errors
    code, out, _ = run("zinc", "create-return", stdin=json.dumps(zinc_return(items=items, notes=notes)).encode())
    total = 60 if notes is None else 61
    assert code == 1
    assert out.startswith(f"<stdin>: invalid ({total} errors)\n")
    assert out.count("\n  $.") == 50
    assert out.endswith(f"  … and {total - 50} more errors\n")


def test_a_payload_with_100000_errors_is_described_in_part_and_counted_to_a_limit() -> None:
    items = [{"order_item_id": "nope", "quantity": 0}] * 50_000
    code, out, _ = run("zinc", "create-return", "--format", "json", stdin=json.dumps(zinc_return(items=items)).encode())
    record = json.loads(out)
    assert code == 1
    assert len(record["errors"]) == 50
    assert (record["more_errors"], record["more_errors_lower_bound"]) == (1000, True)
    text = run("zinc", "create-return", stdin=json.dumps(zinc_return(items=items)).encode())[1]
    assert text.endswith("  … and over 1,000 more errors\n")


def test_the_providers_format_lists_at_most_50_errors() -> None:
    items = [{"order_items": [0], "return_tracking_key": ""}] * 3000
    _, out, _ = run("aboutyou", "create-return", "--format", "provider", stdin=json.dumps({"items": items}).encode())
    message = json.loads(out)["message"]
    assert message.count("; ") == 50
    assert message.endswith("; and over 1,000 more errors")


MEASURE = """
import resource, subprocess, sys
done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, check=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, len(done.stdout), done.returncode)
"""
MB = 1024 * 1024


def peak_memory(*argv: str) -> tuple[int, int, int]:
    """Peak RSS in bytes of `validate-payload ARGV` run alone, the size of its output, its exit code."""
    measured = subprocess.run(
        [sys.executable, "-c", MEASURE, str(SCRIPT), *argv], capture_output=True, text=True, check=True
    )
    peak, output, code = (int(word) for word in measured.stdout.split())
    return peak, output, code


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> int:
    small = tmp_path_factory.mktemp("baseline") / "small.json"
    small.write_text(json.dumps(zinc_return(notes=5)))
    return peak_memory("zinc", "create-return", str(small))[0]


def test_memory_follows_the_line_for_a_30_mb_string(tmp_path: Path, baseline: int) -> None:
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(zinc_return(notes="x" * 30 * MB)))
    peak, output, code = peak_memory("zinc", "create-return", str(path))
    assert code == 1
    assert output < 1_000
    assert peak < baseline + 3 * path.stat().st_size + 64 * MB, (peak // MB, baseline // MB)


def test_memory_follows_the_largest_line_with_jsonl(tmp_path: Path, baseline: int) -> None:
    line = json.dumps(zinc_return(items=["y" * 100] * 300_000))  # 30 MB, 300,000 errors
    path = tmp_path / "batch.jsonl"
    path.write_text("\n".join([json.dumps(zinc_return()), line, line, "{oops"]) + "\n")
    peak, output, code = peak_memory("zinc", "create-return", "--jsonl", str(path))
    assert code == 1
    assert output < 30_000  # two verdicts of 50 errors each, a malformed line and a summary
    assert peak < baseline + 3 * len(line) + 64 * MB, (peak // MB, baseline // MB)
