"""How `validate-payload` writes a verdict: text for people, JSON for machines, or the
provider's own response body."""

from __future__ import annotations

from typing import IO, Any

from returnkit.core.jsonbytes import dumps
from returnkit.validation import PayloadError, Verdict
from returnkit.validation.words import shown_value, size_text, truncate_value

# A value whose JSON is longer is written as a preview (json format; the provider format is the
# provider's own body, which bounds its echoes itself).
MAX_RECORD_VALUE_CHARS = 200


def error_record(error: PayloadError) -> dict[str, Any]:
    record = {
        "json_path": error.json_path,
        "message": error.message,
        "keyword": error.keyword,
        "schema_path": error.schema_path,
        "value": error.value,
        "expected": error.expected,
        "suggestion": error.suggestion,
        "locations": [list(loc) for loc in error.locations],
    }
    preview = _preview(error.value)
    if preview is not None:
        record["value"] = preview
        record["value_truncated"] = size_text(error.value) or True
    return record


def _preview(value: Any) -> str | None:
    """The value's first characters, when its JSON is too long to print whole; else None."""
    text = truncate_value(value, MAX_RECORD_VALUE_CHARS)
    return text if text.endswith("…") else None


def text_error(error: PayloadError) -> list[str]:
    lines = [f"  {error.json_path}: {error.message}"]
    if error.keyword not in ("required", "json") and not error.keyword.startswith("graphql"):
        lines.append(f"    found:    {shown_value(error.value)}")
    if error.expected:
        lines.append(f"    expected: {error.expected}")
    if error.suggestion:
        lines.append(f"    did you mean: {error.suggestion}?")
    return lines


class Reporter:
    """Writes one verdict per payload, then a summary for batches."""

    def __init__(self, fmt: str, out: IO[str], err: IO[str], batch: bool) -> None:
        self.fmt = fmt
        self.out = out
        self.err = err
        self.batch = batch

    def verdict(self, source: str, verdict: Verdict) -> None:
        if self.fmt == "json":
            self._json(source, verdict)
        elif self.fmt == "provider":
            self._provider(verdict)
        else:
            self._text(source, verdict)

    def _text(self, source: str, verdict: Verdict) -> None:
        if verdict.valid:
            if not self.batch:
                self.out.write(f"{source}: valid\n")
            return
        count = verdict.error_count
        over = "over " if verdict.more_than else ""
        lines = [f"{source}: invalid ({over}{count:,} error{'s' if count != 1 else ''})"]
        for error in verdict.errors:
            lines.extend(text_error(error))
        if verdict.more:
            lines.append(f"  … {verdict.more_text}")
        self.out.write("\n".join(lines) + "\n")

    def _json(self, source: str, verdict: Verdict) -> None:
        record: dict[str, Any] = {
            "source": source,
            "valid": verdict.valid,
            "errors": [error_record(e) for e in verdict.errors],
        }
        if verdict.more:
            record["more_errors"] = verdict.more
            record["more_errors_lower_bound"] = verdict.more_than
        self.out.write(dumps(record).decode() + "\n")

    def _provider(self, verdict: Verdict) -> None:
        if verdict.valid:
            return
        from returnkit.providers import render_validation_error  # late: only this format needs the providers

        response = render_validation_error(verdict)  # byte for byte what the server answers
        self.out.write(dumps(response.body).decode() + "\n")
        if not self.batch:
            self.err.write(f"HTTP {response.status} ({response.media_type})\n")

    def summary(self, total: int, invalid: int, malformed: int, seconds: float) -> None:
        rate = total / seconds if seconds > 0 else float(total)
        if self.fmt == "json":
            record = {
                "summary": {
                    "payloads": total,
                    "valid": total - invalid,
                    "invalid": invalid,
                    "malformed": malformed,
                    "seconds": round(seconds, 3),
                }
            }
            self.out.write(dumps(record).decode() + "\n")
            return
        stream = self.err if self.fmt == "provider" else self.out
        stream.write(
            f"{total} payloads: {total - invalid} valid, {invalid} invalid ({malformed} malformed JSON)"
            f" in {seconds:.3f} s ({rate:,.0f} payloads/s)\n"
        )
