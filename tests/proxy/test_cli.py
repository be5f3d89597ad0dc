"""`returnkit proxy` and `returnkit report` as a CI step runs them: a real process, its report on exit."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from returnkit.cli.main import main
from tests.proxy.conftest import free_port

ZINC = {"Authorization": "Bearer zn_test_acme_5d2f8a91c4e7"}
PROCESS_STARTUP_SECONDS = 60.0  # a new interpreter importing everything, on a loaded CI machine


def wait_until_listening(url: str, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + PROCESS_STARTUP_SECONDS
    while time.monotonic() < deadline:
        assert process.poll() is None, process.stderr.read() if process.stderr else ""
        try:
            if httpx.get(f"{url}/__admin/health", trust_env=False).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)  # waiting for a real process to listen, not for simulated time
    pytest.fail("returnkit proxy did not start listening")


def test_the_proxy_prints_the_drift_report_on_exit_and_fails_on_drift(upstream_serve: str, tmp_path: Path) -> None:
    port = free_port()
    command = [sys.executable, "-m", "returnkit.cli.main", "proxy", "--upstream", upstream_serve]
    command += ["--port", str(port), "--record", str(tmp_path / "rec"), "--format", "json"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_until_listening(url, process)
        assert httpx.get(f"{url}/zinc/orders", headers=ZINC, trust_env=False).status_code == 200
        httpx.post(f"{url}/zinc/returns", json={"items": "none"}, headers=ZINC, trust_env=False)
    finally:
        process.send_signal(signal.SIGTERM)  # what a CI runner sends when the job's step ends
        out, err = process.communicate(timeout=PROCESS_STARTUP_SECONDS)
    assert process.returncode == 1, err.decode()
    drift = json.loads(out[out.index(b"{") :])
    assert drift["exchanges"] == 2
    assert {v["json_path"] for v in drift["request_violations"]} >= {"$.items", "$.reason"}
    assert b"Traceback" not in err
    assert (tmp_path / "rec" / "exchanges.jsonl").read_text().count("\n") == 2


def test_report_of_a_directory_without_a_recording_is_a_usage_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["report", str(tmp_path)]) == 2
    assert "exchanges.jsonl" in capsys.readouterr().err


def test_report_of_an_empty_recording_is_clean(tmp_path: Path) -> None:
    (tmp_path / "exchanges.jsonl").write_text("")
    from returnkit.cli.drift import main as report

    out = io.StringIO()
    assert report([str(tmp_path)], out=out) == 0
    assert "0 exchanges, no drift" in out.getvalue()


@pytest.mark.parametrize("upstream", ["ftp://example.com", "example.com", "http://"])
def test_an_upstream_that_is_not_an_http_url_is_a_usage_error(
    upstream: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["proxy", "--upstream", upstream])
    assert exited.value.code == 2
    assert "is not an http:// or https:// URL" in capsys.readouterr().err


def test_an_unknown_provider_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["proxy", "--upstream", "http://127.0.0.1:1", "--provider", "acme", "--port", "0"]) == 2
    assert "no provider 'acme'" in capsys.readouterr().err
