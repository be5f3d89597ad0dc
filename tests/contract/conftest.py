"""A real, listening returnkit server for contract tests that drive providers' official SDKs."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
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


@pytest.fixture(scope="session")
def listening_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of `returnkit serve` on a free port, frozen clock, seed 0; stopped after the session."""
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    logs = tmp_path_factory.mktemp("returnkit-serve")
    stderr_path = logs / "stderr.txt"
    command = [
        str(Path(sys.executable).parent / "returnkit"),
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--clock",
        "frozen",
        "--seed",
        "0",
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


@pytest.fixture
def fresh_world(listening_server: str) -> str:
    """The server's base URL after `POST /__admin/reset`: seeded world, clock back at its start."""
    response = httpx.post(f"{listening_server}/__admin/reset", timeout=10.0)
    assert response.status_code == 200, response.text
    return listening_server
