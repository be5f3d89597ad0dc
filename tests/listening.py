"""`returnkit serve` as a user starts it: a real process on a free loopback port."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

READY_WITHIN_SECONDS = 30.0  # a loaded CI machine starts a server in seconds, not one
POLL_INTERVAL_SECONDS = 0.05


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(base_url: str, server: subprocess.Popen[bytes], stderr_path: Path, ca: Path | None) -> None:
    deadline = time.monotonic() + READY_WITHIN_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"returnkit serve exited with {server.returncode}:\n{stderr_path.read_text()}")
        if ca is None or ca.exists():  # with --tls the server writes its CA first
            try:
                verify = ssl.create_default_context(cafile=str(ca)) if ca else True
                with httpx.Client(base_url=base_url, timeout=1.0, verify=verify) as client:
                    if client.get("/__admin/clock").status_code == 200:
                        return
            except httpx.TransportError:
                pass
        time.sleep(POLL_INTERVAL_SECONDS)
    pytest.fail(f"returnkit serve did not answer within {READY_WITHIN_SECONDS} s:\n{stderr_path.read_text()}")


@contextmanager
def returnkit_serve(logs: Path, *options: str, tls: Path | None = None, port: int | None = None) -> Iterator[str]:
    """Base URL of `returnkit serve OPTIONS` on `port` (a free one by default); the process is stopped afterwards.

    With `tls`, the server runs `--tls tls` and the URL is https (its CA is `tls / "ca.pem"`).
    """
    port = port or _free_port()
    base_url = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    if tls:
        options = (*options, "--tls", str(tls))
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
            _wait_until_ready(base_url, server, stderr_path, tls / "ca.pem" if tls else None)
            yield base_url
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
