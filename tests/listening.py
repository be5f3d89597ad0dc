"""`returnkit serve` as a user starts it: a real process on a free loopback port."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

READY_WITHIN_SECONDS = 10.0
POLL_INTERVAL_SECONDS = 0.05


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(base_url: str, server: subprocess.Popen[bytes], stderr_path: Path) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    with httpx.Client(base_url=base_url, timeout=1.0) as client:
        while time.monotonic() < deadline:
            if server.poll() is not None:
                pytest.fail(f"returnkit serve exited with {server.returncode}:\n{stderr_path.read_text()}")
            try:
                if client.get("/__admin/clock").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(POLL_INTERVAL_SECONDS)
    pytest.fail(f"returnkit serve did not answer within {READY_WITHIN_SECONDS} s:\n{stderr_path.read_text()}")


@contextmanager
def returnkit_serve(logs: Path, *options: str) -> Iterator[str]:
    """Base URL of `returnkit serve OPTIONS` on a free port; the process is stopped afterwards."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    stderr_path = logs / "stderr.txt"
    command = [
        str(Path(sys.executable).parent / "returnkit"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        *options,
    ]
    with (logs / "stdout.txt").open("wb") as stdout, stderr_path.open("wb") as stderr:
        server = subprocess.Popen(command, stdout=stdout, stderr=stderr)
        try:
            _wait_until_ready(base_url, server, stderr_path)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
